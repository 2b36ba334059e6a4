/**
 * {@link toAsyncStore}: any synchronous {@link StateStore} as an {@link AsyncStateStore}.
 *
 * @packageDocumentation
 */
import type { ApprovalRecord } from '../decision/types.js';
import type { AsyncStateStore } from './async.js';
import type { BudgetLimits, BudgetUsage, CallRecord, StateStore, TaintValue } from './store.js';

const STANDARD_TOKEN = /^<([A-Z0-9_]{1,64})_(\d{1,9})>$/;

/**
 * Wraps a synchronous store (e.g. a {@link MemoryStateStore}) in the asynchronous interface, operation for
 * operation, without the batch operations: `Policy.decideAsync` over it then decides exactly as
 * `Policy.decide` over the store itself. Useful to test code written against {@link AsyncStateStore}
 * without a server, and to share one in-memory store between the sync and async APIs.
 *
 * `vaultAdd` refuses a token that stands for other text, or text that has another token of the kind;
 * otherwise it issues the token through the wrapped vault's `tokenFor`, which gives back the same token
 * when it is the vault's next one (as a decision's snapshot computed it); if another decision issued that
 * number meanwhile, `tokenFor` issues the next one instead and vaultAdd answers false (the issued token
 * stays: harmless, the rerun reuses it). A non-standard token can only be confirmed, not added.
 */
export function toAsyncStore(store: StateStore): AsyncStateStore {
  return {
    history: async (session: string) => [...store.history(session)],
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
    vaultAdd: async (session: string, token: string, text: string) => {
      const v = store.vault(session);
      const held = v.lookup(token);
      if (held !== undefined) return held === text;
      const m = STANDARD_TOKEN.exec(token);
      if (m === null) return false;
      for (const [t, x] of v.entries()) if (x === text && STANDARD_TOKEN.exec(t)?.[1] === m[1]) return false;
      return v.tokenFor(m[1]!, text) === token;
    },
  };
}
