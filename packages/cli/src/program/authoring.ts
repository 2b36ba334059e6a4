/**
 * Registers the authoring commands: `fmt`, `test` and `lsp`. Each command's module is imported only when that
 * command runs.
 */
import type { Command } from 'commander';
import type { FmtOptions } from '../commands/fmt.js';
import { registerLspCommand } from '../commands/lsp.js';
import type { TestCommandOptions } from '../commands/test.js';

export function registerAuthoringCommands(p: Command, setCode: (code: number) => void): void {
  registerFmtCommand(p, setCode);
  registerTestCommand(p, setCode);
  registerLspCommand(p);
}

const FMT_HELP = `
Formats every .writ file named (directories are searched recursively) in one canonical layout, keeping
every comment. Formatting only moves white space: the compiled policy is the same. A file with syntax
errors is left as it is and its errors are reported. '-' formats standard input to standard output.

Exit codes: 0 done (with --check: nothing to change); 1 with --check some file would change, or a file
has syntax errors; 2 usage error.
`;

/** Registers `writ fmt`. */
export function registerFmtCommand(p: Command, setCode: (code: number) => void): void {
  p.command('fmt')
    .description('format .writ files in place (canonical layout, comments kept); --check lists files that would change')
    .argument('<paths...>', ".writ files or directories (all .writ files inside), or '-' for standard input")
    .option('--check', 'change nothing; list the files that would change and exit 1 if any')
    .option('--json', 'print the outcome as JSON')
    .addHelpText('after', FMT_HELP)
    .action(async (paths: string[], o: FmtOptions) => {
      const { runFmt } = await import('../commands/fmt.js');
      setCode(runFmt(paths, o));
    });
}

const TEST_HELP = `
A suite is a YAML file named *.test.yaml. Directories are searched for suites (node_modules, dist and
dot-directories skipped). Each suite tests the policy in its own directory, or the one its \`policy:\` names.

  policy: policy.writ                 # optional: a .writ file, a directory or an artifact (.json)
  cases:
    - name: a $25 refund runs
      request: { agent: { id: refund-agent }, tool: issue_refund,
                 args: { order_id: A-1, amount: 25, reason: damaged } }
      expect: { effect: allow, rule: policy.writ:32 }     # also: denial, reasons, obligations
    - name: refund thresholds          # a template and a table of rows
      template: { agent: { id: refund-agent }, tool: issue_refund,
                  args: { order_id: A-1, amount: "\${amount}", reason: x } }
      rows:
        - { amount: 100, effect: allow }
        - { amount: 100.01, effect: pending_approval }
    - name: 21st refund in an hour     # state before the call
      prior: { time: 2026-01-01T12:00:00Z, rate: { issue_refund: 20 } }
      request: …
      expect: { effect: deny, denial: forbidden }
    - name: SSN redacted from a profile   # post rules: a tool result and the redacted result
      request: …
      result: { name: Jane, ssn: 123-45-6789 }
      expect: { effect: allow, result: { name: Jane, ssn: "<US_SSN_1>" } }

prior: time (the clock; default ${'2026-01-01T12:00:00Z'}), history (earlier allowed calls in the session:
[{tool, args, ago}]), spent ({cost, tokens, calls} already used from every budget), rate ({tool: n}
earlier calls counted by its rate limits), labels ({label: [values]} held by the session), approvals and
rejections ([{by, role, reason?}] for exactly this call; cast only if it waits for approval), asked (how long ago the call first asked for
approval, e.g. 31m to test an expired approval). Each case runs on a fresh state store.

Coverage: a rule is exercised when some case made its condition hold (flows, limits, budgets and redact
rules: when a decision named them); every clause (each operand of and/or/not) should be seen both true
and false. --min-coverage <pct> gates rule coverage; --min-coverage clauses=<pct> gates clause outcomes.

Exit codes:
  0   every case passed (and coverage met the gate)
  1   a case failed, or coverage is below --min-coverage
  2   usage error: bad option, no suite found
  3   a suite or its policy is invalid: YAML error, malformed case, prior state that does not fit,
      policy that does not compile (file:line is shown)

Examples:
  writ test examples
  writ test examples --coverage --min-coverage 100
  writ test . --reporter junit --out writ-junit.xml
  writ test examples/customer-support --filter refund --reporter json
`;

export function registerTestCommand(p: Command, setCode: (code: number) => void): void {
  p.command('test')
    .description('run policy test suites (*.test.yaml): expected decisions, coverage, JUnit/JSON reports')
    .argument('[paths...]', 'suite files or directories to search (default: .)')
    .option('--filter <re>', 'run only the cases whose name matches this regular expression')
    .option('--reporter <kind>', 'text, json or junit', 'text')
    .option('-o, --out <file>', 'write the report here instead of standard output')
    .option('--coverage', 'report rule and clause coverage')
    .option('--min-coverage <pct>', 'fail (exit 1) below this rule coverage, or clauses=<pct> (implies --coverage)')
    .addHelpText('after', TEST_HELP)
    .action(async (paths: string[], o: TestCommandOptions) => {
      const { runTest } = await import('../commands/test.js');
      setCode(runTest(paths, o));
    });
}
