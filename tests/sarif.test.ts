/**
 * SARIF 2.1.0 from `writ check --sarif` and `writ verify --sarif`, run as a user runs them: the log's shape
 * (the properties SARIF 2.1.0 requires, rule indexes, regions) and its facts (the same codes, files, lines
 * and columns as the command's own --json output).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Log } from 'sarif';
import { describe, expect, it } from 'vitest';

const repo = path.resolve(import.meta.dirname, '..');
const bin = path.join(repo, 'packages/cli/dist/bin.js');

function writ(args: string[], cwd = repo) {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const tmp = mkdtempSync(path.join(tmpdir(), 'writ-sarif-'));

/** The structural rules of SARIF 2.1.0 that a consumer relies on; returns the log typed. */
function checkSarif(text: string): Log {
  const log = JSON.parse(text) as Log;
  expect(log.version).toBe('2.1.0');
  expect(log.$schema).toMatch(/sarif-schema-2\.1\.0\.json$/);
  expect(log.runs).toHaveLength(1);
  const run = log.runs[0]!;
  expect(run.tool.driver.name).toBe('writ');
  const rules = run.tool.driver.rules ?? [];
  expect(new Set(rules.map((r) => r.id)).size).toBe(rules.length);
  expect(run.originalUriBaseIds?.['%SRCROOT%']?.uri).toMatch(/^file:\/\/.*\/$/);
  for (const r of run.results ?? []) {
    expect(r.message.text).toBeTruthy();
    expect(['error', 'warning', 'note']).toContain(r.level);
    expect(rules[r.ruleIndex!]!.id).toBe(r.ruleId);
    for (const loc of r.locations ?? []) {
      const pl = loc.physicalLocation!;
      expect(pl.artifactLocation!.uri).toBeTruthy();
      const g = pl.region!;
      for (const k of ['startLine', 'startColumn', 'endLine', 'endColumn'] as const) {
        expect(Number.isInteger(g[k]) && g[k]! >= 1, k).toBe(true);
      }
      // endColumn is exclusive; equal to startColumn is an insertion point (an empty span).
      expect(g.endLine! > g.startLine! || g.endColumn! >= g.startColumn!).toBe(true);
    }
  }
  return log;
}

const broken = [
  'policy "broken" version "1.0.0"',
  'role billing',
  'tool issue_refund(order_id: string, amount: money(USD))',
  'allow issue_refund when args.amount > 5m',
  'deny issue_refnd when args.amount > 500 USD because "x"',
  'allow issue_refund when agent has role',
  '',
].join('\n');

