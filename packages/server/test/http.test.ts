// Malformed HTTP on a real socket: the parser's errors get the service's JSON error shape, and random bytes
// never take the service down.
import fc from 'fast-check';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WritServer } from '../src/index.js';
import { refund, server } from './helpers.js';

let s: WritServer;
let port = 0;
beforeAll(async () => {
  s = await server();
  await s.app.listen({ port: 0, host: '127.0.0.1' });
  port = (s.app.server.address() as { port: number }).port;
});
afterAll(() => s.close());

/** Sends raw bytes, returns everything the server wrote before closing (or after 2 s). */
function raw(bytes: Buffer | string): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const c = connect({ port, host: '127.0.0.1' }, () => c.end(bytes));
    const done = () => resolve(Buffer.concat(chunks).toString('utf8'));
    c.on('data', (d) => chunks.push(d));
    c.on('close', done);
    c.on('error', done);
    c.setTimeout(2000, () => c.destroy());
  });
}

function parseAll(response: string): Array<{ status: number; headers: string; body: string }> {
  const out: Array<{ status: number; headers: string; body: string }> = [];
  let rest = response;
  while (rest !== '') {
    const m = /^HTTP\/1\.1 (\d{3}) [^\r]*\r\n([\s\S]*?)\r\n\r\n/.exec(rest);
    if (m === null) throw new Error(`not an HTTP response: ${JSON.stringify(rest.slice(0, 200))}`);
    const headers = m[2]!.toLowerCase();
    const length = Number(/content-length: (\d+)/.exec(headers)?.[1] ?? rest.length - m[0].length);
    const bytes = Buffer.from(rest.slice(m[0].length));
    out.push({ status: Number(m[1]), headers, body: bytes.subarray(0, length).toString('utf8') });
    rest = bytes.subarray(length).toString('utf8');
  }
  return out;
}

/** A single response (the tests that expect one). */
function parse(response: string): { status: number; headers: string; body: string } {
  const all = parseAll(response);
  expect(all).toHaveLength(1);
  return all[0]!;
}

describe('malformed HTTP', () => {
  it('answers parser errors with the JSON error shape and the digest header', async () => {
    const digest = s.slot.current.digest;
    const cases: Array<[string, number, RegExp]> = [
      [`GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`, 431, /headers are too large/],
      ['GARBAGE\r\n\r\n', 400, /malformed HTTP request \(HPE_INVALID_METHOD\)/],
      ['POST /v1/decide HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n', 400, /HPE_INVALID_CONTENT_LENGTH/],
    ];
    // Bytes after a `Connection: close` request do not lose its answer.
    const closeThenJunk = await raw(`POST /v1/decide HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: ${JSON.stringify(refund(5)).length}\r\n\r\n${JSON.stringify(refund(5))} junk`);
    expect(parseAll(closeThenJunk).map((r) => r.status)).toEqual([200]);
    for (const [req, status, reason] of cases) {
      const r = parse(await raw(req));
      expect(r.status).toBe(status);
      expect(r.headers).toContain(`writ-policy-digest: ${digest}`);
      const body = JSON.parse(r.body);
      expect(body.reason).toMatch(reason);
      expect(body.policy_digest).toBe(digest);
    }
  });

  it('random request lines, headers and bodies: no 5xx, JSON errors, and the service still decides', async () => {
    const token = fc.stringMatching(/^[\x21-\x7e]{0,12}$/);
    const request = fc
      .record({
        method: fc.oneof(fc.constantFrom('GET', 'POST', 'PUT', 'HEAD', 'OPTIONS'), token),
        path: fc.oneof(fc.constantFrom('/v1/decide', '/v1/check-result', '/v1/approvals/x', '/healthz', '/metrics'), token.map((t) => `/${t}`)),
        version: fc.constantFrom('HTTP/1.1', 'HTTP/1.0', 'HTTP/9.9', ''),
        headers: fc.array(fc.tuple(token, fc.string({ maxLength: 30 }).map((v) => v.replace(/[\r\n]/g, ''))), { maxLength: 4 }),
        contentType: fc.constantFrom('application/json', 'text/plain', ''),
        body: fc.oneof(fc.json(), fc.string({ maxLength: 50 })),
        length: fc.constantFrom('exact', 'short', 'none', 'bogus'),
      })
      .map((r) => {
        const body = Buffer.from(r.body);
        const len = r.length === 'exact' ? String(body.length) : r.length === 'short' ? String(Math.max(0, body.length - 3)) : r.length === 'bogus' ? '-1' : undefined;
        const lines = [`${r.method} ${r.path} ${r.version}`, 'Host: localhost', 'Connection: close'];
        if (r.contentType !== '') lines.push(`Content-Type: ${r.contentType}`);
        if (len !== undefined) lines.push(`Content-Length: ${len}`);
        for (const [k, v] of r.headers) lines.push(`${k}: ${v}`);
        return Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`), body]);
      });
    await fc.assert(
      fc.asyncProperty(request, async (bytes) => {
        const out = await raw(bytes);
        if (out === '') return; // the server may close without a word (a torn body, bytes after Connection: close)
        // Bytes after a complete request are a second request: every response is checked.
        if (bytes.toString().startsWith('HEAD ')) {
          // A HEAD answer has no body, unless the parser refused the request: check the status line only.
          expect(Number(/^HTTP\/1\.1 (\d{3})/.exec(out)?.[1]), out).toBeLessThan(500);
          return;
        }
        for (const r of parseAll(out)) {
          expect(r.status, out).toBeLessThan(500);
          if (r.status >= 400 && r.body !== '') expect(typeof JSON.parse(r.body).reason, out).toBe('string');
        }
      }),
      { numRuns: 300 },
    );
    const ok = await fetch(`http://127.0.0.1:${port}/v1/decide`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(refund(5)) });
    expect(ok.status).toBe(200);
  });
});
