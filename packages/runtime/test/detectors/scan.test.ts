import { describe, expect, it } from 'vitest';
import {
  DETECTOR_KINDS,
  detect,
  findings,
  isDetectorKind,
  isDetectorName,
  MAX_DEPTH,
  scanText,
  type DetectorName,
} from '../../src/detectors/index.js';

describe('names and kinds', () => {
  it('lists the kinds of each detector in contract order', () => {
    expect(DETECTOR_KINDS).toEqual({
      pii: ['email', 'phone', 'us_ssn', 'credit_card', 'iban', 'ip'],
      secret: ['aws_access_key', 'github_token', 'slack_token', 'openai_key', 'private_key', 'jwt'],
      injection: ['sql', 'shell', 'path_traversal', 'xss', 'prompt'],
    });
  });
  it('isDetectorName', () => {
    for (const d of ['pii', 'secret', 'injection']) expect(isDetectorName(d)).toBe(true);
    for (const d of ['PII', 'secrets', '', 'toString', '__proto__']) expect(isDetectorName(d)).toBe(false);
  });
  it('isDetectorKind', () => {
    expect(isDetectorKind('pii', 'credit_card')).toBe(true);
    expect(isDetectorKind('secret', 'jwt')).toBe(true);
    expect(isDetectorKind('injection', 'prompt')).toBe(true);
    expect(isDetectorKind('pii', 'jwt')).toBe(false);
    expect(isDetectorKind('secret', 'email')).toBe(false);
    expect(isDetectorKind('nope' as DetectorName, 'email')).toBe(false);
  });
});

describe('scanText', () => {
  it('returns findings sorted by start with exact UTF-16 offsets', () => {
    const text = '☎️ Ünïcødé 😀 ana@example.com, SSN 123-45-6789, call 415-555-0100';
    const f = scanText('pii', text);
    expect(f.map((x) => [x.kind, x.text])).toEqual([
      ['email', 'ana@example.com'],
      ['us_ssn', '123-45-6789'],
      ['phone', '415-555-0100'],
    ]);
    for (const x of f) {
      expect(text.slice(x.start, x.end)).toBe(x.text);
      expect(x.detector).toBe('pii');
    }
    expect(f[0]?.start).toBe(text.indexOf('ana@'));
  });

  it('restricts to the given kinds and ignores unknown ones', () => {
    const text = 'ana@example.com 123-45-6789';
    expect(scanText('pii', text, ['us_ssn']).map((f) => f.kind)).toEqual(['us_ssn']);
    expect(scanText('pii', text, ['email', 'no_such_kind']).map((f) => f.kind)).toEqual(['email']);
    expect(scanText('pii', text, [])).toEqual([]);
    expect(scanText('pii', text, ['jwt'])).toEqual([]);
  });

  it('resolves overlaps: the longest finding wins', () => {
    // The shell finding "$(cat /etc/passwd)" contains the path finding "/etc/passwd".
    const f = scanText('injection', 'x=$(cat /etc/passwd)');
    expect(f.map((x) => [x.kind, x.text])).toEqual([['shell', '$(cat /etc/passwd)']]);
    // Alone, the path is a finding.
    expect(scanText('injection', 'x=/etc/passwd').map((x) => x.kind)).toEqual(['path_traversal']);
    // "+1 415 555 0100" is both an E.164 and a NANP number: one finding.
    expect(scanText('pii', 'call +1 415 555 0100').map((x) => x.text)).toEqual(['+1 415 555 0100']);
  });

  it('never throws on odd input', () => {
    expect(scanText('pii', '')).toEqual([]);
    expect(scanText('nope' as DetectorName, 'ana@example.com')).toEqual([]);
    expect(scanText('pii', 42 as unknown as string)).toEqual([]);
    expect(scanText('pii', '\uD800@example.com \uDFFF')).toEqual([]);
  });
});

