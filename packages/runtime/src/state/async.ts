/**
 * The asynchronous state seam: {@link AsyncStateStore}, the shape of a store shared by several gateway
 * processes (Redis), and the batched reads and writes one decision needs from it.
 *
 * @packageDocumentation
 */
import type { ApprovalRecord } from '../decision/types.js';
import type { BudgetCharge, BudgetLimits, BudgetUsage, CallRecord, TaintValue } from './store.js';

/**
 * One read a decision needs, named by the {@link StateStore} operation it serves. `rate` counts the hits of
 * `key` in `[now - windowMs, now]`; `approvalByDigest` is the most recent record bound to `digest`.
 */
export type StateRead =
  | { type: 'history'; session: string }
  /** How many calls were ever appended to the session's history (not capped: it changes on every append). */
  | { type: 'historyCount'; session: string }
  | { type: 'rate'; key: string; now: number; windowMs: number }
  | { type: 'budget'; key: string }
  | { type: 'taint'; session: string; label: string }
  | { type: 'approval'; id: string }
  | { type: 'approvalByDigest'; digest: string }
  | { type: 'approvals' }
  | { type: 'vault'; session: string };

/** The value of a {@link StateRead}, by its `type`. */
export interface StateReadValues {
  history: readonly CallRecord[];
  historyCount: number;
  rate: number;
  budget: BudgetUsage;
  taint: readonly TaintValue[];
  approval: ApprovalRecord | undefined;
  approvalByDigest: ApprovalRecord | undefined;
  approvals: ApprovalRecord[];
  /** The session's redaction vault: `[token, original]` pairs. */
  vault: ReadonlyArray<readonly [token: string, text: string]>;
}

/** The value of one read: `StateReadValues[read.type]`. */
export type StateReadValue = StateReadValues[keyof StateReadValues];

/**
 * One write a decision made, recorded as an intent and committed after the decision. The first six are
 * *conditional* (each re-checks what the decision read, as the {@link StateStore} operation of the same
 * name does); `budgetAdd`, `recordCall` and `taintAdd` always apply.
 */
export type StateWrite =
  | { type: 'rateHit'; key: string; now: number; windowMs: number; limit: number }
  | { type: 'budgetCharge'; key: string; delta: BudgetUsage; limits: BudgetLimits }
  /** Issues a redaction token: conflicts if `token` stands for other text, or `text` already has another token of the same kind. */
  | { type: 'vaultAdd'; session: string; token: string; text: string }
  /**
   * Conflicts if a `pending`, `granted` or `rejected` record other than `supersedes` is the latest bound to
   * `record.args_digest` (see {@link StateStore.approvalCreate}).
   */
  | { type: 'approvalCreate'; record: ApprovalRecord; supersedes?: string }
  /** Conflicts unless the stored record `next.id` still has `expected`'s status and vote counts. */
  | { type: 'approvalSwap'; next: ApprovalRecord; expected: ApprovalRecord }
  /**
   * Writes nothing; conflicts if the session's history changed since the decision read it (its append
   * count is no longer `count`; a count, not the length and last call, because at the history's cap an
   * appended call identical to the last one changes neither): a sequence rule decided on a history that
   * another gateway has since appended to is decided again.
   */
  | { type: 'historyUnchanged'; session: string; count: number }
  | { type: 'budgetAdd'; key: string; delta: BudgetUsage }
  | { type: 'recordCall'; session: string; call: CallRecord; max: number }
  | { type: 'taintAdd'; session: string; label: string; values: readonly TaintValue[]; cap: number };

/** The outcome of {@link AsyncStateStore.commit}: applied, or nothing applied because write `conflict` failed its check. */
export type CommitResult = { ok: true } | { ok: false; conflict: number };

/**
 * The asynchronous mirror of {@link StateStore}: the same operations with the same atomicity, each
 * returning a Promise; a rejected Promise means the store is unavailable (the engine then fails closed).
 * Redis-backed stores implement it (`@writ/state-redis`); {@link toAsyncStore} adapts any synchronous store.
 *
 * **How the engine uses it.** The engine stays synchronous. `Policy.decideAsync` runs it against a
 * per-decision snapshot of this store: reads are served from values fetched beforehand, a read not fetched
 * yet is recorded as a miss (the misses are fetched together and the decision rerun), and writes are
 * recorded as {@link StateWrite} intents that are committed together once the decision is made. A commit
 * whose conditional write fails (another process took the last rate-limit slot, spent the budget, changed
 * the approval) changes nothing; the engine refetches and decides again. A store may implement the two
 * optional batch operations to do each step in one round trip; without them the engine issues the single
 * operations below (reads concurrently; writes in order, compensating the reservations already made when a
 * conditional write fails). Without `commit`, a decision that read a session history (a sequence rule)
 * cannot be committed atomically and fails closed ("state store unavailable"): implement `commit` for
 * policies with `called` conditions.
 */
export interface AsyncStateStore {
  // ---- batch (optional) --------------------------------------------------------------------------------

  /** All `reads` at once, ideally as one atomic snapshot; `values[i]` answers `reads[i]`. */
  load?(reads: readonly StateRead[]): Promise<StateReadValue[]>;
  /**
   * Applies all `writes` or none, atomically: every conditional write is re-checked against the current
   * state first. The engine never sends two conditional writes on the same key in one commit.
   */
  commit?(writes: readonly StateWrite[]): Promise<CommitResult>;

  // ---- the mirror of StateStore --------------------------------------------------------------------------

  history(session: string): Promise<readonly CallRecord[]>;
  /**
   * How many calls were ever appended to the session's history. Optional; a store without it is read as
   * the history's length, which misses an append at the cap (only stores without `commit`, which refuse
   * history-dependent commits anyway, should leave it out).
   */
  historyCount?(session: string): Promise<number>;
  recordCall(session: string, call: CallRecord, max: number): Promise<void>;
  rateCount(key: string, now: number, windowMs: number): Promise<number>;
  rateHit(key: string, now: number, windowMs: number, limit: number): Promise<boolean>;
  rateUndo(key: string, at: number): Promise<void>;
  budgetUse(key: string): Promise<BudgetUsage>;
  budgetCharge(key: string, delta: BudgetUsage, limits: BudgetLimits): Promise<BudgetCharge>;
  budgetAdd(key: string, delta: BudgetUsage): Promise<BudgetUsage>;
  taint(session: string, label: string): Promise<ReadonlySet<TaintValue>>;
  taintAdd(session: string, label: string, values: readonly TaintValue[], cap: number): Promise<void>;
  approvalGet(id: string): Promise<ApprovalRecord | undefined>;
  approvalFind(argsDigest: string): Promise<ApprovalRecord | undefined>;
  approvalCreate(record: ApprovalRecord, supersedes?: string): Promise<ApprovalRecord>;
  approvalSwap(next: ApprovalRecord, expected: ApprovalRecord): Promise<boolean>;
  approvalList(): Promise<ApprovalRecord[]>;

  // ---- redaction: the vault is data here, not an object --------------------------------------------------

  /** The `[token, original]` pairs of a session's vault (`""`: calls without a session). */
  vaultEntries(session: string): Promise<ReadonlyArray<readonly [token: string, text: string]>>;
  /**
   * Atomically issues `token` for `text`: stores the pair unless `token` already stands for other text or
   * `text` already has another token of the token's kind (`<KIND_n>`); true if the pair is now stored. A
   * token not of the form `<KIND_n>` (the engine issues none) is only confirmed: true if already stored.
   */
  vaultAdd(session: string, token: string, text: string): Promise<boolean>;
}
