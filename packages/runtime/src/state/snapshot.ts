/**
 * A per-decision snapshot of an {@link AsyncStateStore}: the synchronous {@link StateStore} the engine runs
 * against in `Policy.decideAsync`.
 *
 * @packageDocumentation
 */
import type { ApprovalRecord } from '../decision/types.js';
import { approvalFingerprint, cloneApproval } from './approval-record.js';
import { MemoryTokenVault, type TokenVault } from '../detectors/index.js';
import type { StateRead, StateReadValue, StateWrite } from './async.js';
import type { BudgetCharge, BudgetLimits, BudgetUsage, CallRecord, StateStore, TaintValue } from './store.js';

/** Values fetched from the shared store, by {@link readId}; kept across the reruns of one decision. */
export type SnapshotCache = Map<string, { read: StateRead; value: StateReadValue }>;

/** A stable id of a read: equal reads share one fetch. */
export function readId(r: StateRead): string {
  switch (r.type) {
    case 'history':
      return `h\u0000${r.session}`;
    case 'historyCount':
      return `n\u0000${r.session}`;
    case 'rate':
      return `r\u0000${r.key}\u0000${r.windowMs}\u0000${r.now}`;
    case 'budget':
      return `b\u0000${r.key}`;
    case 'taint':
      return `t\u0000${r.session}\u0000${r.label}`;
    case 'approval':
      return `a\u0000${r.id}`;
    case 'approvalByDigest':
      return `d\u0000${r.digest}`;
    case 'approvals':
      return 'A';
    case 'vault':
      return `v\u0000${r.session}`;
  }
}

const ZERO: BudgetUsage = Object.freeze({ calls: 0, tokens: 0, costMicros: 0 });
const NO_CALLS: readonly CallRecord[] = Object.freeze([]);
const NO_TAINT: ReadonlySet<TaintValue> = new Set();


function live(r: ApprovalRecord | undefined): r is ApprovalRecord {
  return r !== undefined && (r.status === 'pending' || r.status === 'granted' || r.status === 'rejected');
}

/**
 * A {@link StateStore} over values fetched beforehand ({@link SnapshotCache}). A read of a value not fetched
 * is recorded in {@link misses} and answered with an empty value (the run is then discarded and redone once
 * the misses are fetched); every write is checked against the snapshot as the in-memory store would check
 * it, applied to the snapshot (so later reads in the same decision see it), and recorded in {@link writes}.
 * A reservation compensated within the decision (a rate hit undone, a budget charge refunded because a later
 * check denied) cancels its intent instead of adding one. One instance serves one run of one decision.
 */
export class SnapshotStore implements StateStore {
  /** Reads that were not in the cache, by {@link readId}. */
  readonly misses = new Map<string, StateRead>();
  /** The writes of this run, in the order the engine made them. */
  readonly writes: StateWrite[] = [];

  readonly #cache: SnapshotCache;
  readonly #histories = new Map<string, CallRecord[]>();
  readonly #rates = new Map<string, number>();
  readonly #budgets = new Map<string, BudgetUsage>();
  readonly #taints = new Map<string, Set<TaintValue>>();
  readonly #approvals = new Map<string, ApprovalRecord>();
  readonly #latest = new Map<string, string>();
  readonly #vaults = new Map<string, SnapshotVault>();
  /** The append counts of the histories this run read from the cache, to re-check at commit. */
  readonly #historyReads = new Map<string, number>();
  /** Calls this run appended, per session (its own appends raise the count it sees). */
  readonly #appended = new Map<string, number>();

  constructor(cache: SnapshotCache) {
    this.#cache = cache;
  }

