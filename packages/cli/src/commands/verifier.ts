/**
 * Registers the SMT verifier's commands: `verify`, `diff`, `smt`.
 */
import type { Command } from 'commander';
import { DIFF_HELP, runDiff, type DiffCommandOptions } from './diff.js';
import { runSmt, SMT_HELP, type SmtCommandOptions } from './smt.js';
import { runVerify, VERIFY_HELP, type VerifyCommandOptions } from './verify.js';

export function registerVerifierCommands(p: Command, setCode: (code: number) => void): void {
  p.command('verify')
    .description('prove the policy\'s assertions and find vacuous, shadowed and redundant rules and dead tools (SMT, Z3)')
    .argument('<policy>', 'a .writ file, a directory of them, or a compiled artifact (.json)')
    .option('--json', 'print the report as JSON')
    .option('--timeout <s>', 'per solver query, in seconds', '30')
    .option('--no-analyses', 'prove the assertions only (skip the rule analyses)')
    .option('--sarif <file>', 'also write the results as SARIF 2.1.0 (for code-scanning dashboards)')
    .addHelpText('after', VERIFY_HELP)
    .action(async (policy: string, o: VerifyCommandOptions) => {
      setCode(await runVerify(policy, o));
    });
  p.command('diff')
    .description('compare two versions of a policy tool by tool: equivalent, more or less permissive, with witness requests')
    .argument('<old>', 'the old version: .writ file, directory, or artifact (.json)')
    .argument('<new>', 'the new version')
    .option('--json', 'print the report as JSON')
    .option('--timeout <s>', 'per solver query, in seconds', '30')
    .addHelpText('after', DIFF_HELP)
    .action(async (oldPolicy: string, newPolicy: string, o: DiffCommandOptions) => {
      setCode(await runDiff(oldPolicy, newPolicy, o));
    });
  p.command('smt')
    .description('export every verification query as an SMT-LIB 2 file (for z3, cvc5, …) with its expected answer')
    .argument('<policy>', 'a .writ file, a directory of them, or a compiled artifact (.json)')
    .requiredOption('--out <dir>', 'write the .smt2 files and index.json here (created if absent)')
    .option('--json', 'print a JSON summary')
    .option('--timeout <s>', 'per solver query, in seconds', '30')
    .option('--no-analyses', 'assertion and dead-tool queries only')
    .addHelpText('after', SMT_HELP)
    .action(async (policy: string, o: SmtCommandOptions) => {
      setCode(await runSmt(policy, o));
    });
}
