import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { compile, DiagnosticBag, parseSource, sliceSpan } from '@writ/compiler';
import { loadPolicy, type Decision, type Policy } from '@writ/runtime';
import { describe, expect, it } from 'vitest';

const repo = path.resolve(import.meta.dirname, '..');

interface Corpus {
  name: string;
  text: string;
  requests: unknown[];
}

/** Every example and conformance policy with the requests written for it. */
function corpora(): Corpus[] {
  const out: Corpus[] = [];
  for (const ex of ['customer-support', 'data-protection', 'devops-governance']) {
    const dir = path.join(repo, 'examples', ex);
    const scenarios = JSON.parse(readFileSync(path.join(dir, 'scenarios.json'), 'utf8')) as Array<{ request: string }>;
    out.push({
      name: ex,
      text: readFileSync(path.join(dir, 'policy.writ'), 'utf8'),
      requests: scenarios.map((s) => JSON.parse(readFileSync(path.join(dir, s.request), 'utf8')) as unknown),
    });
  }
  const conf = path.join(repo, 'tests', 'conformance');
  for (const d of readdirSync(conf, { withFileTypes: true }).filter((x) => x.isDirectory())) {
    const cases = JSON.parse(readFileSync(path.join(conf, d.name, 'cases.json'), 'utf8')) as Array<{ request: unknown }>;
    out.push({ name: d.name, text: readFileSync(path.join(conf, d.name, 'policy.writ'), 'utf8'), requests: cases.map((c) => c.request) });
  }
  return out;
}

/** The source text of each statement, in order. */
function statements(text: string): string[] {
  const file = parseSource('policy.writ', text, new DiagnosticBag());
  return file.statements.map((s) => sliceSpan(text, s.span));
}

const NOW = Date.parse('2026-01-01T00:00:00Z');

function load(text: string): Policy {
  const r = compile([{ file: 'policy.writ', text }]);
  expect(r.artifact, r.diagnostics.map((d) => d.message).join('\n')).toBeDefined();
  return loadPolicy(r.artifact!);
}

function decideAll(policy: Policy, requests: unknown[]): Decision[] {
  return requests.map((q) => policy.decide(q, { dryRun: true, now: NOW }));
}

/**
 * Effect, denial and the kinds of the reasons of every request, decided without touching state. Which rule
 * is reported may change with the order (the first matching one by position decides); the effect may not.
 */
function outcomes(ds: Decision[]): string[] {
  return ds.map((d) => `${d.effect}/${d.denial ?? ''}/${[...new Set(d.reasons.map((x) => x.kind))].sort().join('|')}`);
}

/** What kind of rule a statement is, if it is a pre rule (`deny flow` is a flow, not a deny rule). */
function ruleKind(stmt: string): 'allow' | 'deny' | 'approve' | undefined {
  const m = /^(allow|deny|approve)\b/.exec(stmt);
  if (m === null || /^deny\s+flow\b/.test(stmt)) return undefined;
  return m[1] as 'allow' | 'deny' | 'approve';
}

/**
 * Checks that each reported deny or allow rule is the first matching one of its kind by position: with it
 * and every later rule of its kind removed, no rule of that kind may decide the request any more.
 */
function expectFirstBySpan(stmts: string[], requests: unknown[], ds: Decision[]): void {
  // 1-based first line of each statement in stmts.join('\n').
  const starts: number[] = [];
  let line = 1;
  for (const s of stmts) {
    starts.push(line);
    line += s.split('\n').length;
  }
  const cache = new Map<string, Policy>();
  ds.forEach((d, k) => {
    const reason = d.reasons[0];
    if (reason === undefined || reason.span === undefined || (reason.kind !== 'deny' && reason.kind !== 'allow')) return;
    if (d.reasons.length !== 1) throw new Error(`a ${reason.kind} decision reports one reason: ${JSON.stringify(d.reasons)}`);
    let at = 0;
    while (at + 1 < starts.length && starts[at + 1]! <= reason.span.line) at++;
    expect(ruleKind(stmts[at]!), `reported statement ${at}: ${stmts[at]}`).toBe(reason.kind);
    const kept = stmts.filter((s, i) => i < at || ruleKind(s) !== reason.kind);
    const text = kept.join('\n');
    let policy = cache.get(text);
    if (policy === undefined) cache.set(text, (policy = load(text)));
    const e = policy.decide(requests[k], { dryRun: true, now: NOW });
    const earlier = e.reasons[0]?.kind === reason.kind && (reason.kind === 'deny' ? e.denial === 'forbidden' : e.effect === 'allow');
    expect(earlier, `an earlier ${reason.kind} rule matches request ${k} (${JSON.stringify(e.reasons)}), yet ${reason.rule} was reported`).toBe(false);
  });
}

describe('rule order and duplicates never change an effect; the first matching rule by position decides (property)', () => {
  for (const c of corpora()) {
    it(c.name, () => {
      const stmts = statements(c.text);
      const baseline = outcomes(decideAll(load(c.text), c.requests));
      // The statements alone, in their order, one after another (comments and blank lines dropped).
      const first = decideAll(load(stmts.join('\n')), c.requests);
      expect(outcomes(first)).toEqual(baseline);
      expectFirstBySpan(stmts, c.requests, first);
      // Rules (not declarations) may be duplicated: a second `tool x` would be a duplicate declaration.
      const duplicable = stmts.filter((s) => /^(allow|deny|approve|post|pre|assert)\b/.test(s));
      fc.assert(
        fc.property(
          fc.shuffledSubarray(stmts, { minLength: stmts.length, maxLength: stmts.length }),
          fc.subarray(duplicable),
          (shuffled, dups) => {
            const all = [...shuffled, ...dups];
            const ds = decideAll(load(all.join('\n')), c.requests);
            expect(outcomes(ds)).toEqual(baseline);
            expectFirstBySpan(all, c.requests, ds);
          },
        ),
        { numRuns: 25 },
      );
    });
  }
});
