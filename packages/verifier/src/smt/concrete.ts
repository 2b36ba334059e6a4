/**
 * Concrete cases: a request plus the state it is decided in. A model of an encoding becomes a case (a
 * counterexample); a case becomes SMT assertions that fix every symbolic value (so the SMT decision of a
 * concrete request can be compared with the runtime's); and a case's state is rebuilt in a runtime store.
 */
import {
  detect,
  MemoryStateStore,
  parseDuration,
  type ApprovalRecord,
  type Artifact,
  type Policy,
  type Request,
  type StateStore,
  type WritType,
} from '@writ/runtime';
import { RE2JS } from 're2js';
import { APPROVAL_STATUS, decimalMicros, type ToolEncoding } from './encode.js';
import { readValue, type ModelValue } from './model.js';
import { int, real, str } from './sexpr.js';
import type { VarInfo } from './vars.js';

/** The state a case is decided in; everything the symbolic state ranges over. */
export interface CaseState {
  /** Earlier allowed calls of the session, `age_ms` before now. */
  history: Array<{ tool: string; age_ms: number; args: Record<string, unknown> }>;
  /** Rate limits (by id) whose window is already full for this request's scope. */
  full_limits: string[];
  /** Usage already charged to each budget (by id) for this request's scope. */
  budgets: Record<string, { cost_micros: number; tokens: number; calls: number }>;
  /** The approval record for exactly this request. */
  approval: keyof typeof APPROVAL_STATUS;
}

export interface Case {
  request: Request;
  state: CaseState;
}

/** The session id used for counterexamples that need one. */
export const CASE_SESSION = 'session-1';

export const emptyState = (): CaseState => ({ history: [], full_limits: [], budgets: {}, approval: 'none' });

/** A model value as JSON for a request; `undefined` when it has no exact JSON number. */
function json(v: ModelValue, type: WritType | undefined): unknown {
  if (typeof v === 'bigint') return Number(v);
  if (Array.isArray(v)) return v.map((x) => json(x, type?.kind === 'list' ? type.of : undefined));
  if (typeof v === 'object' && v !== null) {
    if ('decimal' in v) return Number(v.decimal);
    return undefined;
  }
  return v;
}

/** Thrown when a model cannot be a concrete request (e.g. a Real with no finite decimal). */
export class InexactModelError extends Error {}

/**
 * Reads a model (name → SMT-LIB value text) into a concrete case.
 * @throws InexactModelError when a number has no exact JSON form
 */
export function caseFromModel(artifact: Artifact, enc: ToolEncoding, model: ReadonlyMap<string, string>): Case {
  const args: Record<string, unknown> = {};
  const present: Record<string, boolean> = {};
  const ctx: Record<string, unknown> = {};
  const ctxPresent: Record<string, boolean> = {};
  const labels: Record<string, string[]> = {};
  const roles: string[] = [];
  const hist = new Map<number, { present?: boolean; tool?: string; age_ms?: number; args: Record<string, unknown> }>();
  const state = emptyState();
  let agentId = 'agent-1';
  let tenant: string | undefined;
  let hasTenant = false;
  let hasSession = false;
  const usage: { tokens?: number; cost?: number } = {};
  const entry = (k: number) => {
    let e = hist.get(k);
    if (!e) hist.set(k, (e = { args: {} }));
    return e;
  };
  for (const v of enc.vars.vars.values()) {
    if (v.fn) continue;
    const text = model.get(v.symbol.slice(1, -1));
    if (text === undefined) continue; // unconstrained: any value; leave the default
    const val = readValue(text, v.sort);
    const o = v.origin;
    const exact = (type: WritType | undefined) => {
      const x = json(val, type);
      if (x === undefined) throw new InexactModelError(`${v.symbol} = ${text} has no exact decimal form`);
      return x;
    };
    switch (o.kind) {
      case 'arg':
        args[o.param] = exact(o.type);
        break;
      case 'has_arg':
        present[o.param] = val === true;
        break;
      case 'ctx':
        ctx[o.field] = exact(o.type);
        break;
      case 'has_ctx':
        ctxPresent[o.field] = val === true;
        break;
      case 'agent_id':
        agentId = val as string;
        break;
      case 'tenant':
        tenant = val as string;
        break;
      case 'has_tenant':
        hasTenant = val === true;
        break;
      case 'has_session':
        hasSession = val === true;
        break;
      case 'role':
        if (val === true) roles.push(o.role);
        break;
      case 'usage_tokens':
        usage.tokens = Number(val as bigint);
        break;
      case 'usage_cost_micros':
        usage.cost = Number(val as bigint) / 1_000_000;
        break;
      case 'taint':
        if (val === true) (labels[o.param] ??= []).push(o.label);
        break;
      case 'hist_present':
        entry(o.entry).present = val === true;
        break;
      case 'hist_tool':
        entry(o.entry).tool = val as string;
        break;
      case 'hist_age':
        entry(o.entry).age_ms = Number(val as bigint);
        break;
      case 'hist_arg':
        entry(o.entry).args[o.param] = exact(o.type);
        break;
      case 'limit_full':
        if (val === true) state.full_limits.push(o.id);
        break;
      case 'budget_used': {
        const b = (state.budgets[o.id] ??= { cost_micros: 0, tokens: 0, calls: 0 });
        b[o.dimension] = Number(val as bigint);
        break;
      }
      case 'approval_status':
        state.approval = (Object.keys(APPROVAL_STATUS) as Array<keyof typeof APPROVAL_STATUS>)[Number(val as bigint)] ?? 'none';
        break;
      default:
        break;
    }
  }
  const decl = artifact.tools[enc.tool]!;
  // Required parameters the model left unconstrained still need a value of their type.
  for (const p of decl.order) {
    const f = decl.params[p]!;
    if (f.optional && !present[p]) delete args[p];
    else if (!(p in args)) args[p] = defaultOf(f.type);
  }
  for (const f of Object.keys(ctx)) if (!ctxPresent[f]) delete ctx[f];
  for (const [, e] of [...hist].sort((a, b) => a[0] - b[0])) {
    if (e.present && e.tool) state.history.push({ tool: e.tool, age_ms: e.age_ms ?? 0, args: e.args });
  }
  const declared = Object.hasOwn(artifact.agents, agentId);
  const request: Request = {
    agent: { id: agentId, ...(declared ? {} : { roles }), ...(hasTenant && tenant !== undefined ? { tenant } : {}) },
    tool: enc.tool,
    args,
    context: {
      ...ctx,
      ...(hasSession ? { session: CASE_SESSION } : {}),
      ...(Object.keys(labels).length ? { labels } : {}),
      ...(usage.tokens || usage.cost ? { usage: { ...(usage.tokens ? { tokens: usage.tokens } : {}), ...(usage.cost ? { cost: usage.cost } : {}) } } : {}),
    },
  };
  if (Object.keys(request.context!).length === 0) delete request.context;
  return { request, state };
}

