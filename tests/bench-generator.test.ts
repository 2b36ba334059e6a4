// The decision benchmark's policy generator (bench/decide/generate.mjs): its policies must compile, and
// Writ, Cedar (cedar-wasm) and the generator's own reference evaluator must decide its requests the same
// way — otherwise the Writ-vs-Cedar benchmark would be comparing different policies.
import { compile } from '@writ/compiler';
import { loadPolicy } from '@writ/runtime';
import { describe, expect, it } from 'vitest';
import { cedarDecide, preparse, statefulCalls } from '../bench/decide/cedar.mjs';
import {
  generatePolicy,
  generateRequests,
  generateTargetedRequests,
  referenceDecide,
  toCedarRequest,
  type BenchRequest,
  type GeneratedPolicy,
} from '../bench/decide/generate.mjs';

function compileOk(text: string) {
  const r = compile([{ file: 'bench.writ', text }]);
  const errors = r.diagnostics.filter((d) => d.severity === 'error');
  expect(errors.map((d) => `${d.span.line}:${d.span.column} ${d.code} ${d.message}`)).toEqual([]);
  expect(r.artifact).toBeDefined();
  return r.artifact!;
}

describe('bench policy generator', () => {
  it('is deterministic', () => {
    expect(generatePolicy({ rules: 100 }).writText).toBe(generatePolicy({ rules: 100 }).writText);
    const g = generatePolicy({ rules: 100 });
    expect(JSON.stringify(generateRequests(g, 50, 3))).toBe(JSON.stringify(generateRequests(g, 50, 3)));
  });

  it('declares 100 tools and spreads rules as documented', () => {
    const g10 = generatePolicy({ rules: 10 });
    expect(g10.writText.match(/^tool /gm)).toHaveLength(100);
    expect(g10.ruledTools).toHaveLength(10);
    expect(generatePolicy({ rules: 1000 }).ruledTools).toHaveLength(100);
    expect(generatePolicy({ rules: 1000, singleTool: true }).ruledTools).toEqual(['t0']);
    expect(Object.keys(generatePolicy({ rules: 1000 }).cedar)).toHaveLength(1000);
  });

  it('generates policies that compile without errors at 10 and 1,000 rules', () => {
    for (const rules of [10, 1000]) {
      const g = generatePolicy({ rules });
      const artifact = compileOk(g.writText);
      expect(artifact.rules).toHaveLength(rules);
    }
  });

  /** Decides `reqs` with Writ, Cedar and the reference evaluator; returns disagreements and outcome counts. */
  function differential(g: GeneratedPolicy, reqs: BenchRequest[], setId: string) {
    const policy = loadPolicy(compileOk(g.writText));
    preparse(setId, g.cedar);
    const calls = statefulCalls(setId, reqs.map(toCedarRequest));
    const counts = { allow: 0, deny: 0 };
    const disagreements: unknown[] = [];
    reqs.forEach((req, i) => {
      const writ = policy.decide(req, { dryRun: true }).effect;
      const cedar = cedarDecide(calls[i]!);
      const ref = referenceDecide(g, req);
      if (writ !== cedar || writ !== ref) disagreements.push({ req, writ, cedar, ref });
      counts[ref]++;
    });
    return { disagreements, counts };
  }

  it('Writ, Cedar and the reference evaluator agree on 200 random requests at 100 rules', () => {
    const g = generatePolicy({ rules: 100, seed: 7 });
    const { disagreements, counts } = differential(g, generateRequests(g, 200, 11), 'test-100-random');
    expect(disagreements).toEqual([]);
    // not vacuous: both outcomes occur
    expect(counts.allow).toBeGreaterThanOrEqual(10);
    expect(counts.deny).toBeGreaterThanOrEqual(10);
  });

  it('... and on 200 requests aimed at rule boundaries, with 100 rules over 100 and over 10 tools', () => {
    // With 100 rules over 100 tools each tool has one rule, so deny rules never meet an allow rule; over 10
    // tools they do. Targeted requests put numbers at thresholds (+-1), users at near-miss prefixes, etc.:
    // replacing `<=` by `<`, `>` by `>=`, dropping a `!`, `==` for `!=`, `&&` for `||` or forbid for permit
    // in the Cedar translation each makes this test fail.
    for (const ruledTools of [100, 10]) {
      const g = generatePolicy({ rules: 100, seed: 7, ruledTools });
      for (const [kind, reqs] of [
        ['random', generateRequests(g, 200, 11)],
        ['targeted', generateTargetedRequests(g, 200, 13)],
      ] as const) {
        const { disagreements, counts } = differential(g, reqs, `test-100-${ruledTools}-${kind}`);
        expect(disagreements).toEqual([]);
        expect(counts.allow).toBeGreaterThanOrEqual(10);
        expect(counts.deny).toBeGreaterThanOrEqual(10);
      }
    }
  });

  it('agree with 1,000 rules on one tool (50 random and 50 targeted requests)', () => {
    const g = generatePolicy({ rules: 1000, singleTool: true, seed: 3 });
    const reqs = [...generateRequests(g, 50, 5), ...generateTargetedRequests(g, 50, 6)];
    const { disagreements, counts } = differential(g, reqs, 'test-1000-single');
    expect(disagreements).toEqual([]);
    expect(counts.allow).toBeGreaterThanOrEqual(5);
    expect(counts.deny).toBeGreaterThanOrEqual(5);
  });
});
