/**
 * The state seam: everything a decision reads or writes beyond the request goes through a {@link StateStore}.
 *
 * @packageDocumentation
 */
import type { ApprovalRecord } from '../decision/types.js';
import type { TokenVault } from '../detectors/index.js';
import type { AsyncStateStore } from './async.js';
import type { SnapshotStore } from './snapshot.js';

/** One allowed call in a session's history (sequences: `called …`). */
export interface CallRecord {
  tool: string;
  /** The call's normalised args (durations in ms). */
  args: Record<string, unknown>;
  /** Epoch milliseconds of the decision that allowed it. */
  at: number;
}

/** Budget usage per key. Money is integer micro-units (millionths of the currency unit). */
export interface BudgetUsage {
  calls: number;
  tokens: number;
  costMicros: number;
}

/** Budget limits per dimension; an absent dimension is unlimited. */
export interface BudgetLimits {
  calls?: number;
  tokens?: number;
  costMicros?: number;
}

/** The outcome of {@link StateStore.budgetCharge}. */
export interface BudgetCharge {
  /** True if the delta fitted every limit and was added. */
  ok: boolean;
  /** Usage before the charge. */
  before: BudgetUsage;
}

/** A scalar recorded in a taint set. */
export type TaintValue = string | number;

/**
 * Where the engine keeps state: session histories, rate-limit logs, budget usage, taint sets, approval
 * records and redaction vaults.
 *
 * **This is the seam for a shared store.** {@link MemoryStateStore} is the embedded default (one process);
 * a store shared by several gateway processes (Redis) implements the same operations, each of which is
 * designed to be *one atomic operation* on the shared store (a single command or a short server-side
 * script): the engine never needs a lock spanning two calls. The engine reads and writes this synchronous
 * interface; a store reached over the network implements {@link AsyncStateStore}, its asynchronous mirror,
 * and `Policy.decideAsync` runs the engine on a per-decision snapshot of it ({@link SnapshotStore}).
 *
 * Keys are opaque strings built by the engine (`rate|<limit id>|<scope>|<value>`,
 * `budget|<budget id>|<scope>|<value>`); sessions are the request's `context.session`. Writes that belong
 * to one decision are done *reserve, then compensate*: the engine reserves each rate-limit hit and each
 * budget charge with an atomic check-and-add, and if a later check of the same decision denies, it undoes
 * the reservations it made ({@link rateUndo}, {@link budgetAdd} with a negative delta). Another process may
 * briefly see the reservation, never an over-spend.
 */
export interface StateStore {
  // ---- sequences --------------------------------------------------------------------------------------

  /** The session's allowed calls, oldest first (at most the last `max` recorded). */
  history(session: string): readonly CallRecord[];
  /**
   * How many calls were ever appended to the session's history (every {@link recordCall} adds one, the cap
   * does not). Optional: without it a wrapped store's history checks compare the length, which misses an
   * append at the cap that repeats the last call.
   */
  historyCount?(session: string): number;
  /** Appends an allowed call to the session's history, keeping only the last `max` entries. */
  recordCall(session: string, call: CallRecord, max: number): void;

  // ---- rate limits: sliding-window logs ------------------------------------------------------------

  /** How many hits `key` has in the window `[now - windowMs, now]` (read-only; used by dry runs). */
  rateCount(key: string, now: number, windowMs: number): number;
  /**
   * Atomic check-and-add: if `key` has fewer than `limit` hits in `[now - windowMs, now]`, records a hit
   * at `now` and returns true; otherwise records nothing and returns false. Hits older than the window may
   * be dropped.
   */
  rateHit(key: string, now: number, windowMs: number, limit: number): boolean;
  /** Removes one hit recorded at `at` (compensates a {@link rateHit} of a decision that was then denied). */
  rateUndo(key: string, at: number): void;

  // ---- budgets ----------------------------------------------------------------------------------------

  /** Current usage of `key` (zeros if never charged). */
  budgetUse(key: string): BudgetUsage;
  /**
   * Atomic check-and-add: if `usage + delta` stays within `limits` on every limited dimension, adds `delta`
   * and returns `{ ok: true, before }`; otherwise changes nothing and returns `{ ok: false, before }`.
   */
  budgetCharge(key: string, delta: BudgetUsage, limits: BudgetLimits): BudgetCharge;
  /** Unconditionally adds `delta` (negative to compensate a charge); returns the new usage. */
  budgetAdd(key: string, delta: BudgetUsage): BudgetUsage;

  // ---- taint ------------------------------------------------------------------------------------------

  /** The values recorded for `label` in `session`. */
  taint(session: string, label: string): ReadonlySet<TaintValue>;
  /** Adds values to the session's set for `label`, keeping at most `cap` values (the oldest are dropped). */
  taintAdd(session: string, label: string, values: readonly TaintValue[], cap: number): void;

  // ---- approvals --------------------------------------------------------------------------------------

  /** The approval record with this id. */
  approvalGet(id: string): ApprovalRecord | undefined;
  /** The most recently created approval record bound to this `args_digest`. */
  approvalFind(argsDigest: string): ApprovalRecord | undefined;
  /**
   * Atomic create-if-absent: if the latest record for `record.args_digest` is `pending`, `granted` or
   * `rejected` and is not the record `supersedes` names, returns it unchanged; otherwise stores `record`
   * (as the digest's latest) and returns it. (Two gateways deciding the same call at once end up waiting
   * on one approval.) `supersedes` is the id of a live record the engine found whose requirements do not
   * cover the call's current ones (a policy or context change asks for more): it no longer blocks.
   */
  approvalCreate(record: ApprovalRecord, supersedes?: string): ApprovalRecord;
  /**
   * Atomic compare-and-set: replaces the stored record `next.id` with `next` if the stored one still has
   * `expected`'s status and the same numbers of approvals and rejections; returns whether it did.
   */
  approvalSwap(next: ApprovalRecord, expected: ApprovalRecord): boolean;
  /** Every approval record, oldest first. */
  approvalList(): ApprovalRecord[];

  // ---- redaction --------------------------------------------------------------------------------------

  /** The token vault of a session (`""` for calls without a session): redaction tokens and their originals. */
  vault(session: string): TokenVault;
}
