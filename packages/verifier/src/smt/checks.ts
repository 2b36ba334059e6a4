/**
 * `writ verify`: proves a policy's assertions and runs the rule analyses, each as SMT queries over the
 * artifact's encoding, tool by tool.
 *
 * - assertion `never E T when C`: for each tool of T, `effect = E ∧ C` must be unsatisfiable;
 *   `always E T when C`: `C ∧ effect ≠ E` must be unsatisfiable. A model is a counterexample.
 * - vacuous: a rule whose match term is unsatisfiable for every tool it covers can never fire.
 * - shadowed: an allow or approve rule that, wherever it matches, a deny rule, flow or kill switch also
 *   denies (`match ∧ ¬denied` unsatisfiable).
 * - redundant: a rule implied by another rule of the same effect on the same tools (`match_r ∧ ¬match_r'`
 *   unsatisfiable); of two equivalent rules, the later one is reported.
 * - dead tool: a tool no request can ever be allowed for (`effect = allow` unsatisfiable), a warning.
 *
 * An `unknown` (timeout) is never reported as proven.
 */
import type { Artifact, Rule, Span } from '@writ/runtime';
import { loadPolicy, type Policy } from '@writ/runtime';
import { findCounterexample, type Counterexample } from './counterexample.js';
import { encodeTool, EncodingError, type ToolEncoding } from './encode.js';
import { not } from './sexpr.js';
import { script } from './script.js';
import { QuerySession } from './solver.js';

export type CheckKind = 'assertion' | 'vacuous' | 'shadowed' | 'redundant' | 'dead_tool';

export interface CheckResult {
  kind: CheckKind;
  /** proven/holds: the property holds; failed: it does not (see counterexample); unknown: no answer. */
  status: 'proven' | 'failed' | 'unknown';
  /** Rule or assertion id (`file:line`), or the tool name for dead tools. */
  id: string;
  tool?: string;
  span?: Span;
  message: string;
  counterexample?: Counterexample;
  /** Solver time spent on this result, ms. */
  ms: number;
  /** With unknown: the solver's reason. */
  reason?: string;
}

export interface VerifyReport {
  policy: { name: string; version: string; digest: string };
  results: CheckResult[];
  /** Things the reader must know about the encoding (e.g. patterns kept uninterpreted). */
  notes: string[];
  ms: number;
}

export interface VerifyOptions {
  /** Per query, ms. */
  timeoutMs?: number;
  /** Run the rule analyses too (default true). */
  analyses?: boolean;
  /** Called after each tool, for progress. */
  onProgress?: (done: number, total: number, tool: string) => void;
}

const effectTerm = (enc: ToolEncoding, e: 'allow' | 'deny' | 'pending_approval') =>
  e === 'allow' ? enc.effect.allow : e === 'deny' ? enc.effect.deny : enc.effect.pending;

/**
 * Verifies an artifact.
 * @throws EncodingError when the artifact uses a construct without an exact encoding
 */
