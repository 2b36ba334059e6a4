/**
 * The embedded, in-process {@link StateStore}.
 *
 * @packageDocumentation
 */
import type { ApprovalRecord } from '../decision/types.js';
import { approvalFingerprint, cloneApproval } from './approval-record.js';
import { MemoryTokenVault, type TokenVault } from '../detectors/index.js';
import type {
  BudgetCharge,
  BudgetLimits,
  BudgetUsage,
  CallRecord,
  StateStore,
  TaintValue,
} from './store.js';

/** A sliding-window log: sorted hit times, live from `head`. */
interface RateLog {
  times: number[];
  head: number;
}

const EMPTY_HISTORY: readonly CallRecord[] = Object.freeze([]);
const EMPTY_TAINT: ReadonlySet<TaintValue> = new Set();

/**
 * State in plain in-memory maps: the default store of a {@link Policy}, good for one process. Every
 * operation is atomic because JavaScript runs one at a time. Approval records are copied in and out, so a
 * caller mutating a returned record does not change the store.
 */
export class MemoryStateStore implements StateStore {
  private readonly histories = new Map<string, CallRecord[]>();
  private readonly appended = new Map<string, number>();
  private readonly rates = new Map<string, RateLog>();
  private readonly budgets = new Map<string, BudgetUsage>();
  private readonly taints = new Map<string, Set<TaintValue>>();
  private readonly approvalsById = new Map<string, ApprovalRecord>();
  private readonly latestByDigest = new Map<string, string>();
  private readonly vaults = new Map<string, TokenVault>();

  history(session: string): readonly CallRecord[] {
    return this.histories.get(session) ?? EMPTY_HISTORY;
  }

  historyCount(session: string): number {
    return this.appended.get(session) ?? 0;
  }

  recordCall(session: string, call: CallRecord, max: number): void {
    this.appended.set(session, (this.appended.get(session) ?? 0) + 1);
    let h = this.histories.get(session);
    if (h === undefined) {
      h = [];
      this.histories.set(session, h);
    }
    h.push(call);
    // At the cap one record leaves per call: shift() moves the array's start (V8 trims it in place, ~50 ns),
    // where splice(0, 1) copies the 1,000 records left (~4 µs per call).
    if (h.length === max + 1) h.shift();
    else if (h.length > max) h.splice(0, h.length - max);
  }

  /** The key's log with the hits older than `now - windowMs` dropped. */
  private log(key: string, now: number, windowMs: number): RateLog | undefined {
    const log = this.rates.get(key);
    if (log === undefined) return undefined;
    const from = now - windowMs;
    const t = log.times;
    let head = log.head;
    while (head < t.length && (t[head] as number) < from) head++;
    if (head > 64 && head * 2 > t.length) {
      log.times = t.slice(head);
      head = 0;
    }
    log.head = head;
    return log;
  }

  /** Hits in `[now - windowMs, now]` of a pruned log (hits after `now` — a clock that went back — excluded). */
  private static inWindow(log: RateLog, now: number): number {
    const t = log.times;
    let end = t.length;
    while (end > log.head && (t[end - 1] as number) > now) end--;
    return end - log.head;
  }

  rateCount(key: string, now: number, windowMs: number): number {
    const log = this.rates.get(key);
    if (log === undefined) return 0;
    const from = now - windowMs;
    let n = 0;
    for (let i = log.head; i < log.times.length; i++) {
      const x = log.times[i] as number;
      if (x >= from && x <= now) n++;
    }
    return n;
  }

  rateHit(key: string, now: number, windowMs: number, limit: number): boolean {
    let log = this.log(key, now, windowMs);
    if (log !== undefined && MemoryStateStore.inWindow(log, now) >= limit) return false;
    if (log === undefined) {
      log = { times: [], head: 0 };
      this.rates.set(key, log);
    }
    // Keep the log sorted (clocks are usually monotonic: this is a push).
    const t = log.times;
    let i = t.length;
    while (i > log.head && (t[i - 1] as number) > now) i--;
    if (i === t.length) t.push(now);
    else t.splice(i, 0, now);
    return true;
  }

