// POST /v1/decide on the fast path (Node's HTTP objects, before fastify) answers exactly what the fastify
// route answers: same status, headers (Date aside) and body, for valid requests, malformed requests, bodies
// that are not JSON and bodies nested too deep; requests it does not take go to fastify unchanged.
import fc from 'fast-check';
import { request as httpRequest, createServer, type Server } from 'node:http';
import fastJson from 'fast-json-stringify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryBackend, PolicySlot, ServerMetrics, type WritServer } from '../src/index.js';
import { decideFastPath } from '../src/decide-fast-path.js';
import * as S from '../src/schemas.js';
import { POLICY, policyFrom, refund, server } from './helpers.js';

interface Answer {
  status: number;
  headers: string[];
  body: string;
}

function post(port: number, body: string | Buffer, headers: Record<string, string> = { 'content-type': 'application/json' }, path = '/v1/decide'): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const r = httpRequest({ host: '127.0.0.1', port, method: 'POST', path, headers: { 'content-length': String(Buffer.byteLength(body)), ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        // Raw header pairs in order, without Date (the clock of the wire, not of the service).
        const pairs: string[] = [];
        for (let i = 0; i < res.rawHeaders.length; i += 2) if (res.rawHeaders[i]!.toLowerCase() !== 'date') pairs.push(`${res.rawHeaders[i]}: ${res.rawHeaders[i + 1]}`);
        resolve({ status: res.statusCode ?? 0, headers: pairs, body: Buffer.concat(chunks).toString('utf8') });
      });
    });
    r.on('error', reject);
    r.end(body);
  });
}

// Approval ids are random UUIDs: the only part of an answer that differs between two servers by design.
const sameIds = (a: Answer): Answer => ({ ...a, body: a.body.replace(/"id":"[0-9a-f-]{36}"/g, '"id":"<id>"') });

const NOW = Date.parse('2026-11-21T10:00:00Z');
let fast: WritServer;
let slow: WritServer;
let fastPort = 0;
let slowPort = 0;

beforeAll(async () => {
  fast = await server({ clock: () => NOW });
  slow = await server({ clock: () => NOW, fastPath: false });
  for (const s of [fast, slow]) await s.app.listen({ port: 0, host: '127.0.0.1' });
  fastPort = (fast.app.server.address() as { port: number }).port;
  slowPort = (slow.app.server.address() as { port: number }).port;
});
afterAll(async () => {
  await fast.close();
  await slow.close();
});

const both = async (body: string | Buffer, headers?: Record<string, string>, path?: string): Promise<[Answer, Answer]> => [
  sameIds(await post(fastPort, body, headers, path)),
  sameIds(await post(slowPort, body, headers, path)),
];

