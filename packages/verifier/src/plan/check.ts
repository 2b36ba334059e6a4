/**
 * Checks a plan step by step, before any step runs, with the session's state carried from one step to the
 * next in a runtime `MemoryStateStore` (the same store, keys and operations a gateway uses).
 *
 * - A step whose arguments are all concrete is decided by @writ/runtime itself: exact, and it updates the
 *   store as it would at run time (history for `called`, rate-limit hits, budget charges, taint) — unless
 *   its decision reads something the plan cannot know (a result's taint, an earlier unknown through
 *   `prior.*`, below): then it goes to SMT as a step with no unknowns, only that state free.
 * - A step with unknown arguments (`$unknown`, or `$ref` to an earlier step's result) is encoded in SMT
 *   (smt/encode.ts) with every symbolic state variable pinned to the store's contents at that step, every
 *   concrete argument pinned, and the approval status pinned to *granted* (the plan assumes approvals are
 *   given); only the unknowns stay free. Z3 answers: can the step run, can it be denied, does it need an
 *   approval to run? Denied for no value: allow (or pending_approval when some value needs an approval);
 *   runs for no value: deny; otherwise it `depends`, and a counterexample (values of the unknowns that make
 *   it deny) is found, replayed through the runtime on a fresh store after the steps that ran, and must be
 *   denied there too (a disagreement is an internal error).
 * - Taint: a `$ref` to the result of a step whose tool is a `label … from tool T.result[.path]` source
 *   carries the label into the argument, as the request's `context.labels[param]` claim (SEMANTICS.md §5c.1),
 *   so `deny flow L -> tool.param` applies to it in both back ends: definitely tainted.
 *   Any other argument is *possibly* tainted once an earlier step (or a call in the initial history) may
 *   have labelled its result with L: the runtime taints by value, and results are unknown at plan time, so
 *   any value a taint set can hold (numbers, strings of 3+ characters) may be one the result held. Its taint
 *   flag is left free, for unknown and concrete arguments alike (a concrete step then goes to SMT too):
 *   the step `depends`, with a counterexample that assumes the value came from that result (replayed with
 *   the label claimed). This is the conservative choice for concrete values: `writ plan` cannot rule out
 *   that a page holds the number 40, and the runtime would deny a refund of 40 if it did.
 *
 * What a step leaves for the later ones (the plan's verdict is about whether the plan *as written* can run):
 * - allowed: it ran (the runtime recorded it);
 * - pending_approval: the approval is assumed granted, then it ran (the runtime recorded the granted call);
 * - depends, or allow / pending_approval with unknowns: it is assumed to run with values the policy allows
 *   (a witness from Z3, preferring values that need no approval, run through the runtime — approved first
 *   if they need it), so later steps see it in the history, the rate-limit windows and the budgets. History
 *   entries carry the witness's values for the runtime, but a later step whose rules read `called … where
 *   prior.x` on an entry whose `x` was unknown sees every value: that argument is free in its encoding,
 *   constrained by the earlier step's own script (renamed apart, asserting that it runs with that value),
 *   and a counterexample replays the earlier step with the value it assumes (StepCounterexample.assumes);
 * - deny (for every value) or unknown: it does not run and leaves no state; nor does a step that can run
 *   only if earlier steps had run with other values than their witnesses (it `depends`, with a note).
 * Soundness: a step reported allow (or pending_approval, or deny) for every value is so for every value
 * of its unknowns, every result of earlier label-source steps and every value the earlier unknowns may run
 * with, provided the earlier steps all ran (a plan is admissible only if they all do). Known limits: a
 * result's taint is tracked per label, not per value (any later value may be one the result held), and
 * history entries beyond the runtime's 1,000-entry cap are not mapped back to their steps.
 * Every step is decided at the plan's time (`now`): rate-limit windows and `called … within` see every earlier
 * step as just made.
 */
import {
  MemoryStateStore,
  type ApprovalRecord,
  type Artifact,
  type Decision,
  type Policy,
  type Request,
  type StateStore,
} from '@writ/runtime';
import { caseFromModel, historyKey, InexactModelError, literalOf, pinCase, taintKey, uninterpretedFacts, type Case, type CaseState } from '../smt/concrete.js';
import { findCounterexample, WITNESSES } from '../smt/counterexample.js';
import { EncodingError, encodeTool, type ToolEncoding } from '../smt/encode.js';
import { script } from '../smt/script.js';
import { check, QuerySession, type QueryResult } from '../smt/solver.js';
import type { Plan, PlanReport, PlanStats, PlanStep, StepAssumption, StepCounterexample, StepReport } from './types.js';

export interface PlanCheckOptions {
  /** Per solver query, milliseconds (default 10,000); on expiry the step's verdict is `unknown`. */
  timeoutMs?: number;
  /** Called after each step (progress). */
  onStep?: (done: number, total: number, tool: string) => void;
}

const HISTORY_MAX = 1_000;

/** Labels a `$ref` to `steps[j].result.<path>` carries: the `tool_result` sources on that tool and path. */
export function refLabels(artifact: Artifact, tool: string, path: readonly string[]): string[] {
  const out: string[] = [];
  for (const l of artifact.labels) {
    const hit = l.sources.some((s) => {
      if (s.kind !== 'tool_result' || (s.tool !== tool && s.tool !== '*')) return false;
      // The referenced value is inside the labelled part, or contains it.
      const n = Math.min(s.path.length, path.length);
      for (let i = 0; i < n; i++) if (s.path[i] !== path[i]) return false;
      return true;
    });
    if (hit) out.push(l.name);
  }
  return out;
}

