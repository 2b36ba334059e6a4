/**
 * `Policy.decideAsync` and friends without Redis: over `toAsyncStore(new MemoryStateStore())`, over stores
 * that fail, conflict or are raced, and a property that decideAsync equals decide on conformance policies.
 */
import { compile } from '@writ/compiler';
import {
  MemoryStateStore,
  STATE_BUSY,
  STATE_UNAVAILABLE,
  loadPolicy,
  toAsyncStore,
  type AsyncStateStore,
  type Decision,
  type Policy,
} from '@writ/runtime';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { comparable, compileCase, readCases } from './helpers/redis-corpus.js';

const START = Date.parse('2026-01-01T00:00:00Z');

function policyOf(text: string): Policy {
  const r = compile([{ file: 'policy.writ', text }]);
  const errors = r.diagnostics.filter((d) => d.severity === 'error');
  expect(errors.map((d) => `${d.span.line}:${d.span.column} ${d.message}`)).toEqual([]);
  return loadPolicy(r.artifact!);
}

const POLICY = `policy "async" version "1"
role r, lead
agent "bot" roles [r]
tool ping(x: string)
tool sms(to: string)
tool spend(n: integer) cost 1 USD
tool refund(amount: money(USD))
tool lookup(q: string)
allow ping
allow sms
allow spend
allow lookup
approve refund when agent has role r by role lead within 10m else deny
limit sms 3 per 1h per global
budget per session cost 5 USD
post lookup redact pii in result
`;

/** The same without the budget, which makes every call stateful. */
const NO_BUDGET = POLICY.replace('budget per session cost 5 USD\n', '');

const bot = { id: 'bot' };
const sms = { agent: bot, tool: 'sms', args: { to: '+15550100' }, context: { session: 's1' } };
const ping = { agent: bot, tool: 'ping', args: { x: 'hello' }, context: { session: 's1' } };
const spend = (session: string) => ({ agent: bot, tool: 'spend', args: { n: 1 }, context: { session } });
const refund = (amount: number) => ({ agent: bot, tool: 'refund', args: { amount }, context: { session: 's1' } });

/** A store every operation of which rejects, as a client whose server is gone. */
function downStore(): AsyncStateStore {
  const fail = async () => {
    throw new Error('connect ECONNREFUSED 127.0.0.1:1');
  };
  return new Proxy({} as AsyncStateStore, {
    get: (_t, prop) => (prop === 'load' || prop === 'commit' ? undefined : fail),
  });
}

/** A store without the batch operations: the engine then uses the single ones (the generic path). */
function singleOps(store: AsyncStateStore): AsyncStateStore {
  const { load: _load, commit: _commit, ...rest } = store;
  return rest;
}

