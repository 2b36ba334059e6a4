// `writ verify`, `writ diff` and `writ smt`, run as a user runs them: the built binary, from the repository root.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const repo = path.resolve(import.meta.dirname, '..');
const bin = path.join(repo, 'packages/cli/dist/bin.js');

/** Runs `writ` (asynchronously, so several runs overlap). */
function writ(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [bin, ...args], { cwd: repo, env: { ...process.env, NO_COLOR: '1' } });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    p.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const tmp = mkdtempSync(path.join(tmpdir(), 'writ-verify-'));

// The broken example with its mistake fixed: the `or` now sits inside the amount limit.
const fixedDir = path.join(tmp, 'fixed-refunds');
mkdirSync(fixedDir);
const brokenText = readFileSync(path.join(repo, 'examples/broken-refunds/policy.writ'), 'utf8');
const buggy = 'allow issue_refund when agent has role billing and args.amount <= 100 USD or args.reason == "goodwill"';
const fixed = 'allow issue_refund when args.amount <= 100 USD and (agent has role billing or args.reason == "goodwill")';
writeFileSync(path.join(fixedDir, 'policy.writ'), brokenText.replace(buggy, fixed).replace('version "1.1.0"', 'version "1.1.1"'));

const notEncodable = path.join(tmp, 'any.writ');
writeFileSync(notEncodable, 'policy "p" version "1"\nrole r\ntool t(x: any)\nallow t when pii(args.x)\n');

const notCompiling = path.join(tmp, 'broken.writ');
writeFileSync(notCompiling, 'policy "p" version "1"\ntool t(x: integer)\nallow t when args.y > 1\n');

interface JsonResult {
  kind: string;
  status: string;
  severity: string;
  id: string;
  tool?: string;
  file?: string;
  line?: number;
  message: string;
  counterexample?: {
    request: { tool: string; args: Record<string, unknown> };
    state: unknown;
    runtime: { effect: string; rule?: string; at?: string };
    smt: string;
    agrees: boolean;
    confirmed: boolean;
  };
}

interface JsonReport {
  policy: { name: string; version: string; digest: string };
  exit: number;
  ok: boolean;
  summary: { assertions: { total: number; proven: number; failed: number; unknown: number }; warnings: number };
  results: JsonResult[];
  notes: string[];
}

