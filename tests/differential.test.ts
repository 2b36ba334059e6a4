/**
 * Differential test (DESIGN.md §8, issue 3 "Agreement"): for every example and conformance policy (and the
 * SMT tests' constructs policy), random valid requests and states are decided by the runtime
 * (`policy.decide` over a store holding the state, `storeFor`) and by the SMT encoding of the same artifact
 * with the case pinned (`pinCase`): exactly the runtime's effect must be satisfiable. Invalid requests are
 * checked separately: the runtime denies them as `invalid_request` before any rule (the encoding models
 * valid requests only). A second property checks the RE2 → SMT regex translation against re2js.
 *
 * - differential/arbitraries.ts: cases biased toward each policy's constants and their neighbours, half of
 *   them "wild" (anything valid) and half "tame" (so that allow and approval paths are reached too);
 * - differential/smt.ts: the SMT side, cases checked in batches with the meaning of the three reference
 *   queries `pins ∧ effect.{allow,pending,deny}` (which are also run on a few cases of every tool, and on
 *   every case of a failing batch, to name the disagreement);
 * - differential/regex.ts: patterns from a grammar of the translatable RE2 subset, and inputs.
 *
 * WRIT_DIFF_SEED replays a run; WRIT_DIFF_CASES changes the number of cases per policy (default 1,000).
 */
import fc from 'fast-check';
import { RE2JS } from 're2js';
import { afterAll, describe, expect, it } from 'vitest';
import type { Decision } from '@writ/runtime';
import { QuerySession, shutdown, storeFor, translateRegex, type Case } from '@writ/verifier';
import { caseArb, collectConstants, invalidRequestArb } from './differential/arbitraries.js';
import { corpus } from './differential/policies.js';
import { describeDisagreement, ToolChecker } from './differential/smt.js';
import { regexCaseArb, smtString } from './differential/regex.js';

const NOW = Date.parse('2026-01-01T12:00:00Z');
/** Valid cases per policy (spread evenly over its tools). */
const CASES = Number(process.env['WRIT_DIFF_CASES'] ?? 1000);
/**
 * The constructs policy of the SMT tests is not an example or conformance policy; it is here for coverage
 * (untranslatable patterns, detectors on lists, approval flows, tenant budgets) and gets fewer cases: its
 * counted repetitions (`[A-Z0-9]{4,30}`) cost Z3 ~0.2 s per membership test even on a literal string.
 */
const casesFor = (name: string) => (name.startsWith('smt/') ? Math.min(CASES, 300) : CASES);
/** Cases per solver batch (see differential/smt.ts). */
const BATCH = 25;
/** Invalid requests per policy. */
const INVALID = 40;
const SEED = process.env['WRIT_DIFF_SEED'] === undefined ? undefined : Number(process.env['WRIT_DIFF_SEED']);

afterAll(() => shutdown());

/** No lone surrogates (String.prototype.isWellFormed, Node 20; not in the ES2022 typings). */
const isWellFormed = (s: string): boolean => (s as unknown as { isWellFormed(): boolean }).isWellFormed();

const policies = corpus();

describe('regex translation agrees with RE2 (fast-check)', () => {
  it('str.in_re of the translated pattern is RE2JS.test, for random patterns and strings', { timeout: 300_000 }, async () => {
    const session = await QuerySession.open('(set-logic ALL)\n', 30_000);
    let translated = 0;
    let matched = 0;
    let illFormed = 0;
    try {
      await fc.assert(
        fc.asyncProperty(regexCaseArb, async ({ pattern, input }) => {
          const t = translateRegex(pattern);
          if (!('regex' in t)) throw new Error(`pattern ${JSON.stringify(pattern)} from the translatable grammar was not translated: ${t.unsupported}`);
          translated++;
          if (t.wellFormed !== undefined) {
            // The translation holds on strings without lone surrogates; its guard must say which those are.
            const wellFormed = isWellFormed(input);
            const wf = await session.check([`(str.in_re ${smtString(input)} ${t.wellFormed})`]);
            expect(wf.status, `well-formedness of ${JSON.stringify(input)}`).toBe(wellFormed ? 'sat' : 'unsat');
            if (!wellFormed) {
              illFormed++;
              return;
            }
          }
          const re2 = RE2JS.compile(pattern).test(input);
          if (re2) matched++;
          const r = await session.check([`(str.in_re ${smtString(input)} ${t.regex})`]);
          if (r.status === 'unknown') throw new Error(`z3 unknown (${r.reason}) for ${JSON.stringify(pattern)} on ${JSON.stringify(input)}`);
          expect(r.status === 'sat', `pattern ${JSON.stringify(pattern)} on ${JSON.stringify(input)}: RE2 ${re2}, z3 ${r.status}\n${t.regex}`).toBe(re2);
        }),
        { numRuns: 400, ...(SEED === undefined ? {} : { seed: SEED }) },
      );
    } finally {
      session.close();
    }
    console.log(`regex: ${translated} patterns translated, ${translated - illFormed} compared with RE2 (${matched} matched), ${illFormed} ill-formed inputs checked against the guard only`);
    // Both outcomes must be exercised.
    expect(matched).toBeGreaterThan(40);
    expect(translated - illFormed - matched).toBeGreaterThan(40);
  });
});