describe('decide fast path', () => {
  it('answers like the fastify route: decisions, state (limits, approvals), malformed requests and bodies', async () => {
    const lookup = { agent: { id: 'refund-agent' }, tool: 'lookup_order', args: { order_id: 'O-1' } };
    const bodies: string[] = [
      JSON.stringify(refund(5)),
      JSON.stringify(refund(250)), // pending approval
      JSON.stringify(refund(250)), // the same approval, still pending
      JSON.stringify(refund(900)), // deny rule
      ...Array.from({ length: 5 }, () => JSON.stringify(lookup)), // limit 3 per hour, then denied
      JSON.stringify({ agent: { id: 'x' }, tool: 'no_such_tool', args: {} }),
      JSON.stringify({ tool: 42 }), // invalid_request deny
      '[]',
      '"just a string"',
      '{"__proto__":{"x":1},"tool":"lookup_order"}',
      '{"tool": "lookup_order", "args": {"order_id": "\\ud800"}}',
      'not json',
      '{"a":',
      '{}garbage',
      '\u00e9\u00e8', // multi-byte text that is not JSON
      `${'['.repeat(300)}${']'.repeat(300)}`, // too deep
      `{"tool":"lookup_order","args":{"order_id":"${'['.repeat(400)}"}}`, // brackets in a string do not count
      // Bodies that arrive in several chunks, multi-byte characters across chunk boundaries.
      JSON.stringify({ ...lookup, args: { order_id: 'x'.repeat(300_000) } }),
      JSON.stringify({ ...lookup, args: { order_id: '\u00e9\u{1f600}'.repeat(60_000) } }),
      `{"tool":"lookup_order","args":{"order_id":"${'\u00e9'.repeat(200_000)}"`, // not JSON, large
    ];
    for (const body of bodies) {
      const [a, b] = await both(body);
      expect(a, body).toEqual(b);
    }
    // The answers are the service's: a sample of what the two servers agreed on.
    const [ok] = await both(JSON.stringify(refund(5)));
    expect(ok.status).toBe(200);
    expect(ok.headers).toContain(`writ-policy-digest: ${fast.slot.current.digest}`);
    const [bad] = await both('not json');
    expect(bad.status).toBe(400);
    expect(bad.headers).toContain('connection: close');
    expect(JSON.parse(bad.body)).toMatchObject({ error: 'Bad Request', reason: expect.stringMatching(/^the body is not valid JSON: /) });
    const [deep] = await both(`${'['.repeat(300)}${']'.repeat(300)}`);
    expect(JSON.parse(deep.body).reason).toBe('the body nests arrays and objects more than 256 levels deep');
    // Both servers counted the same decisions.
    const series = async (s: WritServer) => (await s.metrics.text()).split('\n').filter((l) => l.startsWith('writ_decisions_total{') || l.startsWith('writ_decision_duration_seconds_count'));
    expect(await series(fast)).toEqual(await series(slow));
  });

  it('answers like the fastify route for any JSON value and any text (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.jsonValue().map((v) => JSON.stringify(v)), fc.string({ minLength: 1, unit: 'binary' })), async (body) => {
        const [a, b] = await both(body);
        expect(a).toEqual(b);
        expect(a.status).toBeLessThan(500);
      }),
      { numRuns: 150 },
    );
  });

  it('leaves other requests to fastify, which answers them as before', async () => {
    const body = JSON.stringify(refund(5));
    const cases: Array<[Record<string, string> | undefined, string | undefined, number]> = [
      [{ 'content-type': 'application/json; charset=utf-8' }, undefined, 200],
      [{ 'content-type': 'text/plain' }, undefined, 415],
      [{ 'content-type': 'application/json' }, '/v1/decide?x=1', 200],
      [{ 'content-type': 'application/json' }, '/v1/decide/', 404],
    ];
    for (const [headers, path, status] of cases) {
      const [a, b] = await both(body, headers, path);
      expect(a).toEqual(b);
      expect(a.status).toBe(status);
    }
  });
});

describe('decideFastPath', () => {
  const policy = policyFrom(POLICY);
  let plain: Server;
  let port = 0;
  const fallback: string[] = [];
  const closing = { now: false };
  beforeAll(async () => {
    const slot = new PolicySlot(policy);
    const fastPath = decideFastPath({
      slot,
      backend: new MemoryBackend(),
      metrics: new ServerMetrics({ processMetrics: false }),
      clock: () => NOW,
      bodyLimit: 1000,
      maxDepth: 256,
      closing: () => closing.now,
      serializeDecision: fastJson(S.decision as unknown as fastJson.AnySchema),
      serializeError: fastJson(S.errorBody as unknown as fastJson.AnySchema),
      toolLabel: () => '(unknown)',
      tooDeep: 'too deep',
      notJson: (e) => `not JSON: ${e.message}`,
      log: () => {},
    });
    plain = createServer((req, res) => {
      if (fastPath(req, res)) return;
      fallback.push(`${req.method} ${req.url} ${req.headers['content-type']} ${req.headers['content-length']}`);
      req.resume();
      req.on('end', () => res.writeHead(599).end());
    });
    await new Promise<void>((r) => plain.listen(0, '127.0.0.1', r));
    port = (plain.address() as { port: number }).port;
  });
  afterAll(() => new Promise<void>((r) => plain.close(() => r())));

  it('takes exactly the plain JSON POSTs to /v1/decide within the body limit, and nothing while closing', async () => {
    const body = JSON.stringify(refund(5));
    expect((await post(port, body)).status).toBe(200);
    expect((await post(port, 'nope')).status).toBe(400);
    expect(fallback).toEqual([]);
    expect((await post(port, body, { 'content-type': 'application/json; charset=utf-8' })).status).toBe(599);
    expect((await post(port, body, { 'content-type': 'application/json' }, '/v1/decide?x=1')).status).toBe(599);
    expect((await post(port, 'x'.repeat(1001))).status).toBe(599); // above the body limit: fastify answers 413
    expect((await post(port, '', { 'content-type': 'application/json', 'content-length': '0' })).status).toBe(599);
    closing.now = true;
    expect((await post(port, body)).status).toBe(599); // fastify answers 503 while closing
    closing.now = false;
    expect(fallback).toHaveLength(5);
  });
});