describe('detect', () => {
  const ticket = {
    customer_id: 'C-1001',
    subject: 'Refund',
    body: 'Please refund card 4111 1111 1111 1111',
    items: [{ sku: 'A1', note: 'gift' }, { sku: 'B2', note: 'for ana@example.com' }],
    amount: 42.5,
    urgent: true,
    extra: null,
  };

  it('finds strings in object values and array items, at any depth', () => {
    expect(detect('pii', ticket)).toBe(true);
    expect(detect('pii', ticket, ['email'])).toBe(true);
    expect(detect('pii', ticket, ['iban'])).toBe(false);
    expect(detect('secret', ticket)).toBe(false);
    expect(detect('injection', { q: ["x'; DROP TABLE users; --"] })).toBe(true);
  });

  it('does not scan object keys', () => {
    expect(detect('pii', { 'ana@example.com': 'ok' })).toBe(false);
  });

  it('scans numbers (as String(n)) for pii only', () => {
    expect(detect('pii', { card: 4111111111111111 })).toBe(true);
    expect(detect('pii', 4111111111111111)).toBe(true);
    expect(detect('pii', { amount: 1234567890123 })).toBe(false);
    expect(detect('injection', { n: 1 })).toBe(false);
  });

  it('handles scalars and empty containers', () => {
    for (const v of [null, undefined, true, false, 0, '', [], {}, NaN]) {
      expect(detect('pii', v)).toBe(false);
      expect(detect('secret', v)).toBe(false);
      expect(detect('injection', v)).toBe(false);
    }
    expect(detect('pii', 'ana@example.com')).toBe(true);
  });

  it(`stops descending below ${MAX_DEPTH} levels`, () => {
    const nest = (depth: number, leaf: unknown): unknown => {
      let v = leaf;
      for (let i = 0; i < depth; i++) v = [v];
      return v;
    };
    expect(detect('pii', nest(MAX_DEPTH, 'ana@example.com'))).toBe(true);
    expect(detect('pii', nest(MAX_DEPTH + 1, 'ana@example.com'))).toBe(false);
    expect(findings('pii', nest(MAX_DEPTH + 1, 'ana@example.com'))).toEqual([]);
    // Very deep input neither overflows the stack nor throws.
    expect(detect('pii', nest(100_000, 'ana@example.com'))).toBe(false);
  });

  it('never throws on hostile or non-JSON input', () => {
    const hostile = new Proxy(
      {},
      {
        ownKeys() {
          throw new Error('boom');
        },
      },
    );
    const getter = Object.defineProperty({ ok: 'ana@example.com' }, 'bad', {
      enumerable: true,
      get() {
        throw new Error('boom');
      },
    });
    const cyclic: Record<string, unknown> = { a: 'x' };
    cyclic.self = cyclic;
    expect(detect('pii', hostile)).toBe(false);
    expect(detect('pii', getter)).toBe(true);
    expect(detect('pii', cyclic)).toBe(false);
    expect(detect('pii', new Map([['k', 'ana@example.com']]))).toBe(false);
    expect(detect('pii', Symbol('x'))).toBe(false);
    expect(detect('pii', 10n)).toBe(false);
    expect(detect('pii', () => 'ana@example.com')).toBe(false);
    expect(findings('pii', getter).map((f) => f.path)).toEqual(['$.ok']);
  });
});

describe('findings', () => {
  it('reports JSON paths', () => {
    const value = {
      body: 'mail ana@example.com',
      items: [{ note: 'x' }, { note: 'y' }, { note: 'SSN 123-45-6789' }],
      'content-type': 'b@example.org',
      nested: { deep: [['+44 20 7946 0958']] },
      n: 4111111111111111,
    };
    const f = findings('pii', value);
    expect(f.map((x) => [x.path, x.kind, x.text])).toEqual([
      ['$.body', 'email', 'ana@example.com'],
      ['$.items[2].note', 'us_ssn', '123-45-6789'],
      ['$["content-type"]', 'email', 'b@example.org'],
      ['$.nested.deep[0][0]', 'phone', '+44 20 7946 0958'],
      ['$.n', 'credit_card', '4111111111111111'],
    ]);
    expect(f[0]).toMatchObject({ detector: 'pii', start: 5, end: 20 });
  });

  it('uses $ for a root string and respects kinds', () => {
    expect(findings('secret', 'AKIAIOSFODNN7EXAMPLE')).toEqual([
      { detector: 'secret', kind: 'aws_access_key', start: 0, end: 20, text: 'AKIAIOSFODNN7EXAMPLE', path: '$' },
    ]);
    expect(findings('secret', 'AKIAIOSFODNN7EXAMPLE', ['jwt'])).toEqual([]);
  });
});
