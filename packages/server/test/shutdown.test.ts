// Graceful close: a decision in flight when close() is called is answered; requests arriving after it get
// 503 in the service's error shape (or find the port closed); close() does not wait for keep-alive timeouts.
import { describe, expect, it } from 'vitest';
import type { Decision } from '@writ/runtime';
import { MemoryBackend, type StateBackend } from '../src/index.js';
import { refund, server } from './helpers.js';

/** The in-memory backend, deciding after `ms` (a slow shared store). */
function slow(ms: number): StateBackend {
  const inner = new MemoryBackend();
  return {
    kind: 'slow',
    decide: (policy, request, now) => new Promise<Decision>((resolve) => setTimeout(() => resolve(inner.decide(policy, request, now)), ms)),
    checkResult: (policy, request, result, now) => inner.checkResult(policy, request, result, now),
    approve: (policy, id, approver, now) => inner.approve(policy, id, approver, now),
    reject: (policy, id, approver, reason, now) => inner.reject(policy, id, approver, reason, now),
    approvals: (policy, status, now) => inner.approvals(policy, status, now),
    healthy: () => true,
    close: () => inner.close(),
  };
}

describe('close()', () => {
  it('answers the decision in flight, refuses later ones with 503, and returns promptly', async () => {
    const s = await server({ backend: slow(400) });
    await s.app.listen({ port: 0, host: '127.0.0.1' });
    const url = `http://127.0.0.1:${(s.app.server.address() as { port: number }).port}`;
    const post = () => fetch(`${url}/v1/decide`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(refund(5)) });

    // A keep-alive connection that stays idle must not hold close() up.
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    const inflight = post();
    await new Promise((r) => setTimeout(r, 100));
    const started = Date.now();
    const closing = s.close();
    const late = await post().then(
      async (r) => ({ status: r.status, body: (await r.json()) as { reason?: string } }),
      () => ({ status: 0, body: {} }),
    );
    const answered = await inflight;
    // (Without closing connections as their response ends, close() would wait for the 72 s keep-alive timeout.)
    expect(answered.status).toBe(200);
    expect(((await answered.json()) as Decision).effect).toBe('allow');
    if (late.status !== 0) expect(late).toMatchObject({ status: 503, body: { reason: 'the service is shutting down' } });
    await closing;
    expect(Date.now() - started).toBeLessThan(5000);
  });
});