/**
 * State a step's decision reads that the plan cannot know before it runs, left free in the step's encoding:
 * - taint: `deny flow L -> tool.param` where an earlier step (or a call in the initial history) may have
 *   labelled its result with L. Results are unknown at plan time, so any value, concrete ones included,
 *   may equal a value of that result (the runtime's taint set); the flag is free (key: label, param).
 * - history: `called … where prior.x` on the history entry of an earlier step whose `x` was unknown: it
 *   may run with any value it is allowed with, not only the witness; the argument is free (key: entry, param).
 */
interface Relaxation {
  taint: Map<string, { label: string; param: string; from: number }>;
  history: Map<string, { entry: number; param: string; step: number }>;
}

/** What a counterexample assumes beyond its unknowns' values: relaxed taint flags set, history values. */
interface Assumption {
  args: Record<string, unknown>;
  /** Relaxed taint keys that are true (the value came from a labelled result). */
  taint: string[];
  /** Relaxed history arguments: their values. */
  history: Map<string, unknown>;
}

/** True if `e` (an artifact expression) contains `called … where (…)`. */
function readsPrior(e: unknown): boolean {
  if (typeof e !== 'object' || e === null) return false;
  if ((e as { op?: unknown }).op === 'called' && (e as { where?: unknown }).where) return true;
  return Object.values(e).some(readsPrior);
}

class PlanChecker {
  readonly store: StateStore = new MemoryStateStore();
  readonly artifact: Artifact;
  readonly internalErrors: string[] = [];
  readonly stats: PlanStats = { solverQueries: 0, solverMs: 0, verdictMs: 0, counterexampleMs: 0, witnessMs: 0 };
  /** What each step checked so far leaves. */
  readonly leaves: StepAssumption[] = [];
  /** Requests of the steps that ran, in order (approved first where they asked). */
  private readonly executed: Request[] = [];
  /**
   * For each executed request: its plan step, the parameters that were unknown (its witness values), and
   * the index of the history entry it left (none when the policy keeps no history).
   */
  private readonly executedFrom: Array<{ step: number; unknowns: string[]; entry?: number }> = [];
  /** Symbolic steps that ran: their base script, allow symbol and argument symbols, to constrain later steps. */
  private readonly scripts = new Map<number, { body: string; allow: string; args: Map<string, string> }>();
  /** Extra script lines of the step being checked: the earlier steps its free history arguments come from. */
  private prelude = '';
  private readonly timeoutMs: number;

  constructor(
    readonly policy: Policy,
    readonly plan: Plan,
    options: PlanCheckOptions,
  ) {
    this.artifact = policy.artifact;
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.seed(this.store);
  }

  private get session(): string {
    return this.plan.context.session;
  }

  private scopeValue(scope: string): string | undefined {
    if (scope === 'agent') return this.plan.agent.id;
    if (scope === 'tenant') return this.plan.agent.tenant;
    if (scope === 'session') return this.session;
    return scope === 'global' ? '' : undefined;
  }

  /** The plan's initial state, written through the store's operations and the runtime's key scheme. */
  private seed(store: StateStore): void {
    const { now, state } = this.plan;
    for (const h of state.history) store.recordCall(this.session, { tool: h.tool, args: h.args, at: now - h.ageMs }, HISTORY_MAX);
    for (const [id, hits] of Object.entries(state.rate)) {
      const l = this.artifact.limits.find((x) => x.id === id)!;
      const sv = this.scopeValue(l.scope);
      if (sv === undefined) continue;
      for (let i = 0; i < hits; i++) store.rateHit(`rate|${l.id}|${l.scope}|${sv}`, now, l.windowMs, Number.MAX_SAFE_INTEGER);
    }
    for (const [id, used] of Object.entries(state.budgets)) {
      const b = this.artifact.budgets.find((x) => x.id === id)!;
      const sv = this.scopeValue(b.scope);
      if (sv === undefined) continue;
      store.budgetAdd(`budget|${b.id}|${b.scope}|${sv}`, { costMicros: Math.round(used.cost * 1_000_000), tokens: used.tokens, calls: used.calls });
    }
  }

  /** Labels carried into each argument by `$ref`s, merged with the plan's own `context.labels`. */
  labels(step: PlanStep): Record<string, string[]> {
    const out: Record<string, string[]> = {};
    const given = (this.plan.context['labels'] ?? {}) as Record<string, string[]>;
    for (const [p, ls] of Object.entries(given)) out[p] = [...ls];
    for (const [p, a] of Object.entries(step.args)) {
      if (a.kind !== 'ref') continue;
      for (const l of refLabels(this.artifact, this.plan.steps[a.step]!.tool, a.path)) {
        const list = (out[p] ??= []);
        if (!list.includes(l)) list.push(l);
      }
    }
    return out;
  }

  /** The step's request with the given values for its unknown arguments (absent ones stay absent). */
  request(step: PlanStep, fill: Record<string, unknown> = {}): Request {
    const args: Record<string, unknown> = {};
    for (const [p, a] of Object.entries(step.args)) {
      if (a.kind === 'value') args[p] = a.value;
      else if (Object.hasOwn(fill, p)) args[p] = fill[p];
    }
    const context: Record<string, unknown> = { ...this.plan.context };
    const labels = this.labels(step);
    if (Object.keys(labels).length) context['labels'] = labels;
    else delete context['labels'];
    if (step.usage && (step.usage.tokens || step.usage.cost)) context['usage'] = { ...step.usage };
    return { agent: { ...this.plan.agent }, tool: step.tool, args, context };
  }

