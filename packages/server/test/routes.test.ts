// The HTTP API through fastify.inject: decide, check-result, approvals with bearer tokens, health, metrics,
// OpenAPI, and the digest named on every response.
import { afterEach, describe, expect, it } from 'vitest';
import { DIGEST_HEADER, type WritServer } from '../src/index.js';
import { POLICY, TOKENS, policyFrom, refund, server } from './helpers.js';

let s: WritServer | undefined;
afterEach(async () => {
  await s?.close();
  s = undefined;
});

const json = (payload: unknown) => ({ 'content-type': 'application/json' });
const bearer = (t: string) => ({ authorization: `Bearer ${t}` });

describe('POST /v1/decide', () => {
  it('returns the runtime decision and names the policy digest', async () => {
    s = await server();
    const digest = s.slot.current.digest;
    const r = await s.app.inject({ method: 'POST', url: '/v1/decide', payload: refund(50) });
    expect(r.statusCode).toBe(200);
    expect(r.headers[DIGEST_HEADER]).toBe(digest);
    const d = r.json();
    expect(d.effect).toBe('allow');
    expect(d.policy.digest).toBe(digest);
    expect(d.reasons[0].kind).toBe('allow');

    const deny = (await s.app.inject({ method: 'POST', url: '/v1/decide', payload: refund(900) })).json();
    expect(deny.effect).toBe('deny');
    expect(deny.denial).toBe('forbidden');
    expect(deny.reasons[0].message).toBe('refunds above $500 are never automated');
  });

  it('denies a malformed request with invalid_request (fail closed), not an HTTP error', async () => {
    s = await server();
    const r = await s.app.inject({ method: 'POST', url: '/v1/decide', payload: { agent: { id: 'refund-agent' }, tool: 'issue_refund', args: { amount: 'lots' } } });
    expect(r.statusCode).toBe(200);
    expect(r.json()).toMatchObject({ effect: 'deny', denial: 'invalid_request' });
  });

  it('keeps state across requests: a rate limit of 3 per hour allows exactly 3', async () => {
    s = await server();
    const effects: string[] = [];
    for (let i = 0; i < 5; i++) {
      const r = await s.app.inject({ method: 'POST', url: '/v1/decide', payload: { agent: { id: 'refund-agent' }, tool: 'lookup_order', args: { order_id: `O-${i}` } } });
      effects.push(r.json().effect);
    }
    expect(effects).toEqual(['allow', 'allow', 'allow', 'deny', 'deny']);
  });

  it('answers 400 with a reason for malformed JSON, 415 for another media type, 413 above the body limit', async () => {
    s = await server({ bodyLimit: 1000 });
    const bad = await s.app.inject({ method: 'POST', url: '/v1/decide', headers: json(0), payload: '{"tool": ' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().reason).toMatch(/^the body is not valid JSON/);
    expect(bad.json().policy_digest).toBe(s.slot.current.digest);
    expect(bad.headers[DIGEST_HEADER]).toBe(s.slot.current.digest);
    const text = await s.app.inject({ method: 'POST', url: '/v1/decide', headers: { 'content-type': 'text/plain' }, payload: 'hello' });
    expect(text.statusCode).toBe(415);
    expect(typeof text.json().reason).toBe('string');
    const big = await s.app.inject({ method: 'POST', url: '/v1/decide', headers: json(0), payload: JSON.stringify({ ...refund(1), pad: 'x'.repeat(2000) }) });
    expect(big.statusCode).toBe(413);
    expect(big.json().reason).toMatch(/too large/i);
  });

  it('answers 404 with a reason for unknown routes and methods', async () => {
    s = await server();
    for (const [method, url] of [['GET', '/nope'], ['GET', '/v1/decide'], ['DELETE', '/v1/approvals/x']] as const) {
      const r = await s.app.inject({ method, url });
      expect(r.statusCode).toBe(404);
      expect(r.json()).toMatchObject({ error: 'Not Found', policy_digest: s.slot.current.digest });
      expect(r.json().reason).toContain(url);
    }
  });
});

describe('POST /v1/check-result', () => {
  it('redacts secrets in a result', async () => {
    s = await server();
    const request = { agent: { id: 'refund-agent' }, tool: 'fetch_doc', args: { id: 'd1' } };
    const result = { text: 'key AKIAIOSFODNN7EXAMPLE here' };
    const r = await s.app.inject({ method: 'POST', url: '/v1/check-result', payload: { request, result } });
    expect(r.statusCode).toBe(200);
    const body = r.json();
    expect(body.effect).toBe('allow');
    expect(JSON.stringify(body.result)).not.toContain('AKIAIOSFODNN7EXAMPLE');
    expect(body.obligations[0]).toMatchObject({ type: 'redact', target: 'result' });
    expect(r.headers[DIGEST_HEADER]).toBe(s.slot.current.digest);
  });

  it('answers 400 when the body is not { request, result }', async () => {
    s = await server();
    const r = await s.app.inject({ method: 'POST', url: '/v1/check-result', payload: { request: {} } });
    expect(r.statusCode).toBe(400);
    expect(r.json().reason).toMatch(/request.*result/);
  });
});

describe('approvals', () => {
  async function pending(): Promise<string> {
    const d = (await s!.app.inject({ method: 'POST', url: '/v1/decide', payload: refund(250) })).json();
    expect(d.effect).toBe('pending_approval');
    return d.approval.id as string;
  }

  it('need a credential: 401 without or with an unknown token, 403 without the role', async () => {
    s = await server();
    const id = await pending();
    const none = await s.app.inject({ method: 'GET', url: '/v1/approvals?state=pending' });
    expect(none.statusCode).toBe(401);
    expect(none.headers['www-authenticate']).toMatch(/^Bearer/);
    expect(none.json().reason).toMatch(/credential is required/);
    const wrong = await s.app.inject({ method: 'POST', url: `/v1/approvals/${id}`, headers: bearer('not-a-token'), payload: { action: 'approve' } });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.json().reason).toBe('unknown or revoked token');
    const basic = await s.app.inject({ method: 'POST', url: `/v1/approvals/${id}`, headers: { authorization: 'Basic YWxpY2U6eA==' }, payload: { action: 'approve' } });
    expect(basic.statusCode).toBe(401);
    const role = await s.app.inject({ method: 'POST', url: `/v1/approvals/${id}`, headers: bearer(TOKENS.support), payload: { action: 'approve' } });
    expect(role.statusCode).toBe(403);
    expect(role.json().reason).toMatch(/none of the required roles \(finance_lead\)/);
    const self = await s.app.inject({ method: 'POST', url: `/v1/approvals/${id}`, headers: bearer(TOKENS.agent), payload: { action: 'approve' } });
    expect(self.statusCode).toBe(403);
    // Nothing was recorded by the refused attempts.
    const list = (await s.app.inject({ method: 'GET', url: '/v1/approvals?state=pending', headers: bearer(TOKENS.support) })).json();
    expect(list.approvals).toHaveLength(1);
    expect(list.approvals[0].approvals).toEqual([]);
  });

  it('without a tokens file every approval route is 401', async () => {
    s = await server({ tokens: undefined });
    const r = await s.app.inject({ method: 'GET', url: '/v1/approvals', headers: bearer(TOKENS.lead) });
    expect(r.statusCode).toBe(401);
    expect(r.json().reason).toMatch(/--tokens/);
  });

  it('approve with the token identity: the call is then allowed and carries the approver', async () => {
    s = await server();
    const id = await pending();
    const listed = await s.app.inject({ method: 'GET', url: '/v1/approvals?state=pending', headers: bearer(TOKENS.lead) });
    expect(listed.statusCode).toBe(200);
    expect(listed.json().approvals.map((a: { id: string }) => a.id)).toEqual([id]);
    expect(listed.json().policy_digest).toBe(s.slot.current.digest);

    const ok = await s.app.inject({ method: 'POST', url: `/v1/approvals/${id}`, headers: bearer(TOKENS.lead), payload: { action: 'approve' } });
    expect(ok.statusCode).toBe(200);
    expect(ok.json().approval).toMatchObject({ id, status: 'granted', approvals: [{ approver: 'alice', role: 'finance_lead' }] });
    const again = await s.app.inject({ method: 'POST', url: `/v1/approvals/${id}`, headers: bearer(TOKENS.lead2), payload: { action: 'approve' } });
    expect(again.statusCode).toBe(409);
    expect(again.json().reason).toMatch(/is granted/);

    const d = (await s.app.inject({ method: 'POST', url: '/v1/decide', payload: refund(250) })).json();
    expect(d.effect).toBe('allow');
    expect(d.approval).toMatchObject({ id, status: 'used', approvals: [{ approver: 'alice' }] });
    const none = (await s.app.inject({ method: 'GET', url: '/v1/approvals?state=pending', headers: bearer(TOKENS.lead) })).json();
    expect(none.approvals).toEqual([]);
  });

  it('reject with a reason: the call is denied naming the approver', async () => {
    s = await server();
    const id = await pending();
    const r = await s.app.inject({ method: 'POST', url: `/v1/approvals/${id}`, headers: bearer(TOKENS.lead2), payload: { action: 'reject', reason: 'duplicate refund' } });
    expect(r.statusCode).toBe(200);
    expect(r.json().approval).toMatchObject({ status: 'rejected', rejections: [{ approver: 'bob', reason: 'duplicate refund' }] });
    const d = (await s.app.inject({ method: 'POST', url: '/v1/decide', payload: refund(250) })).json();
    expect(d.effect).toBe('deny');
    expect(d.reasons[0].message).toBe(`approval ${id} rejected by 'bob' (finance_lead): duplicate refund`);
  });

  it('validates the action body and the state filter; unknown ids are 404', async () => {
    s = await server();
    const h = bearer(TOKENS.lead);
    const bad = await s.app.inject({ method: 'POST', url: '/v1/approvals/x', headers: h, payload: { action: 'maybe' } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().reason).toMatch(/action/);
    const extra = await s.app.inject({ method: 'POST', url: '/v1/approvals/x', headers: h, payload: { action: 'approve', approver: 'mallory' } });
    expect(extra.statusCode).toBe(400);
    const missing = await s.app.inject({ method: 'POST', url: '/v1/approvals/nope', headers: h, payload: { action: 'approve' } });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().reason).toBe("no approval 'nope'");
    const state = await s.app.inject({ method: 'GET', url: '/v1/approvals?state=bogus', headers: h });
    expect(state.statusCode).toBe(400);
  });
});

