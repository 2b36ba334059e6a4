// `writ plan`, run as a user runs it: the built binary, from the repository root. Text and --json output,
// exit codes, malformed plans, and --certify followed by `writ cert verify` on the bundle.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { jsonErrorOffset, type PlanReport } from '@writ/verifier';
import { planDecision } from '../packages/cli/dist/commands/plan.js';

const repo = path.resolve(import.meta.dirname, '..');
const bin = path.join(repo, 'packages/cli/dist/bin.js');

function writ(args: string[], stdin?: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [bin, ...args], { cwd: repo, env: { ...process.env, NO_COLOR: '1' } });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    p.on('close', (code) => resolve({ code, stdout, stderr }));
    p.stdin.end(stdin ?? '');
  });
}

const tmp = mkdtempSync(path.join(tmpdir(), 'writ-plan-'));
const cs = 'examples/customer-support';

// A policy with taint, to show a flow denial from the command line.
const taintPolicy = path.join(tmp, 'taint.writ');
writeFileSync(
  taintPolicy,
  `policy "taint" version "1"
role billing
agent "bot" roles [billing]
tool web_fetch(url: string) risk low
tool issue_refund(order_id: string, amount: money(USD)) risk high
allow [web_fetch, issue_refund] when agent has role billing
deny issue_refund when args.amount > 500 USD because "refunds above $500 are never automated"
label untrusted from tool web_fetch.result
deny flow untrusted -> issue_refund.amount because "a refund amount must not come from the web"
`,
);

function planFile(name: string, plan: unknown): string {
  const f = path.join(tmp, name);
  writeFileSync(f, typeof plan === 'string' ? plan : JSON.stringify(plan, null, 2));
  return f;
}