  decide(request: Request, dryRun = false, store: StateStore = this.store): Decision {
    return this.policy.decide(request, { state: store, now: this.plan.now, dryRun });
  }

  /**
   * Runs a step that may need an approval: grant it, as the plan assumes, and decide it again. Steps that
   * ran are remembered, so that a counterexample can be replayed on a fresh store.
   */
  run(request: Request, store: StateStore = this.store, from?: { step: number; unknowns: string[] }): { first: Decision; final: Decision } {
    const before = store === this.store ? this.store.history(this.session).length : 0;
    const first = this.decide(request, false, store);
    let final = first;
    if (first.effect === 'pending_approval' && first.approval) {
      this.grant(first.approval, store);
      final = this.decide(request, false, store);
    }
    if (store === this.store && final.effect === 'allow') {
      this.executed.push(request);
      const after = this.store.history(this.session).length;
      this.executedFrom.push({ ...(from ?? { step: -1, unknowns: [] }), ...(after > before ? { entry: after - 1 } : {}) });
    }
    return { first, final };
  }

  /**
   * Decides `request` (approving it if it asks) after replaying, on a fresh store, the plan's initial state
   * and every step that ran so far: an independent check of a counterexample, which writes nothing to the
   * plan's own store.
   */
  replay(request: Request, history: ReadonlyMap<string, unknown> = new Map()): { first: Decision; final: Decision; unrealizable?: string } {
    const store = new MemoryStateStore();
    this.seed(store);
    let unrealizable: string | undefined;
    this.executed.forEach((r, k) => {
      const subst: Record<string, unknown> = {};
      const from = this.executedFrom[k]!;
      for (const p of from.entry === undefined ? [] : from.unknowns) {
        const key = historyKey(from.entry!, p);
        if (history.has(key)) subst[p] = history.get(key);
      }
      if (Object.keys(subst).length === 0) return void this.run(r, store);
      const ran = this.run({ ...r, args: { ...r.args, ...subst } }, store);
      if (ran.final.effect !== 'allow') unrealizable ??= `steps[${this.executedFrom[k]!.step}] with ${JSON.stringify(subst)} (the runtime decides ${ran.final.effect})`;
    });
    return { ...this.run(request, store), ...(unrealizable ? { unrealizable } : {}) };
  }

  /** Labels an earlier step (or a call in the initial history, -1) may have put on its result: label → step. */
  private resultLabels(index: number): Map<string, number> {
    const out = new Map<string, number>();
    const add = (tool: string, from: number) => {
      for (const l of this.artifact.labels) {
        if (!out.has(l.name) && l.sources.some((x) => x.kind === 'tool_result' && (x.tool === tool || x.tool === '*'))) out.set(l.name, from);
      }
    };
    for (const h of this.plan.state.history) add(h.tool, -1);
    for (let j = 0; j < index; j++) if (this.leaves[j] !== 'not_run') add(this.plan.steps[j]!.tool, j);
    return out;
  }

  /**
   * Whether a step's decision may read state the plan cannot know (a cheap test before encoding it): earlier
   * steps' unknowns through `called … where prior.*` ('history'), or only result taint ('taint').
   */
  private mayRelax(index: number, step: PlanStep): 'history' | 'taint' | undefined {
    const ix = this.artifact.index[step.tool];
    if (!ix) return undefined;
    const rules = [...ix.deny, ...ix.approve, ...ix.allow].map((i) => this.artifact.rules[i]!.when);
    if (this.executedFrom.some((e) => e.unknowns.length > 0) && rules.some(readsPrior)) return 'history';
    const labels = this.resultLabels(index);
    return ix.flows.some((i) => labels.has(this.artifact.flows[i]!.label)) ? 'taint' : undefined;
  }

  /** The step's {@link Relaxation}, from the variables its encoding reads. */
  private relaxation(index: number, step: PlanStep, enc: ToolEncoding): Relaxation {
    const out: Relaxation = { taint: new Map(), history: new Map() };
    const labels = this.resultLabels(index);
    const claimed = this.labels(step);
    for (const v of enc.vars.vars.values()) {
      const o = v.origin;
      if (o.kind === 'taint') {
        const from = labels.get(o.label);
        const claims = [...(claimed[o.param] ?? []), ...(claimed['*'] ?? [])].includes(o.label);
        if (from !== undefined && !claims) out.taint.set(taintKey(o.label, o.param), { label: o.label, param: o.param, from });
      } else if (o.kind === 'hist_arg') {
        const e = this.executedFrom.find((x) => x.entry === o.entry);
        if (e && e.unknowns.includes(o.param)) out.history.set(historyKey(o.entry, o.param), { entry: o.entry, param: o.param, step: e.step });
      }
    }
    return out;
  }

