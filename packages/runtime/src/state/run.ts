/**
 * Running the synchronous engine against an {@link AsyncStateStore}: fetch what a decision reads, decide on
 * a snapshot, commit what it wrote; redo on a miss or a conflict.
 *
 * @packageDocumentation
 */
import type { AsyncStateStore, CommitResult, StateRead, StateReadValue, StateWrite } from './async.js';
import { SnapshotStore, readId, type SnapshotCache } from './snapshot.js';
import type { BudgetUsage } from './store.js';

/** Limits of {@link runOnSnapshot}. */
export interface SnapshotRunOptions {
  /** Most fetch rounds for reads discovered while deciding (each rerun may reach new reads). Default 16. */
  maxFetches?: number;
  /**
   * Most commits that lose to a concurrent decision before giving up. Default 16. From the second conflict
   * on, the decision first pauses a random time below 2^(k−2) ms (at most 64 ms).
   */
  maxConflicts?: number;
}

/** The outcome of {@link runOnSnapshot}. */
export type SnapshotRun<T> =
  | { kind: 'done'; value: T; attempts: number }
  /** The store rejected a fetch or a commit (down, timed out): nothing or everything of this run was applied. */
  | { kind: 'unavailable'; error: unknown }
  /** Every commit conflicted with a concurrent decision, `maxConflicts` times; nothing was applied. */
  | { kind: 'busy'; conflicts: number };

/**
 * Runs `run` (a synchronous decision) against snapshots of `store` until it needs no unfetched value, then
 * commits its writes. A run that reads nothing from the store and writes nothing finishes without touching
 * the store (so stateless decisions work while the store is down). On a conflict, every value read so far
 * is fetched again and the decision is rerun. `run` must be deterministic given the store's values (fix
 * the clock outside); it may be called several times, and only the last run's writes are committed.
 */
export async function runOnSnapshot<T>(
  store: AsyncStateStore,
  run: (snapshot: SnapshotStore) => T,
  options?: SnapshotRunOptions,
): Promise<SnapshotRun<T>> {
  const maxFetches = options?.maxFetches ?? 16;
  const maxConflicts = options?.maxConflicts ?? 16;
  const cache: SnapshotCache = new Map();
  let fetches = 0;
  let conflicts = 0;
  for (let attempt = 1; ; attempt++) {
    const snap = new SnapshotStore(cache);
    const value = run(snap);
    if (snap.misses.size > 0) {
      if (++fetches > maxFetches) return { kind: 'unavailable', error: new Error(`a decision needed more than ${maxFetches} fetch rounds`) };
      try {
        await fetchInto(store, [...snap.misses.values()], cache);
      } catch (error) {
        return { kind: 'unavailable', error };
      }
      continue;
    }
    const writes = snap.commitWrites();
    if (writes.length === 0) return { kind: 'done', value, attempts: attempt };
    let result: CommitResult;
    try {
      result = await commitWrites(store, writes);
    } catch (error) {
      return { kind: 'unavailable', error };
    }
    if (result.ok) return { kind: 'done', value, attempts: attempt };
    if (++conflicts > maxConflicts) return { kind: 'busy', conflicts };
    // Decisions that keep colliding (parallel calls in one session appending to its history) take turns:
    // a random pause that doubles with each conflict (full jitter), from the second one on.
    if (conflicts > 1) await pause(Math.random() * Math.min(MAX_BACKOFF_MS, 2 ** (conflicts - 2)));
    const reads = [...cache.values()].map((e) => e.read);
    cache.clear();
    try {
      await fetchInto(store, reads, cache);
    } catch (error) {
      return { kind: 'unavailable', error };
    }
  }
}

/** Longest pause between two attempts of one decision, in ms. */
const MAX_BACKOFF_MS = 64;

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function fetchInto(store: AsyncStateStore, reads: StateRead[], cache: SnapshotCache): Promise<void> {
  const values = await loadReads(store, reads);
  if (values.length !== reads.length) throw new Error(`state store answered ${values.length} of ${reads.length} reads`);
  for (let i = 0; i < reads.length; i++) cache.set(readId(reads[i]!), { read: reads[i]!, value: values[i] });
}

