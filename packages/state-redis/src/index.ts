/**
 * `@writ/state-redis`: a Redis {@link AsyncStateStore} for `@writ/runtime`, shared by every gateway process
 * that points at the same Redis and prefix.
 *
 * ```ts
 * const store = new RedisStateStore({ url: 'redis://127.0.0.1:6379', prefix: 'writ:prod:' });
 * const decision = await policy.decideAsync(request, { state: store });
 * ```
 *
 * @packageDocumentation
 */
import { createHash, randomBytes } from 'node:crypto';
import type {
  ApprovalRecord,
  AsyncStateStore,
  BudgetCharge,
  BudgetLimits,
  BudgetUsage,
  CallRecord,
  CommitResult,
  StateRead,
  StateReadValue,
  StateWrite,
  TaintValue,
} from '@writ/runtime';
import { approvalFingerprint } from '@writ/runtime';
import { Redis } from 'ioredis';
import { COMMIT, LOAD } from './scripts.js';

export { Redis };

/** Options of {@link RedisStateStore}. */
export interface RedisStateStoreOptions {
  /** A Redis URL (`redis://[:password@]host:port[/db]`, `rediss://` for TLS). Default `redis://127.0.0.1:6379`. */
  url?: string;
  /**
   * A client to use instead of `url` (not closed by {@link RedisStateStore.close}). Configure it to fail fast
   * while disconnected (`enableOfflineQueue: false`, a `commandTimeout`), or decisions wait for Redis.
   */
  client?: Redis;
  /** Prefix of every key this store writes, so several policies or environments share one Redis. Default `writ:`. */
  prefix?: string;
  /** Milliseconds before a command without a reply fails (the decision then fails closed). Default 1000. */
  commandTimeoutMs?: number;
  /** Milliseconds the first command waits for the initial connection. Default 2000. */
  connectTimeoutMs?: number;
  /**
   * Milliseconds after its last commit that a session's state expires: its history, taint sets, redaction
   * vault and session-scoped budgets (`budget per session`), all together (every commit that writes any
   * of them, or a session-scoped rate hit, or checks the session's history, refreshes them all; a decision
   * that only reads refreshes nothing). Default: never (as in memory). With a TTL, a session idle for
   * longer starts afresh (its budget too), so choose it longer than any session lives.
   */
  sessionTtlMs?: number;
}

const STANDARD_TOKEN = /^<([A-Z0-9_]{1,64})_(\d{1,9})>$/;
/**
 * Clock skew between gateways tolerated by rate limits, in ms: hits are kept this long past the end of
 * their window (trimmed only when older than `now − window − slack`; the key expires this long after a
 * window's last hit).
 */
const RATE_TTL_SLACK_MS = 60_000;

/**
 * Most approval records {@link RedisStateStore.approvalList} returns (the newest; `GET /v1/approvals` reads
 * it in one script call): the id list `al` is trimmed to this many ids on every create. Older records stay
 * readable by id (`approvalGet`, approve, reject) until they settle.
 */
export const APPROVAL_LIST_MAX = 1000;
/** How long a record swapped to `used` or `expired` is kept, in ms (7 days); it decides nothing any more. */
export const SETTLED_APPROVAL_TTL_MS = 7 * 24 * 3_600_000;

type Encoded = Array<string>;
/** An internal write besides the engine's: compensating a rate hit. */
type Write = StateWrite | { type: 'rateUndo'; key: string; at: number };

/**
 * A budget amount as the commit script reads it: a safe integer as plain decimal digits. Anything else (a fraction, a
 * number past 2^53, which `String` may print as `1e+22`) is sent as it prints; the commit script refuses
 * it in its check phase, so it never reaches HINCRBY.
 */
function int(n: number): string {
  return Number.isSafeInteger(n) ? String(n) : `x${String(n)}`;
}

function num(n: number): string {
  return String(n);
}

function sha1(s: string): string {
  return createHash('sha1').update(s).digest('hex');
}

/** Builds the KEYS list of one script call: each distinct key once, referred to by its 1-based index. */
class Keys {
  readonly list: string[] = [];
  readonly #index = new Map<string, number>();

  ref(key: string): string {
    let i = this.#index.get(key);
    if (i === undefined) {
      this.list.push(key);
      i = this.list.length;
      this.#index.set(key, i);
    }
    return String(i);
  }
}

