/**
 * `decide`: validation, kill switch, deny rules, flows, approve and allow rules, approvals, limits, budgets,
 * then the allowed call's bookkeeping. SEMANTICS.md §5 is the specification; this file is its order.
 *
 * @packageDocumentation
 */
import type { ApprovalRecord, Decision, Obligation, Reason } from '../decision/types.js';
import { MemoryTokenVault, redactValue } from '../detectors/index.js';
import type { EvalCtx } from '../eval/context.js';
import type { StateStore } from '../state/store.js';
import { resolveApproval, type Requirement } from './approvals.js';
import { reserveBudgets, undoBudgets, type BudgetCharges } from './budgets.js';
import type { KillSwitch } from './killswitch.js';
import { reserveLimits, undoLimits, type LimitHits } from './limits.js';
import { HAS_FLOWS, HAS_LIMITS, HAS_PRE, rulesOf, type CompiledPolicy, type FlowPlan, type ToolPlan } from './plan.js';
import { RULE_APPROVAL, RULE_DEFAULT_DENY, RULE_INTERNAL, RULE_INVALID, compareReasons, makeReason, pushReason, sortReasons } from './reasons.js';
import { candidatesOf, findAll, firstIn, release } from './ruleindex.js';
import { flowLabeled, recordContextTaint } from './taint.js';
import { validateRequest } from './validate.js';

/** Options of {@link Policy.decide}. */
export interface DecideOptions {
  /** Where state lives; default: the policy's own {@link MemoryStateStore}. */
  state?: StateStore;
  /** The clock, in epoch milliseconds; default `Date.now()`. */
  now?: number;
  /** Decide without writing any state (no history, rate hits, budget spend, approval records, vault tokens). */
  dryRun?: boolean;
}

/** `Decision.policy`: shared and frozen. */
export type PolicyMeta = Decision['policy'];

/** What the engine needs from a Policy. */
export interface Engine {
  compiled: CompiledPolicy;
  killSwitch: KillSwitch;
  meta: PolicyMeta;
  store: StateStore;
}

/** Most calls kept per session history. */
export const HISTORY_MAX = 1000;

function describeError(err: unknown): string {
  try {
    if (err instanceof Error) return err.message;
    return String(err);
  } catch {
    return 'unknown error';
  }
}

/** The fail-closed answer to an internal exception. */
export function internalErrorDecision(meta: PolicyMeta, err: unknown): Decision {
  return {
    effect: 'deny',
    denial: 'invalid_request',
    reasons: [makeReason(RULE_INTERNAL, 'invalid', `internal error: ${describeError(err)}`)],
    obligations: [],
    policy: meta,
  };
}

/** The answer to an invalid request. */
export function invalidDecision(meta: PolicyMeta, message: string): Decision {
  return {
    effect: 'deny',
    denial: 'invalid_request',
    reasons: [makeReason(RULE_INVALID, 'invalid', message)],
    obligations: [],
    policy: meta,
  };
}

/** The reason id of a decision the state store could not serve ({@link STATE_UNAVAILABLE}). */
export const RULE_STATE = 'writ:state-store';
/** The message of a stateful decision denied because the shared state store failed (fail closed). */
export const STATE_UNAVAILABLE = 'state store unavailable';
/** The message of a stateful decision denied because it lost every commit to concurrent decisions. */
export const STATE_BUSY = 'state store busy: the decision kept conflicting with concurrent decisions';

/**
 * The fail-closed answer when the state store cannot serve a decision: a `forbidden` deny whose one reason
 * is `{ rule: "writ:state-store", kind: "state", message }` (the stateful controls are out of service).
 */
export function stateDeniedDecision(meta: PolicyMeta, message: string): Decision {
  return { effect: 'deny', denial: 'forbidden', reasons: [makeReason(RULE_STATE, 'state', message)], obligations: [], policy: meta };
}

function forbidden(meta: PolicyMeta, reasons: Reason[], approval?: ApprovalRecord): Decision {
  const d: Decision = { effect: 'deny', denial: 'forbidden', reasons, obligations: [], policy: meta };
  if (approval !== undefined) d.approval = approval;
  return d;
}