/** Counts the operations that reach a store. */
function counted(store: AsyncStateStore): { store: AsyncStateStore; calls: string[] } {
  const calls: string[] = [];
  const proxy = new Proxy(store, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver) as unknown;
      if (typeof v !== 'function') return v;
      return (...args: unknown[]) => {
        calls.push(String(prop));
        return (v as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { store: proxy, calls };
}

function denyReason(d: Decision): string | undefined {
  return d.effect === 'deny' ? d.reasons[0]?.message : undefined;
}

describe('decideAsync over an in-memory store', () => {
  it('decides like decide, writing the shared store', async () => {
    const policy = policyOf(POLICY);
    const memory = new MemoryStateStore();
    const state = toAsyncStore(memory);
    const effects: string[] = [];
    for (let i = 0; i < 4; i++) effects.push((await policy.decideAsync(sms, { state, now: START + i })).effect);
    expect(effects).toEqual(['allow', 'allow', 'allow', 'deny']);
    // The writes landed in the wrapped store: the synchronous API over it sees the window full.
    expect(policy.decide(sms, { state: memory, now: START + 10 }).effect).toBe('deny');
    const l = policy.artifact.limits[0]!;
    expect(memory.rateCount(`rate|${l.id}|global|`, START + 10, l.windowMs)).toBe(3);
  });

  it('without options.state, decideAsync and the sync API share the policy\'s own store', async () => {
    const policy = policyOf(NO_BUDGET);
    expect((await policy.decideAsync(sms, { now: START })).effect).toBe('allow');
    expect(policy.decide(sms, { now: START }).effect).toBe('allow');
    expect((await policy.decideAsync(sms, { now: START })).effect).toBe('allow');
    expect(policy.decide(sms, { now: START }).effect).toBe('deny');
    const p = await policy.decideAsync(refund(150), { now: START });
    expect(policy.approvals({ now: START }).map((r) => r.id)).toEqual([p.approval!.id]);
    expect(await policy.approveAsync(p.approval!.id, { id: 'lena', roles: ['lead'] }, { now: START })).toMatchObject({ status: 'granted' });
    expect(policy.decide(refund(150), { now: START }).effect).toBe('allow');
  });

  it('a stateless decision never touches the store; a stateful one fetches once and commits once', async () => {
    const policy = policyOf(NO_BUDGET);
    const { store, calls } = counted(singleOps(toAsyncStore(new MemoryStateStore())));
    expect((await policy.decideAsync(ping, { state: store, now: START })).effect).toBe('allow');
    expect(calls).toEqual([]);
    expect((await policy.decideAsync(sms, { state: store, now: START })).effect).toBe('allow');
    expect(calls).toEqual(['rateCount', 'rateHit']);
    // toAsyncStore's own batch operations: one load, one commit.
    const batched = counted(toAsyncStore(new MemoryStateStore()));
    expect((await policy.decideAsync(sms, { state: batched.store, now: START })).effect).toBe('allow');
    expect(batched.calls).toEqual(['load', 'commit']);
  });

  it('concurrent decisions on one store never overshoot a limit or a budget', async () => {
    const policy = policyOf(POLICY);
    const state = toAsyncStore(new MemoryStateStore());
    const smsOut = await Promise.all(Array.from({ length: 20 }, () => policy.decideAsync(sms, { state, now: START })));
    expect(smsOut.filter((d) => d.effect === 'allow')).toHaveLength(3);
    const spendOut = await Promise.all(Array.from({ length: 20 }, () => policy.decideAsync(spend('b'), { state, now: START })));
    expect(spendOut.filter((d) => d.effect === 'allow')).toHaveLength(5);
    expect(spendOut.filter((d) => d.effect === 'deny').every((d) => d.reasons[0]?.kind === 'budget')).toBe(true);
    const b = policy.artifact.budgets[0]!;
    expect(await state.budgetUse(`budget|${b.id}|session|b`)).toEqual({ calls: 5, tokens: 0, costMicros: 5_000_000 });
  });

  it('a decision raced between fetch and commit is redone on fresh values', async () => {
    const policy = policyOf(POLICY);
    const memory = new MemoryStateStore();
    const inner = singleOps(toAsyncStore(memory));
    let raced = false;
    // Another gateway takes the last slot after this decision fetched the window, before it commits.
    const state: AsyncStateStore = {
      ...inner,
      rateHit: async (key, now, windowMs, limit) => {
        if (!raced) {
          raced = true;
          memory.rateHit(key, now, windowMs, limit);
        }
        return inner.rateHit(key, now, windowMs, limit);
      },
    };
    expect((await policy.decideAsync(sms, { state, now: START })).effect).toBe('allow');
    expect((await policy.decideAsync(sms, { state, now: START })).effect).toBe('allow');
    // Two allowed plus the racer's hit: the window is full.
    const d = await policy.decideAsync(sms, { state, now: START });
    expect(d.effect).toBe('deny');
    expect(d.reasons[0]?.kind).toBe('limit');
  });

  it('a sequence rule decided on a history another gateway appended to meanwhile is decided again', async () => {
    const policy = loadPolicy(compileCase('sequences'));
    const memory = new MemoryStateStore();
    const inner = toAsyncStore(memory);
    const lookup = { agent: { id: 'a' }, tool: 'lookup', args: { customer: 'c1' }, context: { session: 's' } };
    const exportC2 = { agent: { id: 'a' }, tool: 'export', args: { customer: 'c2' }, context: { session: 's' } };
    let commits = 0;
    const state: AsyncStateStore = {
      ...inner,
      commit: async (writes) => {
        // After this decision fetched the (empty) history, before it commits, a parallel call's lookup(c1)
        // is recorded.
        if (++commits === 1) policy.decide(lookup, { state: memory, now: START });
        return inner.commit!(writes);
      },
    };
    const d = await policy.decideAsync(exportC2, { state, now: START + 1 });
    expect([d.effect, d.reasons[0]?.kind]).toEqual(['deny', 'deny']);
    expect(memory.history('s').map((c) => c.tool)).toEqual(['lookup']);
  });

  it('a commit that keeps conflicting gives up with a deny (state store busy)', async () => {
    const policy = policyOf(POLICY);
    const inner = toAsyncStore(new MemoryStateStore());
    const { store, calls } = counted({ ...inner, commit: async () => ({ ok: false, conflict: 0 }) });
    const d = await policy.decideAsync(sms, { state: store, now: START, maxConflicts: 3 });
    expect(d.effect).toBe('deny');
    expect(denyReason(d)).toBe(STATE_BUSY);
    expect(calls.filter((c) => c === 'commit')).toHaveLength(4);
  });

  it('a rejected reservation is compensated when a later conditional write conflicts (no batch commit)', async () => {
    const policy = policyOf(POLICY.replace('limit sms 3 per 1h per global', 'limit spend 3 per 1h per global'));
    const memory = new MemoryStateStore();
    const inner = singleOps(toAsyncStore(memory));
    let fail = true;
    const state: AsyncStateStore = {
      ...inner,
      budgetCharge: async (key, delta, limits) => {
        if (fail) {
          fail = false;
          return { ok: false, before: await inner.budgetUse(key) };
        }
        return inner.budgetCharge(key, delta, limits);
      },
    };
    expect((await policy.decideAsync(spend('c'), { state, now: START })).effect).toBe('allow');
    // The first commit's rate hit was undone when its budget charge failed: one hit, not two.
    expect(policy.decide(spend('c'), { state: memory, now: START, dryRun: true }).effect).toBe('allow');
    const l = policy.artifact.limits[0]!;
    expect(memory.rateCount(`rate|${l.id}|global|`, START, l.windowMs)).toBe(1);
  });
});

describe('the store unavailable', () => {
  it('stateful decisions deny with "state store unavailable"; stateless ones decide', async () => {
    const policy = policyOf(NO_BUDGET);
    const state = downStore();
    const d = await policy.decideAsync(sms, { state, now: START });
    expect(d).toMatchObject({ effect: 'deny', denial: 'forbidden', reasons: [{ rule: 'writ:state-store', message: STATE_UNAVAILABLE }] });
    expect((await policyOf(POLICY).decideAsync(spend('s'), { state, now: START })).reasons[0]?.message).toBe(STATE_UNAVAILABLE);
    expect((await policy.decideAsync(refund(120), { state, now: START })).reasons[0]?.message).toBe(STATE_UNAVAILABLE);
    expect((await policy.decideAsync(ping, { state, now: START })).effect).toBe('allow');
    // Stateless denials still say why: default deny.
    const unknownAgent = await policy.decideAsync({ ...ping, tool: 'refund', args: { amount: 1 }, agent: { id: 'x' } }, { state, now: START });
    expect(unknownAgent.reasons[0]?.kind).toBe('default');
    // Invalid requests are still invalid.
    expect((await policy.decideAsync({ tool: 42 }, { state })).denial).toBe('invalid_request');
  });

  it('approvals and results fail closed too', async () => {
    const policy = policyOf(POLICY);
    const state = downStore();
    expect(await policy.approveAsync('a1', { id: 'lead', roles: ['lead'] }, { state })).toEqual({ error: expect.stringContaining(STATE_UNAVAILABLE) });
    expect(await policy.rejectAsync('a1', { id: 'lead', roles: ['lead'] }, 'no', { state })).toEqual({ error: expect.stringContaining(STATE_UNAVAILABLE) });
    await expect(policy.approvalsAsync({ state })).rejects.toThrow(STATE_UNAVAILABLE);
    const r = await policy.checkResultAsync({ agent: bot, tool: 'lookup', args: { q: 'x' } }, { mail: 'ana@example.com' }, { state });
    expect(r.effect).toBe('deny');
    expect(r.reasons[0]?.message).toBe(STATE_UNAVAILABLE);
    // A result with nothing to redact needs no vault.
    expect((await policy.checkResultAsync({ agent: bot, tool: 'lookup', args: { q: 'x' } }, { n: 1 }, { state })).effect).toBe('allow');
  });
});

describe('approvals, results and vaults through the async API', () => {
  it('pending, approved through another Policy instance on the same store, used once', async () => {
    const a = policyOf(POLICY);
    const b = policyOf(POLICY);
    const state = toAsyncStore(new MemoryStateStore());
    const p = await a.decideAsync(refund(120), { state, now: START });
    expect(p.effect).toBe('pending_approval');
    expect((await b.approvalsAsync({ state, status: 'pending', now: START })).map((r) => r.id)).toEqual([p.approval!.id]);
    expect(await b.approveAsync(p.approval!.id, { id: 'bot', roles: ['lead'] }, { state, now: START + 1 })).toEqual({
      error: "agent 'bot' may not decide on its own call",
    });
    const granted = await b.approveAsync(p.approval!.id, { id: 'lena', roles: ['lead'] }, { state, now: START + 1 });
    expect(granted).toMatchObject({ status: 'granted', approvals: [{ approver: 'lena', role: 'lead' }] });
    const d = await a.decideAsync(refund(120), { state, now: START + 2 });
    expect(d.effect).toBe('allow');
    expect(d.approval).toMatchObject({ id: p.approval!.id, status: 'used' });
    expect((await b.decideAsync(refund(120), { state, now: START + 3 })).effect).toBe('pending_approval');
    // A different amount is a different call.
    const other = await b.decideAsync(refund(1200), { state, now: START + 3 });
    expect(other.approval!.args_digest).not.toBe(p.approval!.args_digest);
  });

  it('rejected calls are denied naming the rejector; expiry denies', async () => {
    const policy = policyOf(POLICY);
    const state = toAsyncStore(new MemoryStateStore());
    const p = await policy.decideAsync(refund(130), { state, now: START });
    expect(await policy.rejectAsync(p.approval!.id, { id: 'lena', roles: ['lead'] }, 'not today', { state, now: START })).toMatchObject({ status: 'rejected' });
    expect(denyReason(await policy.decideAsync(refund(130), { state, now: START }))).toContain("rejected by 'lena' (lead): not today");
    const q = await policy.decideAsync(refund(140), { state, now: START });
    expect(q.effect).toBe('pending_approval');
    expect(denyReason(await policy.decideAsync(refund(140), { state, now: START + 11 * 60_000 }))).toContain('expired');
    expect((await policy.approvalsAsync({ state, status: 'expired', now: START + 11 * 60_000 })).map((r) => r.id)).toEqual([q.approval!.id]);
  });

  it('post redaction issues vault tokens that restoreAsync puts back, shared between instances', async () => {
    const a = policyOf(POLICY);
    const b = policyOf(POLICY);
    const state = toAsyncStore(new MemoryStateStore());
    const req = { agent: bot, tool: 'lookup', args: { q: 'x' }, context: { session: 's9' } };
    const r1 = await a.checkResultAsync(req, { mail: 'ana@example.com' }, { state });
    expect(r1.result).toEqual({ mail: '<EMAIL_1>' });
    const r2 = await b.checkResultAsync(req, { mail: 'bo@example.com', again: 'ana@example.com' }, { state });
    expect(r2.result).toEqual({ mail: '<EMAIL_2>', again: '<EMAIL_1>' });
    expect(await a.restoreAsync('s9', 'to <EMAIL_2> and <EMAIL_1>', { state })).toBe('to bo@example.com and ana@example.com');
    // Concurrent redactions of different values in one session get different tokens.
    const many = await Promise.all(
      ['c1@example.com', 'c2@example.com', 'c3@example.com'].map((m) => a.checkResultAsync(req, { m }, { state })),
    );
    const tokens = many.map((r) => (r.result as { m: string }).m);
    expect(new Set(tokens).size).toBe(3);
    for (let i = 0; i < 3; i++) expect(await b.restoreAsync('s9', tokens[i], { state })).toBe(`c${i + 1}@example.com`);
  });
});

describe('property: decideAsync over toAsyncStore(memory) equals decide over memory', () => {
  for (const dir of ['approvals', 'budgets', 'limits', 'sequences', 'taint', 'combination']) {
    it(dir, async () => {
      const artifact = compileCase(dir);
      const requests = readCases(dir).map((c) => c.request);
      const step = fc.record({
        request: fc.constantFrom(...requests),
        advanceMs: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 120_000 }), fc.integer({ min: 0, max: 3_600_000 })),
        dryRun: fc.boolean(),
        approve: fc.boolean(),
      });
      await fc.assert(
        fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 25 }), async (steps) => {
          const sync = loadPolicy(artifact);
          const async = loadPolicy(artifact);
          const memory = new MemoryStateStore();
          const state = toAsyncStore(new MemoryStateStore());
          let now = START;
          for (const s of steps) {
            now += s.advanceMs;
            const want = sync.decide(s.request, { state: memory, now, dryRun: s.dryRun });
            const got = await async.decideAsync(s.request, { state, now, dryRun: s.dryRun });
            expect(comparable(got)).toEqual(comparable(want));
            if (s.approve && want.effect === 'pending_approval' && got.approval !== undefined) {
              const approver = { id: 'lead-1', roles: ['lead'] };
              const w = sync.approve(want.approval!.id, approver, { state: memory, now });
              const g = await async.approveAsync(got.approval.id, approver, { state, now });
              expect('error' in g ? g.error.replaceAll(got.approval.id, '<id>') : g.status).toEqual(
                'error' in w ? w.error.replaceAll(want.approval!.id, '<id>') : w.status,
              );
            }
          }
        }),
        { numRuns: 150 },
      );
    });
  }
});