  /**
   * For free history arguments: the script of each earlier step they come from, its symbols renamed apart
   * (`|s<j>.…|`), asserting that the step runs and that its arguments are the history entry's, so a free
   * history argument ranges over the values that step is allowed with (in its own, possibly relaxed, state).
   */
  private historyPrelude(enc: ToolEncoding, relax: Relaxation): string {
    const lines: string[] = [];
    const steps = new Set([...relax.history.values()].map((h) => h.step));
    for (const j of steps) {
      const s = this.scripts.get(j);
      if (!s) continue;
      const rename = (text: string) => text.replace(/"(?:[^"]|"")*"|\|[^|]*\|/g, (t) => (t.startsWith('|') ? `|s${j}.${t.slice(1)}` : t));
      lines.push(...rename(s.body).split('\n').filter((l) => l && !l.startsWith('(set-logic') && !l.startsWith(';')));
      lines.push(`(assert ${rename(s.allow)})`);
      for (const h of relax.history.values()) {
        if (h.step !== j) continue;
        const v = [...enc.vars.vars.values()].find((x) => x.origin.kind === 'hist_arg' && x.origin.entry === h.entry && x.origin.param === h.param);
        const a = s.args.get(h.param);
        if (v && a) lines.push(`(assert (= ${rename(a)} ${v.symbol}))`);
      }
    }
    return lines.length ? `${lines.join('\n')}\n` : '';
  }

  /** Sentences saying what a counterexample assumes about results and earlier steps' values. */
  private assumes(relax: Relaxation, a: Assumption): string[] {
    const out: string[] = [];
    for (const k of a.taint) {
      const t = relax.taint.get(k)!;
      const src = t.from < 0 ? 'a call in the initial history' : `steps[${t.from}] ${this.plan.steps[t.from]!.tool}`;
      out.push(`if args.${t.param} came from the result of ${src} (labelled ${t.label})`);
    }
    const byStep = new Map<number, Record<string, unknown>>();
    for (const [k, value] of a.history) {
      const h = relax.history.get(k)!;
      (byStep.get(h.step) ?? byStep.set(h.step, {}).get(h.step)!)[h.param] = value;
    }
    for (const [st, vals] of byStep) out.push(`if steps[${st}] ran with ${JSON.stringify(vals)}`);
    return out;
  }

  private grant(record: ApprovalRecord, store: StateStore): void {
    const time = new Date(this.plan.now).toISOString();
    const approvals = record.requirements.flatMap((r, i) =>
      Array.from({ length: r.quorum }, (_, k) => ({ approver: `plan-approver-${i + 1}-${k + 1}`, role: r.role, time })),
    );
    store.approvalSwap({ ...record, status: 'granted', approvals }, record);
  }

  /** Whether any approve rule or approval-requiring flow applies to the tool. */
  private asksApproval(tool: string): boolean {
    const ix = this.artifact.index[tool];
    return !!ix && (ix.approve.length > 0 || ix.flows.some((i) => this.artifact.flows[i]!.approval !== undefined));
  }

  /** The symbolic state of `enc` as the store holds it now, for this step's scope. */
  caseState(enc: ToolEncoding, tool: string): CaseState {
    const modelsHistory = [...enc.vars.vars.values()].some((v) => v.origin.kind === 'hist_present');
    const now = this.plan.now;
    const state: CaseState = {
      history: modelsHistory ? this.store.history(this.session).map((h) => ({ tool: h.tool, age_ms: now - h.at, args: h.args })) : [],
      full_limits: [],
      budgets: {},
      // Every approval the step asks for is granted, as the plan assumes: the queries ask whether the step
      // can run at all, and whether it needs an approval to (needs_approval), separately.
      approval: 'granted',
    };
    for (const i of this.artifact.index[tool]?.limits ?? []) {
      const l = this.artifact.limits[i]!;
      const sv = this.scopeValue(l.scope);
      if (sv !== undefined && this.store.rateCount(`rate|${l.id}|${l.scope}|${sv}`, now, l.windowMs) >= l.count) state.full_limits.push(l.id);
    }
    for (const b of this.artifact.budgets) {
      const sv = this.scopeValue(b.scope);
      if (sv === undefined) continue;
      const u = this.store.budgetUse(`budget|${b.id}|${b.scope}|${sv}`);
      state.budgets[b.id] = { cost_micros: u.costMicros, tokens: u.tokens, calls: u.calls };
    }
    return state;
  }

  private async timed<T>(what: 'verdictMs' | 'counterexampleMs' | 'witnessMs', f: () => Promise<T>): Promise<T> {
    const t0 = performance.now();
    try {
      return await f();
    } finally {
      this.stats[what] += performance.now() - t0;
    }
  }

  private async query(f: () => Promise<QueryResult>): Promise<QueryResult> {
    const r = await f();
    this.stats.solverQueries++;
    this.stats.solverMs += r.ms;
    return r;
  }

  async step(index: number): Promise<StepReport> {
    const step = this.plan.steps[index]!;
    const unknowns = Object.entries(step.args)
      .filter(([, a]) => a.kind !== 'value')
      .map(([p]) => p);
    const labels = Object.fromEntries(Object.entries(this.labels(step)).filter(([p]) => p in step.args || p === '*'));
    const notes: string[] = [];
    for (const [p, a] of Object.entries(step.args)) {
      if (a.kind === 'ref' && this.leaves[a.step] === 'not_run') notes.push(`args.${p} refers to steps[${a.step}], which does not run: checked as an unknown value`);
    }
    const base = { index, tool: step.tool, unknowns, labels, notes };
    if (unknowns.length === 0) {
      const request = this.request(step);
      // A concrete step whose decision may read results or earlier unknowns: symbolic over those alone. A
      // free taint flag can only add denials (a denial stays one); other history values may lift one.
      const relax = this.mayRelax(index, step);
      if (relax && (relax === 'history' || this.decide(request, true).effect !== 'deny')) {
        const r = await this.symbolic(index, step, base, true);
        if (r) return r;
      }
      const { first, final } = this.run(request, this.store, { step: index, unknowns: [] });
      if (first.effect === 'pending_approval' && final.effect === 'allow') return { ...base, verdict: 'pending_approval', method: 'runtime', decision: first, leaves: 'ran_after_approval' };
      if (first.effect === 'pending_approval') {
        return { ...base, verdict: 'deny', method: 'runtime', decision: final, leaves: 'not_run', notes: [...notes, 'denied after its approval was granted'] };
      }
      return { ...base, verdict: first.effect, method: 'runtime', decision: first, leaves: first.effect === 'allow' ? 'ran' : 'not_run' };
    }
    return (await this.symbolic(index, step, base, false))!;
  }

  /**
   * Decides a step in SMT: its unknown arguments free, and the state a {@link Relaxation} names free too.
   * With `concrete` (no unknowns), undefined when nothing is relaxed (the runtime's decision is exact).
   */
  private async symbolic(
    index: number,
    step: PlanStep,
    base: Omit<StepReport, 'verdict' | 'method' | 'leaves'>,
    concrete: boolean,
  ): Promise<StepReport | undefined> {
    const historySize = this.store.history(this.session).length;
    let enc: ToolEncoding;
    try {
      enc = encodeTool(this.artifact, step.tool, { minHistory: historySize });
    } catch (e) {
      if (!concrete || !(e instanceof EncodingError)) throw e;
      const reason = `its decision may read values not known before the plan runs, and ${e.message}`;
      return { ...base, verdict: 'unknown', method: 'smt', leaves: 'not_run', reason };
    }
    const c: Case = { request: this.request(step), state: this.caseState(enc, step.tool) };
    const relax = this.relaxation(index, step, enc);
    const relaxed = relax.taint.size + relax.history.size > 0;
    if (concrete && !relaxed) return undefined;
    const free = new Set(base.unknowns);
    const pins = pinCase(this.artifact, enc, c, { free, freeTaint: new Set(relax.taint.keys()), freeHistory: new Set(relax.history.keys()) });
    // The relaxed values as the earlier steps ran (witness values, no value from a labelled result).
    const pinned = new Set(pins);
    const asRan = relaxed ? pinCase(this.artifact, enc, c, { free }).filter((x) => !pinned.has(x)) : [];
    pins.push(...taintDomain(enc, relax));
    this.prelude = this.historyPrelude(enc, relax);
    const notes = [...base.notes, ...enc.notes];
    const body = script([enc], pins) + this.prelude;
    const session = await this.timed('verdictMs', () => QuerySession.open(body, this.timeoutMs));
    const ask = async (what: string, asserts: string[], model = false) => {
      const r = await this.timed('verdictMs', () => this.query(() => session.check(asserts, { model })));
      if (r.status === 'unknown') throw new Unanswered(what, r.reason);
      return r;
    };
    try {
      let deny: QueryResult;
      let allow: QueryResult;
      let needs = false;
      let runModel: QueryResult | undefined;
      // The first denial model, with readable values (whole cents, short printable strings), if there is one.
      const readable = readablePreferences(enc, free);
      let denialModel: QueryResult | undefined;
      try {
        denialModel = await ask('can it be denied', [enc.effect.deny, ...readable], true);
        deny = denialModel.status === 'sat' ? denialModel : await ask('can it be denied', [enc.effect.deny]);
        allow = await ask('can it run', [enc.effect.allow], true);
        if (allow.status === 'sat' && this.asksApproval(step.tool)) {
          needs = (await ask('can it need an approval', [enc.effect.allow, enc.needsApproval])).status === 'sat';
          // The step is assumed to run with values that need no approval when there are some.
          const plain = needs ? await ask('can it run without an approval', [enc.effect.allow, `(not ${enc.needsApproval})`], true) : allow;
          if (plain.status === 'sat') allow = plain;
          if (needs && plain.status === 'sat') notes.push('some values need an approval, others do not');
        }
        runModel = allow.status === 'sat' ? allow : undefined;
        if (runModel && relaxed) {
          // Later steps see the step run in the state as the earlier steps ran.
          const plain = needs ? await ask('can it run as the earlier steps ran', [enc.effect.allow, `(not ${enc.needsApproval})`, ...asRan], true) : undefined;
          runModel = plain?.status === 'sat' ? plain : await ask('can it run as the earlier steps ran', [enc.effect.allow, ...asRan], true);
          if (runModel.status !== 'sat') {
            runModel = undefined;
            notes.push('it runs only if earlier steps ran with other values: later steps are checked as if it did not run');
          }
        }
      } catch (e) {
        if (!(e instanceof Unanswered)) throw e;
        return { ...base, notes, verdict: 'unknown', method: 'smt', leaves: 'not_run', reason: `the solver gave no answer to "${e.question}" (${e.why ?? 'unknown'})` };
      }
      const canDeny = deny.status === 'sat';
      const none: Relaxation = { taint: new Map(), history: new Map() };
      if (allow.status !== 'sat') {
        // Denied for every value (even with its approvals granted): an example of the denial as the earlier
        // steps ran, for its reason.
        let cex = await this.counterexample(session, enc, pins, step, free, index, notes, relaxed ? undefined : deny.model, none, asRan);
        if (cex) cex = await this.universalDenial(session, enc, pins, step, free, index, asRan, cex);
        return { ...base, notes, verdict: 'deny', method: 'smt', leaves: 'not_run', ...(cex ? { decision: cex.decision } : {}) };
      }
      const cex = canDeny ? await this.counterexample(session, enc, pins, step, free, index, notes, deny.model, relax, []) : undefined;
      const ran = runModel ? await this.timed('witnessMs', () => this.runWitness(enc, [...pins, ...asRan], step, free, index, runModel!)) : undefined;
      if (ran && free.size) {
        const args = new Map<string, string>();
        for (const v of enc.vars.vars.values()) if (!v.fn && v.origin.kind === 'arg') args.set(v.origin.param, v.symbol);
        this.scripts.set(index, { body, allow: enc.effect.allow, args });
      }
      const verdict = canDeny ? 'depends' : needs ? 'pending_approval' : 'allow';
      return {
        ...base,
        notes,
        verdict,
        method: 'smt',
        leaves: ran ? (ran.first.effect === 'pending_approval' ? 'ran_after_approval' : 'ran') : 'not_run',
        ...(ran && free.size ? { witness: ran.args } : {}),
        ...(cex ? { counterexample: cex, decision: cex.decision } : ran ? { decision: ran.first } : {}),
      };
    } finally {
      session.close();
    }
  }

  /**
   * For a step denied for every value: an example whose runtime reason is a deny rule (or flow) that matches
   * for every value of the unknowns as the earlier steps ran, when one does. The runtime names the first
   * denying rule only, and the first example may trip a rule that only some values trip (e.g. a
   * non-positive amount) before the one that denies them all (a taint flow): the example is then searched
   * again with the other deny rules not matching.
   */
  private async universalDenial(
    session: QuerySession,
    enc: ToolEncoding,
    pins: string[],
    step: PlanStep,
    free: Set<string>,
    index: number,
    asRan: string[],
    cex: StepCounterexample,
  ): Promise<StepCounterexample> {
    const ix = this.artifact.index[step.tool];
    const first = cex.decision.reasons[0]?.rule;
    if (!ix || first === undefined || !enc.match.has(first)) return cex;
    const universal = async (id: string) => (await this.query(() => session.check([...asRan, `(not ${enc.match.get(id)!})`], { model: false }))).status === 'unsat';
    if (await universal(first)) return cex;
    const ids = [
      ...ix.deny.map((i) => this.artifact.rules[i]!.id),
      ...ix.flows.filter((i) => !this.artifact.flows[i]!.approval).map((i) => this.artifact.flows[i]!.id),
    ].filter((id) => id !== first && enc.match.has(id));
    for (const id of ids) {
      if (!(await universal(id))) continue;
      const others = [first, ...ids.filter((x) => x !== id)].map((x) => `(not ${enc.match.get(x)!})`);
      for (const extra of [[...asRan, ...others], [...asRan, `(not ${enc.match.get(first)!})`]]) {
        if ((await this.query(() => session.check([...extra, enc.effect.deny], { model: false }))).status !== 'sat') continue;
        const none: Relaxation = { taint: new Map(), history: new Map() };
        const again = await this.counterexample(session, enc, pins, step, free, index, [], undefined, none, extra);
        if (again?.agrees && again.decision.reasons[0]?.rule === id) return again;
      }
    }
    return cex;
  }

  /** The request with a counterexample's values, claiming the labels it assumes came from results. */
  private assumedRequest(step: PlanStep, relax: Relaxation, a: Assumption): Request {
    const request = this.request(step, a.args);
    if (a.taint.length === 0) return request;
    const labels: Record<string, string[]> = structuredClone((request.context?.['labels'] ?? {}) as Record<string, string[]>);
    for (const k of a.taint) {
      const t = relax.taint.get(k)!;
      const list = (labels[t.param] ??= []);
      if (!list.includes(t.label)) list.push(t.label);
    }
    return { ...request, context: { ...request.context, labels } };
  }

  /** A counterexample's assumption, read from a case (a model made concrete). */
  private assumptionOf(c: Case, free: ReadonlySet<string>, relax: Relaxation): Assumption {
    const labels = (c.request.context?.['labels'] ?? {}) as Record<string, string[]>;
    const taint = [...relax.taint].filter(([, t]) => [...(labels[t.param] ?? []), ...(labels['*'] ?? [])].includes(t.label)).map(([k]) => k);
    const history = new Map<string, unknown>();
    const ran = this.store.history(this.session);
    for (const [k, h] of relax.history) {
      const args = c.state.history[h.entry]?.args;
      history.set(k, args && Object.hasOwn(args, h.param) ? args[h.param] : ran[h.entry]?.args[h.param]);
    }
    return { args: pick(c.request.args, free), taint, history };
  }

  /**
   * Values of the unknowns (and of the relaxed state) that the encoding denies, exactly: candidates are a
   * model of `deny` with readable values (whole cents, short printable strings), then that model with a
   * detector witness string in one unknown string (kept when the runtime denies it: detectors are
   * uninterpreted in SMT, so a model's strings rarely trigger them). A candidate is kept when, its values
   * pinned with the runtime's detector verdicts on them, the encoding has no model of `not deny` (a fresh
   * solver: Z3's incremental string solver is far slower on long literals). Undefined when none is found,
   * for the full search.
   */
  private async quickDenial(
    session: QuerySession,
    enc: ToolEncoding,
    pins: string[],
    step: PlanStep,
    free: Set<string>,
    denial: ReadonlyMap<string, string> | undefined,
    relax: Relaxation,
    extra: string[],
  ): Promise<Assumption | undefined> {
    const all = [...enc.vars.vars.values()].filter((v) => !v.fn);
    const vars = all.filter((v) => v.origin.kind === 'arg' && free.has(v.origin.param));
    const taintVars = all.filter((v) => v.origin.kind === 'taint' && relax.taint.has(taintKey(v.origin.label, v.origin.param)));
    const histVars = all.filter((v) => v.origin.kind === 'hist_arg' && relax.history.has(historyKey(v.origin.entry, v.origin.param)));
    let found: Assumption | undefined;
    const models = denial ? [denial] : [];
    if (!denial) {
      const m = await this.query(() => session.check([enc.effect.deny, ...extra]));
      if (m.model) models.push(m.model);
    }
    for (const m of models) {
      try {
        found = this.assumptionOf(caseFromModel(this.artifact, enc, m), free, relax);
      } catch (e) {
        if (!(e instanceof InexactModelError)) throw e;
      }
    }
    if (!found) return undefined;
    const candidates = [found];
    for (const v of vars.filter((x) => x.sort === 'String')) {
      const param = (v.origin as { param: string }).param;
      for (const w of WITNESSES) {
        const args = { ...found.args, [param]: w };
        if (this.decide(this.assumedRequest(step, relax, { ...found, args }), true).effect === 'deny') candidates.push({ ...found, args });
      }
    }
    for (const a of candidates.slice(0, 8)) {
      const values: Array<{ term: string; value: unknown; sort: string }> = [];
      const valuePins: string[] = [...extra];
      const fix = (v: (typeof all)[number], value: unknown) => {
        const lit = literalOf(value, v.sort);
        if (lit === undefined) return false;
        valuePins.push(`(= ${v.symbol} ${lit})`);
        values.push({ term: v.symbol, value, sort: v.sort });
        return true;
      };
      if (!vars.every((v) => fix(v, a.args[(v.origin as { param: string }).param]))) return undefined;
      for (const v of histVars) {
        const o = v.origin as { entry: number; param: string };
        if (!fix(v, a.history.get(historyKey(o.entry, o.param)))) return undefined;
      }
      for (const v of taintVars) {
        const o = v.origin as { label: string; param: string };
        valuePins.push(`(= ${v.symbol} ${a.taint.includes(taintKey(o.label, o.param))})`);
      }
      valuePins.push(...uninterpretedFacts(enc, values));
      // Without strings the step's own session answers fast; with them, a fresh solver does.
      const exact = vars.some((v) => v.sort === 'String')
        ? await this.query(() => check(script([enc], [...pins, ...valuePins, `(not ${enc.effect.deny})`]) + this.prelude, this.timeoutMs))
        : await this.query(() => session.check([...valuePins, `(not ${enc.effect.deny})`], { model: false }));
      if (exact.status === 'unsat') return a;
    }
    return undefined;
  }

  /** A denied assignment of the unknowns, replayed through the runtime after the plan's earlier steps. */
  private async counterexample(
    session: QuerySession,
    enc: ToolEncoding,
    pins: string[],
    step: PlanStep,
    free: Set<string>,
    index: number,
    notes: string[],
    denial: ReadonlyMap<string, string> | undefined,
    relax: Relaxation,
    extra: string[],
  ): Promise<StepCounterexample | undefined> {
    const quick = await this.timed('counterexampleMs', () => this.quickDenial(session, enc, pins, step, free, denial, relax, extra));
    if (quick) return this.confirm(quick, true, true, step, index, relax, notes);
    const found = await this.timed('counterexampleMs', () => findCounterexample(this.policy, enc, [...pins, ...extra, enc.effect.deny], this.timeoutMs));
    if (!found) {
      this.internalErrors.push(`steps[${index}]: the solver found a denial but no concrete counterexample for it`);
      return undefined;
    }
    if (!found.confirmed) {
      // Detectors are uninterpreted: the solver assumed a detector fires on some value, and no concrete string
      // that does was found. The denial stays possible; this particular value does not show it.
      notes.push(`unconfirmed counterexample: no concrete value was found for the detector behaviour the solver assumed`);
    }
    return this.confirm(this.assumptionOf(found.case, free, relax), found.agrees, found.confirmed, step, index, relax, notes);
  }

  /**
   * Replays a counterexample through the runtime (its assumed history values in place of the earlier steps'
   * witnesses, its assumed result labels claimed); the runtime must deny it too.
   */
  private confirm(a: Assumption, smtAgrees: boolean, confirmed: boolean, step: PlanStep, index: number, relax: Relaxation, notes: string[]): StepCounterexample {
    const request = this.assumedRequest(step, relax, a);
    const { final: decision, unrealizable } = this.replay(request, a.history);
    const labels: Record<string, string[]> = {};
    for (const k of a.taint) {
      const t = relax.taint.get(k)!;
      (labels[t.param] ??= []).push(t.label);
    }
    const agrees = smtAgrees && decision.effect === 'deny';
    const assumes = this.assumes(relax, a);
    if (unrealizable) {
      // The free history values are constrained by types only: the earlier step may not allow them.
      notes.push(`unconfirmed counterexample: it assumes ${unrealizable}`);
      confirmed = false;
    }
    if (confirmed && !agrees) {
      this.internalErrors.push(
        `steps[${index}]: the SMT encoding denies ${JSON.stringify(a.args)}${assumes.length ? ` ${assumes.join(' and ')}` : ''} but the runtime decides ${decision.effect} (${smtAgrees ? "after the plan's earlier steps" : 'in the counterexample state'})`,
      );
    }
    return { args: a.args, decision, agrees, confirmed, ...(assumes.length ? { assumes } : {}), ...(a.taint.length ? { labels } : {}) };
  }

  /**
   * Runs the step with values the policy lets run (allowed, or pending an approval then granted): first the
   * model Z3 already gave, else a confirmed witness from the counterexample search.
   */
  private async runWitness(enc: ToolEncoding, pins: string[], step: PlanStep, free: Set<string>, index: number, sat: QueryResult) {
    const candidates: Array<() => Promise<Record<string, unknown> | undefined>> = [
      async () => {
        try {
          return sat.model ? pick(caseFromModel(this.artifact, enc, sat.model).request.args, free) : undefined;
        } catch (e) {
          if (e instanceof InexactModelError) return undefined;
          throw e;
        }
      },
      async () => {
        const w = await findCounterexample(this.policy, enc, [...pins, enc.effect.allow], this.timeoutMs);
        return w?.confirmed ? pick(w.case.request.args, free) : undefined;
      },
    ];
    for (const candidate of candidates) {
      const args = await candidate();
      if (!args) continue;
      const request = this.request(step, args);
      if (this.decide(request, true).effect === 'deny') continue;
      const r = this.run(request, this.store, { step: index, unknowns: [...free] });
      if (r.final.effect === 'allow') return { ...r, args };
    }
    this.internalErrors.push(`steps[${index}]: the SMT encoding lets the step run but no values were found that the runtime allows`);
    return undefined;
  }
}

