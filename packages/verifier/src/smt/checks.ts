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
import type { Counterexample } from './counterexample.js';
import { encodeTool, EncodingError, type ToolEncoding } from './encode.js';
import { assertionQuery, assertionsFor, deadToolQuery, impliedQuery, matchQuery, rulesFor, unshadowedQuery } from './export.js';
import { findReadableCounterexample } from './readable.js';
import { samplePoints, type SamplePoint } from './sample.js';
import { script } from './script.js';
import { and, not, or, sym } from './sexpr.js';
import { check, QuerySession, type QueryResult, type SolverStatus } from './solver.js';

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
  /** Solver calls and time per kind of query. */
  stats: VerifyStats;
}

export interface VerifyOptions {
  /** Per query, ms. */
  timeoutMs?: number;
  /** Run the rule analyses too (default true). */
  analyses?: boolean;
  /** Called after each tool, for progress. */
  onProgress?: (done: number, total: number, tool: string) => void;
}

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

  const stats = emptyStats();
  let done = 0;
  for (const tool of tools) {
    const asserts = assertionsFor(artifact, tool);
    const enc = encodeTool(artifact, tool);
    for (const n of enc.notes) notes.add(n);
    const analyses = options.analyses !== false;
    const plain = script([enc], []);
    const rules = rulesFor(artifact, tool);
    const points = samplePoints(artifact, tool, rules, Math.min(512, 64 + 16 * rules.length));
    const asker = new Asker(plain + (analyses ? indicators(enc, rules) : ''), plain, timeoutMs, stats);
    try {
      // Assertions. One that failed on an earlier tool stays failed (with that tool's counterexample): it is
      // not asked again. The others usually hold: one query asks whether any of them fails; unsat proves
      // them all, anything else asks each on its own.
      const open = asserts.filter((a) => assertions.get(a.id)?.status !== 'failed');
      const queries = open.map((a) => assertionQuery(enc, a).asserts);
      const batch = queries.length > 1 ? await asker.ask('assertion', [or(queries.map((q) => and(q)))], false, false) : undefined;
      for (const [i, a] of open.entries()) {
        const query = queries[i]!;
        const r: QueryResult = batch?.status === 'unsat' ? { status: 'unsat', ms: batch.ms / open.length } : await asker.ask('assertion', query, false);
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
          const c0 = performance.now();
          const cx = await findReadableCounterexample(policy, enc, query, timeoutMs);
          stats.counterexample.queries++;
          stats.counterexample.ms += performance.now() - c0;
          if (cx) agg.counterexample = cx;
        }
        assertions.set(a.id, agg);
      }
      // Dead tool first: its model, if any, already answers questions of the analyses.
      const dead = await deadTool(enc, asker, points, analyses);
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
      if (analyses) await analyse(enc, rules, points, asker, canMatch, unshadowed, redundantWith, stats);
    } finally {
      await asker.close();
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
    stats,
  };
}

/** Solver calls and time per kind of query (`counterexample`: building and replaying counterexamples). */
export type VerifyStats = Record<CheckKind | 'counterexample', { queries: number; ms: number }> & {
  /** Ordered rule pairs considered for redundancy, and how many were settled by models already found. */
  pairs: { total: number; settledByModels: number };
};

export const emptyStats = (): VerifyStats => ({
  assertion: { queries: 0, ms: 0 },
  vacuous: { queries: 0, ms: 0 },
  shadowed: { queries: 0, ms: 0 },
  redundant: { queries: 0, ms: 0 },
  dead_tool: { queries: 0, ms: 0 },
  counterexample: { queries: 0, ms: 0 },
  pairs: { total: 0, settledByModels: 0 },
});

/** Z3's incremental mode gives up on some string and regex queries that a fresh solver answers at once. */
const SESSION_TIMEOUT_MS = 2_000;

/**
 * Asks queries in one tool's incremental session; a query the session cannot answer in time is asked again
 * of a fresh solver with the full timeout. Every model is handed to `harvest`. The session is opened at the
 * first query: a tool whose questions the samples all settle costs no solver.
 */
class Asker {
  harvest?: (model: ReadonlyMap<string, string>) => void;
  private session?: Promise<QuerySession>;

  /** `base`: the session's script; `plain`: the same without the indicator constants, for the fallback. */
  constructor(
    private readonly base: string,
    private readonly plain: string,
    private readonly timeoutMs: number,
    private readonly stats: VerifyStats,
  ) {}

  /** `fallback: false`: an unknown stays unknown (for a batch whose parts are asked next). */
  async ask(kind: CheckKind, asserts: readonly string[], model = true, fallback = true): Promise<QueryResult> {
    this.session ??= QuerySession.open(this.base, Math.min(this.timeoutMs, SESSION_TIMEOUT_MS));
    let r = await (await this.session).check(asserts, { model });
    if (r.status === 'unknown' && fallback) {
      // The exact query `writ smt` exports (no indicator constants, which can make Z3 give up on strings).
      // Its model, without indicators, settles nothing more; its status is what counts.
      const fresh = await check(`${this.plain}${asserts.map((a) => `(assert ${a})\n`).join('')}`, this.timeoutMs);
      r = { ...fresh, ms: r.ms + fresh.ms };
      if (!model) delete r.model;
    }
    this.stats[kind].queries++;
    this.stats[kind].ms += r.ms;
    if (r.model) this.harvest?.(r.model);
    return r;
  }

