/**
 * Several gateway processes sharing one real redis-server through RedisStateStore: limits and budgets never
 * overshoot under concurrency, approvals granted through one process are seen by the others; Redis going
 * away fails stateful decisions closed and the store recovers by itself when Redis returns.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { compile } from '@writ/compiler';
import { STATE_UNAVAILABLE, loadPolicy, type ApprovalRecord, type Artifact, type Decision } from '@writ/runtime';
import { RedisStateStore } from '@writ/state-redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisServer } from './helpers/redis.js';
import { Gateway } from './helpers/redis-gateways.js';

const POLICY = `policy "gateways" version "1"
role r, lead
agent "bot" roles [r]
tool sms(to: string)
tool spend(n: integer)
tool refund(amount: money(USD))
allow sms
allow spend
approve refund when agent has role r by role lead within 10m else deny
limit sms 10 per 1h per global
budget per session tokens 1000
`;

const START = Date.parse('2026-03-01T09:00:00Z');
const GATEWAYS = 4;
const bot = { id: 'bot' };

function compileText(text: string): Artifact {
  const r = compile([{ file: 'policy.writ', text }]);
  const errors = r.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length > 0) throw new Error(errors.map((d) => `${d.span.line}:${d.span.column} ${d.message}`).join('\n'));
  return r.artifact!;
}

const count = (ds: Decision[], effect: Decision['effect']) => ds.filter((d) => d.effect === effect).length;

describe('4 gateway processes on one redis-server', () => {
  let server: RedisServer;
  let dir: string;
  let artifact: Artifact;
  let probe: RedisStateStore;
  const gateways: Gateway[] = [];
  const prefix = 'gw:';

  beforeAll(async () => {
    server = await RedisServer.start();
    dir = mkdtempSync(path.join(tmpdir(), 'writ-gw-'));
    artifact = compileText(POLICY);
    const file = path.join(dir, 'artifact.json');
    writeFileSync(file, JSON.stringify(artifact));
    for (let i = 0; i < GATEWAYS; i++) gateways.push(new Gateway(file, server.url, prefix));
    await Promise.all(gateways.map((g) => g.ready()));
    probe = new RedisStateStore({ url: server.url, prefix });
  });

  afterAll(async () => {
    await Promise.all(gateways.map((g) => g.close()));
    await probe?.close();
    await server?.dispose();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  /** Sends `perGateway(i)` to gateway i, all at once; the decisions of every gateway, flattened. */
  async function burst(now: number, perGateway: (i: number) => unknown[]): Promise<Decision[]> {
    const out = await Promise.all(gateways.map((g, i) => g.call<Decision[]>('burst', { now, requests: perGateway(i) })));
    return out.flat();
  }

  it('limit sms 10 per 1h: exactly 10 of 40 concurrent calls are allowed, never 11', async () => {
    const sms = (i: number, j: number) => ({ agent: bot, tool: 'sms', args: { to: `+1555${i}${j}` }, context: { session: `s${i}` } });
    const first = await burst(START, (i) => Array.from({ length: 10 }, (_, j) => sms(i, j)));
    expect(first).toHaveLength(40);
    expect(count(first, 'allow')).toBe(10);
    for (const d of first.filter((x) => x.effect === 'deny')) expect(d.reasons[0]?.kind).toBe('limit');
    // Within the same hour the window stays full, from every process.
    const again = await burst(START + 30 * 60_000, (i) => Array.from({ length: 5 }, (_, j) => sms(i, j)));
    expect(count(again, 'allow')).toBe(0);
    const l = artifact.limits[0]!;
    expect(await probe.rateCount(`rate|${l.id}|global|`, START + 30 * 60_000, l.windowMs)).toBe(10);
    // An hour after the first burst the window has slid: 10 more, again exactly.
    const later = await burst(START + 60 * 60_000 + 1, (i) => Array.from({ length: 10 }, (_, j) => sms(i, j)));
    expect(count(later, 'allow')).toBe(10);
  });

  it('budget per session tokens 1000: concurrent spending never overspends, and usage is exactly what was allowed', async () => {
    const b = artifact.budgets[0]!;
    let allowedTokens = 0;
    let allowedCalls = 0;
    let denied = 0;
    for (let round = 0; round < 3; round++) {
      const tokensOf = (i: number, j: number) => 17 + ((i * 10 + j + round * 7) * 53) % 150;
      const requests = (i: number) =>
        Array.from({ length: 10 }, (_, j) => ({ agent: bot, tool: 'spend', args: { n: j }, context: { session: 'shared', usage: { tokens: tokensOf(i, j) } } }));
      const ds = await Promise.all(gateways.map((g, i) => g.call<Decision[]>('burst', { now: START + round, requests: requests(i) })));
      ds.forEach((list, i) =>
        list.forEach((d, j) => {
          if (d.effect === 'allow') {
            allowedTokens += tokensOf(i, j);
            allowedCalls++;
          } else {
            expect(d.reasons[0]?.kind).toBe('budget');
            denied++;
          }
        }),
      );
      expect(allowedTokens).toBeLessThanOrEqual(1000);
    }
    expect(denied).toBeGreaterThan(0);
    expect(allowedCalls).toBeGreaterThan(5);
    expect(await probe.budgetUse(`budget|${b.id}|session|shared`)).toEqual({ calls: allowedCalls, tokens: allowedTokens, costMicros: 0 });
  });

  it('an approval granted through one process is seen by the others, and used exactly once', async () => {
    const refund = { agent: bot, tool: 'refund', args: { amount: 120 }, context: { session: 'r1' } };
    const now = START + 1000;
    const pending = await gateways[0]!.call<Decision>('decide', { request: refund, now });
    expect(pending.effect).toBe('pending_approval');
    const id = pending.approval!.id;
    // Every process asking again waits on the same record.
    const asked = await Promise.all(gateways.map((g) => g.call<Decision>('decide', { request: refund, now })));
    expect(asked.map((d) => [d.effect, d.approval?.id])).toEqual(gateways.map(() => ['pending_approval', id]));
    const listed = await gateways[1]!.call<ApprovalRecord[]>('approvals', { now, status: 'pending' });
    expect(listed.map((r) => r.id)).toEqual([id]);
    const granted = await gateways[2]!.call<ApprovalRecord>('approve', { id, approver: { id: 'lena', roles: ['lead'] }, now });
    expect(granted.status).toBe('granted');
    // All four processes try the approved call at once: one approval is one call.
    const tries = await Promise.all(gateways.map((g) => g.call<Decision>('decide', { request: refund, now: now + 1 })));
    expect(count(tries, 'allow')).toBe(1);
    const used = tries.find((d) => d.effect === 'allow')!;
    expect(used.approval).toMatchObject({ id, status: 'used', approvals: [{ approver: 'lena', role: 'lead' }] });
    // The others now wait on one fresh record, the same for all of them.
    const waiting = tries.filter((d) => d.effect !== 'allow');
    expect(waiting.every((d) => d.effect === 'pending_approval')).toBe(true);
    expect(new Set(waiting.map((d) => d.approval!.id)).size).toBe(1);
    expect(waiting[0]!.approval!.id).not.toBe(id);
    const all = await gateways[3]!.call<ApprovalRecord[]>('approvals', { now: now + 1 });
    expect(all.map((r) => r.status).sort()).toEqual(['pending', 'used']);
  });
});