/**
 * What the runtime's taint sets can hold: strings of at least 3 code units, finite numbers, never booleans
 * (runtime engine/taint.ts), so a relaxed taint flag on a shorter string or a boolean stays false.
 */
function taintDomain(enc: ToolEncoding, relax: Relaxation): string[] {
  const vars = [...enc.vars.vars.values()].filter((v) => !v.fn);
  const out: string[] = [];
  for (const t of relax.taint.values()) {
    const flag = vars.find((v) => v.origin.kind === 'taint' && v.origin.label === t.label && v.origin.param === t.param);
    const arg = vars.find((v) => v.origin.kind === 'arg' && v.origin.param === t.param);
    if (!flag || !arg) continue;
    if (arg.sort === 'String') out.push(`(=> ${flag.symbol} (>= (str.len ${arg.symbol}) 3))`);
    if (arg.sort === 'Bool') out.push(`(not ${flag.symbol})`);
  }
  return out;
}

/** Readable values for the unknown arguments: whole cents, bounded numbers, short printable strings. */
function readablePreferences(enc: ToolEncoding, free: ReadonlySet<string>): string[] {
  return [...enc.vars.vars.values()]
    .filter((v) => !v.fn && v.origin.kind === 'arg' && free.has(v.origin.param))
    .flatMap((v) => {
      if (v.sort === 'Real') return [`(is_int (* ${v.symbol} 100.0))`, `(< (- 1000000000.0) ${v.symbol} 1000000000.0)`];
      if (v.sort === 'Int') return [`(< (- 1000000000) ${v.symbol} 1000000000)`];
      if (v.sort === 'String') return [`(<= (str.len ${v.symbol}) 24)`, `(str.in_re ${v.symbol} (re.* (re.range " " "~")))`];
      return [];
    });
}

