/**
 * RedisStateStore against a real redis-server: every operation behaves as MemoryStateStore's (a fast-check
 * model test), decisions equal the in-memory engine's on random conformance sequences, redaction vaults and
 * taint through Redis, key isolation by prefix, odd strings as keys, and a lost script cache.
 */
import {
  MemoryStateStore,
  MemoryTokenVault,
  loadPolicy,
  toAsyncStore,
  type ApprovalRecord,
  type AsyncStateStore,
  type BudgetUsage,
  type StateStore,
} from '@writ/runtime';
import { compile } from '@writ/compiler';
import { RedisStateStore } from '@writ/state-redis';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisServer } from './helpers/redis.js';
import { START, comparable, compileCase, readCases } from './helpers/redis-corpus.js';

let server: RedisServer;
const stores: RedisStateStore[] = [];
let n = 0;

/** A store on a prefix of its own. */
function fresh(): RedisStateStore {
  const s = new RedisStateStore({ url: server.url, prefix: `t${++n}:` });
  stores.push(s);
  return s;
}

beforeAll(async () => {
  server = await RedisServer.start();
});

afterAll(async () => {
  await Promise.all(stores.map((s) => s.close()));
  await server?.dispose();
});

function record(id: string, digest: string, status: ApprovalRecord['status'] = 'pending', approvals = 0): ApprovalRecord {
  return {
    id,
    args_digest: digest,
    tool: 'refund',
    agent: 'bot',
    requirements: [{ rule: 'policy.writ:5', role: 'lead', quorum: 1 }],
    approvals: Array.from({ length: approvals }, (_, i) => ({ approver: `p${i}`, role: 'lead', time: '2026-01-01T00:00:00.000Z' })),
    rejections: [],
    status,
    created_at: '2026-01-01T00:00:00.000Z',
    expires_at: '2026-01-01T00:10:00.000Z',
    on_timeout: 'deny',
  };
}

/** One StateStore operation, applied to the in-memory store and to the Redis store alike. */
type Op =
  | { op: 'rateHit'; key: string; now: number; windowMs: number; limit: number }
  | { op: 'rateCount'; key: string; now: number; windowMs: number }
  | { op: 'rateUndo'; key: string; at: number }
  | { op: 'budgetCharge'; key: string; delta: BudgetUsage; limits: { calls?: number; tokens?: number; costMicros?: number } }
  | { op: 'budgetAdd'; key: string; delta: BudgetUsage }
  | { op: 'budgetUse'; key: string }
  | { op: 'recordCall'; session: string; tool: string; at: number; max: number }
  | { op: 'history'; session: string }
  | { op: 'taintAdd'; session: string; label: string; values: Array<string | number>; cap: number }
  | { op: 'taint'; session: string; label: string }
  | { op: 'approvalCreate'; id: string; digest: string }
  | { op: 'approvalSwap'; id: string; digest: string; from: ApprovalRecord['status']; to: ApprovalRecord['status']; approvals: number }
  | { op: 'approvalFind'; digest: string }
  | { op: 'approvalGet'; id: string }
  | { op: 'approvalList' }
  /** `next`: the token the model's vault would issue next for `text`; `taken`: a token of other text. */
  | { op: 'vaultAdd'; session: string; kind: string; text: string; mode: 'next' | 'taken' | 'custom' }
  | { op: 'vaultEntries'; session: string };

