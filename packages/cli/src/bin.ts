#!/usr/bin/env node
/**
 * The `writ` command.
 */
import { Command, CommanderError, Option } from 'commander';
import { runCheck } from './commands/check.js';
import { runCompile } from './commands/compile.js';
import { runDecide, type DecideOptions } from './commands/decide.js';
import { registerAuthoringCommands } from './commands/authoring.js';
import { registerEvidenceCommands } from './commands/evidence.js';
import { registerVerifierCommands } from './commands/verifier.js';
import { registerServeCommand } from './commands/serve.js';
import { registerTestCommand } from './commands/test.js';
import { registerPlanCommand } from './commands/plan.js';
import { EXIT, UserError } from './errors.js';
import { PolicyCompileError } from './io/load-policy.js';
import { renderDiagnostic } from './render/diagnostics.js';
import { colorEnabled } from './render/style.js';
import { VERSION } from './version.js';

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

Examples:
  writ check examples/customer-support
  writ compile examples/customer-support -o policy.json
  writ decide --policy policy.json --request examples/customer-support/requests/refund-small.json
  echo '{"agent":{"id":"refund-agent"},"tool":"issue_refund","args":{…}}' | writ decide --policy examples/customer-support --request -
  writ keygen --name example.com/writ-log --out log-key
  writ decide --policy policy.json --request req.json --log decisions/ --key log-key.key --bundle evidence.json
  writ cert verify evidence.json --pubkey log-key.pub
`;

function program(): Command {
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
    .action((paths: string[], o: { json?: boolean; denyWarnings?: boolean; sarif?: string }) => {
      code = runCheck(paths, o);
    });
  p.command('compile')
    .description('compile a policy to its decision-table artifact (JSON, content-addressed by sha256)')
    .argument('<paths...>', '.writ files or directories')
    .option('-o, --out <file>', 'write the artifact here (default: standard output)')
    .option('--json', 'with -o: print a JSON summary instead of text')
    .action((paths: string[], o: { out?: string; json?: boolean }) => {
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
      code = await runDecide(o);
    });
  registerEvidenceCommands(p, (c) => (code = c));
  registerAuthoringCommands(p, (c) => (code = c));
  registerVerifierCommands(p, (c) => (code = c));
  registerServeCommand(p, (c) => (code = c));
  registerTestCommand(p, (c) => (code = c));
  registerPlanCommand(p, (c) => (code = c));
  p.hook('postAction', () => {
    process.exitCode = code;
  });
  return p;
}

async function main(): Promise<void> {
  try {
    await program().parseAsync(process.argv);
  } catch (e) {
    if (e instanceof CommanderError) {
      // Help and version exit 0; usage mistakes 2 (commander already printed the message).
      process.exitCode = e.exitCode === 0 ? EXIT.ok : EXIT.usage;
      return;
    }
    if (e instanceof PolicyCompileError) {
      const color = colorEnabled(process.stderr);
      for (const d of e.diagnostics.filter((x) => x.severity === 'error')) process.stderr.write(`${renderDiagnostic(d, e.texts, e.root, color)}\n\n`);
      process.stderr.write(`writ: ${e.message}\n`);
      process.exitCode = e.exitCode;
      return;
    }
    if (e instanceof UserError) {
      process.stderr.write(`writ: ${e.message}\n`);
      process.exitCode = e.exitCode;
      return;
    }
    process.stderr.write(`writ: internal error: ${(e as Error)?.stack ?? String(e)}\nThis is a bug in writ; please report it.\n`);
    process.exitCode = EXIT.internal;
  }
}

await main();