function defaultOf(t: WritType): unknown {
  switch (t.kind) {
    case 'string':
      return '';
    case 'enum':
      return t.values[0];
    case 'number':
    case 'money':
    case 'integer':
    case 'duration':
      return 0;
    case 'boolean':
      return false;
    case 'list':
      return [];
    default:
      return null;
  }
}

// ---- pinning ---------------------------------------------------------------------------------------------

/** An SMT literal for a concrete JSON value of a given sort. */
export function literalOf(value: unknown, sort: string): string | undefined {
  switch (sort) {
    case 'String':
      return typeof value === 'string' ? str(value) : undefined;
    case 'Bool':
      return typeof value === 'boolean' ? String(value) : undefined;
    case 'Int':
      return typeof value === 'number' && Number.isSafeInteger(value) ? int(value) : undefined;
    case 'Real':
      return typeof value === 'number' && Number.isFinite(value) ? real(decimalOf(value)) : undefined;
    default: {
      const m = /^\(Seq (.+)\)$/.exec(sort);
      if (!m || !Array.isArray(value)) return undefined;
      const items = value.map((x) => literalOf(x, m[1] as string));
      if (items.some((x) => x === undefined)) return undefined;
      if (items.length === 0) return `(as seq.empty ${sort})`;
      const units = items.map((x) => `(seq.unit ${x})`);
      return units.length === 1 ? (units[0] as string) : `(seq.++ ${units.join(' ')})`;
    }
  }
}

/** The exact decimal a JS number denotes, as the runtime reads it (its shortest round-trip form). */
export function decimalOf(n: number): string {
  const s = String(n);
  if (!/e/i.test(s)) return s;
  const [m = '0', e = '0'] = s.toLowerCase().split('e');
  const exp = Number(e);
  const neg = m.startsWith('-');
  const [i = '0', f = ''] = (neg ? m.slice(1) : m).split('.');
  const digits = i + f;
  const point = i.length + exp;
  const out =
    point <= 0 ? `0.${'0'.repeat(-point)}${digits}` : point >= digits.length ? digits + '0'.repeat(point - digits.length) : `${digits.slice(0, point)}.${digits.slice(point)}`;
  return (neg ? '-' : '') + out.replace(/^0+(?=\d)/, '');
}

/** Effective roles, as the runtime computes them. */
export function effectiveRoles(artifact: Artifact, agent: Request['agent']): string[] {
  // Own properties only, as the runtime (an agent named `constructor` is not declared).
  if (Object.hasOwn(artifact.agents, agent.id)) return (artifact.agents[agent.id] as { roles: string[] }).roles;
  return (agent.roles ?? []).filter((r) => artifact.roles.includes(r));
}