  /** The fetched value of `read`, or undefined after recording a miss. */
  #get(read: StateRead): StateReadValue | undefined {
    const id = readId(read);
    const hit = this.#cache.get(id);
    if (hit !== undefined) return hit.value;
    this.misses.set(id, read);
    return undefined;
  }

  /** @internal The vault's fetch, for {@link SnapshotVault}. */
  fetchVault(session: string): ReadonlyArray<readonly [string, string]> | undefined {
    return this.#get({ type: 'vault', session }) as ReadonlyArray<readonly [string, string]> | undefined;
  }

  /** @internal Records a write made through a {@link SnapshotVault}. */
  pushWrite(w: StateWrite): void {
    this.writes.push(w);
  }

  // ---- sequences

  history(session: string): readonly CallRecord[] {
    const own = this.#histories.get(session);
    if (own !== undefined) return own;
    const v = this.#get({ type: 'history', session }) as readonly CallRecord[] | undefined;
    const count = this.#get({ type: 'historyCount', session }) as number | undefined;
    if (v === undefined || count === undefined) return NO_CALLS;
    if (!this.#historyReads.has(session)) this.#historyReads.set(session, count);
    return v;
  }

  historyCount(session: string): number {
    const count = (this.#get({ type: 'historyCount', session }) as number | undefined) ?? 0;
    return count + (this.#appended.get(session) ?? 0);
  }

  /**
   * The writes to commit: {@link writes}, preceded by a `historyUnchanged` check for every history this run
   * read (so a sequence rule is not decided on a history another gateway has appended to meanwhile).
   * Empty if the run wrote nothing: a decision that only reads needs no commit.
   */
  commitWrites(): StateWrite[] {
    if (this.writes.length === 0 || this.#historyReads.size === 0) return this.writes;
    const checks: StateWrite[] = [];
    for (const [session, count] of this.#historyReads) checks.push({ type: 'historyUnchanged', session, count });
    return [...checks, ...this.writes];
  }

  recordCall(session: string, call: CallRecord, max: number): void {
    this.writes.push({ type: 'recordCall', session, call, max });
    this.#appended.set(session, (this.#appended.get(session) ?? 0) + 1);
    let own = this.#histories.get(session);
    if (own === undefined) {
      const base = this.#cache.get(readId({ type: 'history', session }));
      // Not fetched: nothing read it; a later read in this run still misses and fetches.
      if (base === undefined) return;
      own = [...(base.value as readonly CallRecord[])];
      this.#histories.set(session, own);
    }
    own.push(call);
    if (own.length > max) own.splice(0, own.length - max);
  }

  // ---- rate limits

  rateCount(key: string, now: number, windowMs: number): number {
    const id = readId({ type: 'rate', key, now, windowMs });
    const own = this.#rates.get(id);
    if (own !== undefined) return own;
    return (this.#get({ type: 'rate', key, now, windowMs }) as number | undefined) ?? 0;
  }

  rateHit(key: string, now: number, windowMs: number, limit: number): boolean {
    const n = this.rateCount(key, now, windowMs);
    if (n >= limit) return false;
    this.#rates.set(readId({ type: 'rate', key, now, windowMs }), n + 1);
    this.writes.push({ type: 'rateHit', key, now, windowMs, limit });
    return true;
  }

  rateUndo(key: string, at: number): void {
    for (let i = this.writes.length - 1; i >= 0; i--) {
      const w = this.writes[i]!;
      if (w.type === 'rateHit' && w.key === key && w.now === at) {
        this.writes.splice(i, 1);
        const id = readId({ type: 'rate', key, now: at, windowMs: w.windowMs });
        const n = this.#rates.get(id);
        if (n !== undefined) this.#rates.set(id, n - 1);
        return;
      }
    }
  }

  // ---- budgets

  budgetUse(key: string): BudgetUsage {
    const own = this.#budgets.get(key);
    if (own !== undefined) return { ...own };
    const v = this.#get({ type: 'budget', key }) as BudgetUsage | undefined;
    return { ...(v ?? ZERO) };
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
    this.#budgets.set(key, add(before, delta));
    this.writes.push({ type: 'budgetCharge', key, delta: { ...delta }, limits: { ...limits } });
    return { ok: true, before };
  }

  budgetAdd(key: string, delta: BudgetUsage): BudgetUsage {
    const next = add(this.budgetUse(key), delta);
    this.#budgets.set(key, next);
    // A refund of this run's own charge cancels it.
    for (let i = this.writes.length - 1; i >= 0; i--) {
      const w = this.writes[i]!;
      if (
        w.type === 'budgetCharge' &&
        w.key === key &&
        w.delta.calls === -delta.calls &&
        w.delta.tokens === -delta.tokens &&
        w.delta.costMicros === -delta.costMicros
      ) {
        this.writes.splice(i, 1);
        return { ...next };
      }
    }
    this.writes.push({ type: 'budgetAdd', key, delta: { ...delta } });
    return { ...next };
  }

  // ---- taint

  taint(session: string, label: string): ReadonlySet<TaintValue> {
    const id = readId({ type: 'taint', session, label });
    const own = this.#taints.get(id);
    if (own !== undefined) return own;
    const v = this.#get({ type: 'taint', session, label }) as readonly TaintValue[] | undefined;
    if (v === undefined) return NO_TAINT;
    const set = new Set(v);
    this.#taints.set(id, set);
    return set;
  }

  taintAdd(session: string, label: string, values: readonly TaintValue[], cap: number): void {
    if (values.length === 0) return;
    this.writes.push({ type: 'taintAdd', session, label, values: [...values], cap });
    const id = readId({ type: 'taint', session, label });
    let set = this.#taints.get(id);
    if (set === undefined) {
      const base = this.#cache.get(id);
      if (base === undefined) return;
      set = new Set(base.value as readonly TaintValue[]);
      this.#taints.set(id, set);
    }
    for (const v of values) {
      set.delete(v);
      set.add(v);
    }
    let excess = set.size - cap;
    for (const v of set) {
      if (excess-- <= 0) break;
      set.delete(v);
    }
  }

  // ---- approvals

  /** The stored record `id` as this run sees it; `null` after recording a miss. */
  #record(id: string): ApprovalRecord | undefined | null {
    const own = this.#approvals.get(id);
    if (own !== undefined) return own;
    const direct = this.#cache.get(readId({ type: 'approval', id }));
    if (direct !== undefined) return direct.value as ApprovalRecord | undefined;
    for (const { read, value } of this.#cache.values()) {
      if (read.type === 'approvalByDigest' && value !== undefined && (value as ApprovalRecord).id === id) return value as ApprovalRecord;
    }
    this.#get({ type: 'approval', id });
    return null;
  }

  approvalGet(id: string): ApprovalRecord | undefined {
    const r = this.#record(id);
    return r === null || r === undefined ? undefined : cloneApproval(r);
  }

  approvalFind(argsDigest: string): ApprovalRecord | undefined {
    const ownId = this.#latest.get(argsDigest);
    if (ownId !== undefined) return this.approvalGet(ownId);
    const v = this.#get({ type: 'approvalByDigest', digest: argsDigest }) as ApprovalRecord | undefined;
    if (v === undefined) return undefined;
    const own = this.#approvals.get(v.id);
    return cloneApproval(own ?? v);
  }

  approvalCreate(record: ApprovalRecord, supersedes?: string): ApprovalRecord {
    const latest = this.approvalFind(record.args_digest);
    if (live(latest) && latest.id !== supersedes) return latest;
    this.#approvals.set(record.id, cloneApproval(record));
    this.#latest.set(record.args_digest, record.id);
    const w: Extract<StateWrite, { type: 'approvalCreate' }> = { type: 'approvalCreate', record: cloneApproval(record) };
    if (supersedes !== undefined) w.supersedes = supersedes;
    this.writes.push(w);
    return cloneApproval(record);
  }

  approvalSwap(next: ApprovalRecord, expected: ApprovalRecord): boolean {
    const stored = this.#record(next.id);
    if (stored === null) return true; // a miss: this run is redone
    if (stored === undefined || approvalFingerprint(stored) !== approvalFingerprint(expected)) return false;
    this.#approvals.set(next.id, cloneApproval(next));
    this.writes.push({ type: 'approvalSwap', next: cloneApproval(next), expected: cloneApproval(expected) });
    return true;
  }

  approvalList(): ApprovalRecord[] {
    const v = this.#get({ type: 'approvals' }) as ApprovalRecord[] | undefined;
    const out = (v ?? []).map((r) => cloneApproval(this.#approvals.get(r.id) ?? r));
    const listed = new Set(out.map((r) => r.id));
    for (const r of this.#approvals.values()) if (!listed.has(r.id)) out.push(cloneApproval(r));
    return out;
  }

  // ---- redaction

  vault(session: string): TokenVault {
    let v = this.#vaults.get(session);
    if (v === undefined) {
      v = new SnapshotVault(this, session);
      this.#vaults.set(session, v);
    }
    return v;
  }
}

function add(a: BudgetUsage, d: BudgetUsage): BudgetUsage {
  return { calls: a.calls + d.calls, tokens: a.tokens + d.tokens, costMicros: a.costMicros + d.costMicros };
}

/**
 * A session's vault in a snapshot: fetched on first use (a redaction that finds nothing fetches nothing);
 * each token it issues is recorded as a `vaultAdd` write.
 */
class SnapshotVault implements TokenVault {
  readonly #store: SnapshotStore;
  readonly #session: string;
  #inner: MemoryTokenVault | undefined;
  #loaded = false;

  constructor(store: SnapshotStore, session: string) {
    this.#store = store;
    this.#session = session;
  }

  #vault(): MemoryTokenVault {
    if (this.#inner === undefined) {
      const entries = this.#store.fetchVault(this.#session);
      this.#loaded = entries !== undefined;
      this.#inner = new MemoryTokenVault(entries?.map(([t, v]) => [t, v] as [string, string]));
    }
    return this.#inner;
  }

  tokenFor(kind: string, text: string): string {
    const v = this.#vault();
    const before = v.size;
    const token = v.tokenFor(kind, text);
    if (this.#loaded && v.size > before) this.#store.pushWrite({ type: 'vaultAdd', session: this.#session, token, text });
    return token;
  }

  lookup(token: string): string | undefined {
    return this.#vault().lookup(token);
  }

  entries(): Array<[token: string, value: string]> {
    return this.#vault().entries();
  }
}