  async close(): Promise<void> {
    if (this.session) (await this.session).close();
  }
}

/** Indicator constants that make each rule's match, and `denied`, readable in models. */
function indicators(enc: ToolEncoding, rules: readonly Rule[]): string {
  const lines = rules.map((r) => `(declare-const ${sym(`is.${r.id}`)} Bool)\n(assert (= ${sym(`is.${r.id}`)} ${enc.match.get(r.id)!}))`);
  lines.push(`(declare-const |is.denied| Bool)\n(assert (= |is.denied| ${enc.denied}))`);
  return `${lines.join('\n')}\n`;
}

type Agg = Map<string, { sat: boolean; unknown: boolean; ms: number }>;

/**
 * "Can some request to this tool be allowed?": a sample that some state allows (`SamplePoint.allowed`)
 * answers yes without the solver; otherwise the plain query.
 */
async function deadTool(enc: ToolEncoding, asker: Asker, points: readonly SamplePoint[], model: boolean): Promise<QueryResult> {
  if (points.some((p) => p.allowed)) return { status: 'sat', ms: 0 };
  return asker.ask('dead_tool', deadToolQuery(enc).asserts, model);
}

/**
 * The rule analyses of one tool. Their questions are the pairwise queries `toolQueries` lists (and
 * `writ smt` exports); most are settled without asking them, from requests on which every rule's match is
 * known — concrete samples (`sample.ts`) first, then every model the solver returns (read through
 * indicator constants): a rule seen matching is not vacuous; seen matching where nothing denies, not
 * shadowed; seen matching where r' does not, not implied by r'. What remains is asked in batches:
 * - shadowing: "does some still-unsettled allow/approve rule match where nothing denies?" until unsat (the
 *   rest are shadowed, or vacuous); vacuity the same way;
 * - redundancy, per rule r with open candidates C: `match_r ∧ ⋁_{c∈C} ¬match_c`; a model refutes at least
 *   one candidate, unsat proves r ⇒ c for every c left.
 * A batch without an answer, or whose model shows nothing new, falls back to the pairwise query.
 * (packages/verifier/test/smt/analyses.test.ts checks the outcome against the pairwise queries.)
 */
async function analyse(
  enc: ToolEncoding,
  rules: readonly Rule[],
  points: readonly SamplePoint[],
  asker: Asker,
  canMatch: Agg,
  unshadowed: Agg,
  redundantWith: Map<string, { by: Set<string>; tools: number; ms: number }>,
  stats: VerifyStats,
): Promise<void> {
  const seen = new Set<string>();
  const seenFree = new Set<string>();
  /** refuted.get(r) ∋ c: some model has r matching and c not (so c does not imply r). */
  const refuted = new Map<string, Set<string>>(rules.map((r) => [r.id, new Set<string>()]));
  /** Learns from one request on which each rule's match (undefined: unknown) and `denied` are known. */
  const learn = (matches: (id: string) => boolean | undefined, denied: boolean | undefined) => {
    const on = rules.filter((r) => matches(r.id) === true);
    const off = rules.filter((r) => matches(r.id) === false);
    for (const r of on) {
      seen.add(r.id);
      if (denied === false) seenFree.add(r.id);
      for (const c of off) if (c.effect === r.effect) refuted.get(r.id)!.add(c.id);
    }
  };
  const bool = (x: string | undefined) => (x === 'true' ? true : x === 'false' ? false : undefined);
  asker.harvest = (model) => learn((id) => bool(model.get(`is.${id}`)), bool(model.get('is.denied')));
  // Concrete samples first: free, and they settle most questions about simple conditions.
  for (const p of points) learn((id) => p.match.get(id), p.denied);
  const bump = (map: Agg, id: string, status: string, ms: number) => {
    const e = map.get(id) ?? { sat: false, unknown: false, ms: 0 };
    e.sat ||= status === 'sat';
    e.unknown ||= status === 'unknown';
    e.ms += ms;
    map.set(id, e);
  };
  // Shadowing: while some allow/approve rule is not yet seen matching where nothing denies, ask whether any
  // of them can (one query for all); a model settles every rule it shows matching. Unsat: the rest are
  // shadowed (or vacuous, asked next).
  const free = await settle(
    asker,
    'shadowed',
    rules.filter((r) => r.effect !== 'deny'),
    seenFree,
    (rs) => [or(rs.map((r) => enc.match.get(r.id)!)), not(enc.denied)],
    (r) => unshadowedQuery(enc, r).asserts,
  );
  // Vacuity, the same way, for the rules not yet seen matching at all.
  const can = await settle(asker, 'vacuous', rules, seen, (rs) => [or(rs.map((r) => enc.match.get(r.id)!))], (r) => matchQuery(enc, r).asserts);
  for (const r of rules) {
    const c = can.get(r.id)!;
    bump(canMatch, r.id, c.status, c.ms);
    if (r.effect !== 'deny' && c.status === 'sat') {
      const f = free.get(r.id)!;
      bump(unshadowed, r.id, f.status, f.ms);
    }
  }

  // Redundancy: r implied by r' (same effect), on every tool r covers.
  const byEffect = new Map<string, Rule[]>();
  for (const r of rules) byEffect.set(r.effect, [...(byEffect.get(r.effect) ?? []), r]);
  for (const group of byEffect.values()) {
    const byId = new Map(group.map((r) => [r.id, r]));
    /** implies.get(r) ∋ c: proven on this tool that wherever r matches, c matches (c among r's candidates). */
    const implies = new Map<string, Set<string>>();
    const asked = new Map<string, Set<string>>();
    const entries = new Map<string, { by: Set<string>; tools: number; ms: number }>();
    for (const r of group) {
      const entry = redundantWith.get(r.id) ?? { by: new Set<string>(), tools: 0, ms: 0 };
      entries.set(r.id, entry);
      const candidates = entry.tools === 0 ? group.filter((x) => x.id !== r.id) : group.filter((x) => entry.by.has(x.id));
      asked.set(r.id, new Set(candidates.map((c) => c.id)));
      stats.pairs.total += candidates.length;
      stats.pairs.settledByModels += candidates.filter((c) => refuted.get(r.id)!.has(c.id)).length;
      implies.set(r.id, await implied(enc, asker, r, candidates, refuted.get(r.id)!, entry));
    }
    for (const r of group) {
      const entry = entries.get(r.id)!;
      const by = new Set<string>();
      for (const c of implies.get(r.id)!) {
        const other = byId.get(c)!;
        // Equivalent rules imply each other: report only the later one.
        let back: boolean;
        if (asked.get(c)!.has(r.id)) back = implies.get(c)!.has(r.id);
        else if (refuted.get(c)!.has(r.id)) back = false;
        else {
          const q = await asker.ask('redundant', impliedQuery(enc, other, r).asserts, false);
          entry.ms += q.ms;
          back = q.status === 'unsat';
        }
        if (back && spanBefore(r.span, other.span)) continue;
        by.add(c);
      }
      entry.by = by;
      entry.tools++;
      redundantWith.set(r.id, entry);
    }
  }
}

