/**
 * {@link toAsyncStore}: any synchronous {@link StateStore} as an {@link AsyncStateStore}.
 *
 * @packageDocumentation
 */
import type { ApprovalRecord } from '../decision/types.js';
import { approvalFingerprint } from './approval-record.js';
import type { AsyncStateStore, CommitResult, StateRead, StateReadValue, StateWrite } from './async.js';
import type { BudgetLimits, BudgetUsage, CallRecord, StateStore, TaintValue } from './store.js';

const STANDARD_TOKEN = /^<([A-Z0-9_]{1,64})_(\d{1,9})>$/;

/**
 * Wraps a synchronous store (e.g. a {@link MemoryStateStore}) in the asynchronous interface: every
 * operation, plus the batch `load` and `commit`, each done synchronously, so each is atomic (nothing runs
 * between its steps): `load` reads one consistent snapshot, and `commit` checks every conditional write
 * first and then applies them all, or applies nothing. `Policy.decideAsync` over it then decides as
 * `Policy.decide` over the store itself, also for parallel decisions (two sequence rules that exclude each
 * other cannot both pass). Useful to test code written against {@link AsyncStateStore} without a server,
 * and to share one in-memory store between the sync and async APIs.
 *
 * `vaultAdd` refuses a token that stands for other text, or text that has another token of the kind;
 * otherwise it issues the token through the wrapped vault's `tokenFor`, which gives back the same token
 * when it is the vault's next one (as a decision's snapshot computed it); if another decision issued that
 * number meanwhile, `tokenFor` issues the next one instead and vaultAdd answers false (the issued token
 * stays: harmless, the rerun reuses it). A non-standard token can only be confirmed, not added.
 */
export function toAsyncStore(store: StateStore): AsyncStateStore {
  const vaultAdd = (session: string, token: string, text: string): boolean => {
    const v = store.vault(session);
    const held = v.lookup(token);
    if (held !== undefined) return held === text;
    const m = STANDARD_TOKEN.exec(token);
    if (m === null) return false;
    for (const [t, x] of v.entries()) if (x === text && STANDARD_TOKEN.exec(t)?.[1] === m[1]) return false;
    return v.tokenFor(m[1]!, text) === token;
  };
  return {
    load: async (reads: readonly StateRead[]) => reads.map((r) => readSync(store, r)),
    commit: async (writes: readonly StateWrite[]) => commitSync(store, writes, vaultAdd),
    history: async (session: string) => [...store.history(session)],
    historyCount: async (session: string) => countOf(store, session),
    recordCall: async (session: string, call: CallRecord, max: number) => store.recordCall(session, call, max),
    rateCount: async (key: string, now: number, windowMs: number) => store.rateCount(key, now, windowMs),
    rateHit: async (key: string, now: number, windowMs: number, limit: number) => store.rateHit(key, now, windowMs, limit),
    rateUndo: async (key: string, at: number) => store.rateUndo(key, at),
    budgetUse: async (key: string) => store.budgetUse(key),
    budgetCharge: async (key: string, delta: BudgetUsage, limits: BudgetLimits) => store.budgetCharge(key, delta, limits),
    budgetAdd: async (key: string, delta: BudgetUsage) => store.budgetAdd(key, delta),
    taint: async (session: string, label: string) => new Set(store.taint(session, label)),
    taintAdd: async (session: string, label: string, values: readonly TaintValue[], cap: number) => store.taintAdd(session, label, values, cap),
    approvalGet: async (id: string) => store.approvalGet(id),
    approvalFind: async (digest: string) => store.approvalFind(digest),
    approvalCreate: async (record: ApprovalRecord, supersedes?: string) => store.approvalCreate(record, supersedes),
    approvalSwap: async (next: ApprovalRecord, expected: ApprovalRecord) => store.approvalSwap(next, expected),
    approvalList: async () => store.approvalList(),
    vaultEntries: async (session: string) => store.vault(session).entries(),
    vaultAdd: async (session: string, token: string, text: string) => vaultAdd(session, token, text),
  };
}

