/**
 * Regressions from the review of the async state seam, the Redis store and approvals: each block
 * reproduces one finding (budgets poisoned by huge usage, approvals reused under new requirements, one
 * approver filling two requirements, session keys expiring while the session is active, a fast clock
 * trimming other gateways' hits, sequence rules racing over toAsyncStore, the history ABA at its cap).
 */
import { compile } from '@writ/compiler';
import { MemoryStateStore, loadPolicy, toAsyncStore, type Policy, type Request, type StateWrite } from '@writ/runtime';
import { APPROVAL_LIST_MAX, RedisStateStore, SETTLED_APPROVAL_TTL_MS } from '@writ/state-redis';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isGranted } from '../packages/runtime/src/engine/approvals.js';
import type { ApprovalRecord } from '@writ/runtime';
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

describe('approvals: a record counts only if its requirements cover the current ones', () => {
  const text = `policy "p" version "1"
role billing, lead, cfo
agent "bot" roles [billing]
context channel: string
tool refund(amount: money(USD))
approve refund when agent has role billing by role lead within 10m else deny
approve refund when context.channel == "email" by role cfo within 10m else deny
`;
  const req = (channel: string): Request =>
    ({ agent: { id: 'bot' }, tool: 'refund', args: { amount: 5000 }, context: { session: 's', channel } }) as Request;
  const lena = { id: 'lena', roles: ['lead'] };
  const carl = { id: 'carl', roles: ['cfo'] };

  it('sync: a lead-only grant does not allow a call that now also needs the cfo', () => {
    const policy = policyOf(text);
    const d1 = policy.decide(req('chat'));
    expect(d1.effect).toBe('pending_approval');
    expect(policy.approve(d1.approval!.id, lena)).toMatchObject({ status: 'granted' });
    const d2 = policy.decide(req('email'));
    expect(d2.effect).toBe('pending_approval');
    expect(d2.approval!.id).not.toBe(d1.approval!.id);
    expect(d2.approval!.requirements.map((q) => q.role)).toEqual(['lead', 'cfo']);
    // The new record is now the call's: deciding again waits on it, not on the old grant.
    expect(policy.decide(req('email')).approval!.id).toBe(d2.approval!.id);
    policy.approve(d2.approval!.id, lena);
    expect(policy.approve(d2.approval!.id, carl)).toMatchObject({ status: 'granted' });
    const d3 = policy.decide(req('email'));
    expect(d3.effect).toBe('allow');
    expect(d3.approval!.id).toBe(d2.approval!.id);
  });

  it('sync: a grant that asked for more covers a call that asks for less; a rejection stands', () => {
    const policy = policyOf(text);
    const d1 = policy.decide(req('email'));
    policy.approve(d1.approval!.id, lena);
    policy.approve(d1.approval!.id, carl);
    const d2 = policy.decide(req('chat'));
    expect(d2.effect).toBe('allow');
    expect(d2.approval!.id).toBe(d1.approval!.id);

    const p2 = policyOf(text);
    const r1 = p2.decide(req('chat'));
    p2.reject(r1.approval!.id, lena, 'no');
    const r2 = p2.decide(req('email'));
    expect(r2.effect).toBe('deny');
    expect(r2.approval!.id).toBe(r1.approval!.id);
  });

  it('async (Redis): the same, and the superseded record does not block the new one', async () => {
    const policy = policyOf(text);
    const state = fresh();
    const d1 = await policy.decideAsync(req('chat'), { state });
    expect(d1.effect).toBe('pending_approval');
    expect(await policy.approveAsync(d1.approval!.id, lena, { state })).toMatchObject({ status: 'granted' });
    const d2 = await policy.decideAsync(req('email'), { state });
    expect(d2.effect).toBe('pending_approval');
    expect(d2.approval!.id).not.toBe(d1.approval!.id);
    expect((await policy.decideAsync(req('email'), { state })).approval!.id).toBe(d2.approval!.id);
    await policy.approveAsync(d2.approval!.id, lena, { state });
    await policy.approveAsync(d2.approval!.id, carl, { state });
    const d3 = await policy.decideAsync(req('email'), { state });
    expect(d3.effect).toBe('allow');
    expect(d3.approval!.id).toBe(d2.approval!.id);
    // The store operation itself: create over a live record only when it is the one superseded.
    const rec = { ...d2.approval!, id: 'x1', status: 'pending' as const };
    expect((await state.approvalCreate({ ...rec, id: 'x2' })).id).toBe('x2');
    expect((await state.approvalCreate({ ...rec, id: 'x3' })).id).toBe('x2');
    expect((await state.approvalCreate({ ...rec, id: 'x4' }, 'x2')).id).toBe('x4');
    expect((await state.approvalFind(rec.args_digest))!.id).toBe('x4');
  });

  it('memory store: create-if-absent unless the live record is the superseded one', () => {
    const s = new MemoryStateStore();
    const base = { args_digest: 'sha256:d', tool: 't', agent: 'a', requirements: [], approvals: [], rejections: [], status: 'pending' as const, created_at: '', expires_at: '', on_timeout: 'deny' as const };
    expect(s.approvalCreate({ ...base, id: 'a' }).id).toBe('a');
    expect(s.approvalCreate({ ...base, id: 'b' }).id).toBe('a');
    expect(s.approvalCreate({ ...base, id: 'b' }, 'zz').id).toBe('a');
    expect(s.approvalCreate({ ...base, id: 'b' }, 'a').id).toBe('b');
    expect(s.approvalFind('sha256:d')!.id).toBe('b');
  });
});