describe('SARIF', () => {
  it('writ check --sarif: one result per diagnostic, with the same code, file and region as --json', () => {
    const dir = path.join(tmp, 'my policies');
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'broken.writ'), broken);
    const out = path.join(tmp, 'check.sarif');
    const r = writ(['check', 'my policies/broken.writ', '--sarif', out], tmp);
    expect(r.code).toBe(1);
    const log = checkSarif(readFileSync(out, 'utf8'));
    const facts = JSON.parse(writ(['check', 'my policies/broken.writ', '--json'], tmp).stdout) as {
      diagnostics: Array<{ code: string; severity: string; message: string; file: string; line: number; column: number; endLine: number; endColumn: number }>;
    };
    const results = log.runs[0]!.results!;
    expect(results).toHaveLength(facts.diagnostics.length);
    expect(facts.diagnostics.length).toBeGreaterThanOrEqual(4);
    facts.diagnostics.forEach((d, i) => {
      const res = results[i]!;
      expect(res.ruleId).toBe(d.code);
      expect(res.level).toBe(d.severity === 'error' ? 'error' : 'warning');
      expect(res.message.text).toContain(d.message);
      const pl = res.locations![0]!.physicalLocation!;
      // Relative to the working directory, URI-escaped, under %SRCROOT%.
      expect(pl.artifactLocation).toEqual({ uri: 'my%20policies/broken.writ', uriBaseId: '%SRCROOT%' });
      expect(d.file).toBe('my policies/broken.writ');
      expect(pl.region).toEqual({ startLine: d.line, startColumn: d.column, endLine: d.endLine, endColumn: d.endColumn });
    });
    // The known facts: E0201 at 4:25 covering `args.amount > 5m`, E0100 at 5:6 covering `issue_refnd`.
    const at = (code: string) => results.find((x) => x.ruleId === code)!.locations![0]!.physicalLocation!.region!;
    expect(at('E0201')).toMatchObject({ startLine: 4, startColumn: 25 });
    const e0100 = at('E0100');
    expect(broken.split('\n')[e0100.startLine! - 1]!.slice(e0100.startColumn! - 1, e0100.endColumn! - 1)).toBe('issue_refnd');
    const rules = log.runs[0]!.tool.driver.rules!;
    expect(rules.find((x) => x.id === 'E0100')!.shortDescription!.text).toBe('unknown tool');
    expect(log.runs[0]!.originalUriBaseIds!['%SRCROOT%']!.uri).toBe(pathToFileURL(`${tmp}/`).href);
  });

  it('a clean policy gives a valid log with no results', () => {
    const out = path.join(tmp, 'clean.sarif');
    expect(writ(['check', 'examples/customer-support', '--sarif', out]).code).toBe(0);
    const log = checkSarif(readFileSync(out, 'utf8'));
    expect(log.runs[0]!.results).toEqual([]);
  });

  it('writ verify --sarif: the failed assertion of broken-refunds at policy.writ:27 with its counterexample', () => {
    const out = path.join(tmp, 'verify.sarif');
    const r = writ(['verify', 'examples/broken-refunds', '--sarif', out, '--json']);
    expect(r.code).toBe(1);
    const facts = JSON.parse(r.stdout) as { results: Array<{ kind: string; status: string; severity: string; file?: string; line?: number; column?: number }> };
    const log = checkSarif(readFileSync(out, 'utf8'));
    const results = log.runs[0]!.results!;
    const notOk = facts.results.filter((x) => x.severity !== 'ok');
    expect(results).toHaveLength(notOk.length);
    const failed = results.filter((x) => x.ruleId === 'assertion');
    expect(failed).toHaveLength(1);
    const a = failed[0]!;
    expect(a.level).toBe('error');
    expect(a.locations![0]!.physicalLocation!.artifactLocation!.uri).toBe('examples/broken-refunds/policy.writ');
    expect(a.locations![0]!.physicalLocation!.region).toMatchObject({ startLine: 27, startColumn: 1 });
    expect(a.message.text).toContain('assert never allow issue_refund when args.amount > 500 USD');
    const cx = (a.properties as { counterexample: { request: { args: { amount: number; reason: string } }; runtime: { effect: string } } }).counterexample;
    expect(cx.request.args.amount).toBeGreaterThan(500);
    expect(cx.runtime.effect).toBe('allow');
    const failedFact = facts.results.find((x) => x.kind === 'assertion' && x.status === 'failed')!;
    expect(failedFact.line).toBe(27);
  });

  it('writ verify --sarif on a policy that does not compile writes its compile errors (exit 3)', () => {
    const file = path.join(tmp, 'broken-verify.writ');
    writeFileSync(file, broken);
    const out = path.join(tmp, 'verify-broken.sarif');
    const r = writ(['verify', file, '--sarif', out]);
    expect(r.code).toBe(3);
    const log = checkSarif(readFileSync(out, 'utf8'));
    const codes = log.runs[0]!.results!.map((x) => x.ruleId);
    expect(codes).toEqual(expect.arrayContaining(['E0201', 'E0100', 'E0001']));
    for (const x of log.runs[0]!.results!) expect(x.level).toBe(x.ruleId!.startsWith('E') ? 'error' : 'warning');
  });

  it('an unwritable --sarif path is a one-line usage error', () => {
    const r = writ(['check', 'examples/customer-support', '--sarif', path.join(tmp, 'no/such/dir/x.sarif')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^writ: --sarif .*no\/such\/dir\/x\.sarif: ENOENT/);
  });
});