export async function verify(artifact: Artifact, options: VerifyOptions = {}): Promise<VerifyReport> {
  const t0 = performance.now();
  const timeoutMs = options.timeoutMs ?? 30_000;
  const policy = loadPolicy(artifact);
  const tools = Object.keys(artifact.tools);
  const results: CheckResult[] = [];
  const notes = new Set<string>();
  // Per-rule aggregates over the tools a rule covers.
  const canMatch = new Map<string, { sat: boolean; unknown: boolean; ms: number }>();
  const unshadowed = new Map<string, { sat: boolean; unknown: boolean; ms: number }>();
  const redundantWith = new Map<string, { by: Set<string>; tools: number; ms: number }>();
  const assertions = new Map<string, CheckResult>();

  let done = 0;
  for (const tool of tools) {
    const asserts = artifact.asserts.filter((a) => a.tools[0] === '*' || a.tools.includes(tool));
    const enc = encodeTool(artifact, tool);
    const conds = asserts.map((a) => enc.condition(a.when));
    for (const n of enc.notes) notes.add(n);
    const session = await QuerySession.open(script([enc], []), timeoutMs);
    try {
      // Assertions.
      for (const [i, a] of asserts.entries()) {
        const e = effectTerm(enc, a.effect);
        const query = a.quantifier === 'never' ? [e, conds[i]!] : [not(e), conds[i]!];
        const r = await session.check(query);
        const prev = assertions.get(a.id);
        const agg: CheckResult = prev ?? { kind: 'assertion', status: 'proven', id: a.id, span: a.span, message: a.text, ms: 0 };
        agg.ms += r.ms;
        if (r.status === 'unknown' && agg.status === 'proven') {
          agg.status = 'unknown';
          agg.reason = r.reason ?? 'unknown';
          agg.tool = tool;
        }
        if (r.status === 'sat' && agg.status !== 'failed') {
          agg.status = 'failed';
          agg.tool = tool;
          const cx = await findCounterexample(policy, enc, query, timeoutMs);
          if (cx) agg.counterexample = cx;
        }
        assertions.set(a.id, agg);
      }
      if (options.analyses !== false) await analyse(artifact, tool, enc, session, canMatch, unshadowed, redundantWith);
      const dead = await session.check([enc.effect.allow]);
      if (dead.status !== 'sat') {
        results.push({
          kind: 'dead_tool',
          status: dead.status === 'unsat' ? 'failed' : 'unknown',
          id: tool,
          tool,
          span: artifact.tools[tool]!.span,
          message: dead.status === 'unsat' ? `no request to '${tool}' can ever be allowed` : `could not decide whether '${tool}' can be allowed`,
          ms: dead.ms,
          ...(dead.reason ? { reason: dead.reason } : {}),
        });
      }
    } finally {
      session.close();
    }
    options.onProgress?.(++done, tools.length, tool);
  }

  results.unshift(...assertions.values());
  for (const r of artifact.rules) {
    const m = canMatch.get(r.id);
    if (m && !m.sat) {
      results.push({
        kind: 'vacuous',
        status: m.unknown ? 'unknown' : 'failed',
        id: r.id,
        span: r.span,
        message: m.unknown ? `could not decide whether this ${r.effect} rule can match` : `this ${r.effect} rule can never match`,
        ms: m.ms,
      });
      continue;
    }
    const s = unshadowed.get(r.id);
    if (s && !s.sat) {
      results.push({
        kind: 'shadowed',
        status: s.unknown ? 'unknown' : 'failed',
        id: r.id,
        span: r.span,
        message: s.unknown ? `could not decide whether this ${r.effect} rule is shadowed` : `a deny always overrides this ${r.effect} rule: it never decides anything`,
        ms: s.ms,
      });
      continue;
    }
    const d = redundantWith.get(r.id);
    if (d && d.by.size > 0) {
      results.push({
        kind: 'redundant',
        status: 'failed',
        id: r.id,
        span: r.span,
        message: `this ${r.effect} rule is implied by ${[...d.by].sort().join(', ')}: removing it changes no effect`,
        ms: d.ms,
      });
    }
  }
  return {
    policy: { name: artifact.policy.name, version: artifact.policy.version, digest: artifact.digest },
    results,
    notes: [...notes],
    ms: performance.now() - t0,
  };
}

async function analyse(
  artifact: Artifact,
  tool: string,
  enc: ToolEncoding,
  session: QuerySession,
  canMatch: Map<string, { sat: boolean; unknown: boolean; ms: number }>,
  unshadowed: Map<string, { sat: boolean; unknown: boolean; ms: number }>,
  redundantWith: Map<string, { by: Set<string>; tools: number; ms: number }>,
): Promise<void> {
  const ix = artifact.index[tool]!;
  const rules = [...ix.deny, ...ix.approve, ...ix.allow].map((i) => artifact.rules[i] as Rule);
  const bump = (map: Map<string, { sat: boolean; unknown: boolean; ms: number }>, id: string, status: string, ms: number) => {
    const e = map.get(id) ?? { sat: false, unknown: false, ms: 0 };
    e.sat ||= status === 'sat';
    e.unknown ||= status === 'unknown';
    e.ms += ms;
    map.set(id, e);
  };
  for (const r of rules) {
    const m = enc.match.get(r.id)!;
    const can = await session.check([m]);
    bump(canMatch, r.id, can.status, can.ms);
    if (can.status !== 'sat') continue;
    if (r.effect !== 'deny') {
      const free = await session.check([m, not(enc.denied)]);
      bump(unshadowed, r.id, free.status, free.ms);
    }
  }
  // Redundancy: r implied by r' (same effect), on every tool r covers.
  const byEffect = new Map<string, Rule[]>();
  for (const r of rules) byEffect.set(r.effect, [...(byEffect.get(r.effect) ?? []), r]);
  for (const group of byEffect.values()) {
    for (const r of group) {
      const entry = redundantWith.get(r.id) ?? { by: new Set<string>(), tools: 0, ms: 0 };
      const candidates = entry.tools === 0 ? group.filter((x) => x.id !== r.id) : group.filter((x) => entry.by.has(x.id));
      const by = new Set<string>();
      for (const other of candidates) {
        const q = await session.check([enc.match.get(r.id)!, not(enc.match.get(other.id)!)]);
        entry.ms += q.ms;
        if (q.status !== 'unsat') continue;
        // Equivalent rules imply each other: report only the later one.
        const back = await session.check([enc.match.get(other.id)!, not(enc.match.get(r.id)!)]);
        entry.ms += back.ms;
        if (back.status === 'unsat' && spanBefore(r.span, other.span)) continue;
        by.add(other.id);
      }
      entry.by = by;
      entry.tools++;
      redundantWith.set(r.id, entry);
    }
  }
}

function spanBefore(a: Span, b: Span): boolean {
  return a.file < b.file || (a.file === b.file && (a.line < b.line || (a.line === b.line && a.column < b.column)));
}

export { EncodingError, type Policy };