describe('approvals: separation of duties (one approver fills one requirement)', () => {
  const text = `policy "p" version "1"
role billing, lead, cfo
agent "bot" roles [billing]
tool refund(amount: money(USD))
approve refund when agent has role billing by role lead within 10m else deny
approve refund when args.amount > 1000 USD by role cfo within 10m else deny
`;
  const req = { agent: { id: 'bot' }, tool: 'refund', args: { amount: 5000 }, context: { session: 's' } } as Request;
  const mallory = { id: 'mallory', roles: ['lead', 'cfo'] };
  const lena = { id: 'lena', roles: ['lead'] };

  it('sync: one approver holding both roles does not grant both requirements; a second approver does', () => {
    const policy = policyOf(text);
    const d = policy.decide(req);
    expect(policy.approve(d.approval!.id, mallory)).toMatchObject({ status: 'pending' });
    expect(policy.decide(req).effect).toBe('pending_approval');
    // mallory is matched to cfo once lena takes lead (an augmenting path moves her).
    expect(policy.approve(d.approval!.id, lena)).toMatchObject({ status: 'granted' });
    expect(policy.decide(req).effect).toBe('allow');
  });

  it('async (Redis): the same', async () => {
    const policy = policyOf(text);
    const state = fresh();
    const d = await policy.decideAsync(req, { state });
    expect(await policy.approveAsync(d.approval!.id, mallory, { state })).toMatchObject({ status: 'pending' });
    expect((await policy.decideAsync(req, { state })).effect).toBe('pending_approval');
    expect(await policy.approveAsync(d.approval!.id, lena, { state })).toMatchObject({ status: 'granted' });
    expect((await policy.decideAsync(req, { state })).effect).toBe('allow');
  });

  it('isGranted equals a brute-force search for an assignment of distinct approvers to slots', () => {
    const roles = ['a', 'b', 'c'];
    const grantedByBruteForce = (reqs: Array<{ role: string; quorum: number }>, votes: Map<string, Set<string>>): boolean => {
      const slots = reqs.flatMap((q) => Array.from({ length: q.quorum }, () => q.role));
      const people = [...votes.keys()];
      const used = new Set<string>();
      const fill = (i: number): boolean => {
        if (i === slots.length) return true;
        for (const p of people) {
          if (used.has(p) || !votes.get(p)!.has(slots[i]!)) continue;
          used.add(p);
          if (fill(i + 1)) return true;
          used.delete(p);
        }
        return false;
      };
      return fill(0);
    };
    fc.assert(
      fc.property(
        fc.array(fc.record({ role: fc.constantFrom(...roles), quorum: fc.integer({ min: 1, max: 3 }) }), { minLength: 1, maxLength: 3 }),
        fc.array(fc.record({ approver: fc.constantFrom('p1', 'p2', 'p3', 'p4', 'p5'), role: fc.constantFrom(...roles) }), { maxLength: 10 }),
        (reqs, approvals) => {
          const votes = new Map<string, Set<string>>();
          for (const a of approvals) votes.set(a.approver, (votes.get(a.approver) ?? new Set()).add(a.role));
          const record = {
            requirements: reqs.map((q, i) => ({ rule: `r${i}`, ...q })),
            approvals: approvals.map((a) => ({ ...a, time: '' })),
          } as unknown as ApprovalRecord;
          expect(isGranted(record)).toBe(grantedByBruteForce(reqs, votes));
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('sessionTtlMs: a session expires as a whole, one TTL after its last commit', () => {
  const text = `policy "p" version "1"
role r
agent "bot" roles [r]
tool fetch(url: string)
tool ping(x: string)
tool pay(amount: integer)
allow fetch
allow ping
allow pay
deny ping when called pay because "no ping after pay"
label web from tool fetch.result
deny flow web -> pay.amount because "amount from web"
`;
  const req = (tool: string, args: Record<string, unknown>): Request => ({ agent: { id: 'bot' }, tool, args, context: { session: 's' } }) as Request;
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  it('taint written once stays while later commits in the session refresh only the history', async () => {
    const policy = policyOf(text);
    const ttl = 1500;
    const state = fresh({ sessionTtlMs: ttl });
    expect((await policy.decideAsync(req('fetch', { url: 'u' }), { state })).effect).toBe('allow');
    expect((await policy.checkResultAsync(req('fetch', { url: 'u' }), { amount: 9999 }, { state })).effect).toBe('allow');
    const taintKey = `${state.prefix}t:1:s:web`;
    expect(await state.client.pttl(taintKey)).toBeGreaterThan(0);
    for (let i = 0; i < 5; i++) {
      await sleep(ttl / 3);
      expect((await policy.decideAsync(req('ping', { x: `hi${i}` }), { state })).effect).toBe('allow');
      // The ping wrote only the history; the taint set's TTL was refreshed with it.
      expect(await state.client.pttl(taintKey)).toBeGreaterThan(ttl / 2);
    }
    const pay = await policy.decideAsync(req('pay', { amount: 9999 }), { state });
    expect(pay.effect).toBe('deny');
    expect(pay.reasons[0]!.message).toBe('amount from web');
    // Idle: everything of the session goes, the key set too.
    await sleep(ttl + 300);
    expect((await state.client.keys(`${state.prefix}*:s`)).concat(await state.client.keys(`${state.prefix}t:1:s:*`))).toEqual([]);
  });
});

describe('rate limits: a gateway whose clock runs ahead does not trim hits other gateways still count', () => {
  it('3 per minute: after a +45 s gateway, correct clocks still see their own hits', async () => {
    const policy = policyOf(`policy "p" version "1"
role r
agent "bot" roles [r]
tool sms(x: string)
allow sms
limit sms 3 per 1m per global
`);
    const state = fresh();
    const T0 = Date.parse('2026-06-01T00:00:00Z');
    const at = async (realS: number, skewS: number) =>
      (await policy.decideAsync({ agent: { id: 'bot' }, tool: 'sms', args: { x: 'a' } } as Request, { state, now: T0 + (realS + skewS) * 1000 })).effect;
    expect([await at(0, 0), await at(1, 0), await at(2, 0)]).toEqual(['allow', 'allow', 'allow']);
    // The fast gateway misses the first 45 s of the true window (the documented bound of its overshoot).
    expect(await at(20, 45)).toBe('allow');
    expect([await at(21, 0), await at(22, 0), await at(23, 0)]).toEqual(['deny', 'deny', 'deny']);
    const rates = await state.client.keys(`${state.prefix}r:*`);
    expect(await state.client.zcard(rates[0]!)).toBe(4);
  });
});

describe('toAsyncStore: batch commit, so sequence rules are atomic; the single-operation path refuses them', () => {
  const text = `policy "p" version "1"
role r
agent "bot" roles [r]
tool pay(x: string)
tool cancel(x: string)
allow pay
allow cancel
deny pay when called cancel because "cancelled"
deny cancel when called pay because "paid"
limit pay 100 per 1h per global
`;
  const req = (tool: string, session = 's'): Request => ({ agent: { id: 'bot' }, tool, args: { x: 'a' }, context: { session } }) as Request;

  it('parallel pay and cancel in one session: exactly one is allowed', async () => {
    const policy = policyOf(text);
    for (let i = 0; i < 20; i++) {
      const mem = new MemoryStateStore();
      const state = toAsyncStore(mem);
      const [a, b] = await Promise.all([policy.decideAsync(req('pay'), { state }), policy.decideAsync(req('cancel'), { state })]);
      expect([a.effect, b.effect].sort()).toEqual(['allow', 'deny']);
      expect(mem.history('s')).toHaveLength(1);
    }
  });

  it('commit applies all or nothing', async () => {
    const mem = new MemoryStateStore();
    const state = toAsyncStore(mem);
    mem.budgetAdd('b', { calls: 5, tokens: 0, costMicros: 0 });
    const r = await state.commit!([
      { type: 'rateHit', key: 'k', now: 10, windowMs: 100, limit: 1 },
      { type: 'recordCall', session: 's', call: { tool: 't', args: {}, at: 10 }, max: 10 },
      { type: 'budgetCharge', key: 'b', delta: { calls: 1, tokens: 0, costMicros: 0 }, limits: { calls: 5 } },
    ]);
    expect(r).toEqual({ ok: false, conflict: 2 });
    expect(mem.rateCount('k', 10, 100)).toBe(0);
    expect(mem.history('s')).toEqual([]);
    expect(mem.budgetUse('b').calls).toBe(5);
  });

  it('a store without commit fails closed on a decision that read a session history', async () => {
    const policy = policyOf(text);
    const { load: _l, commit: _c, ...single } = toAsyncStore(new MemoryStateStore());
    const d = await policy.decideAsync(req('pay'), { state: single });
    expect(d.effect).toBe('deny');
    expect(d.reasons[0]!.rule).toBe('writ:state-store');
  });
});

describe('history checks at the 1,000-call cap: an appended call identical to the last one is a change', () => {
  const X = { tool: 'x', args: { n: 1 }, at: 1000 };
  const fill = async (s: { recordCall(session: string, call: typeof X, max: number): unknown }) => {
    for (let i = 0; i < 999; i++) await s.recordCall('s', { tool: 'old', args: { i }, at: 1 }, 1000);
    await s.recordCall('s', X, 1000);
  };

  it('Redis: the second of two commits that read the same history conflicts', async () => {
    const store = fresh();
    await fill(store);
    const count = await store.historyCount('s');
    expect(count).toBe(1000);
    const writes: StateWrite[] = [{ type: 'historyUnchanged', session: 's', count }, { type: 'recordCall', session: 's', call: X, max: 1000 }];
    expect(await store.commit(writes)).toEqual({ ok: true });
    expect(await store.commit(writes)).toEqual({ ok: false, conflict: 0 });
    const h = await store.history('s');
    expect(h).toHaveLength(1000);
    expect(h[0]!.args).toEqual({ i: 1 });
  });

  it('memory (through toAsyncStore): the same', async () => {
    const mem = new MemoryStateStore();
    await fill(mem as never);
    const state = toAsyncStore(mem);
    const [count] = (await state.load!([{ type: 'historyCount', session: 's' }])) as [number];
    const writes: StateWrite[] = [{ type: 'historyUnchanged', session: 's', count }, { type: 'recordCall', session: 's', call: X, max: 1000 }];
    expect(await state.commit!(writes)).toEqual({ ok: true });
    expect(await state.commit!(writes)).toEqual({ ok: false, conflict: 0 });
    expect(mem.historyCount('s')).toBe(1001);
  });
});

describe('Redis approval list: bounded, settled records expire', () => {
  const rec = (i: number): ApprovalRecord => ({
    id: `id${i}`,
    args_digest: `sha256:d${i}`,
    tool: 't',
    agent: 'a',
    requirements: [{ rule: 'r', role: 'lead', quorum: 1 }],
    approvals: [],
    rejections: [],
    status: 'pending',
    created_at: '2026-01-01T00:00:00.000Z',
    expires_at: '2026-01-01T00:10:00.000Z',
    on_timeout: 'deny',
  });

  it(`one list read returns the newest ${APPROVAL_LIST_MAX}; the id list is trimmed; older records stay readable by id`, async () => {
    const store = fresh();
    const total = APPROVAL_LIST_MAX + 5;
    await Promise.all(Array.from({ length: total }, (_, i) => store.approvalCreate(rec(i))));
    const list = await store.approvalList();
    expect(list).toHaveLength(APPROVAL_LIST_MAX);
    expect(await store.client.llen(`${store.prefix}al`)).toBe(APPROVAL_LIST_MAX);
    expect(new Set(list.map((r) => r.id)).has('id0')).toBe(false);
    expect((await store.approvalGet('id0'))?.id).toBe('id0');
  });

  it('a record swapped to used or expired expires after the retention; granted and rejected ones do not', async () => {
    const store = fresh();
    for (const i of [1, 2, 3]) await store.approvalCreate(rec(i));
    expect(await store.approvalSwap({ ...rec(1), status: 'used' }, rec(1))).toBe(true);
    expect(await store.approvalSwap({ ...rec(2), status: 'expired' }, rec(2))).toBe(true);
    expect(await store.approvalSwap({ ...rec(3), status: 'rejected', rejections: [{ approver: 'x', role: 'lead', time: '' }] }, rec(3))).toBe(true);
    const ttl = async (id: string) => store.client.pttl(`${store.prefix}a:${id}`);
    expect(await ttl('id1')).toBeGreaterThan(SETTLED_APPROVAL_TTL_MS - 60_000);
    expect(await ttl('id2')).toBeGreaterThan(SETTLED_APPROVAL_TTL_MS - 60_000);
    expect(await ttl('id3')).toBe(-1);
  });
});
