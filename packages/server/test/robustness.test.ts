// The service never crashes on input: random bodies, content types, headers and paths at every route get
// a 2xx/4xx JSON answer with a reason, never a 5xx.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WritServer } from '../src/index.js';
import { TOKENS, refund, server } from './helpers.js';

let s: WritServer;
let pendingId = '';
beforeAll(async () => {
  s = await server({ bodyLimit: 16_384 });
  pendingId = (await s.app.inject({ method: 'POST', url: '/v1/decide', payload: refund(250) })).json().approval.id;
});
afterAll(() => s.close());

const ROUTES: Array<[string, string]> = [
  ['POST', '/v1/decide'],
  ['POST', '/v1/check-result'],
  ['GET', '/v1/approvals'],
  ['GET', '/v1/approvals?state=pending'],
  ['POST', '/v1/approvals/ID'],
  ['GET', '/healthz'],
  ['GET', '/metrics'],
  ['GET', '/openapi.json'],
  ['PUT', '/v1/decide'],
];

// Bodies shaped like requests (so the runtime's validation is exercised, not just JSON.parse), any JSON,
// near-JSON text, and raw bytes.
const requestish = fc.record(
  {
    agent: fc.oneof(fc.record({ id: fc.oneof(fc.constantFrom('refund-agent', 'lead'), fc.string()), roles: fc.array(fc.string()) }, { requiredKeys: [] }), fc.jsonValue()),
    tool: fc.oneof(fc.constantFrom('issue_refund', 'lookup_order', 'fetch_doc', '__proto__', ''), fc.string()),
    args: fc.oneof(fc.dictionary(fc.constantFrom('order_id', 'amount', 'id', '__proto__', 'x'), fc.jsonValue()), fc.jsonValue()),
    context: fc.oneof(fc.record({ session: fc.oneof(fc.string(), fc.jsonValue()), labels: fc.jsonValue(), usage: fc.jsonValue() }, { requiredKeys: [] }), fc.jsonValue()),
  },
  { requiredKeys: [] },
);
const jsonText = fc.oneof(
  requestish.map((v) => JSON.stringify(v)),
  fc.record({ request: requestish, result: fc.jsonValue() }, { requiredKeys: [] }).map((v) => JSON.stringify(v)),
  fc.record({ action: fc.oneof(fc.constantFrom('approve', 'reject'), fc.string()), reason: fc.jsonValue() }, { requiredKeys: [] }).map((v) => JSON.stringify(v)),
  fc.jsonValue().map((v) => JSON.stringify(v)),
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.integer({ min: 200, max: 5000 }).map((n) => `{"request":{"agent":{"id":"refund-agent"},"tool":"fetch_doc","args":{"id":"d"}},"result":${'['.repeat(n)}${']'.repeat(n)}}`),
  fc.constantFrom('', '{', '{"a":}', '[1,2', 'null', '"\\ud800"', '{"__proto__":{"x":1}}', '{"constructor":{"prototype":{}}}', 'x'.repeat(5000)),
);
const body = fc.oneof(jsonText, fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)));
const contentType = fc.option(fc.constantFrom('application/json', 'application/json; charset=utf-8', 'text/plain', 'application/x-www-form-urlencoded', 'application/octet-stream', 'APPLICATION/JSON', 'multipart/form-data; boundary=x', ';;;'), { nil: undefined });
const auth = fc.option(fc.oneof(fc.constantFrom(`Bearer ${TOKENS.lead}`, `Bearer ${TOKENS.support}`, 'Bearer', 'Basic x', `bearer  ${TOKENS.lead2}`), fc.string({ maxLength: 40 }).map((x) => x.replace(/[^\x20-\x7e]/g, ''))), { nil: undefined });
const pathSuffix = fc.oneof(fc.constant(''), fc.webSegment().map((x) => `/${x}`), fc.constantFrom('?state=', '?state=used&state=pending', '?x=1', '/../../etc/passwd', '%', '?%zz'));
const idPart = fc.oneof(fc.constant('PENDING'), fc.webSegment(), fc.constantFrom('%00', '..', 'a'.repeat(300)));

describe('random input at every route', () => {
  it('never answers 5xx; always JSON with a reason for errors', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...ROUTES), body, contentType, auth, pathSuffix, idPart, async ([method, route], payload, ct, authorization, suffix, id) => {
        const url = route.replace('ID', id === 'PENDING' ? pendingId : id) + (route.includes('?') ? '' : suffix);
        const headers: Record<string, string> = {};
        if (ct !== undefined) headers['content-type'] = ct;
        if (authorization !== undefined) headers['authorization'] = authorization;
        const r = await s.app.inject({ method: method as 'GET', url, headers, payload: method === 'GET' ? undefined : payload });
        expect(r.statusCode, `${method} ${url}`).toBeLessThan(500);
        expect(r.headers['writ-policy-digest']).toBe(s.slot.current.digest);
        if (url.startsWith('/metrics') && r.statusCode === 200) {
          expect(r.headers['content-type']).toMatch(/^text\/plain/);
          return;
        }
        const parsed = r.json();
        if (r.statusCode >= 400) expect(typeof parsed.reason, `${method} ${url} ${r.body}`).toBe('string');
        else if (url.startsWith('/v1/decide')) expect(parsed.reasons.length).toBeGreaterThan(0);
      }),
      { numRuns: 1500 },
    );
  });
});