/**
 * Settles "can some rule of `rules` be satisfied (with `batch`'s extra conditions)?" for each rule: rules in
 * `seen` (grown by every model) are sat; while others remain, one query asks for any of them; unsat settles
 * all that remain. A query with no answer, or a model that shows none of them, falls back to one query per rule.
 */
async function settle(
  asker: Asker,
  kind: CheckKind,
  rules: readonly Rule[],
  seen: ReadonlySet<string>,
  batch: (rs: readonly Rule[]) => string[],
  single: (r: Rule) => string[],
): Promise<Map<string, { status: SolverStatus; ms: number }>> {
  const out = new Map<string, { status: SolverStatus; ms: number }>();
  let open = rules.filter((r) => !seen.has(r.id));
  while (open.length > 0) {
    const q = await asker.ask(kind, batch(open));
    const ms = q.ms / open.length;
    if (q.status === 'unsat') {
      for (const r of open) out.set(r.id, { status: 'unsat', ms });
      open = [];
      break;
    }
    const before = open.length;
    open = open.filter((r) => !seen.has(r.id));
    if (q.status === 'sat' && open.length < before) continue;
    for (const r of open) {
      const one = await asker.ask(kind, single(r));
      out.set(r.id, { status: seen.has(r.id) ? 'sat' : one.status, ms: one.ms });
    }
    open = [];
  }
  for (const r of rules) if (!out.has(r.id)) out.set(r.id, { status: 'sat', ms: 0 });
  return out;
}

/** The candidates `c` for which `match_r ⇒ match_c` on this tool (`refuted` grows with every model). */
async function implied(
  enc: ToolEncoding,
  asker: Asker,
  r: Rule,
  candidates: readonly Rule[],
  refuted: ReadonlySet<string>,
  entry: { ms: number },
): Promise<Set<string>> {
  const proven = new Set<string>();
  let open = candidates.filter((c) => !refuted.has(c.id));
  while (open.length > 0) {
    const q = await asker.ask('redundant', [enc.match.get(r.id)!, or(open.map((c) => not(enc.match.get(c.id)!)))]);
    entry.ms += q.ms;
    if (q.status === 'unsat') {
      for (const c of open) proven.add(c.id);
      break;
    }
    const before = open.length;
    open = open.filter((c) => !refuted.has(c.id));
    if (q.status === 'sat' && open.length < before) continue;
    // No answer, or a model that refutes nothing we can read: settle each remaining pair on its own.
    for (const c of open) {
      const p = await asker.ask('redundant', impliedQuery(enc, r, c).asserts, false);
      entry.ms += p.ms;
      if (p.status === 'unsat') proven.add(c.id);
    }
    break;
  }
  return proven;
}

function spanBefore(a: Span, b: Span): boolean {
  return a.file < b.file || (a.file === b.file && (a.line < b.line || (a.line === b.line && a.column < b.column)));
}

export { EncodingError, type Policy };
