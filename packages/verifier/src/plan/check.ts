/**
 * Checks a plan step by step, before any step runs, with the session's state carried from one step to the
 * next in a runtime `MemoryStateStore` (the same store, keys and operations a gateway uses).
 *
 * - A step whose arguments are all concrete is decided by @writ/runtime itself: exact, and it updates the
 *   store as it would at run time (history for `called`, rate-limit hits, budget charges, taint).
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
 *   so `deny flow L -> tool.param` applies to it in both back ends.
 *
 * What a step leaves for the later ones (the plan's verdict is about whether the plan *as written* can run):
 * - allowed: it ran (the runtime recorded it);
 * - pending_approval: the approval is assumed granted, then it ran (the runtime recorded the granted call);
 * - depends, or allow / pending_approval with unknowns: it is assumed to run with values the policy allows
 *   (a witness from Z3, preferring values that need no approval, run through the runtime — approved first
 *   if they need it), so later steps see it in the history, the rate-limit windows and the budgets. History
 *   entries carry the witness's values: a later `called … where prior.x` on an unknown sees that one value,
 *   not every value (StepReport.witness shows it);
 * - deny (for every value) or unknown: it does not run and leaves no state.
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
import { caseFromModel, InexactModelError, literalOf, pinCase, uninterpretedFacts, type Case, type CaseState } from '../smt/concrete.js';
import { findCounterexample, WITNESSES } from '../smt/counterexample.js';
import { encodeTool, type ToolEncoding } from '../smt/encode.js';
import { script } from '../smt/script.js';
import { check, QuerySession, type QueryResult } from '../smt/solver.js';
import type { Plan, PlanReport, PlanStats, PlanStep, StepAssumption, StepReport } from './types.js';

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

class PlanChecker {
  readonly store: StateStore = new MemoryStateStore();
  readonly artifact: Artifact;
  readonly internalErrors: string[] = [];
  readonly stats: PlanStats = { solverQueries: 0, solverMs: 0, verdictMs: 0, counterexampleMs: 0, witnessMs: 0 };
  /** What each step checked so far leaves. */
  readonly leaves: StepAssumption[] = [];
  /** Requests of the steps that ran, in order (approved first where they asked). */
  private readonly executed: Request[] = [];
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
  run(request: Request, store: StateStore = this.store): { first: Decision; final: Decision } {
    const first = this.decide(request, false, store);
    let final = first;
    if (first.effect === 'pending_approval' && first.approval) {
      this.grant(first.approval, store);
      final = this.decide(request, false, store);
    }
    if (store === this.store && final.effect === 'allow') this.executed.push(request);
    return { first, final };
  }

  /**
   * Decides `request` (approving it if it asks) after replaying, on a fresh store, the plan's initial state
   * and every step that ran so far: an independent check of a counterexample, which writes nothing to the
   * plan's own store.
   */
  replay(request: Request): { first: Decision; final: Decision } {
    const store = new MemoryStateStore();
    this.seed(store);
    for (const r of this.executed) this.run(r, store);
    return this.run(request, store);
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
      const { first, final } = this.run(this.request(step));
      if (first.effect === 'pending_approval' && final.effect === 'allow') return { ...base, verdict: 'pending_approval', method: 'runtime', decision: first, leaves: 'ran_after_approval' };
      if (first.effect === 'pending_approval') {
        return { ...base, verdict: 'deny', method: 'runtime', decision: final, leaves: 'not_run', notes: [...notes, 'denied after its approval was granted'] };
      }
      return { ...base, verdict: first.effect, method: 'runtime', decision: first, leaves: first.effect === 'allow' ? 'ran' : 'not_run' };
    }
    return this.symbolic(index, step, base);
  }

  private async symbolic(index: number, step: PlanStep, base: Omit<StepReport, 'verdict' | 'method' | 'leaves'>): Promise<StepReport> {
    const historySize = this.store.history(this.session).length;
    const enc = encodeTool(this.artifact, step.tool, { minHistory: historySize });
    const c: Case = { request: this.request(step), state: this.caseState(enc, step.tool) };
    const free = new Set(base.unknowns);
    const pins = pinCase(this.artifact, enc, c, { free });
    const notes = [...base.notes, ...enc.notes];
    const session = await this.timed('verdictMs', () => QuerySession.open(script([enc], pins), this.timeoutMs));
    const ask = async (what: string, asserts: string[], model = false) => {
      const r = await this.timed('verdictMs', () => this.query(() => session.check(asserts, { model })));
      if (r.status === 'unknown') throw new Unanswered(what, r.reason);
      return r;
    };
    try {
      let deny: QueryResult;
      let allow: QueryResult;
      let needs = false;
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
      } catch (e) {
        if (!(e instanceof Unanswered)) throw e;
        return { ...base, notes, verdict: 'unknown', method: 'smt', leaves: 'not_run', reason: `the solver gave no answer to "${e.question}" (${e.why ?? 'unknown'})` };
      }
      const canDeny = deny.status === 'sat';
      const model = deny.model;
      if (allow.status !== 'sat') {
        // Denied for every value (even with its approvals granted): an example of the denial, for its reason.
        const cex = await this.counterexample(session, enc, pins, step, free, index, notes, model);
        return { ...base, notes, verdict: 'deny', method: 'smt', leaves: 'not_run', ...(cex ? { decision: cex.decision } : {}) };
      }
      const cex = canDeny ? await this.counterexample(session, enc, pins, step, free, index, notes, model) : undefined;
      const ran = await this.timed('witnessMs', () => this.runWitness(enc, pins, step, free, index, allow));
      const verdict = canDeny ? 'depends' : needs ? 'pending_approval' : 'allow';
      return {
        ...base,
        notes,
        verdict,
        method: 'smt',
        leaves: ran ? (ran.first.effect === 'pending_approval' ? 'ran_after_approval' : 'ran') : 'not_run',
        ...(ran ? { witness: ran.args } : {}),
        ...(cex ? { counterexample: cex, decision: cex.decision } : ran ? { decision: ran.first } : {}),
      };
    } finally {
      session.close();
    }
  }

  /**
   * Values of the unknowns that the encoding denies, exactly: candidates are a model of `deny` with readable
   * values (whole cents, short printable strings), then that model with a detector witness string in one
   * unknown string (kept when the runtime denies it: detectors are uninterpreted in SMT, so a model's
   * strings rarely trigger them). A candidate is kept when, its values pinned with the runtime's detector
   * verdicts on them, the encoding has no model of `not deny` (a fresh solver: Z3's incremental string
   * solver is far slower on long literals). Undefined when none is found, for the full search.
   */
  private async quickDenial(
    session: QuerySession,
    enc: ToolEncoding,
    pins: string[],
    step: PlanStep,
    free: Set<string>,
    denial: ReadonlyMap<string, string> | undefined,
  ): Promise<Record<string, unknown> | undefined> {
    const vars = [...enc.vars.vars.values()].filter((v) => !v.fn && v.origin.kind === 'arg' && free.has(v.origin.param));
    let model: Record<string, unknown> | undefined;
    const models = denial ? [denial] : [];
    if (!denial) {
      const m = await this.query(() => session.check([enc.effect.deny]));
      if (m.model) models.push(m.model);
    }
    for (const m of models) {
      try {
        model = pick(caseFromModel(this.artifact, enc, m).request.args, free);
      } catch (e) {
        if (!(e instanceof InexactModelError)) throw e;
      }
    }
    if (!model) return undefined;
    const candidates = [model];
    for (const v of vars.filter((x) => x.sort === 'String')) {
      const param = (v.origin as { param: string }).param;
      for (const w of WITNESSES) {
        const args = { ...model, [param]: w };
        if (this.decide(this.request(step, args), true).effect === 'deny') candidates.push(args);
      }
    }
    for (const args of candidates.slice(0, 8)) {
      const values: Array<{ term: string; value: unknown; sort: string }> = [];
      const valuePins: string[] = [];
      for (const v of vars) {
        const value = args[(v.origin as { param: string }).param];
        const lit = literalOf(value, v.sort);
        if (lit === undefined) return undefined;
        valuePins.push(`(= ${v.symbol} ${lit})`);
        values.push({ term: v.symbol, value, sort: v.sort });
      }
      valuePins.push(...uninterpretedFacts(enc, values));
      // Without strings the step's own session answers fast; with them, a fresh solver does.
      const exact = vars.some((v) => v.sort === 'String')
        ? await this.query(() => check(script([enc], [...pins, ...valuePins, `(not ${enc.effect.deny})`]), this.timeoutMs))
        : await this.query(() => session.check([...valuePins, `(not ${enc.effect.deny})`], { model: false }));
      if (exact.status === 'unsat') return args;
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
  ) {
    const quick = await this.timed('counterexampleMs', () => this.quickDenial(session, enc, pins, step, free, denial));
    if (quick) return this.confirm(quick, true, true, step, index);
    const found = await this.timed('counterexampleMs', () => findCounterexample(this.policy, enc, [...pins, enc.effect.deny], this.timeoutMs));
    if (!found) {
      this.internalErrors.push(`steps[${index}]: the solver found a denial but no concrete counterexample for it`);
      return undefined;
    }
    if (!found.confirmed) {
      // Detectors are uninterpreted: the solver assumed a detector fires on some value, and no concrete string
      // that does was found. The denial stays possible; this particular value does not show it.
      notes.push(`unconfirmed counterexample: no concrete value was found for the detector behaviour the solver assumed`);
    }
    return this.confirm(pick(found.case.request.args, free), found.agrees, found.confirmed, step, index);
  }

  /** Replays a counterexample through the runtime; the runtime must deny it too. */
  private confirm(args: Record<string, unknown>, smtAgrees: boolean, confirmed: boolean, step: PlanStep, index: number) {
    const { final: decision } = this.replay(this.request(step, args));
    const agrees = smtAgrees && decision.effect === 'deny';
    if (confirmed && !agrees) {
      this.internalErrors.push(
        `steps[${index}]: the SMT encoding denies ${JSON.stringify(args)} but the runtime decides ${decision.effect} (${smtAgrees ? "after the plan's earlier steps" : 'in the counterexample state'})`,
      );
    }
    return { args, decision, agrees, confirmed };
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
      const r = this.run(request);
      if (r.final.effect === 'allow') return { ...r, args };
    }
    this.internalErrors.push(`steps[${index}]: the SMT encoding lets the step run but no values were found that the runtime allows`);
    return undefined;
  }
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
    return {
      ...report,
      verdict: 'depends',
      at: depends.index,
      reason: `steps[${depends.index}] ${depends.tool} is denied for some values of ${depends.unknowns.join(', ')}: ${msg}${where(depends.counterexample?.decision)}`,
    };
  }
  return {
    ...report,
    verdict: 'admissible',
    reason: approvals.length ? `admissible after approvals at steps [${approvals.join(', ')}]` : 'every step is allowed',
  };
}