describe('runtime and SMT encoding decide alike (differential, fast-check)', () => {
  it('covers every example and conformance policy', () => {
    expect(policies.filter((p) => p.name.startsWith('examples/')).length).toBeGreaterThanOrEqual(3);
    expect(policies.filter((p) => p.name.startsWith('conformance/')).length).toBeGreaterThanOrEqual(10);
  });

  for (const p of policies) {
    it(p.name, { timeout: 600_000 }, async () => {
      const t0 = performance.now();
      const k = collectConstants(p.artifact);
      const tools = Object.keys(p.artifact.tools).sort();
      const runsPerTool = Math.ceil(casesFor(p.name) / tools.length / BATCH);
      const effects: Record<string, number> = { allow: 0, pending_approval: 0, deny: 0 };
      let cases = 0;
      let queries = 0;
      for (const tool of tools) {
        const checker = new ToolChecker(p.artifact, tool, BATCH);
        let calibrated = false;
        try {
          await fc.assert(
            fc.asyncProperty(fc.array(caseArb(p.artifact, k, tool, checker.historySize), { minLength: BATCH, maxLength: BATCH }), async (batch: Case[]) => {
              const items = batch.map((c) => {
                const runtime: Decision = p.policy.decide(c.request, { state: storeFor(p.policy, c, NOW), now: NOW });
                if (runtime.denial === 'invalid_request') {
                  throw new Error(`the generator made an invalid request (${runtime.reasons[0]?.message}): ${JSON.stringify(c.request)}`);
                }
                return { case: c, runtime };
              });
              const bad = await checker.check(items);
              if (bad.length > 0) throw new Error(bad.map((d) => describeDisagreement(p.name, d)).join('\n\n'));
              if (!calibrated) {
                // The batch queries mean the same as the three reference queries: check a few cases both ways.
                for (const it of items.slice(0, 3)) {
                  const v = await checker.verdict(it.case);
                  expect(ToolChecker.agrees(v, it.runtime.effect), describeDisagreement(p.name, { ...it, smt: v })).toBe(true);
                }
                calibrated = true;
              }
              cases += items.length;
              for (const it of items) effects[it.runtime.effect] = (effects[it.runtime.effect] ?? 0) + 1;
            }),
            { numRuns: runsPerTool, endOnFailure: true, ...(SEED === undefined ? {} : { seed: SEED }) },
          );
        } finally {
          queries += checker.queries;
          checker.close();
        }
      }

      // Invalid requests: denied as invalid_request before any rule (the encoding models valid requests only).
      let invalid = 0;
      fc.assert(
        fc.property(fc.constantFrom(...tools).chain((tool) => invalidRequestArb(p.artifact, k, tool)), ({ request, mutation }) => {
          const d = p.policy.decide(request, { now: NOW });
          expect(d.effect, `${mutation}: ${JSON.stringify(request)?.slice(0, 300)}`).toBe('deny');
          expect(d.denial, `${mutation}: ${JSON.stringify(request)?.slice(0, 300)} → ${JSON.stringify(d.reasons)}`).toBe('invalid_request');
          expect(d.reasons[0]?.rule).toBe('writ:invalid-request');
          invalid++;
        }),
        { numRuns: INVALID, ...(SEED === undefined ? {} : { seed: SEED }) },
      );

      const ms = performance.now() - t0;
      console.log(
        `differential ${p.name}: ${cases} valid cases over ${tools.length} tool(s) (allow ${effects['allow']}, pending ${effects['pending_approval']}, deny ${effects['deny']}), ` +
          `${invalid} invalid, ${queries} solver queries, ${(ms / 1000).toFixed(1)} s (${(ms / Math.max(1, cases)).toFixed(1)} ms/case)`,
      );
      expect(cases).toBeGreaterThanOrEqual(casesFor(p.name));
    });
  }
});
