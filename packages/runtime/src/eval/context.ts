/**
 * The evaluation context of one decision: the validated request plus a read-only view of state.
 *
 * @packageDocumentation
 */
import type { StateStore, CallRecord } from '../state/store.js';
import type { AgentPlan, ToolPlan } from '../engine/plan.js';

const NO_ROLES: readonly string[] = Object.freeze([]);

/**
 * One validated request, ready for compiled conditions. Built once per `decide`/`checkResult` call (the only
 * per-call allocation the hot path needs besides the Decision).
 */
export class EvalCtx {
  /** The called tool's precomputed plan. */
  tool: ToolPlan;
  /** Normalised args (durations in ms); only declared params. */
  args: Record<string, unknown>;
  /** The same normalised values by parameter slot (the tool's parameter order); undefined = absent. */
  vals: unknown[];
  /** The request context (normalised where a declared field is a duration), or an empty object. */
  context: Record<string, unknown>;
  agentId: string;
  tenant: string | undefined;
  /** Roles of a policy-declared agent (authoritative), or null for an undeclared agent. */
  agentRoles: ReadonlySet<string> | null;
  /** Roles the request claims (used, filtered to declared roles, only for undeclared agents). */
  claimedRoles: readonly string[] | undefined;
  /**
   * The roles to look up in the rule index: a declared agent's, else the claimed ones (possibly with
   * undeclared names or repeats, which match nothing extra).
   */
  roleList: readonly string[];
  attrs: Record<string, unknown> | undefined;
  session: string | undefined;
  labels: Record<string, string[]> | undefined;
  usageTokens: number;
  usageCost: number;
  /** The clock, or NaN until first read (then `Date.now()`): most decisions never need the time. */
  nowMs: number;
  store: StateStore;
  /** The tool result, for post rules. */
  result: unknown = undefined;
  /** Inside `called … where`: the earlier call's args. */
  prior: Record<string, unknown> | undefined = undefined;
  /** The session history, fetched on first use. */
  history: readonly CallRecord[] | undefined = undefined;

  constructor(
    tool: ToolPlan,
    args: Record<string, unknown>,
    vals: unknown[],
    context: Record<string, unknown>,
    agentId: string,
    tenant: string | undefined,
    agent: AgentPlan | undefined,
    claimedRoles: readonly string[] | undefined,
    attrs: Record<string, unknown> | undefined,
    session: string | undefined,
    labels: Record<string, string[]> | undefined,
    usageTokens: number,
    usageCost: number,
    now: number,
    store: StateStore,
  ) {
    this.tool = tool;
    this.args = args;
    this.vals = vals;
    this.context = context;
    this.agentId = agentId;
    this.tenant = tenant;
    if (agent !== undefined) {
      this.agentRoles = agent.roles;
      this.roleList = agent.roleList;
    } else {
      this.agentRoles = null;
      this.roleList = claimedRoles ?? NO_ROLES;
    }
    this.claimedRoles = claimedRoles;
    this.attrs = attrs;
    this.session = session;
    this.labels = labels;
    this.usageTokens = usageTokens;
    this.usageCost = usageCost;
    this.nowMs = now;
    this.store = store;
  }

  /** The decision's clock in epoch milliseconds: `options.now`, or `Date.now()` read once, on first use. */
  get now(): number {
    let t = this.nowMs;
    if (t !== t) t = this.nowMs = Date.now();
    return t;
  }

  /** `agent has role R`, for a role `R` the policy declares. */
  hasRole(role: string): boolean {
    if (this.agentRoles !== null) return this.agentRoles.has(role);
    return this.claimedRoles !== undefined && this.claimedRoles.includes(role);
  }

  /** The agent's effective roles (declared agent: the policy's; otherwise claimed ∩ declared roles). */
  effectiveRoles(declared: ReadonlySet<string>): string[] {
    if (this.agentRoles !== null) return [...this.agentRoles].sort();
    if (this.claimedRoles === undefined) return [];
    return [...new Set(this.claimedRoles.filter((r) => declared.has(r)))].sort();
  }

  /** The session's allowed-call history (empty without a session). */
  sessionHistory(): readonly CallRecord[] {
    if (this.history === undefined) {
      this.history = this.session === undefined ? [] : this.store.history(this.session);
    }
    return this.history;
  }
}

/** Own-property read (never the prototype chain). */
export function own(obj: unknown, key: string): unknown {
  if (typeof obj !== 'object' || obj === null) return undefined;
  if (Array.isArray(obj)) {
    const i = arrayIndex(key);
    return i === undefined ? undefined : obj[i];
  }
  return Object.hasOwn(obj, key) ? (obj as Record<string, unknown>)[key] : undefined;
}

function arrayIndex(key: string): number | undefined {
  if (key.length === 0 || key.length > 10) return undefined;
  const n = Number(key);
  return Number.isInteger(n) && n >= 0 && String(n) === key ? n : undefined;
}

/** Follows `path` from `value` through own properties and array indices; undefined if any step is absent. */
export function walk(value: unknown, path: readonly string[], from = 0): unknown {
  let v = value;
  for (let i = from; i < path.length; i++) {
    if (v === undefined) return undefined;
    v = own(v, path[i] as string);
  }
  return v;
}