  rateUndo(key: string, at: number): void {
    const log = this.rates.get(key);
    if (log === undefined) return;
    const i = log.times.lastIndexOf(at);
    if (i >= log.head) log.times.splice(i, 1);
  }

  budgetUse(key: string): BudgetUsage {
    const u = this.budgets.get(key);
    return u === undefined ? { calls: 0, tokens: 0, costMicros: 0 } : { ...u };
  }

  budgetCharge(key: string, delta: BudgetUsage, limits: BudgetLimits): BudgetCharge {
    const before = this.budgetUse(key);
    if (
      (limits.calls !== undefined && before.calls + delta.calls > limits.calls) ||
      (limits.tokens !== undefined && before.tokens + delta.tokens > limits.tokens) ||
      (limits.costMicros !== undefined && before.costMicros + delta.costMicros > limits.costMicros)
    ) {
      return { ok: false, before };
    }
    this.budgetAdd(key, delta);
    return { ok: true, before };
  }

  budgetAdd(key: string, delta: BudgetUsage): BudgetUsage {
    const u = this.budgets.get(key) ?? { calls: 0, tokens: 0, costMicros: 0 };
    const next = {
      calls: u.calls + delta.calls,
      tokens: u.tokens + delta.tokens,
      costMicros: u.costMicros + delta.costMicros,
    };
    this.budgets.set(key, next);
    return { ...next };
  }

  taint(session: string, label: string): ReadonlySet<TaintValue> {
    return this.taints.get(`${session}\u0000${label}`) ?? EMPTY_TAINT;
  }

  taintAdd(session: string, label: string, values: readonly TaintValue[], cap: number): void {
    if (values.length === 0) return;
    const key = `${session}\u0000${label}`;
    let set = this.taints.get(key);
    if (set === undefined) {
      set = new Set();
      this.taints.set(key, set);
    }
    for (const v of values) {
      // Re-adding moves nothing in a Set; delete first so the value counts as recent.
      set.delete(v);
      set.add(v);
    }
    if (set.size > cap) {
      let excess = set.size - cap;
      for (const v of set) {
        if (excess-- <= 0) break;
        set.delete(v);
      }
    }
  }

  approvalGet(id: string): ApprovalRecord | undefined {
    const r = this.approvalsById.get(id);
    return r === undefined ? undefined : cloneApproval(r);
  }

  approvalFind(argsDigest: string): ApprovalRecord | undefined {
    const id = this.latestByDigest.get(argsDigest);
    return id === undefined ? undefined : this.approvalGet(id);
  }

  approvalCreate(record: ApprovalRecord, supersedes?: string): ApprovalRecord {
    const latestId = this.latestByDigest.get(record.args_digest);
    const latest = latestId === undefined ? undefined : this.approvalsById.get(latestId);
    if (
      latest !== undefined &&
      latest.id !== supersedes &&
      (latest.status === 'pending' || latest.status === 'granted' || latest.status === 'rejected')
    ) {
      return cloneApproval(latest);
    }
    this.approvalsById.set(record.id, cloneApproval(record));
    this.latestByDigest.set(record.args_digest, record.id);
    return cloneApproval(record);
  }

  approvalSwap(next: ApprovalRecord, expected: ApprovalRecord): boolean {
    const stored = this.approvalsById.get(next.id);
    if (stored === undefined || approvalFingerprint(stored) !== approvalFingerprint(expected)) return false;
    this.approvalsById.set(next.id, cloneApproval(next));
    return true;
  }

  approvalList(): ApprovalRecord[] {
    return [...this.approvalsById.values()].map(cloneApproval);
  }

  vault(session: string): TokenVault {
    let v = this.vaults.get(session);
    if (v === undefined) {
      v = new MemoryTokenVault();
      this.vaults.set(session, v);
    }
    return v;
  }
}