/**
 * Reads `now` and `dryRun` from options, failing (closed) on nonsense. With `lazyNow`, an absent `now` is
 * NaN: the evaluation context reads the clock only if the decision needs the time.
 */
export function readOptions(options: unknown, fallback: StateStore, lazyNow = false): { now: number; dryRun: boolean; store: StateStore } {
  if (options === undefined || options === null) return { now: lazyNow ? NaN : Date.now(), dryRun: false, store: fallback };
  if (typeof options !== 'object') throw new TypeError('options must be an object');
  const o = options as DecideOptions;
  let now = o.now;
  if (now === undefined || now === null) now = lazyNow ? NaN : Date.now();
  else if (typeof now !== 'number' || !Number.isFinite(now)) throw new TypeError('options.now must be a finite number of epoch milliseconds');
  return { now, dryRun: o.dryRun === true, store: o.state ?? fallback };
}

/** Decides one request. Never throws: an internal exception becomes an `invalid_request` deny. */
export function decide(e: Engine, request: unknown, options?: DecideOptions): Decision {
  try {
    return decideUnsafe(e, request, options);
  } catch (err) {
    return internalErrorDecision(e.meta, err);
  }
}

/** The default deny's reason names the agent: cached per tool for agents seen before (bounded). */
function defaultDeny(tool: ToolPlan, agentId: string): Reason {
  const cache = tool.defaultDeny;
  let r = cache.get(agentId);
  if (r === undefined) {
    r = makeReason(RULE_DEFAULT_DENY, 'default', `no rule allows '${tool.name}' for agent '${agentId}'`);
    if (agentId.length <= 256) {
      if (cache.size >= DEFAULT_DENY_CACHE) cache.clear();
      cache.set(agentId, r);
    }
  }
  return r;
}

const DEFAULT_DENY_CACHE = 1024;
const NO_FLOWS: readonly FlowPlan[] = [];

