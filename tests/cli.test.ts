import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const repo = path.resolve(import.meta.dirname, '..');
const bin = path.join(repo, 'packages/cli/dist/bin.js');

/** Runs `writ` as a user would, from the repository root. */
function writ(args: string[], input?: string) {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: repo, input, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const tmp = mkdtempSync(path.join(tmpdir(), 'writ-cli-'));
const broken = path.join(tmp, 'broken.writ');
writeFileSync(
  broken,
  [
    'policy "broken" version "1.0.0"',
    'role billing',
    'tool issue_refund(order_id: string, amount: money(USD))',
    'allow issue_refund when args.amount > 5m',
    'deny issue_refnd when args.amount > 500 USD because "x"',
    'allow issue_refund when agent has role',
    '',
  ].join('\n'),
);

describe('writ (end to end)', () => {
  it('--help explains commands and exit codes', () => {
    const r = writ(['--help']);
    expect(r.code).toBe(0);
    for (const word of ['check', 'compile', 'decide', 'Exit codes', '--json']) expect(r.stdout + writ(['decide', '--help']).stdout).toContain(word);
  });

  it('check passes the examples', () => {
    for (const ex of ['customer-support', 'data-protection', 'devops-governance']) {
      const r = writ(['check', `examples/${ex}`]);
      expect(r.stdout, ex).toMatch(/^ok: /m);
      expect(r.code).toBe(0);
    }
  });

  it('check reports every error with file:line:column, a source excerpt and exit 1, without a stack trace', () => {
    const r = writ(['check', broken]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('error[E0201]: cannot compare money(USD) and duration');
    expect(r.stdout).toMatch(/broken\.writ:4:25/);
    expect(r.stdout).toContain('4 | allow issue_refund when args.amount > 5m');
    expect(r.stdout).toMatch(/error\[E0100\]: unknown tool 'issue_refnd'/);
    expect(r.stdout).toMatch(/help: did you mean 'issue_refund'\?/);
    expect(r.stdout).toMatch(/error\[E0001\]/);
    expect(r.stdout + r.stderr).not.toMatch(/\n\s+at .*\.js:\d+/);
  });

  it('check --json is machine-readable', () => {
    const r = writ(['check', broken, '--json']);
    const out = JSON.parse(r.stdout) as { ok: boolean; diagnostics: Array<{ code: string; line: number; column: number; file: string }> };
    expect(out.ok).toBe(false);
    expect(out.diagnostics.find((d) => d.code === 'E0201')).toMatchObject({ line: 4, column: 25 });
  });

  it('compile writes a digest-stamped artifact that decide loads', () => {
    const out = path.join(tmp, 'cs.json');
    const c = writ(['compile', 'examples/customer-support', '-o', out]);
    expect(c.code).toBe(0);
    expect(c.stderr).toMatch(/sha256:[0-9a-f]{64}/);
    const artifact = JSON.parse(readFileSync(out, 'utf8')) as { digest: string };
    const d = writ(['decide', '--policy', out, '--request', 'examples/customer-support/requests/refund-25.json', '--json']);
    expect(d.code).toBe(0);
    const decision = JSON.parse(d.stdout) as { effect: string; policy: { digest: string }; reasons: Array<{ span: { file: string; line: number } }> };
    expect(decision.effect).toBe('allow');
    expect(decision.policy.digest).toBe(artifact.digest);
    expect(decision.reasons[0]?.span.file).toBe('policy.writ');
  });

  it('decide --json prints exactly the Decision; text names the deciding rule', () => {
    const j = writ(['decide', '--policy', 'examples/customer-support', '--request', 'examples/customer-support/requests/refund-500.01.json', '--json']);
    const d = JSON.parse(j.stdout) as { effect: string; denial: string };
    expect(d).toMatchObject({ effect: 'deny', denial: 'forbidden' });
    expect(j.stdout.trim().split('\n')).toHaveLength(1);
    const t = writ(['decide', '--policy', 'examples/customer-support', '--request', 'examples/customer-support/requests/refund-500.01.json']);
    expect(t.stdout).toContain('deny (forbidden)');
    expect(t.stdout).toContain('refunds above $500 are never automated');
    expect(t.stdout).toMatch(/examples\/customer-support\/policy\.writ:\d+/);
  });

  it('decide reads the request from standard input and denies malformed requests with a reason', () => {
    const notJson = writ(['decide', '--policy', 'examples/customer-support', '--request', '-', '--json'], '{"agent": ');
    expect(notJson.code).toBe(0);
    expect(JSON.parse(notJson.stdout)).toMatchObject({ effect: 'deny', denial: 'invalid_request' });
    const huge = JSON.stringify({ agent: { id: 'support-agent' }, tool: 'search_knowledge_base', args: { query: 'x'.repeat(200_000) } });
    expect(JSON.parse(writ(['decide', '--policy', 'examples/customer-support', '--request', '-', '--json'], huge).stdout)).toMatchObject({ effect: 'deny', denial: 'invalid_request' });
  });

  it('refuses a tampered artifact with a clear one-line error and exit 3', () => {
    const out = path.join(tmp, 'tampered.json');
    writ(['compile', 'examples/customer-support', '-o', out]);
    const a = JSON.parse(readFileSync(out, 'utf8')) as { rules: Array<{ message: string }> };
    a.rules[0]!.message = 'tampered';
    writeFileSync(out, JSON.stringify(a));
    const r = writ(['decide', '--policy', out, '--request', 'examples/customer-support/requests/refund-25.json']);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/digest/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    writeFileSync(out, '{"format": "nope"}');
    const s = writ(['decide', '--policy', out, '--request', 'examples/customer-support/requests/refund-25.json']);
    expect(s.code).toBe(3);
    expect(s.stderr).toMatch(/^writ: /);
  });

  it('decide on a policy with errors exits 3 with the diagnostics', () => {
    const r = writ(['decide', '--policy', broken, '--request', 'examples/customer-support/requests/refund-25.json']);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('error[E0201]');
  });

  it('usage errors exit 2 with one line', () => {
    expect(writ(['decide', '--policy', 'examples/customer-support']).code).toBe(2);
    const r = writ(['check', 'no/such/dir']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe('writ: no/such/dir: no such file or directory');
    expect(writ(['frobnicate']).code).toBe(2);
  });
});