class Unanswered extends Error {
  constructor(
    readonly question: string,
    readonly why: string | undefined,
  ) {
    super(question);
  }
}

function pick(args: Record<string, unknown>, keys: ReadonlySet<string>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of keys) if (Object.hasOwn(args, k)) out[k] = args[k];
  return out;
}

function where(d: Decision | undefined): string {
  const r = d?.reasons[0];
  if (!r) return '';
  return r.span ? ` (${r.span.file}:${r.span.line})` : ` (${r.rule})`;
}

/**
 * Checks a plan (see the module comment for the semantics).
 * @param policy - the loaded policy (its artifact is what the SMT encoding reads)
 * @param plan - a plan from {@link parsePlan}
 * @throws EncodingError when a step's tool uses a construct the encoder cannot express exactly (only for
 *   steps with unknown arguments)
 */
export async function checkPlan(policy: Policy, plan: Plan, options: PlanCheckOptions = {}): Promise<PlanReport> {
  const checker = new PlanChecker(policy, plan, options);
  const steps: StepReport[] = [];
  for (let i = 0; i < plan.steps.length; i++) {
    const report = await checker.step(i);
    checker.leaves.push(report.leaves);
    steps.push(report);
    options.onStep?.(i + 1, plan.steps.length, plan.steps[i]!.tool);
  }
  const approvals = steps.filter((s) => s.verdict === 'pending_approval' || (s.verdict === 'depends' && s.leaves === 'ran_after_approval')).map((s) => s.index);
  const denied = steps.find((s) => s.verdict === 'deny');
  const unknown = steps.find((s) => s.verdict === 'unknown');
  const depends = steps.find((s) => s.verdict === 'depends');
  const a = policy.artifact;
  const report = { approvals, steps, policy: { name: a.policy.name, version: a.policy.version, digest: a.digest }, internalErrors: checker.internalErrors, stats: checker.stats };
  if (denied) {
    const msg = denied.decision?.reasons[0]?.message ?? 'denied';
    return { ...report, verdict: 'inadmissible', at: denied.index, reason: `steps[${denied.index}] ${denied.tool} is denied${denied.method === 'smt' ? ' for every value of its unknowns' : ''}: ${msg}${where(denied.decision)}` };
  }
  if (unknown) return { ...report, verdict: 'unknown', at: unknown.index, reason: `steps[${unknown.index}] ${unknown.tool}: ${unknown.reason}` };
  if (depends) {
    const msg = depends.counterexample?.decision.reasons[0]?.message ?? 'denied';
    const assumes = depends.counterexample?.assumes ?? [];
    const which = depends.unknowns.length ? ` for some values of ${depends.unknowns.join(', ')}` : '';
    const when = assumes.length ? `${which ? `${which},` : ''} ${assumes.join(' and ')}` : which || ' depending on what earlier steps return or run with';
    return {
      ...report,
      verdict: 'depends',
      at: depends.index,
      reason: `steps[${depends.index}] ${depends.tool} is denied${when}: ${msg}${where(depends.counterexample?.decision)}`,
    };
  }
  return {
    ...report,
    verdict: 'admissible',
    reason: approvals.length ? `admissible after approvals at steps [${approvals.join(', ')}]` : 'every step is allowed',
  };
}