function usageOf(c: string | null | undefined, t: string | null | undefined, m: string | null | undefined): BudgetUsage {
  return { calls: Number(c ?? 0), tokens: Number(t ?? 0), costMicros: Number(m ?? 0) };
}

function parseRecord(s: unknown): ApprovalRecord | undefined {
  return typeof s === 'string' ? (JSON.parse(s) as ApprovalRecord) : undefined;
}

/**
 * A {@link AsyncStateStore} in Redis (5 or later; standalone, or Sentinel through an ioredis client):
 * each decision is one atomic Lua read of everything it needs and one atomic Lua commit of everything it
 * wrote, every conditional write re-checked inside the commit (see the runtime's `Policy.decideAsync`), so
 * gateways sharing the store never overshoot a rate limit or a budget and agree on approvals.
 *
 * Layout, under `prefix` (default `writ:`): `r:<limit key>` rate-limit hits (sorted set scored by epoch
 * ms, expiring one window + 60 s after the last hit), `b:<budget key>` usage (hash `c` calls, `t`
 * tokens, `m` cost in micro-units), `h:<session>` call history (list of JSON, last 1,000), `hn:<session>`
 * how many calls were ever appended to it (what a history check compares),
 * `t:<len>:<session>:<label>` taint values (sorted set of JSON scalars by insertion order, the counter
 * in `tseq`), `a:<id>` approval records (hash: `r` the JSON, `f` `status|approvals|rejections`, what
 * compare-and-set compares; a `used` or `expired` record expires 7 days after it settled),
 * `ad:<args digest>` the latest record id for a call, `al` the newest 1,000 record ids, oldest first, `v:<session>` / `vv:<session>` redaction vault (JSON token → JSON text, `KIND:`JSON text → JSON
 * token). Key parts that are not well-formed UTF-16 are stored as U+0001 + their JSON (one to one). Budgets,
 * histories, taint, approvals and vaults do not expire, unless `sessionTtlMs` is set: then a session's
 * history, taint, vault and session-scoped budgets expire together that long after the session's last
 * commit (`sk:<session>` lists them, so one commit refreshes them all).
 *
 * Clocks: each decision uses its gateway's clock (or `options.now`). A rate-limit window counts every hit
 * stamped at or after `now − window`, including hits stamped *later* than `now` by a gateway whose clock
 * runs ahead. What holds, for gateways whose clocks differ by at most 60 s (hits are trimmed only once
 * older than `now − window − 60 s`): a gateway with a correct clock never admits more than the limit in
 * its window; a gateway whose clock runs *behind* by s counts a window s longer and only denies early; a
 * gateway whose clock runs *ahead* by s does not see the hits stamped in the first s ms of the true
 * window, so it can admit up to that many calls more than the limit (its own skew is the bound of what it
 * misses, in time, not in calls). Beyond 60 s of skew a fast gateway's trim can also delete hits other
 * gateways still count. (The in-memory store ignores hits later than `now`; the two agree whenever each
 * key's clock never goes back.)
 *
 * Failure: while Redis is unreachable every command fails at once (no offline queue; `commandTimeoutMs`
 * bounds a hung server), so stateful decisions deny with "state store unavailable"; ioredis reconnects in
 * the background (backoff up to 1 s) and the next decision after Redis returns succeeds. Scripts are sent
 * with EVALSHA, falling back to EVAL when Redis lost its script cache (a restart).
 *
 * Not for Redis Cluster: a decision's keys are not in one hash slot.
 */
export class RedisStateStore implements AsyncStateStore {
  /** The ioredis client. */
  readonly client: Redis;
  readonly prefix: string;
  readonly #owned: boolean;
  readonly #approvalPrefix: string;
  readonly #connectTimeoutMs: number;
  readonly #sessionTtl: string | undefined;
  #everReady: boolean;
  #lastError: Error | undefined;
  #rateSeq = 0;
  readonly #rateTag = randomBytes(6).toString('hex');

