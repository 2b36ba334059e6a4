/**
 * The `writ` program: every command and its options. Commands import their implementation (and with it the
 * compiler, the runtime, the verifier, the server) only when they run, so `writ --help` and light commands
 * start fast.
 */
import { Command, Option } from 'commander';
import type { DecideOptions } from '../commands/decide.js';
import { EXIT } from '../errors.js';
import { VERSION } from '../version.js';
import { registerAuthoringCommands } from './authoring.js';
import { registerEvidenceCommands } from './evidence.js';
import { registerServeCommand } from './serve.js';
import { registerVerifierCommands } from './verifier.js';

const EXIT_HELP = `
Exit codes:
  0   success (decide: a decision was printed, whatever its effect)
  1   the policy has errors (check, compile); evidence is invalid (cert verify, log verify)
  2   usage error: unknown option, missing argument, unreadable file
  3   the policy given to decide did not compile, or the artifact was refused
  70  internal error (a bug in writ: please report it)
  verify: 0 every assertion proven, 1 an assertion failed, 2 a result unknown, 3 the policy did not
  compile; diff reports and exits 0; see writ verify|diff|smt --help
  test: 0 every case passed, 1 a case failed or coverage is below --min-coverage, 3 a suite or its
  policy is invalid (file:line shown); see writ test --help
  plan: 0 admissible (possibly after approvals), 1 inadmissible or a step depends on unknown
  values, 2 a solver result unknown, 3 the policy or the plan is invalid; see writ plan --help
  serve: 0 stopped by SIGTERM/SIGINT, 1 an error while stopping, 2 usage (bad option, port in use,
  malformed token file), 3 the policy did not compile at start; see writ serve --help

Examples:
  writ check examples/customer-support
  writ compile examples/customer-support -o policy.json
  writ decide --policy policy.json --request examples/customer-support/requests/refund-small.json
  echo '{"agent":{"id":"refund-agent"},"tool":"issue_refund","args":{…}}' | writ decide --policy examples/customer-support --request -
  writ keygen --name example.com/writ-log --out log-key
  writ decide --policy policy.json --request req.json --log decisions/ --key log-key.key --bundle evidence.json
  writ cert verify evidence.json --pubkey log-key.pub
`;

/** Builds the program; its actions set `process.exitCode`. */
export function program(): Command {
  const p = new Command('writ')
    .description('Writ: policy-as-code for AI-agent tool calls. Compile .writ policies to a decision table and decide tool calls.')
    .version(VERSION, '-V, --version')
    .showHelpAfterError('(run with --help for usage)')
    .addHelpText('after', EXIT_HELP)
    .exitOverride();
  let code = EXIT.ok as number;
  p.command('check')
    .description('report diagnostics (errors and warnings) for a policy; exit 1 on errors')
    .argument('<paths...>', '.writ files or directories (all .writ files inside)')
    .option('--json', 'print diagnostics as JSON')
    .option('--deny-warnings', 'treat warnings as errors')
    .option('--sarif <file>', 'also write the diagnostics as SARIF 2.1.0 (for code-scanning dashboards)')
    .action(async (paths: string[], o: { json?: boolean; denyWarnings?: boolean; sarif?: string }) => {
      const { runCheck } = await import('../commands/check.js');
      code = runCheck(paths, o);
    });
  p.command('compile')
    .description('compile a policy to its decision-table artifact (JSON, content-addressed by sha256)')
    .argument('<paths...>', '.writ files or directories')
    .option('-o, --out <file>', 'write the artifact here (default: standard output)')
    .option('--json', 'with -o: print a JSON summary instead of text')
    .action(async (paths: string[], o: { out?: string; json?: boolean }) => {
      const { runCompile } = await import('../commands/compile.js');
      code = runCompile(paths, o);
    });
  p.command('decide')
    .description('decide one tool-call request: allow, deny or pending_approval, with the deciding rule')
    .requiredOption('--policy <path>', 'a .writ file, a directory of them, or a compiled artifact (.json)')
    .requiredOption('--request <file>', "the request JSON, or '-' for standard input")
    .option('--json', 'print exactly the Decision JSON on standard output')
    .addOption(new Option('--now <time>', 'decide as of this RFC 3339 time (default: now)'))
    .option('--log <dir>', 'append the decision\'s signed certificate to the log in <dir> (created if absent)')
    .option('--key <file>', 'with --log: the log\'s private key (<prefix>.key from writ keygen)')
    .option('--bundle <file>', 'with --log: write the evidence bundle (certificate, inclusion proof, checkpoint) here')
    .option('--include-request', 'with --log: put the request itself in the certificate (default: only its digest)')
    .action(async (o: DecideOptions) => {
      const { runDecide } = await import('../commands/decide.js');
      code = await runDecide(o);
    });
  registerEvidenceCommands(p, (c) => (code = c));
  registerAuthoringCommands(p, (c) => (code = c));
  registerVerifierCommands(p, (c) => (code = c));
  registerServeCommand(p, (c) => (code = c));
  p.hook('postAction', () => {
    process.exitCode = code;
  });
  return p;
}