describe('health, metrics, OpenAPI', () => {
  it('/healthz names the policy and the state store', async () => {
    s = await server();
    const r = await s.app.inject({ method: 'GET', url: '/healthz' });
    expect(r.statusCode).toBe(200);
    expect(r.json()).toEqual({ status: 'ok', policy: { name: 'serve-test', version: '1.0.0', digest: s.slot.current.digest }, state: { kind: 'memory', ok: true } });
  });

  it('/metrics counts decisions by effect and tool (unknown tools under one label) with a latency histogram', async () => {
    s = await server();
    await s.app.inject({ method: 'POST', url: '/v1/decide', payload: refund(50) });
    await s.app.inject({ method: 'POST', url: '/v1/decide', payload: refund(50) });
    await s.app.inject({ method: 'POST', url: '/v1/decide', payload: refund(900) });
    await s.app.inject({ method: 'POST', url: '/v1/decide', payload: { agent: { id: 'x' }, tool: 'random-tool-name-123', args: {} } });
    const r = await s.app.inject({ method: 'GET', url: '/metrics' });
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(r.body).toContain('writ_decisions_total{effect="allow",tool="issue_refund"} 2');
    expect(r.body).toContain('writ_decisions_total{effect="deny",tool="issue_refund"} 1');
    expect(r.body).toContain('writ_decisions_total{effect="deny",tool="(unknown)"} 1');
    expect(r.body).not.toContain('random-tool-name-123');
    expect(r.body).toContain('writ_decision_duration_seconds_count 4');
    expect(r.body).toContain(`writ_policy_info{name="serve-test",version="1.0.0",digest="${s.slot.current.digest}"} 1`);
    expect(r.body).toMatch(/^process_cpu_seconds_total \d/m);
  });

  it('/openapi.json documents every route with its schemas', async () => {
    s = await server();
    const r = await s.app.inject({ method: 'GET', url: '/openapi.json' });
    expect(r.statusCode).toBe(200);
    const doc = r.json();
    expect(doc.openapi).toBe('3.0.3');
    expect(Object.keys(doc.paths).sort()).toEqual(['/healthz', '/metrics', '/v1/approvals', '/v1/approvals/{id}', '/v1/check-result', '/v1/decide']);
    expect(doc.paths['/v1/decide'].post.responses['200'].content['application/json'].schema.properties.effect.enum).toEqual(['allow', 'deny', 'pending_approval']);
    expect(doc.paths['/v1/approvals/{id}'].post.security).toEqual([{ bearer: [] }]);
    expect(doc.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
  });
});

describe('policy swap', () => {
  it('serves the new policy from the next request on, and every response names it', async () => {
    s = await server();
    const before = s.slot.current.digest;
    expect((await s.app.inject({ method: 'POST', url: '/v1/decide', payload: refund(50) })).json().effect).toBe('allow');
    const stricter = policyFrom(POLICY.replace('args.amount <= 100 USD', 'args.amount <= 10 USD').replace('version "1.0.0"', 'version "1.0.1"'));
    expect(s.slot.swap(stricter)).toBe(true);
    const r = await s.app.inject({ method: 'POST', url: '/v1/decide', payload: refund(50) });
    expect(r.headers[DIGEST_HEADER]).toBe(stricter.digest);
    expect(r.headers[DIGEST_HEADER]).not.toBe(before);
    expect(r.json().effect).not.toBe('allow');
    expect(s.slot.swap(stricter)).toBe(false);
  });
});