/** Options of {@link pinCase}. */
export interface PinOptions {
  /**
   * Parameters left symbolic (a plan's unknown arguments): their value is not pinned, they are present, and
   * their taint is still pinned to the labels the case's request claims for them.
   */
  free?: ReadonlySet<string>;
  /**
   * Taint flags left symbolic, keyed `label + "\u0000" + param` (taint a plan cannot know: the value may have
   * come from a labelled tool result). A key the request claims is still pinned to true.
   */
  freeTaint?: ReadonlySet<string>;
  /** History arguments left symbolic, keyed `entry + "\u0000" + param` (an earlier plan step's unknowns). */
  freeHistory?: ReadonlySet<string>;
}

/** Key of a taint flag in {@link PinOptions.freeTaint}. */
export const taintKey = (label: string, param: string): string => `${label}\u0000${param}`;
/** Key of a history argument in {@link PinOptions.freeHistory}. */
export const historyKey = (entry: number, param: string): string => `${entry}\u0000${param}`;

/**
 * Assertions fixing every constant of `enc` to the case's values, and every uninterpreted predicate
 * (detectors, untranslated patterns) on those values to what the runtime computes. The request must be
 * valid for the tool (the runtime would otherwise deny it before any rule).
 */
export function pinCase(artifact: Artifact, enc: ToolEncoding, c: Case, options: PinOptions = {}): string[] {
  const free = options.free ?? new Set<string>();
  const out: string[] = [];
  const r = c.request;
  const ctx = (r.context ?? {}) as Record<string, unknown>;
  const roles = effectiveRoles(artifact, r.agent);
  const labels = (own(ctx, 'labels') ?? {}) as Record<string, string[]>;
  const usage = (ctx['usage'] ?? {}) as { tokens?: number; cost?: number };
  const values: Array<{ term: string; value: unknown; sort: string }> = [];
  const pin = (v: VarInfo, value: unknown) => {
    const lit = literalOf(value, v.sort);
    if (lit === undefined) throw new Error(`cannot pin ${v.symbol} (${v.sort}) to ${JSON.stringify(value)}`);
    out.push(`(= ${v.symbol} ${lit})`);
    values.push({ term: v.symbol, value, sort: v.sort });
  };
  const entries = c.state.history;
  for (const v of enc.vars.vars.values()) {
    if (v.fn) continue;
    const o = v.origin;
    switch (o.kind) {
      case 'arg':
        if (!free.has(o.param) && own(r.args, o.param) !== undefined) pin(v, normalise(own(r.args, o.param), o.type));
        break;
      case 'has_arg':
        pin(v, free.has(o.param) || own(r.args, o.param) !== undefined);
        break;
      case 'ctx':
        if (own(ctx, o.field) !== undefined) pin(v, normalise(own(ctx, o.field), o.type));
        break;
      case 'has_ctx':
        pin(v, own(ctx, o.field) !== undefined);
        break;
      case 'agent_id':
        pin(v, r.agent.id);
        break;
      case 'tenant':
        if (r.agent.tenant !== undefined) pin(v, r.agent.tenant);
        break;
      case 'has_tenant':
        pin(v, r.agent.tenant !== undefined);
        break;
      case 'has_session':
        pin(v, ctx['session'] !== undefined);
        break;
      case 'role':
        pin(v, roles.includes(o.role));
        break;
      case 'usage_tokens':
        pin(v, usage.tokens ?? 0);
        break;
      case 'usage_cost_micros':
        pin(v, Math.round((usage.cost ?? 0) * 1_000_000));
        break;
      case 'taint': {
        const claims = (key: string) => (own(labels, key) as string[] | undefined)?.includes(o.label) === true;
        const claimed = claims(o.param) || claims('*');
        if (claimed || !options.freeTaint?.has(taintKey(o.label, o.param))) pin(v, claimed);
        break;
      }
      case 'hist_present':
        pin(v, o.entry < entries.length);
        break;
      case 'hist_tool':
        if (o.entry < entries.length) pin(v, entries[o.entry]!.tool);
        break;
      case 'hist_age':
        if (o.entry < entries.length) pin(v, entries[o.entry]!.age_ms);
        break;
      case 'hist_arg': {
        const e = entries[o.entry];
        if (e && own(e.args, o.param) !== undefined && !options.freeHistory?.has(historyKey(o.entry, o.param))) pin(v, normalise(own(e.args, o.param), o.type));
        break;
      }
      case 'limit_full':
        pin(v, c.state.full_limits.includes(o.id));
        break;
      case 'budget_used':
        pin(v, c.state.budgets[o.id]?.[o.dimension] ?? 0);
        break;
      case 'approval_status':
        pin(v, APPROVAL_STATUS[c.state.approval]);
        break;
      default:
        break;
    }
  }
  if (entries.length > [...enc.vars.vars.values()].filter((v) => v.origin.kind === 'hist_present').length) {
    throw new Error('the case has more history entries than the encoding models');
  }
  out.push(...uninterpretedFacts(enc, values));
  return out;
}

