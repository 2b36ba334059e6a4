// Two service instances sharing one real redis-server: limits hold across them, an approval granted through
// one is used by the other, and an unreachable Redis fails closed and recovers by itself.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisServer } from '../../../tests/helpers/redis.js';
import { redisBackend, type WritServer } from '../src/index.js';
import { TOKENS, refund, server } from './helpers.js';

let redis: RedisServer;
const servers: WritServer[] = [];
beforeAll(async () => {
  redis = await RedisServer.start();
});
afterAll(async () => {
  for (const s of servers) await s.close();
  await redis.dispose();
});

async function pair(prefix: string): Promise<[WritServer, WritServer]> {
  const a = await server({ backend: redisBackend({ url: redis.url, prefix }) });
  const b = await server({ backend: redisBackend({ url: redis.url, prefix }) });
  servers.push(a, b);
  return [a, b];
}

const lookup = (i: number) => ({ agent: { id: 'refund-agent' }, tool: 'lookup_order', args: { order_id: `O-${i}` } });
const bearer = (t: string) => ({ authorization: `Bearer ${t}` });

describe('writ serve on Redis', () => {
  it('a limit of 3 per hour allows exactly 3 across two instances under concurrency', async () => {
    const [a, b] = await pair('t1:');
    const answers = await Promise.all(Array.from({ length: 12 }, (_, i) => (i % 2 === 0 ? a : b).app.inject({ method: 'POST', url: '/v1/decide', payload: lookup(i) })));
    const effects = answers.map((r) => r.json().effect);
    expect(effects.filter((e) => e === 'allow')).toHaveLength(3);
    expect(answers.every((r) => r.statusCode === 200)).toBe(true);
    const health = await a.app.inject({ method: 'GET', url: '/healthz' });
    expect(health.json()).toMatchObject({ status: 'ok', state: { kind: 'redis', ok: true } });
  });

  it('an approval granted through one instance is seen and used by the other', async () => {
    const [a, b] = await pair('t2:');
    const pending = (await a.app.inject({ method: 'POST', url: '/v1/decide', payload: refund(300) })).json();
    expect(pending.effect).toBe('pending_approval');
    const listed = (await b.app.inject({ method: 'GET', url: '/v1/approvals?state=pending', headers: bearer(TOKENS.lead) })).json();
    expect(listed.approvals.map((x: { id: string }) => x.id)).toEqual([pending.approval.id]);
    const ok = await b.app.inject({ method: 'POST', url: `/v1/approvals/${pending.approval.id}`, headers: bearer(TOKENS.lead), payload: { action: 'approve' } });
    expect(ok.statusCode).toBe(200);
    expect(ok.json().approval.status).toBe('granted');
    const allowed = (await a.app.inject({ method: 'POST', url: '/v1/decide', payload: refund(300) })).json();
    expect(allowed).toMatchObject({ effect: 'allow', approval: { status: 'used', approvals: [{ approver: 'alice' }] } });
  });

  it('Redis down: stateful decisions deny "state store unavailable", stateless ones decide, health degrades; then it recovers', async () => {
    const [a] = await pair('t3:');
    expect((await a.app.inject({ method: 'POST', url: '/v1/decide', payload: lookup(1) })).json().effect).toBe('allow');
    await redis.stop();
    try {
      const stateful = await a.app.inject({ method: 'POST', url: '/v1/decide', payload: lookup(2) });
      expect(stateful.statusCode).toBe(200);
      expect(stateful.json().effect).toBe('deny');
      expect(stateful.json().reasons[0].message).toMatch(/state store unavailable/);
      const stateless = await a.app.inject({ method: 'POST', url: '/v1/decide', payload: { agent: { id: 'refund-agent' }, tool: 'fetch_doc', args: { id: 'd' } } });
      expect(stateless.json().effect).toBe('allow');
      const health = await a.app.inject({ method: 'GET', url: '/healthz' });
      expect(health.statusCode).toBe(503);
      expect(health.json()).toMatchObject({ status: 'degraded', state: { kind: 'redis', ok: false } });
      const list = await a.app.inject({ method: 'GET', url: '/v1/approvals', headers: bearer(TOKENS.lead) });
      expect(list.statusCode).toBe(503);
      expect(list.json().reason).toMatch(/^state store unavailable/);
      const vote = await a.app.inject({ method: 'POST', url: '/v1/approvals/x', headers: bearer(TOKENS.lead), payload: { action: 'approve' } });
      expect(vote.statusCode).toBe(503);
    } finally {
      await redis.start();
    }
    let effect = '';
    for (let i = 0; i < 100 && effect !== 'allow'; i++) {
      await new Promise((r) => setTimeout(r, 100));
      effect = (await a.app.inject({ method: 'POST', url: '/v1/decide', payload: lookup(3 + i) })).json().effect;
    }
    expect(effect).toBe('allow');
    expect((await a.app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
  });
});