describe('writ verify', () => {
  it('proves every assertion of examples/customer-support (exit 0)', async () => {
    const r = await writ(['verify', 'examples/customer-support']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const ok = r.stdout.split('\n').filter((l) => l.startsWith('ok: assert'));
    expect(ok).toHaveLength(3);
    expect(r.stdout).toContain('ok: assert never allow issue_refund when args.amount > 500 USD  (examples/customer-support/policy.writ:55)');
    expect(r.stdout).toMatch(/^verified: customer-support@1\.0\.0 .*3 assertions: 3 proven, 0 failed, 0 unknown/m);
    expect(r.stdout + r.stderr).not.toMatch(/cleanupThread|Pthread/);
  });

  it('catches the mistake in examples/broken-refunds with a counterexample the runtime allows (exit 1)', async () => {
    const r = await writ(['verify', 'examples/broken-refunds']);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('error[assertion]: assertion fails for issue_refund: assert never allow issue_refund when args.amount > 500 USD');
    expect(r.stdout).toMatch(/--> examples\/broken-refunds\/policy\.writ:\d+:1/);
    expect(r.stdout).toContain('| assert never allow issue_refund when args.amount > 500 USD');
    expect(r.stdout).toMatch(/runtime decision: allow \(examples\/broken-refunds\/policy\.writ:\d+\)/);
    expect(r.stdout).toMatch(/SMT: +allow/);
    expect(r.stdout).toContain('"reason": "goodwill"');
    expect(r.stdout).toMatch(/^failed: broken-refunds@1\.1\.0 .*1 failed/m);
    expect(r.stdout).not.toContain('internal error');
  });

  it('--json: the report as data, with the replayed counterexample', async () => {
    const r = await writ(['verify', 'examples/broken-refunds', '--json']);
    expect(r.code).toBe(1);
    const rep = JSON.parse(r.stdout) as JsonReport;
    expect(rep.policy).toMatchObject({ name: 'broken-refunds', version: '1.1.0' });
    expect(rep.policy.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(rep).toMatchObject({ exit: 1, ok: false, summary: { assertions: { total: 3, proven: 2, failed: 1, unknown: 0 } } });
    const failed = rep.results.filter((x) => x.kind === 'assertion' && x.status === 'failed');
    expect(failed).toHaveLength(1);
    const f = failed[0]!;
    expect(f).toMatchObject({ severity: 'error', tool: 'issue_refund', file: 'examples/broken-refunds/policy.writ', message: 'assert never allow issue_refund when args.amount > 500 USD' });
    const cx = f.counterexample!;
    expect(cx.request.tool).toBe('issue_refund');
    expect(cx.request.args['amount'] as number).toBeGreaterThan(500);
    expect(cx.runtime.effect).toBe('allow');
    expect(cx.runtime.at).toMatch(/^examples\/broken-refunds\/policy\.writ:\d+$/);
    expect(cx).toMatchObject({ smt: 'allow', agrees: true, confirmed: true });
    for (const x of rep.results) expect(['ok', 'error', 'warning', 'unknown']).toContain(x.severity);
  });

  it('reports analyses as warnings without changing the exit code', async () => {
    const r = await writ(['verify', 'examples/devops-governance', '--json']);
    expect(r.code).toBe(0);
    const rep = JSON.parse(r.stdout) as JsonReport;
    expect(rep.results.filter((x) => x.severity === 'warning').map((x) => x.kind).sort()).toEqual(['dead_tool', 'shadowed']);
    expect(rep.summary.warnings).toBe(2);
    const text = await writ(['verify', 'examples/devops-governance']);
    expect(text.stdout).toContain("warning[dead tool]: no request to 'delete_database' can ever be allowed");
    expect(text.stdout).toContain('warning[shadowed]: a deny always overrides this allow rule');
    const none = await writ(['verify', 'examples/devops-governance', '--no-analyses', '--json']);
    expect((JSON.parse(none.stdout) as JsonReport).results.map((x) => x.kind)).not.toContain('shadowed');
  });

  it('exit 3 for a policy that does not compile, with the compiler diagnostics', async () => {
    const r = await writ(['verify', notCompiling]);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/error\[E\d+\]/);
    expect(r.stderr).toMatch(/writ: the policy has 1 error/);
    expect(r.stdout).toBe('');
  });

  it('exit 3, naming the construct, for a policy the encoder cannot express exactly', async () => {
    const r = await writ(['verify', notEncodable]);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/^writ: .*any\.writ: cannot encode the policy exactly: args\.x has type any, which has no exact SMT encoding$/m);
  });

  it('exit 2 for usage mistakes', async () => {
    expect((await writ(['verify', 'examples/customer-support', '--timeout', 'soon'])).code).toBe(2);
    expect((await writ(['verify', path.join(tmp, 'missing')])).code).toBe(2);
  });

  it('verifies a compiled artifact too, with source excerpts when the sources are beside it', async () => {
    const out = path.join(tmp, 'broken-refunds.json');
    expect((await writ(['compile', 'examples/broken-refunds', '-o', out])).code).toBe(0);
    const r = await writ(['verify', out]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('runtime decision: allow');
  });
});

describe('writ diff', () => {
  it('the fixed refunds policy is less permissive than the broken one, with a witness', async () => {
    const r = await writ(['diff', 'examples/broken-refunds', fixedDir, '--json']);
    expect(r.code).toBe(0);
    const rep = JSON.parse(r.stdout) as {
      old: { version: string };
      new: { version: string };
      tools: Array<{
        tool: string;
        verdict: string;
        witnesses: Array<{ direction: string; request: { args: Record<string, unknown> }; old: { effect: string; smt: string }; new: { effect: string; smt: string }; agrees: boolean }>;
      }>;
    };
    expect(rep.old.version).toBe('1.1.0');
    expect(rep.new.version).toBe('1.1.1');
    const refund = rep.tools.find((t) => t.tool === 'issue_refund')!;
    expect(refund.verdict).toBe('less_permissive');
    expect(refund.witnesses).toHaveLength(1);
    const w = refund.witnesses[0]!;
    expect(w.direction).toBe('less');
    expect(w.agrees).toBe(true);
    expect(w.old.effect).toBe('allow');
    expect(w.old.smt).toBe('allow');
    expect(['deny', 'pending_approval']).toContain(w.new.effect);
    expect(w.request.args['reason']).toBe('goodwill');
    expect(rep.tools.find((t) => t.tool === 'lookup_order')!.verdict).toBe('equivalent');
  });

  it('reports in text, and the other direction is more permissive', async () => {
    const r = await writ(['diff', fixedDir, 'examples/broken-refunds']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^issue_refund +more permissive$/m);
    expect(r.stdout).toMatch(/^lookup_order +equivalent$/m);
    expect(r.stdout).toContain('witness: decided more permissively by the new version');
    expect(r.stdout).toMatch(/old: deny/);
    expect(r.stdout).toMatch(/new: allow \(examples\/broken-refunds\/policy\.writ:\d+\)/);
  });

  it('a version is equivalent to itself', async () => {
    const r = await writ(['diff', 'examples/customer-support', 'examples/customer-support', '--json']);
    const rep = JSON.parse(r.stdout) as { tools: Array<{ verdict: string }> };
    expect(rep.tools.length).toBe(8);
    expect(new Set(rep.tools.map((t) => t.verdict))).toEqual(new Set(['equivalent']));
  });
});

describe('writ smt', () => {
  it('writes one SMT-LIB file per query, each saying what it means and what to expect, and a manifest', async () => {
    const out = path.join(tmp, 'smt');
    const r = await writ(['smt', 'examples/broken-refunds', '--out', out]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^wrote \d+ queries to /);
    const files = readdirSync(out).filter((f) => f.endsWith('.smt2'));
    const index = JSON.parse(readFileSync(path.join(out, 'index.json'), 'utf8')) as {
      policy: { name: string; digest: string };
      queries: Array<{ file: string; kind: string; tool: string; expect: string }>;
    };
    expect(index.policy.name).toBe('broken-refunds');
    expect(index.queries.map((q) => q.file).sort()).toEqual(files.sort());
    // One rule per effect and tool here: no redundancy pairs.
    expect(new Set(index.queries.map((q) => q.kind))).toEqual(new Set(['assertion', 'vacuous', 'shadowed', 'dead_tool']));
    for (const q of index.queries) {
      const text = readFileSync(path.join(out, q.file), 'utf8');
      expect(text.startsWith('; Writ query')).toBe(true);
      expect(text).toContain(`; policy: broken-refunds@1.1.0 ${index.policy.digest}`);
      expect(text).toContain(`; tool: ${q.tool}`);
      expect(text).toMatch(/^; sat: /m);
      expect(text).toMatch(/^; unsat: /m);
      expect(text).toContain(`; expect: ${q.expect}\n`);
      expect(text.trimEnd().endsWith('(check-sat)')).toBe(true);
    }
    // The failing assertion is the one satisfiable assertion query.
    const amount = index.queries.filter((q) => q.kind === 'assertion' && q.expect === 'sat');
    expect(amount).toHaveLength(1);
    expect(readFileSync(path.join(out, amount[0]!.file), 'utf8')).toContain('assert never allow issue_refund when args.amount > 500 USD');
  });
});