/** An own property (never the prototype chain), as the runtime reads request fields. */
function own(o: unknown, key: string): unknown {
  return typeof o === 'object' && o !== null && Object.hasOwn(o, key) ? (o as Record<string, unknown>)[key] : undefined;
}

/** Durations given as strings (also inside lists) are read as the runtime reads them (`parseDuration`). */
function normalise(value: unknown, type: WritType): unknown {
  if (type.kind === 'duration' && typeof value === 'string') return parseDuration(value) ?? value;
  if (type.kind === 'list' && Array.isArray(value)) return value.map((x) => normalise(x, type.of));
  return value;
}

/** For each uninterpreted predicate and each pinned value of its argument sort, what the runtime says. */
export function uninterpretedFacts(enc: ToolEncoding, values: ReadonlyArray<{ term: string; value: unknown; sort: string }>): string[] {
  const out: string[] = [];
  for (const f of enc.vars.vars.values()) {
    if (!f.fn) continue;
    const argSort = /^\((.+)\) Bool$/.exec(f.sort)?.[1];
    for (const v of values) {
      if (v.sort !== argSort) continue;
      const truth = evaluateUninterpreted(f, v.value);
      if (truth !== undefined) out.push(`(= (${f.symbol} ${v.term}) ${truth})`);
    }
  }
  return out;
}

/** The runtime's value of an uninterpreted predicate on a concrete value. */
export function evaluateUninterpreted(f: VarInfo, value: unknown): boolean | undefined {
  const o = f.origin;
  if (o.kind === 'detector') {
    return detect(o.detector as 'pii' | 'secret' | 'injection', value, [o.detectorKind]);
  }
  if (o.kind === 'matches') return typeof value === 'string' && RE2JS.compile(o.pattern).test(value);
  return undefined;
}

// ---- rebuilding state in a runtime store -----------------------------------------------------------------

/**
 * A fresh runtime store holding the case's state at time `now`, through the store's public operations and
 * the runtime's key scheme. The approval record (its requirements and `on_timeout`) is the one the runtime
 * itself would create for this request, with the case's status.
 */
export function storeFor(policy: Policy, c: Case, now: number): StateStore {
  const artifact = policy.artifact;
  const store = new MemoryStateStore();
  const r = c.request;
  const ctx = (r.context ?? {}) as Record<string, unknown>;
  const session = typeof ctx['session'] === 'string' ? (ctx['session'] as string) : undefined;
  if (session !== undefined) {
    for (const h of c.state.history) store.recordCall(session, { tool: h.tool, args: h.args, at: now - h.age_ms }, 1_000);
  }
  const scopeValue = (scope: string): string | undefined =>
    scope === 'agent' ? r.agent.id : scope === 'tenant' ? r.agent.tenant : scope === 'session' ? session : scope === 'global' ? '' : undefined;
  for (const id of c.state.full_limits) {
    const l = artifact.limits.find((x) => x.id === id);
    const sv = l && scopeValue(l.scope);
    if (!l || sv === undefined) continue;
    const key = `rate|${l.id}|${l.scope}|${sv}`;
    for (let i = 0; i < l.count; i++) store.rateHit(key, now, l.windowMs, l.count);
  }
  for (const [id, used] of Object.entries(c.state.budgets)) {
    const b = artifact.budgets.find((x) => x.id === id);
    const sv = b && scopeValue(b.scope);
    if (!b || sv === undefined) continue;
    store.budgetAdd(`budget|${b.id}|${b.scope}|${sv}`, { costMicros: used.cost_micros, tokens: used.tokens, calls: used.calls });
  }
  if (c.state.approval !== 'none') {
    const template = policy.decide(r, { state: store, now, dryRun: true }).approval;
    if (template !== undefined) {
      const record: ApprovalRecord = {
        ...template,
        status: c.state.approval === 'expired' ? 'pending' : c.state.approval,
        expires_at: new Date(c.state.approval === 'expired' ? now - 1 : now + 3_600_000).toISOString(),
        ...(c.state.approval === 'rejected'
          ? { rejections: [{ approver: 'approver-1', role: template.requirements[0]?.role ?? 'approver', time: new Date(now - 1).toISOString() }] }
          : {}),
      };
      store.approvalCreate(record);
    }
  }
  return store;
}

export { decimalMicros };
