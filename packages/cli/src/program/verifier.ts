/**
 * Registers the verifier's commands: `verify`, `diff`, `smt` and `plan`. Each command's module (and with it
 * the verifier and Z3) is imported only when that command runs.
 */
import type { Command } from 'commander';
import type { DiffCommandOptions } from '../commands/diff.js';
import type { PlanCommandOptions } from '../commands/plan.js';
import type { SmtCommandOptions } from '../commands/smt.js';
import type { VerifyCommandOptions } from '../commands/verify.js';

const VERIFY_HELP = `
Checks, for every request and every state (history, rate limits, budgets, approvals):
  assertions   every \`assert never|always …\` of the policy: proven, or a counterexample request
  vacuous      a rule that can never match                                 (warning)
  shadowed     an allow or approve rule that a deny always overrides       (warning)
  redundant    a rule implied by another rule of the same effect           (warning)
  dead tool    a tool for which no request can ever be allowed             (warning)

A counterexample is replayed through the runtime in the same run; its decision is printed beside the
SMT encoding's. If they differ, that is a bug in writ (exit 70).

Exit codes:
  0   every assertion proven (warnings do not change the exit code)
  1   an assertion failed (a counterexample is shown)
  2   some result is unknown (solver timeout): never reported as proven; or a usage error
  3   the policy did not compile, the artifact was refused, or it uses a construct the
      verifier cannot encode exactly (the message names it)
  70  internal error: the runtime and the SMT encoding disagree, or another bug in writ

Examples:
  writ verify examples/customer-support
  writ verify policy.json --json --timeout 60
`;

const DIFF_HELP = `
For each tool of either version, over every request and every state:
  equivalent        no request is decided differently
  more permissive   some request ranks higher under <new> (deny < pending_approval < allow), none lower
  less permissive   some request ranks lower under <new>, none higher
  incomparable      both; or the request itself means different things to the two versions
                    (a parameter's type changed, an agent's roles changed, …), with the reason
  added / removed   the tool exists in one version only
Every difference comes with a witness: a request and state, decided by both versions' runtimes.

diff reports, it does not judge: the exit code is 0 whatever the verdicts.
Exit codes:
  0   the report was printed
  2   usage error
  3   a policy did not compile, an artifact was refused, or it cannot be encoded exactly
  70  internal error (e.g. a runtime and its SMT encoding disagree on a witness)

Examples:
  writ diff old/ examples/customer-support
  writ diff old.json new.json --json
`;

const SMT_HELP = `
Writes one .smt2 file per query (every assertion × tool, every rule analysis query, every dead-tool
query). Each file begins with comments: the policy and its digest, the tool, the rule or assertion and
its source span, what sat and unsat mean, and "; expect: sat|unsat|unknown" as z3-solver answered it;
then the script, ending in (check-sat). index.json lists the files and their expectations.

  z3 -smt2 out/0001-assertion-issue_refund-policy.writ_55.smt2
  cvc5 --lang smt2 --strings-exp out/0001-assertion-issue_refund-policy.writ_55.smt2

Exit codes:
  0   the files were written
  2   usage error, or the output directory cannot be written
  3   the policy did not compile, the artifact was refused, or it cannot be encoded exactly

Examples:
  writ smt examples/customer-support --out smt/
`;

const PLAN_HELP = `
A plan is JSON: the agent, optionally the context (session, declared fields, labels), the time and the
session's state before the first step (history, budgets used, rate-limit hits), and the steps:
  { "agent": { "id": "refund-agent" },
    "steps": [ { "tool": "web_fetch", "args": { "url": "https://example.com/order" } },
               { "tool": "issue_refund", "args": { "order_id": { "$unknown": "string" },
                 "amount": { "$ref": "steps[0].result.amount" }, "reason": "refund" } } ] }
An argument is a JSON value, {"$unknown": "<type>"} (any value of that type), or {"$ref":
"steps[i].result.<path>"} (an earlier step's result: unknown, and carrying that tool's result labels, so
\`deny flow L -> tool.param\` applies).

Each step's verdict: allow, deny, pending_approval, or depends: denied for some values of its unknowns,
or depending on what an earlier step's labelled result holds (the runtime taints by value, so a later value
may be one that result held), or on the values an earlier step's unknowns run with (read by
\`called … where prior.*\`); a counterexample is shown with what it assumes, replayed through the runtime.
Steps whose outcome cannot depend on unknowns are decided by the runtime; the others by Z3 with the plan's
state so far. Rate limits, budgets, history (\`called\`) and taint accumulate across steps: an allowed step
ran; a pending_approval step is assumed approved, then ran; a depends step is assumed to run with values
the policy allows; a denied step leaves no state.

Exit codes:
  0   admissible (possibly after approvals, which are listed)
  1   inadmissible at some step, or some step depends on values not known yet
  2   a solver query gave no answer in time (--timeout); or a usage error
  3   the policy did not compile, the plan is malformed (the JSON path is named), or a step needs a
      construct the verifier cannot encode exactly
  70  internal error: the runtime and the SMT encoding disagree, or another bug in writ; with
      --certify, nothing is certified

Examples:
  writ plan --policy examples/customer-support examples/customer-support/plans/malicious.json
  writ plan --policy policy.json plan.json --json
  writ plan --policy examples/customer-support plan.json --certify --log decisions/ --key log-key.key --bundle plan-evidence.json
  writ cert verify plan-evidence.json --pubkey log-key.pub
`;

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
      const { runVerify } = await import('../commands/verify.js');
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
      const { runDiff } = await import('../commands/diff.js');
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
      const { runSmt } = await import('../commands/smt.js');
      setCode(await runSmt(policy, o));
    });
  registerPlanCommand(p, setCode);
}

export function registerPlanCommand(p: Command, setCode: (code: number) => void): void {
  p.command('plan')
    .description("check an agent's plan before it runs: each step's verdict with state carried between steps (SMT for unknown arguments)")
    .argument('<plan>', "the plan JSON file, or '-' for standard input")
    .requiredOption('--policy <path>', 'a .writ file, a directory of them, or a compiled artifact (.json)')
    .option('--json', 'print the report as JSON')
    .option('--timeout <s>', 'per solver query, in seconds', '10')
    .option('--certify', 'append a signed plan certificate to the evidence log (needs --log and --key)')
    .option('--log <dir>', 'with --certify: the log directory (created if absent)')
    .option('--key <file>', "with --certify: the log's private key (<prefix>.key from writ keygen)")
    .option('--bundle <file>', 'with --certify: write the evidence bundle here')
    .addHelpText('after', PLAN_HELP)
    .action(async (plan: string, o: PlanCommandOptions) => {
      const { runPlan } = await import('../commands/plan.js');
      setCode(await runPlan(plan, o));
    });
}
