import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bytesEqual, concatBytes, fromBase64, fromHex, fromUtf8, isWellFormedText, toBase64, toHex } from '../../src/evidence/bytes.js';
import { EvidenceFormatError } from '../../src/evidence/errors.js';

describe('base64 (RFC 4648 §4, strict)', () => {
  it('matches the RFC 4648 §10 test vectors both ways', () => {
    const cases: [string, string][] = [
      ['', ''], ['f', 'Zg=='], ['fo', 'Zm8='], ['foo', 'Zm9v'], ['foob', 'Zm9vYg=='], ['fooba', 'Zm9vYmE='], ['foobar', 'Zm9vYmFy'],
    ];
    for (const [plain, b64] of cases) {
      expect(toBase64(new TextEncoder().encode(plain))).toBe(b64);
      expect(new TextDecoder().decode(fromBase64(b64))).toBe(plain);
    }
  });

  it('round-trips random bytes and agrees with Node Buffer', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), (b) => {
        const s = toBase64(b);
        expect(s).toBe(Buffer.from(b).toString('base64'));
        expect(fromBase64(s)).toEqual(b);
      }),
    );
  });

  it.each([
    ['Zg', 'missing padding'],
    ['Zg=', 'short padding'],
    ['Zh==', 'non-zero padding bits'],
    ['Zm9=', 'non-zero padding bits (one pad)'],
    ['Zm 9v', 'whitespace'],
    ['Zm9v\n', 'newline'],
    ['Zm-v', 'URL-safe alphabet'],
    ['Z===', 'too much padding'],
    ['Zg==Zg==', 'padding in the middle'],
    ['Zm9vYg==\u00e9', 'non-ASCII'],
  ])('rejects %j (%s)', (s) => {
    expect(() => fromBase64(s)).toThrow(EvidenceFormatError);
  });
});

describe('hex and helpers', () => {
  it('round-trips and rejects malformed hex', () => {
    expect(toHex(Uint8Array.of(0, 1, 0xab, 0xff))).toBe('0001abff');
    expect(fromHex('0001ABff')).toEqual(Uint8Array.of(0, 1, 0xab, 0xff));
    expect(() => fromHex('abc')).toThrow(EvidenceFormatError);
    expect(() => fromHex('zz')).toThrow(EvidenceFormatError);
  });
  it('compares and concatenates bytes', () => {
    expect(bytesEqual(Uint8Array.of(1, 2), Uint8Array.of(1, 2))).toBe(true);
    expect(bytesEqual(Uint8Array.of(1, 2), Uint8Array.of(1, 3))).toBe(false);
    expect(bytesEqual(Uint8Array.of(1), Uint8Array.of(1, 2))).toBe(false);
    expect(concatBytes(Uint8Array.of(1), new Uint8Array(), Uint8Array.of(2, 3))).toEqual(Uint8Array.of(1, 2, 3));
  });
  it('decodes UTF-8 strictly and detects lone surrogates', () => {
    expect(() => fromUtf8(Uint8Array.of(0xe2, 0x80))).toThrow();
    expect(fromUtf8(Uint8Array.of(0xef, 0xbb, 0xbf, 0x41))).toBe('\ufeffA');
    expect(isWellFormedText('a\ud83d\ude00b')).toBe(true);
    expect(isWellFormedText('a\ud83db')).toBe(false);
    expect(isWellFormedText('a\ude00')).toBe(false);
  });
});