/** Fetches `reads`: in one batch if the store has `load`, else one operation each, concurrently. */
export function loadReads(store: AsyncStateStore, reads: readonly StateRead[]): Promise<StateReadValue[]> {
  if (store.load !== undefined) return store.load(reads);
  return Promise.all(reads.map((r) => loadOne(store, r)));
}

async function loadOne(store: AsyncStateStore, r: StateRead): Promise<StateReadValue> {
  switch (r.type) {
    case 'history':
      return store.history(r.session);
    case 'historyCount':
      return store.historyCount !== undefined ? store.historyCount(r.session) : (await store.history(r.session)).length;
    case 'rate':
      return store.rateCount(r.key, r.now, r.windowMs);
    case 'budget':
      return store.budgetUse(r.key);
    case 'taint':
      return [...(await store.taint(r.session, r.label))];
    case 'approval':
      return store.approvalGet(r.id);
    case 'approvalByDigest':
      return store.approvalFind(r.digest);
    case 'approvals':
      return store.approvalList();
    case 'vault':
      return store.vaultEntries(r.session);
  }
}

/** Order of the conditional writes in a commit without `commit`: those that can be compensated first. */
const CONDITIONAL_ORDER: Partial<Record<StateWrite['type'], number>> = {
  rateHit: 0,
  budgetCharge: 1,
  vaultAdd: 2,
  approvalCreate: 3,
  approvalSwap: 3,
};

function negate(d: BudgetUsage): BudgetUsage {
  return { calls: -d.calls, tokens: -d.tokens, costMicros: -d.costMicros };
}

/**
 * Commits `writes`: with the store's `commit` if it has one (all or none); otherwise one operation each,
 * conditional writes first (rate hits, budget charges, vault tokens, then the approval write, of which a
 * decision makes at most one), undoing the rate hits and budget charges already made if a later conditional
 * write fails. A vault token issued before a failed approval write stays (it maps a value, it grants nothing).
 *
 * @throws rejects (the decision then fails closed: "state store unavailable") when the store has no
 *   `commit` and the writes depend on a session history (`historyUnchanged`): single operations cannot
 *   check a history and append to it atomically, so two parallel calls could each pass a sequence rule
 *   that the other's call should have denied.
 */
export async function commitWrites(store: AsyncStateStore, writes: readonly StateWrite[]): Promise<CommitResult> {
  if (store.commit !== undefined) return store.commit(writes);
  if (writes.some((w) => w.type === 'historyUnchanged')) {
    throw new Error('this state store has no atomic commit(), which a decision that read a session history (a sequence rule) needs');
  }
  const order = writes.map((w, i) => i);
  const rank = (i: number) => CONDITIONAL_ORDER[writes[i]!.type] ?? 9;
  order.sort((a, b) => rank(a) - rank(b) || a - b);
  const undo: Array<() => Promise<unknown>> = [];
  for (const i of order) {
    const w = writes[i]!;
    let ok = true;
    switch (w.type) {
      case 'rateHit':
        ok = await store.rateHit(w.key, w.now, w.windowMs, w.limit);
        if (ok) undo.push(() => store.rateUndo(w.key, w.now));
        break;
      case 'budgetCharge':
        ok = (await store.budgetCharge(w.key, w.delta, w.limits)).ok;
        if (ok) undo.push(() => store.budgetAdd(w.key, negate(w.delta)));
        break;
      case 'vaultAdd':
        ok = await store.vaultAdd(w.session, w.token, w.text);
        break;
      case 'approvalCreate':
        ok = (await store.approvalCreate(w.record, w.supersedes)).id === w.record.id;
        break;
      case 'approvalSwap':
        ok = await store.approvalSwap(w.next, w.expected);
        break;
      case 'historyUnchanged':
        break; // refused above
      case 'budgetAdd':
        await store.budgetAdd(w.key, w.delta);
        break;
      case 'recordCall':
        await store.recordCall(w.session, w.call, w.max);
        break;
      case 'taintAdd':
        await store.taintAdd(w.session, w.label, w.values, w.cap);
        break;
    }
    if (!ok) {
      for (let j = undo.length - 1; j >= 0; j--) await undo[j]!();
      return { ok: false, conflict: i };
    }
  }
  return { ok: true };
}