  constructor(options: RedisStateStoreOptions = {}) {
    this.prefix = options.prefix ?? 'writ:';
    this.#approvalPrefix = `${this.prefix}a:`;
    this.#connectTimeoutMs = options.connectTimeoutMs ?? 2000;
    const ttl = options.sessionTtlMs;
    if (ttl !== undefined && !(Number.isInteger(ttl) && ttl > 0)) throw new RangeError('sessionTtlMs must be a positive integer of milliseconds');
    this.#sessionTtl = ttl === undefined ? undefined : String(ttl);
    if (options.client !== undefined) {
      this.client = options.client;
      this.#owned = false;
    } else {
      this.client = new Redis(options.url ?? 'redis://127.0.0.1:6379', {
        enableOfflineQueue: false,
        maxRetriesPerRequest: 0,
        commandTimeout: options.commandTimeoutMs ?? 1000,
        connectTimeout: this.#connectTimeoutMs,
        retryStrategy: (times) => Math.min(50 * times, 1000),
        enableAutoPipelining: true,
      });
      this.#owned = true;
    }
    this.#everReady = this.client.status === 'ready';
    this.client.on('ready', () => {
      this.#everReady = true;
      // Load the scripts once per connection (a restarted Redis has none): the first decisions then need
      // no EVAL fallback. A failure here is harmless; EVALSHA falls back to EVAL.
      void this.client.script('LOAD', LOAD).catch(() => undefined);
      void this.client.script('LOAD', COMMIT).catch(() => undefined);
    });
    // Without a listener ioredis prints every connection error; the store reports them through decisions.
    this.client.on('error', (err: Error) => {
      this.#lastError = err;
    });
  }

  /**
   * The last error seen: a connection error the client reported, or a failed script call (timeout, not
   * connected). Decisions say only "state store unavailable"; this says why (for health checks and logs).
   */
  get lastError(): Error | undefined {
    return this.#lastError;
  }

  /** True while the client is connected and ready. */
  get connected(): boolean {
    return this.client.status === 'ready';
  }

  /** Resolves once connected (rejects after `connectTimeoutMs`). Optional: the first command waits too. */
  async ready(): Promise<void> {
    if (this.client.status === 'ready') return;
    if (this.client.status === 'wait') void this.client.connect().catch(() => undefined);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.client.off('ready', onReady);
        reject(new Error(`Redis not ready after ${this.#connectTimeoutMs} ms${this.#lastError ? `: ${this.#lastError.message}` : ''}`));
      }, this.#connectTimeoutMs);
      const onReady = () => {
        clearTimeout(timer);
        resolve();
      };
      this.client.once('ready', onReady);
    });
  }

  /** Closes the connection if this store opened it (a `client` passed in is left open). */
  async close(): Promise<void> {
    if (!this.#owned) return;
    try {
      await this.client.quit();
    } catch {
      this.client.disconnect();
    }
  }

  // ---- scripts -------------------------------------------------------------------------------------------

  async #eval(script: string, sha: string, keys: string[], ops: Encoded[]): Promise<unknown> {
    await this.#firstConnection();
    const argv: string[] = [this.#approvalPrefix];
    for (const [type, ...fields] of ops) argv.push(type!, String(fields.length), ...fields);
    try {
      return await this.client.evalsha(sha, keys.length, ...keys, ...argv);
    } catch (err) {
      if (err instanceof Error && err.message.startsWith('NOSCRIPT')) {
        try {
          return await this.client.eval(script, keys.length, ...keys, ...argv);
        } catch (again) {
          throw this.#failed(again);
        }
      }
      throw this.#failed(err);
    }
  }

  #failed(err: unknown): unknown {
    if (err instanceof Error) this.#lastError = err;
    return err;
  }

  /** Before the first connection, waits for it (once); after it, fails fast while disconnected. */
  async #firstConnection(): Promise<void> {
    if (!this.#everReady && this.client.status !== 'ready') await this.ready();
  }