describe('writ plan', () => {
  it('benign plan: one line per step with the deciding rule, admissible after approvals, exit 0', async () => {
    const r = await writ(['plan', '--policy', cs, `${cs}/plans/benign.json`]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^plan examples\/customer-support\/plans\/benign\.json: 4 step\(s\), policy customer-support@1\.0\.0 sha256:/);
    expect(lines[1]).toMatch(/^ {2}steps\[0\] lookup_order +allow +examples\/customer-support\/policy\.writ:27 /);
    expect(lines[3]).toMatch(/^ {2}steps\[2\] issue_refund +pending_approval +examples\/customer-support\/policy\.writ:33 /);
    expect(lines[5]).toMatch(/^ {2}steps\[3\] fetch_web_page +allow +examples\/customer-support\/policy\.writ:64 /);
    expect(r.stdout).toContain('needs 1 × finance_lead; assumed granted for the later steps');
    expect(lines.at(-1)).toBe('admissible after approvals at steps [2]');
  });

  it('malicious plan: a refund amount from a fetched web page is denied by the taint flow; exit 1', async () => {
    const r = await writ(['plan', '--policy', cs, `${cs}/plans/malicious.json`]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/steps\[1\] fetch_web_page +allow +examples\/customer-support\/policy\.writ:64 /);
    expect(r.stdout).toMatch(
      /steps\[2\] issue_refund +deny +examples\/customer-support\/policy\.writ:31 +a refund amount must not come from a fetched web page \[unknown: amount \(untrusted_web\)\]/,
    );
    expect(r.stdout.trimEnd().split('\n').at(-1)).toBe(
      'inadmissible: steps[2] issue_refund is denied for every value of its unknowns: a refund amount must not come from a fetched web page (policy.writ:31)',
    );
    const j = JSON.parse((await writ(['plan', '--policy', cs, `${cs}/plans/malicious.json`, '--json'])).stdout);
    expect(j).toMatchObject({ verdict: 'inadmissible', at: 2, internal_errors: [] });
    expect(j.steps[2]).toMatchObject({ verdict: 'deny', method: 'smt', unknowns: ['amount'], labels: { amount: ['untrusted_web'] }, rule: 'policy.writ:31' });
    expect(j.steps[2].decision.reasons[0].kind).toBe('flow');
  });

  it('a plan that may refund more than $500: depends with a JSON counterexample, then inadmissible; exit 1', async () => {
    const r = await writ(['plan', '--policy', cs, `${cs}/plans/refund-from-lookup.json`]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/steps\[1\] issue_refund +depends +examples\/customer-support\/policy\.writ:35 +refunds above \$500 are never automated \[unknown: amount\]/);
    const cex = /counterexample: (\{.*\}) -> runtime: deny\n/.exec(r.stdout);
    expect(cex).not.toBeNull();
    expect(JSON.parse(cex![1]!).amount).toBeGreaterThan(500);
    expect(r.stdout).toMatch(/steps\[2\] export_customer_data +deny +examples\/customer-support\/policy\.writ:48/);
    expect(r.stdout.trimEnd().split('\n').at(-1)).toBe(
      'inadmissible: steps[2] export_customer_data is denied: no customer data export in a session that issued a refund (policy.writ:48)',
    );
  });

  it('--json: the report for machines, with the counterexample and the runtime decision', async () => {
    const r = await writ(['plan', '--policy', cs, `${cs}/plans/refund-from-lookup.json`, '--json']);
    expect(r.code).toBe(1);
    const j = JSON.parse(r.stdout);
    expect(j).toMatchObject({ plan: `${cs}/plans/refund-from-lookup.json`, verdict: 'inadmissible', at: 2, approvals: [], internal_errors: [] });
    expect(j.steps.map((s: { verdict: string }) => s.verdict)).toEqual(['allow', 'depends', 'deny']);
    expect(j.steps[1]).toMatchObject({ method: 'smt', unknowns: ['amount'], rule: 'policy.writ:35', counterexample: { agrees: true, decision: { effect: 'deny' } } });
    expect(j.steps[2]).toMatchObject({ method: 'runtime', rule: 'policy.writ:48', at: `${cs}/policy.writ:48` });
  });

  it('taint through $ref: a refund amount from a fetched page is inadmissible (read from standard input)', async () => {
    const plan = {
      agent: { id: 'bot' },
      steps: [
        { tool: 'web_fetch', args: { url: 'https://shop.example/o/1' } },
        { tool: 'issue_refund', args: { order_id: 'o-1', amount: { $ref: 'steps[0].result.amount' } } },
      ],
    };
    const r = await writ(['plan', '--policy', taintPolicy, '-', '--json'], JSON.stringify(plan));
    expect(r.code).toBe(1);
    const j = JSON.parse(r.stdout);
    expect(j.steps[1]).toMatchObject({ verdict: 'deny', labels: { amount: ['untrusted'] }, message: 'a refund amount must not come from the web' });
    expect(j.reason).toContain('denied for every value of its unknowns');
  });

  it('a concrete refund after a fetch depends: the counterexample says the amount would have come from the page; exit 1', async () => {
    const plan = {
      agent: { id: 'bot' },
      steps: [
        { tool: 'web_fetch', args: { url: 'https://shop.example/o/1' } },
        { tool: 'issue_refund', args: { order_id: 'o-1', amount: 40 } },
      ],
    };
    const r = await writ(['plan', '--policy', taintPolicy, planFile('after-fetch.json', plan)]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('    counterexample: {} if args.amount came from the result of steps[0] web_fetch (labelled untrusted) -> runtime: deny\n');
    expect(r.stdout.trimEnd().split('\n').at(-1)).toBe(
      'depends: steps[1] issue_refund is denied if args.amount came from the result of steps[0] web_fetch (labelled untrusted): a refund amount must not come from the web (taint.writ:9)',
    );
  });

  it('an allowed unknown: admissible, exit 0', async () => {
    const plan = { agent: { id: 'bot' }, steps: [{ tool: 'web_fetch', args: { url: { $unknown: 'string' } } }] };
    const r = await writ(['plan', '--policy', taintPolicy, planFile('unknown-ok.json', plan)]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/steps\[0\] web_fetch +allow .*\[unknown: url\]/);
    expect(r.stdout.trimEnd().split('\n').at(-1)).toBe('admissible');
  });

  it('a malformed plan names the JSON path; exit 3', async () => {
    const bad = planFile('bad.json', { agent: { id: 'refund-agent' }, steps: [{ tool: 'issue_refund', args: { order_id: 'A', amount: 'ten', reason: 'x' } }] });
    const r = await writ(['plan', '--policy', cs, bad]);
    expect(r.code).toBe(3);
    expect(r.stdout).toBe('');
    // file:line:column of the offending value, then its JSON path.
    const text = readFileSync(bad, 'utf8');
    const at = text.indexOf('"ten"');
    const line = text.slice(0, at).split('\n').length;
    const column = at - text.lastIndexOf('\n', at - 1);
    expect(r.stderr).toBe(`writ: ${bad}:${line}:${column}: $.steps[0].args.amount: string "ten" is not a money(USD) (use {"$unknown": "money"} for a value not known yet)\n`);
  });

  it('a plan that is not JSON names the line and column; exit 3', async () => {
    const bad = planFile('syntax.json', '{\n  "agent": { "id": "x" },\n  "steps": [ oops ]\n}\n');
    const r = await writ(['plan', '--policy', cs, bad]);
    expect(r.code).toBe(3);
    expect(r.stderr).toBe(`writ: ${bad}:3:14: the plan is not JSON: unexpected "oops ]\\n}\\n"\n`);
  });

  it('the JSON error position: valid exactly when JSON.parse accepts, on random and mutated JSON', () => {
    const valid = (t: string) => {
      try {
        JSON.parse(t);
        return true;
      } catch {
        return false;
      }
    };
    const text = fc.oneof(
      fc.string(),
      fc.jsonValue().map((v) => JSON.stringify(v, null, 1)),
      fc.tuple(fc.jsonValue().map((v) => JSON.stringify(v)), fc.nat(), fc.constantFrom('', ',', '}', ']', '"', 'x', '\\', ' ')).map(([t, k, c]) => {
        const at = t.length ? k % t.length : 0;
        return t.slice(0, at) + c + t.slice(at + 1);
      }),
    );
    fc.assert(
      fc.property(text, (t) => {
        const offset = jsonErrorOffset(t);
        expect(offset === undefined).toBe(valid(t));
        if (offset !== undefined) expect(offset).toBeLessThanOrEqual(t.length);
      }),
      { numRuns: 3000 },
    );
  });

  it('a policy that does not compile: exit 3; usage mistakes: exit 2', async () => {
    const broken = path.join(tmp, 'broken.writ');
    writeFileSync(broken, 'policy "p" version "1"\ntool t(x: integer)\nallow t when args.y > 1\n');
    expect((await writ(['plan', '--policy', broken, `${cs}/plans/benign.json`])).code).toBe(3);
    const noCertify = await writ(['plan', '--policy', cs, `${cs}/plans/benign.json`, '--log', tmp]);
    expect(noCertify.code).toBe(2);
    expect(noCertify.stderr).toBe('writ: --log needs --certify\n');
    const noKey = await writ(['plan', '--policy', cs, `${cs}/plans/benign.json`, '--certify']);
    expect(noKey.code).toBe(2);
    expect((await writ(['plan', '--policy', cs, path.join(tmp, 'missing.json')])).code).toBe(2);
  });

  it('--certify appends a plan certificate; writ cert verify accepts the bundle', async () => {
    const keys = path.join(tmp, 'log-key');
    expect((await writ(['keygen', '--name', 'example.com/plan-log', '--out', keys])).code).toBe(0);
    const log = path.join(tmp, 'log');
    const bundle = path.join(tmp, 'plan-bundle.json');
    const r = await writ(['plan', '--policy', cs, `${cs}/plans/refund-from-lookup.json`, '--certify', '--log', log, '--key', `${keys}.key`, '--bundle', bundle]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`certified: entry 0 of log ${log} (tree size 1); bundle: ${bundle}\n`);
    const b = JSON.parse(readFileSync(bundle, 'utf8'));
    expect(b.certificate.decision).toMatchObject({ effect: 'deny', denial: 'forbidden', rules: ['policy.writ:48'] });
    expect(b.certificate.verification.plan).toMatchObject({ type: 'writ.plan-check/v0', verdict: 'inadmissible', at: 2 });
    expect(b.certificate.verification.plan.steps[1]).toMatchObject({ verdict: 'depends', counterexample: { effect: 'deny' } });
    const v = await writ(['cert', 'verify', bundle, '--pubkey', `${keys}.pub`]);
    expect(v.code).toBe(0);
    expect(v.stdout).toMatch(/^valid: entry 0 of log example\.com\/plan-log/);

    // A second, admissible plan: entry 1, effect pending_approval (approvals needed), and --json carries it.
    const j = await writ(['plan', '--policy', cs, `${cs}/plans/benign.json`, '--json', '--certify', '--log', log, '--key', `${keys}.key`]);
    expect(j.code).toBe(0);
    const out = JSON.parse(j.stdout);
    expect(out.certified).toMatchObject({ entry: 1, tree_size: 2 });
    expect(out.certified.bundle.certificate.decision.effect).toBe('pending_approval');
    const second = path.join(tmp, 'second.json');
    writeFileSync(second, JSON.stringify(out.certified.bundle));
    expect((await writ(['cert', 'verify', second, '--pubkey', `${keys}.pub`])).code).toBe(0);

    // Tampering with the plan record is caught.
    b.certificate.verification.plan.verdict = 'admissible';
    const tampered = path.join(tmp, 'tampered.json');
    writeFileSync(tampered, JSON.stringify(b));
    expect((await writ(['cert', 'verify', tampered, '--pubkey', `${keys}.pub`])).code).toBe(1);
  });

  it('--help documents the plan format and the exit codes; writ --help lists them', async () => {
    const h = await writ(['plan', '--help']);
    expect(h.code).toBe(0);
    expect(h.stdout).toContain('"$unknown"');
    expect(h.stdout).toContain('1   inadmissible at some step, or some step depends on values not known yet');
    const top = await writ(['--help']);
    expect(top.stdout).toContain('plan: 0 admissible (possibly after approvals), 1 inadmissible');
  });

  it('the certificate of a check with internal errors is a deny, whatever the verdict', () => {
    const report: PlanReport = {
      verdict: 'admissible',
      approvals: [],
      reason: 'every step is allowed',
      steps: [],
      policy: { name: 'p', version: '1', digest: 'd' },
      internalErrors: [],
      stats: { solverQueries: 0, solverMs: 0, verdictMs: 0, counterexampleMs: 0, witnessMs: 0 },
    };
    expect(planDecision(report).effect).toBe('allow');
    const broken = { ...report, internalErrors: ['steps[1]: the SMT encoding denies {} but the runtime decides allow'] };
    const d = planDecision(broken);
    expect(d).toMatchObject({ effect: 'deny', denial: 'not_permitted' });
    expect(d.reasons[0]!.message).toContain('internal error');
  });
});