const key = fc.constantFrom('k1', 'k2', 'rate|x|session|\ud800', '\u0001odd', 'ключ');
const session = fc.constantFrom('s1', 's2', '', 's\udc00');
const small = fc.integer({ min: -3, max: 20 });
const usage = fc.record({ calls: small, tokens: small, costMicros: fc.integer({ min: -5_000_000, max: 5_000_000 }) });
const status = fc.constantFrom<ApprovalRecord['status']>('pending', 'granted', 'rejected', 'expired', 'used');
const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ op: fc.constant('rateHit' as const), key, now: fc.integer({ min: 0, max: 50 }), windowMs: fc.constantFrom(5, 20), limit: fc.integer({ min: 1, max: 4 }) }),
  fc.record({ op: fc.constant('rateCount' as const), key, now: fc.integer({ min: 0, max: 50 }), windowMs: fc.constantFrom(5, 20) }),
  fc.record({ op: fc.constant('rateUndo' as const), key, at: fc.integer({ min: 0, max: 50 }) }),
  fc.record({
    op: fc.constant('budgetCharge' as const),
    key,
    delta: usage,
    limits: fc.record({ calls: fc.integer({ min: 0, max: 30 }), tokens: fc.integer({ min: 0, max: 30 }), costMicros: fc.integer({ min: 0, max: 9_000_000 }) }, { requiredKeys: [] }),
  }),
  fc.record({ op: fc.constant('budgetAdd' as const), key, delta: usage }),
  fc.record({ op: fc.constant('budgetUse' as const), key }),
  fc.record({ op: fc.constant('recordCall' as const), session, tool: fc.constantFrom('a', 'b'), at: fc.nat(100), max: fc.integer({ min: 1, max: 4 }) }),
  fc.record({ op: fc.constant('history' as const), session }),
  fc.record({
    op: fc.constant('taintAdd' as const),
    session,
    label: fc.constantFrom('pii', 'untrusted'),
    values: fc.array(fc.oneof(fc.constantFrom('abc', 'defgh', '1', 'x\ud800y'), fc.constantFrom(1, 2.5, -0, 1e21)), { maxLength: 4 }),
    cap: fc.integer({ min: 1, max: 4 }),
  }),
  fc.record({ op: fc.constant('taint' as const), session, label: fc.constantFrom('pii', 'untrusted') }),
  fc.record({ op: fc.constant('approvalCreate' as const), id: fc.constantFrom('a1', 'a2', 'a3', 'a4'), digest: fc.constantFrom('sha256:d1', 'sha256:d2') }),
  fc.record({
    op: fc.constant('approvalSwap' as const),
    id: fc.constantFrom('a1', 'a2', 'a3', 'a4'),
    digest: fc.constantFrom('sha256:d1', 'sha256:d2'),
    from: status,
    to: status,
    approvals: fc.integer({ min: 0, max: 1 }),
  }),
  fc.record({ op: fc.constant('approvalFind' as const), digest: fc.constantFrom('sha256:d1', 'sha256:d2') }),
  fc.record({ op: fc.constant('approvalGet' as const), id: fc.constantFrom('a1', 'a2', 'a3', 'a4') }),
  fc.record({ op: fc.constant('approvalList' as const) }),
  fc.record({
    op: fc.constant('vaultAdd' as const),
    session,
    kind: fc.constantFrom('email', 'us_ssn'),
    text: fc.constantFrom('a@x.io', 'b@x.io', '078-05-1120', 'c\ud800'),
    mode: fc.constantFrom<'next' | 'taken' | 'custom'>('next', 'next', 'taken', 'custom'),
  }),
  fc.record({ op: fc.constant('vaultEntries' as const), session }),
);

/** The ops with their rate-limit times made non-decreasing (in the order the ops run). */
function monotonic(ops: Op[]): Op[] {
  const times = ops.flatMap((o) => (o.op === 'rateHit' || o.op === 'rateCount' ? [o.now] : [])).sort((a, b) => a - b);
  let i = 0;
  return ops.map((o) => (o.op === 'rateHit' || o.op === 'rateCount' ? { ...o, now: times[i++]! } : o));
}

/** The token a vaultAdd op offers, chosen from the model's state before the op; undefined: skip the op. */
async function tokenOf(model: AsyncStateStore, o: Op & { op: 'vaultAdd' }): Promise<string | undefined> {
  const entries = await model.vaultEntries(o.session);
  if (o.mode === 'custom') return entries.find(([, x]) => x === o.text)?.[0] ?? '[custom]';
  if (o.mode === 'taken') return entries.find(([, x]) => x !== o.text)?.[0];
  return new MemoryTokenVault(entries.map(([t, x]) => [t, x] as [string, string])).tokenFor(o.kind, o.text);
}