const OUTAGE_POLICY = `policy "outage" version "1"
role r
tool sms(to: string)
tool ping()
allow sms
allow ping
deny ping when agent.id == "mallory" because "not mallory"
limit sms 100 per 1h per agent
`;

describe('redis-server unreachable, then back', () => {
  let server: RedisServer;
  let store: RedisStateStore;

  beforeAll(async () => {
    server = await RedisServer.start();
    store = new RedisStateStore({ url: server.url, prefix: 'outage:', commandTimeoutMs: 500 });
  });

  afterAll(async () => {
    await store?.close();
    await server?.dispose();
  });

  it('stateful decisions deny with "state store unavailable", stateless rules still decide, and the store recovers by itself', async () => {
    const policy = loadPolicy(compileText(OUTAGE_POLICY));
    const sms = { agent: { id: 'a1' }, tool: 'sms', args: { to: '+15550100' } };
    const ping = { agent: { id: 'a1' }, tool: 'ping', args: {} };
    const mallory = { agent: { id: 'mallory' }, tool: 'ping', args: {} };
    expect((await policy.decideAsync(sms, { state: store })).effect).toBe('allow');

    await server.stop();
    const t0 = Date.now();
    const down = await Promise.all(Array.from({ length: 5 }, () => policy.decideAsync(sms, { state: store })));
    for (const d of down) {
      expect(d).toMatchObject({ effect: 'deny', denial: 'forbidden', reasons: [{ rule: 'writ:state-store', kind: 'state', message: STATE_UNAVAILABLE }] });
    }
    // Failing fast, not queueing until Redis returns (the bound is generous for a loaded machine).
    expect(Date.now() - t0).toBeLessThan(5000);
    expect((await policy.decideAsync(ping, { state: store })).effect).toBe('allow');
    const m = await policy.decideAsync(mallory, { state: store });
    expect([m.effect, m.reasons[0]?.message]).toEqual(['deny', 'not mallory']);

    await server.start(); // same port, empty
    const deadline = Date.now() + 15_000;
    let d: Decision;
    do {
      await new Promise((r) => setTimeout(r, 100));
      d = await policy.decideAsync(sms, { state: store });
    } while (d.effect !== 'allow' && Date.now() < deadline);
    expect(d.effect).toBe('allow');
    expect(store.connected).toBe(true);
  });

  it('a hung server (SIGSTOP) fails decisions closed after the command timeout, and they resume on SIGCONT', async () => {
    const policy = loadPolicy(compileText(OUTAGE_POLICY));
    const sms = { agent: { id: 'a2' }, tool: 'sms', args: { to: '+15550100' } };
    expect((await policy.decideAsync(sms, { state: store })).effect).toBe('allow');
    server.pause();
    try {
      const d = await policy.decideAsync(sms, { state: store });
      expect(d.reasons[0]?.message).toBe(STATE_UNAVAILABLE);
      expect((await policy.decideAsync({ agent: { id: 'a2' }, tool: 'ping', args: {} }, { state: store })).effect).toBe('allow');
    } finally {
      server.resume();
    }
    const deadline = Date.now() + 15_000;
    let d: Decision;
    do {
      d = await policy.decideAsync(sms, { state: store });
      if (d.effect !== 'allow') await new Promise((r) => setTimeout(r, 100));
    } while (d.effect !== 'allow' && Date.now() < deadline);
    expect(d.effect).toBe('allow');
  });
});
