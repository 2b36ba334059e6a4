import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sha256Hex, sha256HexPortable } from '../src/artifact/digest.js';

describe('sha256Hex', () => {
  it("Node's native SHA-256 and the portable one hash the same UTF-8 bytes (lone surrogates included)", () => {
    expect(sha256Hex('')).toBe('sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(sha256Hex('abc')).toBe('sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    fc.assert(
      fc.property(fc.string({ unit: fc.oneof(fc.constant('\ud800'), fc.constant('\udc00'), fc.constant('é'), fc.constant('😀'), fc.string({ minLength: 1, maxLength: 1 })) }), (s) => {
        expect(sha256Hex(s)).toBe(sha256HexPortable(s));
      }),
      { numRuns: 500 },
    );
  });
});
