// deeperThan against the depth of the parsed value, on random JSON (strings full of brackets, quotes and
// escapes included), and the routes' answer to bodies nested past the limit.
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { deeperThan, type WritServer } from '../src/index.js';
import { server } from './helpers.js';

function depth(v: unknown): number {
  if (Array.isArray(v)) return 1 + Math.max(0, ...v.map(depth));
  if (v !== null && typeof v === 'object') return 1 + Math.max(0, ...Object.values(v).map(depth));
  return 0;
}

const tricky = fc.string({ unit: fc.constantFrom('[', ']', '{', '}', '"', '\\', 'a', ',', ':') });
const json = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small', withCrossShrink: true }, tricky, fc.integer(), fc.constant(null), tie('array'), tie('object')),
  array: fc.array(tie('value'), { maxLength: 3 }),
  object: fc.dictionary(tricky, tie('value'), { maxKeys: 3 }),
})).value;

describe('deeperThan', () => {
  it('agrees with the parsed value\'s depth for every limit', () => {
    fc.assert(
      fc.property(json, fc.integer({ min: 0, max: 12 }), fc.boolean(), (v, limit, pretty) => {
        const text = JSON.stringify(v, null, pretty ? 2 : undefined);
        expect(deeperThan(text, limit)).toBe(depth(JSON.parse(text)) > limit);
      }),
      { numRuns: 3000 },
    );
  });

  it('is exact at the length boundary (texts no longer than the limit are not scanned)', () => {
    for (const limit of [0, 1, 2, 5, 256]) {
      expect(deeperThan('['.repeat(limit), limit)).toBe(false);
      expect(deeperThan('['.repeat(limit + 1), limit)).toBe(true);
      expect(deeperThan('{'.repeat(limit + 1), limit)).toBe(true);
      expect(deeperThan(`"${'['.repeat(limit + 1)}"`, limit)).toBe(false);
    }
  });
});

let s: WritServer;
afterAll(() => s?.close());

describe('deeply nested bodies', () => {
  it('are answered 400 past the limit at every JSON route, and decided up to it', async () => {
    s = await server({ maxDepth: 40 });
    const nest = (n: number) => '['.repeat(n) + ']'.repeat(n);
    const ok = await s.app.inject({ method: 'POST', url: '/v1/check-result', headers: { 'content-type': 'application/json' }, payload: `{"request":{"agent":{"id":"refund-agent"},"tool":"fetch_doc","args":{"id":"d"}},"result":${nest(39)}}` });
    expect(ok.statusCode).toBe(200);
    expect(ok.json().result).toEqual(JSON.parse(nest(39)));
    for (const url of ['/v1/decide', '/v1/check-result']) {
      const r = await s.app.inject({ method: 'POST', url, headers: { 'content-type': 'application/json' }, payload: `{"result":${nest(40)}}` });
      expect(r.statusCode).toBe(400);
      expect(r.json().reason).toBe('the body nests arrays and objects more than 40 levels deep');
    }
    // The default limit still keeps a 100,000-level body from reaching JSON.stringify.
    await s.close();
    s = await server();
    const r = await s.app.inject({ method: 'POST', url: '/v1/check-result', headers: { 'content-type': 'application/json' }, payload: `{"request":{},"result":${nest(100_000)}}` });
    expect(r.statusCode).toBe(400);
  });
});
