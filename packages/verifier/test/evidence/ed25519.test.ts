// RFC 8032 §7.1 Ed25519 test vectors (copied under test/vectors/ed25519) and strict verification.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../src/evidence/bytes.js';
import {
  ed25519PublicKey,
  ed25519Sign,
  ed25519Verify,
  generateEd25519KeyPair,
} from '../../src/evidence/ed25519.js';
import * as ed from '@noble/ed25519';
import { sha512 } from '@noble/hashes/sha2.js';
import { VECTORS, flipBit } from './helpers.js';

interface Vector {
  name: string;
  secretKey: string;
  publicKey: string;
  message: string;
  signature: string;
}
const { vectors } = JSON.parse(readFileSync(join(VECTORS, 'ed25519', 'rfc8032.json'), 'utf8')) as { vectors: Vector[] };

// Group order L (little-endian) for building a non-canonical S = S + L.
const L = (1n << 252n) + 27742317777372353535851937790883648493n;
const leToBig = (b: Uint8Array): bigint => b.reduceRight((acc, x) => (acc << 8n) | BigInt(x), 0n);
const bigToLe = (n: bigint, len: number): Uint8Array => {
  const out = new Uint8Array(len);
  for (let i = 0; i < len; i++) out[i] = Number((n >> BigInt(8 * i)) & 255n);
  return out;
};

describe('Ed25519 RFC 8032 §7.1 vectors', () => {
  it('has the five vectors', () => expect(vectors.length).toBe(5));

  it.each(vectors.map((v) => [v.name, v] as const))('%s: public key, signature, verification', (_n, v) => {
    const seed = fromHex(v.secretKey);
    const msg = fromHex(v.message);
    const pub = fromHex(v.publicKey);
    const sig = fromHex(v.signature);
    expect(toHex(ed25519PublicKey(seed))).toBe(v.publicKey);
    expect(toHex(ed25519Sign(msg, seed))).toBe(v.signature);
    expect(ed25519Verify(sig, msg, pub)).toBe(true);
  });

  it.each(vectors.map((v) => [v.name, v] as const))('%s: tampered signature, message or key fails', (_n, v) => {
    const msg = fromHex(v.message);
    const pub = fromHex(v.publicKey);
    const sig = fromHex(v.signature);
    for (const bit of [0, 7, 100, 255, 256, 300, 511]) expect(ed25519Verify(flipBit(sig, bit), msg, pub)).toBe(false);
    const longer = new Uint8Array([...msg, 0]);
    expect(ed25519Verify(sig, longer, pub)).toBe(false);
    if (msg.length > 0) {
      expect(ed25519Verify(sig, flipBit(msg, 0), pub)).toBe(false);
      expect(ed25519Verify(sig, msg.subarray(1), pub)).toBe(false);
    }
    expect(ed25519Verify(sig, msg, flipBit(pub, 3))).toBe(false);
    // Wrong lengths never throw.
    expect(ed25519Verify(sig.subarray(1), msg, pub)).toBe(false);
    expect(ed25519Verify(sig, msg, pub.subarray(1))).toBe(false);
  });
});

describe('strict (RFC 8032 §5.1.7) verification', () => {
  const v = vectors[0]!;
  const msg = fromHex(v.message);
  const pub = fromHex(v.publicKey);
  const sig = fromHex(v.signature);

  it('rejects a non-canonical scalar S + L (malleability)', () => {
    const s = leToBig(sig.subarray(32));
    const malleated = new Uint8Array([...sig.subarray(0, 32), ...bigToLe(s + L, 32)]);
    expect(s + L < 1n << 256n).toBe(true);
    expect(ed25519Verify(malleated, msg, pub)).toBe(false);
  });

  // Each case below is accepted by noble's default ZIP-215 rules (checked, so the test is meaningful) and must be
  // rejected by our strict verification.
  const P = (1n << 255n) - 19n;
  const IDENTITY = bigToLe(1n, 32);

  it('rejects a small-order public key (identity key, identity R, S = 0)', () => {
    const forged = new Uint8Array([...IDENTITY, ...bigToLe(0n, 32)]);
    expect(ed.verify(forged, msg, IDENTITY)).toBe(true); // ZIP-215 accepts
    expect(ed25519Verify(forged, msg, IDENTITY)).toBe(false);
  });

  it('rejects a non-canonical encoding of R (y = p + 1)', () => {
    // R = identity encoded as y = p + 1; S = k·a so that [S]B = R + [k]A holds with k = H(R_bytes || A || M).
    const { scalar } = ed.utils.getExtendedPublicKey(fromHex(v.secretKey));
    const rBytes = bigToLe(P + 1n, 32);
    const k = leToBig(sha512(new Uint8Array([...rBytes, ...pub, ...msg]))) % L;
    const forged = new Uint8Array([...rBytes, ...bigToLe((k * scalar) % L, 32)]);
    expect(ed.verify(forged, msg, pub)).toBe(true); // ZIP-215 accepts
    expect(ed25519Verify(forged, msg, pub)).toBe(false);
  });

  it('rejects a non-canonical encoding of the public key (y ≥ p)', () => {
    const forged = new Uint8Array([...IDENTITY, ...bigToLe(0n, 32)]);
    expect(ed25519Verify(forged, msg, bigToLe(P + 1n, 32))).toBe(false);
  });

  it('signs and verifies with a generated key', () => {
    const { seed, publicKey } = generateEd25519KeyPair();
    expect(seed.length).toBe(32);
    expect(ed25519PublicKey(seed)).toEqual(publicKey);
    const m = new TextEncoder().encode('writ');
    const s = ed25519Sign(m, seed);
    expect(ed25519Verify(s, m, publicKey)).toBe(true);
    expect(ed25519Verify(s, m, generateEd25519KeyPair().publicKey)).toBe(false);
  });
});
