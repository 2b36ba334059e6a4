/**
 * Regressions from the review of the async state seam, the Redis store and approvals: each block
 * reproduces one finding (budgets poisoned by huge usage, approvals reused under new requirements, one
 * approver filling two requirements, session keys expiring while the session is active, a fast clock
 * trimming other gateways' hits, sequence rules racing over toAsyncStore, the history ABA at its cap).
 */
import { compile } from '@writ/compiler';
import { MemoryStateStore, loadPolicy, toAsyncStore, type Policy, type Request, type StateWrite } from '@writ/runtime';
import { RedisStateStore } from '@writ/state-redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisServer } from './helpers/redis.js';

let server: RedisServer;
const stores: RedisStateStore[] = [];
let n = 0;

function fresh(extra: { sessionTtlMs?: number } = {}): RedisStateStore {
  const s = new RedisStateStore({ url: server.url, prefix: `fix${++n}:`, ...extra });
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

function policyOf(text: string): Policy {
  const r = compile([{ file: 'p.writ', text }]);
  const errors = r.diagnostics.filter((d) => d.severity === 'error');
  expect(errors.map((d) => `${d.span.line}:${d.span.column} ${d.message}`)).toEqual([]);
  return loadPolicy(r.artifact!);
}

describe('budgets: usage that cannot be counted exactly', () => {
  const text = `policy "p" version "1"
role r
agent "bot" roles [r]
agent "eve" roles [r]
tool ping(x: string)
allow ping
limit ping 100 per 1h per global
budget per tenant calls 1000
`;
  const req = (agent: string, usage: { cost?: number; tokens?: number }): Request =>
    ({ agent: { id: agent, tenant: 't1' }, tool: 'ping', args: { x: 'a' }, context: { session: `s-${agent}`, usage } }) as Request;

  it('a commit with an over-range delta writes nothing (not even the rate hit before it)', async () => {
    const store = fresh();
    const writes: StateWrite[] = [
      { type: 'rateHit', key: 'rate|l|global|', now: 1000, windowMs: 60_000, limit: 10 },
      { type: 'budgetCharge', key: 'budget|b|tenant|t1', delta: { calls: 1, tokens: 0, costMicros: 1e22 }, limits: { calls: 1000 } },
    ];
    const r = await store.commit(writes);
    expect(r).toEqual({ ok: false, conflict: 1 });
    expect(await store.client.zcard(`${store.prefix}r:rate|l|global|`)).toBe(0);
    expect(await store.client.hgetall(`${store.prefix}b:budget|b|tenant|t1`)).toEqual({});
    // A sum past 2^53 is refused as well, and an unconditional add too.
    await store.budgetAdd('k', { calls: 0, tokens: 2 ** 53 - 1, costMicros: 0 });
    expect((await store.commit([{ type: 'budgetAdd', key: 'k', delta: { calls: 0, tokens: 2 ** 53 - 1, costMicros: 0 } }])).ok).toBe(false);
    await expect(store.budgetAdd('k', { calls: 0, tokens: 2 ** 53 - 1, costMicros: 0 })).rejects.toThrow(/2\^53/);
    expect(await store.budgetUse('k')).toEqual({ calls: 0, tokens: 2 ** 53 - 1, costMicros: 0 });
  });

  it('a stored value that is not an integer makes a charge a denial, not a half-applied commit', async () => {
    const store = fresh();
    await store.ready();
    await store.client.hset(`${store.prefix}b:budget|b|tenant|t1`, 'm', '1e+22');
    const r = await store.commit([
      { type: 'rateHit', key: 'rate|l|global|', now: 1000, windowMs: 60_000, limit: 10 },
      { type: 'budgetCharge', key: 'budget|b|tenant|t1', delta: { calls: 1, tokens: 0, costMicros: 5 }, limits: {} },
    ]);
    expect(r.ok).toBe(false);
    expect(await store.client.zcard(`${store.prefix}r:rate|l|global|`)).toBe(0);
  });

  it('one huge cost is an invalid request and the shared budget keeps deciding (Redis)', async () => {
    const policy = policyOf(text);
    const store = fresh();
    expect((await policy.decideAsync(req('bot', { cost: 0.01 }), { state: store })).effect).toBe('allow');
    const eve = await policy.decideAsync(req('eve', { cost: 1e16 }), { state: store });
    expect(eve.effect).toBe('deny');
    expect(eve.denial).toBe('invalid_request');
    expect(eve.reasons[0]!.message).toMatch(/context\.usage\.cost is too large/);
    for (let i = 0; i < 3; i++) expect((await policy.decideAsync(req('bot', { cost: 0.01 }), { state: store })).effect).toBe('allow');
    expect(await store.budgetUse('budget|p.writ:8|tenant|t1')).toEqual({ calls: 4, tokens: 0, costMicros: 40_000 });
    const rates = await store.client.keys(`${store.prefix}r:*`);
    expect(await store.client.zcard(rates[0]!)).toBe(4);
  });

  it('tokens whose sum with the stored usage passes 2^53 deny as invalid, in memory and in Redis', async () => {
    const big = 2 ** 53 - 1;
    const sync = policyOf(text);
    expect(sync.decide(req('bot', { tokens: big })).effect).toBe('allow');
    const second = sync.decide(req('bot', { tokens: big }));
    expect(second.denial).toBe('invalid_request');
    expect(second.reasons[0]!.message).toMatch(/tokens would take/);
    expect(sync.decide(req('bot', { tokens: 0 })).effect).toBe('allow');

    const policy = policyOf(text);
    const store = fresh();
    expect((await policy.decideAsync(req('bot', { tokens: big }), { state: store })).effect).toBe('allow');
    expect((await policy.decideAsync(req('bot', { tokens: big }), { state: store })).denial).toBe('invalid_request');
    expect((await policy.decideAsync(req('bot', { tokens: 0 }), { state: store })).effect).toBe('allow');
    expect(await store.budgetUse('budget|p.writ:8|tenant|t1')).toEqual({ calls: 2, tokens: big, costMicros: 0 });
  });
});