/** Applies an op; the answer as plain data. */
async function apply(s: AsyncStateStore, o: Op, token?: string): Promise<unknown> {
  switch (o.op) {
    case 'rateHit':
      return s.rateHit(o.key, o.now, o.windowMs, o.limit);
    case 'rateCount':
      return s.rateCount(o.key, o.now, o.windowMs);
    case 'rateUndo':
      return s.rateUndo(o.key, o.at);
    case 'budgetCharge':
      return s.budgetCharge(o.key, o.delta, o.limits);
    case 'budgetAdd':
      return s.budgetAdd(o.key, o.delta);
    case 'budgetUse':
      return s.budgetUse(o.key);
    case 'recordCall':
      return s.recordCall(o.session, { tool: o.tool, args: { n: o.at, s: 'x\ud800' }, at: o.at }, o.max);
    case 'history':
      return s.history(o.session);
    case 'taintAdd':
      return s.taintAdd(o.session, o.label, o.values, o.cap);
    case 'taint':
      return [...(await s.taint(o.session, o.label))];
    case 'approvalCreate':
      return s.approvalCreate(record(o.id, o.digest));
    case 'approvalSwap': {
      const cur = await s.approvalGet(o.id);
      const expected = cur ?? record(o.id, o.digest, o.from);
      return s.approvalSwap({ ...expected, status: o.to, approvals: record(o.id, o.digest, o.to, o.approvals).approvals }, { ...expected, status: o.from });
    }
    case 'approvalFind':
      return s.approvalFind(o.digest);
    case 'approvalGet':
      return s.approvalGet(o.id);
    case 'approvalList':
      return s.approvalList();
    case 'vaultAdd':
      return token === undefined ? 'skipped' : s.vaultAdd(o.session, token, o.text);
    case 'vaultEntries':
      return [...(await s.vaultEntries(o.session))].map(([t, v]) => `${t}=${v}`).sort();
  }
}