function decideUnsafe(e: Engine, request: unknown, options: DecideOptions | undefined): Decision {
  const { now, dryRun, store } = readOptions(options, e.store, true);
  const p = e.compiled;
  const meta = e.meta;
  const c = validateRequest(p, request, now, store);
  if (typeof c === 'string') return invalidDecision(meta, c);
  const tool = c.tool;

  // a. kill switch
  const off = e.killSwitch.check(tool);
  if (off !== null) return forbidden(meta, [off]);

  // b. deny rules (errored deny rules match): the first in span order decides. The index computes the
  // request's candidate deny and allow rules at once.
  const indexed = rulesOf(tool);
  const ix = indexed.rules;
  const denyEnd = indexed.denyEnd;
  const cand = candidatesOf(ix, c);
  let denied = firstIn(ix, cand, c, 0, denyEnd, true);

  // c. flows, in span order; a denying flow before the deny rule found (if any) decides instead
  let requirements: Requirement[] | undefined;
  let approvalReasons: Reason[] | undefined;
  const flows = (tool.extras & HAS_FLOWS) === 0 ? NO_FLOWS : tool.flows;
  for (let i = 0; i < flows.length; i++) {
    const f = flows[i]!;
    if (denied !== null) {
      // Only a denying flow placed before the deny rule can change the reason; approvals do not matter.
      if (f.approval !== undefined) continue;
      if (compareReasons(f.reason, denied) >= 0) break;
    }
    if (!flowLabeled(f, c)) continue;
    if (f.approval === undefined) {
      denied = f.reason;
      break;
    }
    (requirements ??= []).push({ rule: f.id, spec: f.approval });
    pushReason((approvalReasons ??= []), f.reason);
  }
  if (denied !== null) {
    release(ix, cand);
    return forbidden(meta, [denied]);
  }

  // d. approve rules (every match is a requirement), then allow rules (the first match in span order)
  let mixed = approvalReasons !== undefined;
  // A flow's `unless approved` adds a requirement but permits nothing: only approve and allow rules do.
  let approveMatched = false;
  if (indexed.approve.size > 0) {
    findAll(indexed.approve, c, (rule, r) => {
      approveMatched = true;
      (requirements ??= []).push({ rule: rule.id, spec: rule.approval! });
      pushReason((approvalReasons ??= []), r);
    });
  }
  // An approve rule's reasons replace the allow rule's, so with one matched the allow rules are not needed.
  const allowed = approveMatched ? null : firstIn(ix, cand, c, denyEnd, ix.size, false);
  release(ix, cand);
  if (!approveMatched && allowed === null) {
    return { effect: 'deny', denial: 'not_permitted', reasons: [defaultDeny(tool, c.agentId)], obligations: [], policy: meta };
  }

  // e. approvals
  let reasons: Reason[];
  let record: ApprovalRecord | undefined;
  let markUsed = false;
  if (requirements !== undefined) {
    let waiting = approvalReasons!;
    if (mixed && waiting.length > 1) waiting = sortReasons(waiting);
    mixed = false;
    const outcome = resolveApproval(requirements, c, dryRun);
    switch (outcome.kind) {
      case 'pending':
        return { effect: 'pending_approval', reasons: waiting, obligations: [], approval: outcome.record, policy: meta };
      case 'deny':
        return forbidden(meta, [outcome.reason], outcome.record);
      case 'granted':
        reasons = approveMatched ? waiting : [allowed!];
        record = outcome.record;
        markUsed = true;
        break;
      case 'timeout_allow':
        reasons = [...waiting, outcome.reason];
        record = outcome.record;
        break;
    }
  } else {
    reasons = [allowed!];
  }

  // f, g. limits and budgets: reserve, compensating on a later denial
  const obligations: Obligation[] = [];
  let hits: LimitHits | undefined;
  let charged: BudgetCharges | undefined;
  if ((tool.extras & HAS_LIMITS) !== 0) {
    hits = [];
    const r = reserveLimits(tool.limits, c, dryRun, hits);
    if (r !== undefined) return forbidden(meta, [r]);
  }
  if (p.budgets.length > 0) {
    charged = [];
    const r = reserveBudgets(p.budgets, c, dryRun, charged, obligations);
    if (r !== undefined) {
      if (hits !== undefined) undoLimits(c, hits);
      if (r.rule === RULE_INVALID) return invalidDecision(meta, r.message);
      return forbidden(meta, [r]);
    }
  }
  // e (end). One approval = one call.
  if (markUsed && record !== undefined && !dryRun) {
    const used: ApprovalRecord = { ...record, status: 'used' };
    if (!store.approvalSwap(used, record)) {
      if (hits !== undefined) undoLimits(c, hits);
      if (charged !== undefined) undoBudgets(c, charged);
      return forbidden(meta, [makeReason(RULE_APPROVAL, 'approval', `approval ${record.id} was already used`)], record);
    }
    record = used;
  }

  // h. the call is allowed: bookkeeping
  if (!dryRun && c.session !== undefined) {
    if (p.usesHistory) store.recordCall(c.session, { tool: tool.name, args: copyJson(c.args), at: c.now }, HISTORY_MAX);
    if (p.contextTaint.length > 0) recordContextTaint(p, c);
  }
  if ((tool.extras & HAS_PRE) !== 0) preRedact(c, dryRun, obligations);

  const d: Decision = { effect: 'allow', reasons, obligations, policy: meta };
  if (record !== undefined) d.approval = record;
  return d;
}

/** Applies `pre` redactions in span order onto one copy of the args; one obligation per rule that found something. */
function preRedact(c: EvalCtx, dryRun: boolean, obligations: Obligation[]): void {
  const vault = dryRun ? new MemoryTokenVault() : c.store.vault(c.session ?? '');
  let args: unknown = c.args;
  for (const pre of c.tool.pre) {
    const { value, tokens } = redactValue(args, pre.detector, pre.kinds, vault);
    if (tokens.length === 0) continue;
    args = value;
    obligations.push({ type: 'redact', target: 'args', rule: pre.id, value, tokens });
  }
}

/** A deep copy of JSON-like data (so later mutation by the caller cannot rewrite history). */
export function copyJson<T>(v: T): T {
  if (typeof v !== 'object' || v === null) return v;
  if (Array.isArray(v)) return v.map(copyJson) as T;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(v)) {
    const x = (v as Record<string, unknown>)[k];
    if (k === '__proto__') Object.defineProperty(out, k, { value: copyJson(x), writable: true, enumerable: true, configurable: true });
    else out[k] = copyJson(x);
  }
  return out as T;
}