function readSync(store: StateStore, r: StateRead): StateReadValue {
  switch (r.type) {
    case 'history':
      return [...store.history(r.session)];
    case 'historyCount':
      return countOf(store, r.session);
    case 'rate':
      return store.rateCount(r.key, r.now, r.windowMs);
    case 'budget':
      return store.budgetUse(r.key);
    case 'taint':
      return [...store.taint(r.session, r.label)];
    case 'approval':
      return store.approvalGet(r.id);
    case 'approvalByDigest':
      return store.approvalFind(r.digest);
    case 'approvals':
      return store.approvalList();
    case 'vault':
      return store.vault(r.session).entries();
  }
}

/** The store's append count, or (a store without one) the history's length. */
function countOf(store: StateStore, session: string): number {
  return store.historyCount !== undefined ? store.historyCount(session) : store.history(session).length;
}


function fits(u: BudgetUsage, d: BudgetUsage, l: BudgetLimits): boolean {
  return (
    (l.calls === undefined || u.calls + d.calls <= l.calls) &&
    (l.tokens === undefined || u.tokens + d.tokens <= l.tokens) &&
    (l.costMicros === undefined || u.costMicros + d.costMicros <= l.costMicros)
  );
}

/** Whether conditional write `w` would apply now (unconditional writes always would). */
function passes(store: StateStore, w: StateWrite): boolean {
  switch (w.type) {
    case 'rateHit':
      return store.rateCount(w.key, w.now, w.windowMs) < w.limit;
    case 'budgetCharge':
      return fits(store.budgetUse(w.key), w.delta, w.limits);
    case 'approvalCreate': {
      const latest = store.approvalFind(w.record.args_digest);
      return latest === undefined || latest.id === w.supersedes || !(latest.status === 'pending' || latest.status === 'granted' || latest.status === 'rejected');
    }
    case 'approvalSwap': {
      const stored = store.approvalGet(w.next.id);
      return stored !== undefined && approvalFingerprint(stored) === approvalFingerprint(w.expected);
    }
    case 'historyUnchanged':
      return countOf(store, w.session) === w.count;
    default:
      return true;
  }
}

/**
 * A batch commit on a synchronous store, atomic because nothing runs in between: every conditional write
 * is checked first; vault tokens are issued next (the one write whose check is its own application: a
 * refused token leaves the vault as it was); only then is anything else applied.
 */
function commitSync(store: StateStore, writes: readonly StateWrite[], vaultAdd: (session: string, token: string, text: string) => boolean): CommitResult {
  for (let i = 0; i < writes.length; i++) if (!passes(store, writes[i]!)) return { ok: false, conflict: i };
  for (let i = 0; i < writes.length; i++) {
    const w = writes[i]!;
    // A token issued before a later one is refused stays (it maps a value, it grants nothing).
    if (w.type === 'vaultAdd' && !vaultAdd(w.session, w.token, w.text)) return { ok: false, conflict: i };
  }
  for (const w of writes) {
    switch (w.type) {
      case 'rateHit':
        store.rateHit(w.key, w.now, w.windowMs, w.limit);
        break;
      case 'budgetCharge':
        store.budgetCharge(w.key, w.delta, w.limits);
        break;
      case 'approvalCreate':
        store.approvalCreate(w.record, w.supersedes);
        break;
      case 'approvalSwap':
        store.approvalSwap(w.next, w.expected);
        break;
      case 'budgetAdd':
        store.budgetAdd(w.key, w.delta);
        break;
      case 'recordCall':
        store.recordCall(w.session, w.call, w.max);
        break;
      case 'taintAdd':
        store.taintAdd(w.session, w.label, w.values, w.cap);
        break;
      case 'vaultAdd':
      case 'historyUnchanged':
        break;
    }
  }
  return { ok: true };
}