  #key(kind: string, rest: string): string {
    return `${this.prefix}${kind}:${safe(rest)}`;
  }

  #taintKey(session: string, label: string): string {
    return this.#key('t', `${session.length}:${session}:${label}`);
  }

  /**
   * Reads everything in `reads` in one atomic script call.
   *
   * @throws rejects if Redis is unreachable, times out, or holds a value this store cannot parse
   */
  async load(reads: readonly StateRead[]): Promise<StateReadValue[]> {
    const keys = new Keys();
    const enc: Encoded[] = reads.map((r) => {
      switch (r.type) {
        case 'history':
          return ['h', keys.ref(this.#key('h', r.session))];
        case 'historyCount':
          return ['n', keys.ref(this.#key('hn', r.session))];
        case 'rate':
          return ['r', keys.ref(this.#key('r', r.key)), num(r.now - r.windowMs), num(r.now)];
        case 'budget':
          return ['b', keys.ref(this.#key('b', r.key))];
        case 'taint':
          return ['t', keys.ref(this.#taintKey(r.session, r.label))];
        case 'approval':
          return ['a', keys.ref(this.#key('a', r.id))];
        case 'approvalByDigest':
          return ['d', keys.ref(this.#key('ad', r.digest))];
        case 'approvals':
          return ['A', keys.ref(`${this.prefix}al`), num(APPROVAL_LIST_MAX)];
        case 'vault':
          return ['v', keys.ref(this.#key('v', r.session))];
      }
    });
    const raw = (await this.#eval(LOAD, LOAD_SHA, keys.list, enc)) as unknown[];
    return reads.map((r, i) => decodeRead(r, raw[i]));
  }

  /**
   * Applies `writes` all or none in one atomic script call, re-checking every conditional write.
   *
   * @throws rejects if Redis is unreachable or times out (the commit may then have applied or not)
   */
  async commit(writes: readonly StateWrite[]): Promise<CommitResult> {
    const r = await this.#commit(writes);
    return r.conflict === 0 ? { ok: true } : { ok: false, conflict: r.conflict - 1 };
  }

  async #commit(writes: readonly Write[]): Promise<{ conflict: number; before: BudgetUsage }> {
    const keys = new Keys();
    const enc = writes.map((w) => this.#encodeWrite(w, keys));
    if (this.#sessionTtl !== undefined) this.#expireSessions(writes, keys, enc);
    const raw = (await this.#eval(COMMIT, COMMIT_SHA, keys.list, enc)) as [number, string, string, string];
    return { conflict: Number(raw[0]), before: usageOf(raw[1], raw[2], raw[3]) };
  }

  /**
   * For every session the writes belong to, an `x` operation (run after the writes) that adds the session
   * keys written to the session's key set `sk:<session>` and refreshes the TTL of every key in the set and
   * of the set itself: a session's history, taint sets, vault and session budgets expire together, one TTL
   * after the session's last commit, whichever of them that commit wrote.
   */
  #expireSessions(writes: readonly Write[], keys: Keys, enc: Encoded[]): void {
    const ttl = this.#sessionTtl!;
    const sessions = new Map<string, Set<string>>();
    const touch = (session: string, ...written: string[]) => {
      let set = sessions.get(session);
      if (set === undefined) sessions.set(session, (set = new Set()));
      for (const k of written) set.add(k);
    };
    for (const w of writes) {
      switch (w.type) {
        case 'recordCall':
          touch(w.session, this.#key('h', w.session), this.#key('hn', w.session));
          break;
        case 'historyUnchanged':
          touch(w.session);
          break;
        case 'taintAdd':
          touch(w.session, this.#taintKey(w.session, w.label));
          break;
        case 'vaultAdd':
          touch(w.session, this.#key('v', w.session), this.#key('vv', w.session));
          break;
        case 'budgetCharge':
        case 'budgetAdd': {
          const session = sessionOfKey(w.key);
          if (session !== undefined) touch(session, this.#key('b', w.key));
          break;
        }
        case 'rateHit': {
          // A session-scoped rate log keeps its own window TTL; the hit only says the session is active.
          const session = sessionOfKey(w.key);
          if (session !== undefined) touch(session);
          break;
        }
        case 'approvalCreate':
          if (w.record.session !== undefined) touch(w.record.session);
          break;
        default:
          break;
      }
    }
    for (const [session, written] of sessions) enc.push(['x', keys.ref(this.#key('sk', session)), ttl, ...written]);
  }

  #encodeWrite(w: Write, keys: Keys): Encoded {
    switch (w.type) {
      case 'rateHit': {
        const member = `${w.now}:${this.#rateTag}:${(this.#rateSeq = (this.#rateSeq + 1) % 1e9)}`;
        const ttl = Math.ceil(Math.max(0, w.windowMs)) + RATE_TTL_SLACK_MS;
        // Trim only hits older than the window by more than the slack: a gateway whose clock runs ahead
        // must not delete hits still inside the window of gateways with correct clocks.
        const trim = num(w.now - w.windowMs - RATE_TTL_SLACK_MS);
        return ['r', keys.ref(this.#key('r', w.key)), num(w.now - w.windowMs), num(w.now), num(w.limit), member, num(ttl), trim];
      }
      case 'rateUndo':
        return ['u', keys.ref(this.#key('r', w.key)), num(w.at)];
      case 'budgetCharge': {
        const l = w.limits;
        const lim = (x: number | undefined) => (x === undefined ? '' : num(x));
        return ['b', keys.ref(this.#key('b', w.key)), int(w.delta.calls), int(w.delta.tokens), int(w.delta.costMicros), lim(l.calls), lim(l.tokens), lim(l.costMicros)];
      }
      case 'budgetAdd':
        return ['B', keys.ref(this.#key('b', w.key)), int(w.delta.calls), int(w.delta.tokens), int(w.delta.costMicros)];
      case 'vaultAdd': {
        const m = STANDARD_TOKEN.exec(w.token);
        const text = JSON.stringify(w.text);
        const valueKey = m === null ? '' : `${m[1]}:${text}`;
        return ['v', keys.ref(this.#key('v', w.session)), keys.ref(this.#key('vv', w.session)), JSON.stringify(w.token), text, valueKey];
      }
      case 'approvalCreate': {
        const r = w.record;
        const sup = w.supersedes === undefined ? '' : safe(w.supersedes);
        return ['c', keys.ref(this.#key('ad', r.args_digest)), keys.ref(this.#key('a', r.id)), keys.ref(`${this.prefix}al`), safe(r.id), JSON.stringify(r), approvalFingerprint(r), sup, num(APPROVAL_LIST_MAX)];
      }
      case 'approvalSwap':
        return ['s', keys.ref(this.#key('a', w.next.id)), JSON.stringify(w.next), approvalFingerprint(w.next), approvalFingerprint(w.expected), num(SETTLED_APPROVAL_TTL_MS)];
      case 'historyUnchanged':
        return ['H', keys.ref(this.#key('hn', w.session)), num(w.count)];
      case 'recordCall':
        return ['h', keys.ref(this.#key('h', w.session)), JSON.stringify(w.call), num(Math.max(1, Math.floor(w.max))), keys.ref(this.#key('hn', w.session))];
      case 'taintAdd':
        return [
          't',
          keys.ref(this.#taintKey(w.session, w.label)),
          keys.ref(`${this.prefix}tseq`),
          num(Math.max(1, Math.floor(w.cap))),
          ...w.values.map((v) => JSON.stringify(v)),
        ];
    }
  }

  async #loadOne<K extends StateRead['type']>(read: StateRead & { type: K }): Promise<StateReadValue> {
    const [v] = await this.load([read]);
    return v;
  }

  // ---- the StateStore mirror: one script call each -------------------------------------------------------

  async history(session: string): Promise<readonly CallRecord[]> {
    return (await this.#loadOne({ type: 'history', session })) as CallRecord[];
  }

  async historyCount(session: string): Promise<number> {
    return (await this.#loadOne({ type: 'historyCount', session })) as number;
  }

  async recordCall(session: string, call: CallRecord, max: number): Promise<void> {
    await this.#commit([{ type: 'recordCall', session, call, max }]);
  }

  async rateCount(key: string, now: number, windowMs: number): Promise<number> {
    return (await this.#loadOne({ type: 'rate', key, now, windowMs })) as number;
  }

  async rateHit(key: string, now: number, windowMs: number, limit: number): Promise<boolean> {
    return (await this.#commit([{ type: 'rateHit', key, now, windowMs, limit }])).conflict === 0;
  }

  async rateUndo(key: string, at: number): Promise<void> {
    await this.#commit([{ type: 'rateUndo', key, at }]);
  }

  async budgetUse(key: string): Promise<BudgetUsage> {
    return (await this.#loadOne({ type: 'budget', key })) as BudgetUsage;
  }

  async budgetCharge(key: string, delta: BudgetUsage, limits: BudgetLimits): Promise<BudgetCharge> {
    const r = await this.#commit([{ type: 'budgetCharge', key, delta, limits }]);
    return { ok: r.conflict === 0, before: r.before };
  }

  /** Adds `delta`; the usage returned is read right after the add (another process may have added too). */
  async budgetAdd(key: string, delta: BudgetUsage): Promise<BudgetUsage> {
    if ((await this.#commit([{ type: 'budgetAdd', key, delta }])).conflict !== 0) {
      throw new RangeError(`budget ${key}: usage past 2^53 or not an integer; nothing added`);
    }
    return this.budgetUse(key);
  }

  async taint(session: string, label: string): Promise<ReadonlySet<TaintValue>> {
    return new Set((await this.#loadOne({ type: 'taint', session, label })) as TaintValue[]);
  }

  async taintAdd(session: string, label: string, values: readonly TaintValue[], cap: number): Promise<void> {
    if (values.length === 0) return;
    await this.#commit([{ type: 'taintAdd', session, label, values, cap }]);
  }

  async approvalGet(id: string): Promise<ApprovalRecord | undefined> {
    return (await this.#loadOne({ type: 'approval', id })) as ApprovalRecord | undefined;
  }

  async approvalFind(argsDigest: string): Promise<ApprovalRecord | undefined> {
    return (await this.#loadOne({ type: 'approvalByDigest', digest: argsDigest })) as ApprovalRecord | undefined;
  }

  async approvalCreate(record: ApprovalRecord, supersedes?: string): Promise<ApprovalRecord> {
    const write: StateWrite = supersedes === undefined ? { type: 'approvalCreate', record } : { type: 'approvalCreate', record, supersedes };
    for (let attempt = 0; attempt < 5; attempt++) {
      if ((await this.#commit([write])).conflict === 0) return record;
      const latest = await this.approvalFind(record.args_digest);
      if (latest !== undefined && latest.id !== supersedes && (latest.status === 'pending' || latest.status === 'granted' || latest.status === 'rejected')) return latest;
    }
    throw new Error(`approval for ${record.args_digest} kept changing`);
  }

  async approvalSwap(next: ApprovalRecord, expected: ApprovalRecord): Promise<boolean> {
    return (await this.#commit([{ type: 'approvalSwap', next, expected }])).conflict === 0;
  }

  /** The newest {@link APPROVAL_LIST_MAX} approval records, oldest first (settled ones only within their retention). */
  async approvalList(): Promise<ApprovalRecord[]> {
    return (await this.#loadOne({ type: 'approvals' })) as ApprovalRecord[];
  }

  async vaultEntries(session: string): Promise<ReadonlyArray<readonly [string, string]>> {
    return (await this.#loadOne({ type: 'vault', session })) as Array<[string, string]>;
  }

  async vaultAdd(session: string, token: string, text: string): Promise<boolean> {
    return (await this.#commit([{ type: 'vaultAdd', session, token, text }])).conflict === 0;
  }

  /**
   * Deletes every key under this store's prefix (SCAN + UNLINK). For tests and resets; never called by the
   * engine.
   */
  async clear(): Promise<number> {
    await this.#firstConnection();
    let cursor = '0';
    let n = 0;
    do {
      const [next, keys] = await this.client.scan(cursor, 'MATCH', `${escapeGlob(this.prefix)}*`, 'COUNT', 500);
      cursor = next;
      if (keys.length > 0) n += await this.client.unlink(...keys);
    } while (cursor !== '0');
    return n;
  }
}

const LOAD_SHA = sha1(LOAD);
const COMMIT_SHA = sha1(COMMIT);

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;


/**
 * A key part as Redis stores it, one to one: a well-formed string as it is (UTF-8), any other (a lone
 * surrogate would become U+FFFD in UTF-8 and collide) and any starting with U+0001 as U+0001 + its JSON.
 */
function safe(s: string): string {
  return LONE_SURROGATE.test(s) || s.startsWith('\u0001') ? `\u0001${JSON.stringify(s)}` : s;
}

/** The session of an engine key `rate|<id>|session|<value>` or `budget|<id>|session|<value>`, else undefined. */
function sessionOfKey(key: string): string | undefined {
  const parts = key.split('|');
  return parts.length >= 4 && parts[2] === 'session' ? parts.slice(3).join('|') : undefined;
}

function escapeGlob(s: string): string {
  return s.replace(/[*?[\]\\]/g, '\\$&');
}

function decodeRead(r: StateRead, v: unknown): StateReadValue {
  switch (r.type) {
    case 'history':
      return (v as string[]).map((s) => JSON.parse(s) as CallRecord);
    case 'historyCount':
      return v === null || v === undefined || v === false ? 0 : Number(v);
    case 'rate':
      return Number(v);
    case 'budget': {
      const [c, t, m] = v as Array<string | null>;
      return usageOf(c, t, m);
    }
    case 'taint':
      return (v as string[]).map((s) => JSON.parse(s) as TaintValue);
    case 'approval':
    case 'approvalByDigest':
      return parseRecord(v);
    case 'approvals':
      return (v as unknown[]).map(parseRecord).filter((x): x is ApprovalRecord => x !== undefined);
    case 'vault': {
      const flat = v as string[];
      const out: Array<[string, string]> = [];
      for (let i = 0; i + 1 < flat.length; i += 2) out.push([JSON.parse(flat[i]!) as string, JSON.parse(flat[i + 1]!) as string]);
      return out;
    }
  }
}