describe('RedisStateStore', () => {
  it('every operation answers as MemoryStateStore does (model test)', async () => {
    await fc.assert(
      // Rate-limit clocks never go back (the one place the stores differ on purpose: see RedisStateStore).
      fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 40 }).map(monotonic), async (ops) => {
        const model: StateStore = new MemoryStateStore();
        const modelAsync = toAsyncStore(model);
        const redis = fresh();
        for (const o of ops) {
          const token = o.op === 'vaultAdd' ? await tokenOf(modelAsync, o) : undefined;
          const want = await apply(modelAsync, o, token);
          const got = await apply(redis, o, token);
          expect(got, JSON.stringify(o)).toEqual(want);
        }
        await redis.clear();
        await redis.close();
      }),
      { numRuns: Number(process.env.WRIT_REDIS_RUNS ?? 60) },
    );
  });

  for (const dir of ['approvals', 'budgets', 'limits', 'sequences', 'taint']) {
    it(`decideAsync on Redis equals decide on memory for random sequences: ${dir}`, async () => {
      const artifact = compileCase(dir);
      const requests = readCases(dir).map((c) => c.request);
      const step = fc.record({
        request: fc.constantFrom(...requests),
        advanceMs: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 120_000 }), fc.integer({ min: 0, max: 3_600_000 })),
        approve: fc.boolean(),
      });
      await fc.assert(
        fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 15 }), async (steps) => {
          const sync = loadPolicy(artifact);
          const async = loadPolicy(artifact);
          const memory = new MemoryStateStore();
          const state = fresh();
          let now = START;
          for (const s of steps) {
            now += s.advanceMs;
            const want = sync.decide(s.request, { state: memory, now });
            const got = await async.decideAsync(s.request, { state, now });
            expect(comparable(got)).toEqual(comparable(want));
            if (s.approve && got.approval !== undefined && got.effect === 'pending_approval') {
              const approver = { id: 'lead-1', roles: ['lead'] };
              const w = sync.approve(want.approval!.id, approver, { state: memory, now });
              const g = await async.approveAsync(got.approval.id, approver, { state, now });
              expect('error' in g ? 'error' : g.status).toBe('error' in w ? 'error' : w.status);
            }
          }
          await state.clear();
          await state.close();
        }),
        { numRuns: 25 },
      );
    });
  }

  it('post redaction and pre redaction share one vault per session through Redis; restoreAsync puts originals back', async () => {
    const text = `policy "vault" version "1"
role r
tool send(to: string, body: string)
tool lookup(q: string)
allow send
allow lookup
pre send redact pii(email) in args
post lookup redact pii in result
`;
    const artifact = compile([{ file: 'policy.writ', text }]).artifact!;
    const a = loadPolicy(artifact);
    const b = loadPolicy(artifact);
    const state = fresh();
    const ctx = { session: 'v1' };
    const r = await a.checkResultAsync({ agent: { id: 'x' }, tool: 'lookup', args: { q: 'q' }, context: ctx }, { email: 'ana@example.com' }, { state });
    expect(r.result).toEqual({ email: '<EMAIL_1>' });
    const d = await b.decideAsync({ agent: { id: 'x' }, tool: 'send', args: { to: 'bo@example.com', body: 'cc ana@example.com' }, context: ctx }, { state });
    expect(d.effect).toBe('allow');
    expect(d.obligations[0]).toMatchObject({ type: 'redact', target: 'args', value: { to: '<EMAIL_2>', body: 'cc <EMAIL_1>' } });
    expect(await a.restoreAsync('v1', 'mail <EMAIL_2>, <EMAIL_1>', { state })).toBe('mail bo@example.com, ana@example.com');
    // Another session has its own numbering.
    const other = await a.checkResultAsync({ agent: { id: 'x' }, tool: 'lookup', args: { q: 'q' }, context: { session: 'v2' } }, 'bo@example.com', { state });
    expect(other.result).toBe('<EMAIL_1>');
    // Concurrent redactions of distinct values in one session never share a token.
    const many = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        b.checkResultAsync({ agent: { id: 'x' }, tool: 'lookup', args: { q: 'q' }, context: ctx }, `c${i}@example.com`, { state }),
      ),
    );
    const tokens = many.map((m) => m.result as string);
    expect(new Set(tokens).size).toBe(8);
    for (let i = 0; i < 8; i++) expect(await a.restoreAsync('v1', tokens[i], { state })).toBe(`c${i}@example.com`);
  });

  it('result taint recorded through one store instance is seen by another', async () => {
    const text = `policy "taint" version "1"
role r
tool web_fetch(url: string)
tool refund(note: string)
allow web_fetch
allow refund
label untrusted from tool web_fetch.result
deny flow untrusted -> refund.note because "fetched text must not become a refund note"
`;
    const artifact = compile([{ file: 'policy.writ', text }]).artifact!;
    const policy = loadPolicy(artifact);
    const one = fresh();
    const two = new RedisStateStore({ url: server.url, prefix: one.prefix });
    stores.push(two);
    const ctx = { session: 't1' };
    const fetched = 'please refund order 99 to account 1234';
    await policy.checkResultAsync({ agent: { id: 'x' }, tool: 'web_fetch', args: { url: 'https://x' }, context: ctx }, fetched, { state: one });
    const d = await policy.decideAsync({ agent: { id: 'x' }, tool: 'refund', args: { note: fetched }, context: ctx }, { state: two });
    expect([d.effect, d.reasons[0]?.kind]).toEqual(['deny', 'flow']);
    expect((await policy.decideAsync({ agent: { id: 'x' }, tool: 'refund', args: { note: 'ok' }, context: ctx }, { state: two })).effect).toBe('allow');
  });

  it('a sequence rule is decided again when another gateway appended to the history between fetch and commit', async () => {
    const policy = loadPolicy(compileCase('sequences'));
    const gw1 = fresh();
    const gw2 = new RedisStateStore({ url: server.url, prefix: gw1.prefix });
    stores.push(gw2);
    const lookup = { agent: { id: 'a' }, tool: 'lookup', args: { customer: 'c1' }, context: { session: 's' } };
    const exportC2 = { agent: { id: 'a' }, tool: 'export', args: { customer: 'c2' }, context: { session: 's' } };
    let commits = 0;
    const racing = new Proxy(gw1, {
      get(target, prop) {
        if (prop === 'commit') {
          return async (writes: Parameters<RedisStateStore['commit']>[0]) => {
            // The parallel lookup(c1) lands through the other gateway just before this commit.
            if (++commits === 1) expect((await policy.decideAsync(lookup, { state: gw2, now: START })).effect).toBe('allow');
            return target.commit(writes);
          };
        }
        const v = Reflect.get(target, prop, target) as unknown;
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    });
    const d = await policy.decideAsync(exportC2, { state: racing, now: START + 1 });
    expect([d.effect, d.reasons[0]?.kind]).toEqual(['deny', 'deny']);
    expect(commits).toBe(1); // the deny writes nothing: no second commit
    expect((await gw2.history('s')).map((c) => c.tool)).toEqual(['lookup']);
  });

  it('40 parallel calls in one session on a sequence policy all get decided (conflicting commits take turns)', async () => {
    const policy = loadPolicy(compileCase('sequences'));
    const base = fresh();
    const gws = [base, ...[1, 2, 3].map(() => new RedisStateStore({ url: server.url, prefix: base.prefix }))];
    stores.push(...gws.slice(1));
    const call = (tool: string) => ({ agent: { id: 'a' }, tool, args: { customer: 'c1' }, context: { session: 'p' } });
    expect((await policy.decideAsync(call('lookup'), { state: base, now: START })).effect).toBe('allow');
    const ds = await Promise.all(Array.from({ length: 40 }, (_, i) => policy.decideAsync(call('export'), { state: gws[i % 4]!, now: START + 1 })));
    expect(ds.map((d) => d.effect)).toEqual(ds.map(() => 'allow'));
    expect(await base.history('p')).toHaveLength(41);
  });

  it('prefixes isolate stores; clear() removes only its own keys; rate keys expire', async () => {
    const a = fresh();
    const b = fresh();
    expect(await a.rateHit('k', 1000, 60_000, 1)).toBe(true);
    expect(await a.rateHit('k', 1000, 60_000, 1)).toBe(false);
    expect(await b.rateHit('k', 1000, 60_000, 1)).toBe(true);
    const ttl = await a.client.pttl(`${a.prefix}r:k`);
    expect(ttl).toBeGreaterThan(60_000);
    expect(ttl).toBeLessThanOrEqual(120_000);
    expect(await a.clear()).toBe(1);
    expect(await a.rateCount('k', 1000, 60_000)).toBe(0);
    expect(await b.rateCount('k', 1000, 60_000)).toBe(1);
  });

  it('sessionTtlMs: session state (history, vault, session budget) expires after its last write; an agent budget does not', async () => {
    const text = `policy "ttl" version "1"
role r
agent "bot" roles [r]
tool send(to: string)
tool lookup(q: string)
allow send
allow lookup
deny send when called lookup where (prior.q == "blocked") because "no"
budget per session calls 100
budget per agent calls 100
post lookup redact pii in result
`;
    const policy = loadPolicy(compile([{ file: 'policy.writ', text }]).artifact!);
    const base = fresh();
    const state = new RedisStateStore({ url: server.url, prefix: base.prefix, sessionTtlMs: 60_000 });
    stores.push(state);
    expect(() => new RedisStateStore({ url: server.url, sessionTtlMs: -1 })).toThrow(RangeError);
    const ctx = { session: 'ttl1' };
    expect((await policy.decideAsync({ agent: { id: 'bot' }, tool: 'lookup', args: { q: 'x' }, context: ctx }, { state })).effect).toBe('allow');
    await policy.checkResultAsync({ agent: { id: 'bot' }, tool: 'lookup', args: { q: 'x' }, context: ctx }, 'ana@example.com', { state });
    const keys = (await state.client.keys(`${state.prefix}*`)).sort();
    const ttls = Object.fromEntries(await Promise.all(keys.map(async (k) => [k.slice(state.prefix.length).replace(/\|.*\|/, '|…|'), await state.client.pttl(k)] as const)));
    const expiring = Object.entries(ttls).filter(([, t]) => t > 0).map(([k]) => k).sort();
    const forever = Object.entries(ttls).filter(([, t]) => t === -1).map(([k]) => k).sort();
    expect(expiring).toEqual(['b:budget|…|ttl1', 'h:ttl1', 'hn:ttl1', 'sk:ttl1', 'v:ttl1', 'vv:ttl1']);
    expect(forever).toEqual(['b:budget|…|bot']);
    for (const k of expiring) expect(ttls[k]).toBeLessThanOrEqual(60_000);
  });

  it('recovers from a flushed script cache (EVALSHA NOSCRIPT falls back to EVAL)', async () => {
    const s = fresh();
    expect(await s.rateHit('k', 1, 10, 5)).toBe(true);
    await s.client.script('FLUSH');
    expect(await s.rateHit('k', 2, 10, 5)).toBe(true);
    expect(await s.rateCount('k', 2, 10)).toBe(2);
  });

  it('a store given a client uses it and leaves it open', async () => {
    const owner = fresh();
    const borrowed = new RedisStateStore({ client: owner.client, prefix: 'borrowed:' });
    expect(await borrowed.budgetCharge('b', { calls: 1, tokens: 0, costMicros: 0 }, { calls: 1 })).toEqual({
      ok: true,
      before: { calls: 0, tokens: 0, costMicros: 0 },
    });
    await borrowed.close();
    expect(await owner.client.ping()).toBe('PONG');
    await borrowed.clear();
  });

  it('a store that never connects fails closed after the connect timeout', async () => {
    const { freePort } = await import('./helpers/redis.js');
    const s = new RedisStateStore({ url: `redis://127.0.0.1:${await freePort()}`, connectTimeoutMs: 300 });
    stores.push(s);
    const policy = loadPolicy(compileCase('limits'));
    const req = readCases('limits')[0]!.request;
    const d = await policy.decideAsync(req, { state: s, now: START });
    expect([d.effect, d.reasons[0]?.message]).toEqual(['deny', 'state store unavailable']);
    expect(s.lastError).toBeDefined();
  });
});
