// Property tests: every generated proof verifies; any single-bit change of proof, root, leaf or index fails.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { leafHash, nodeHash } from '../../src/evidence/hash.js';
import {
  consistencyProof,
  inclusionProof,
  rangeHasherFromLeafHashes,
  rootFromLeafHashes,
} from '../../src/evidence/merkle.js';
import { MerkleTreeCache } from '../../src/evidence/merkle-cache.js';
import { verifyConsistency, verifyInclusion } from '../../src/evidence/merkle-verify.js';
import { entry, flipBit } from './helpers.js';

const MAX = 300;
const HASHES = Array.from({ length: MAX }, (_, i) => leafHash(entry(i)));
const TREE = new MerkleTreeCache();
HASHES.forEach((h) => TREE.append(h));
const ROOTS = [TREE.root(0), ...HASHES.map((_, i) => TREE.root(i + 1))];

describe('Merkle proofs (properties)', () => {
  it('cache roots equal the direct MTH for every size ≤ 300', () => {
    for (let n = 0; n <= MAX; n++) expect(ROOTS[n]).toEqual(rootFromLeafHashes(HASHES.slice(0, n)));
  });

  it('every inclusion and consistency proof of random trees ≤ 300 verifies', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: MAX }), (size) => {
        for (let i = 0; i < size; i++) {
          const proof = TREE.inclusionProof(i, size);
          expect(verifyInclusion(HASHES[i]!, i, size, proof, ROOTS[size]!)).toEqual({ ok: true });
        }
        for (let m = 1; m <= size; m++) {
          const proof = TREE.consistencyProof(m, size);
          expect(verifyConsistency(m, size, proof, ROOTS[m]!, ROOTS[size]!)).toEqual({ ok: true });
        }
      }),
      { numRuns: 25 },
    );
  });

  it('generation from leaf hashes, from the cache, and from a cache with keepLevel > 0 agree', () => {
    const tiered = new MerkleTreeCache({ keepLevel: 3, readLeafHashes: (s, e) => HASHES.slice(s, e) });
    HASHES.forEach((h) => tiered.append(h));
    const naive = rangeHasherFromLeafHashes(HASHES);
    fc.assert(
      fc.property(fc.integer({ min: 1, max: MAX }), fc.nat(), fc.nat(), (size, a, b) => {
        const i = a % size;
        const m = 1 + (b % size);
        expect(tiered.root(size)).toEqual(ROOTS[size]);
        expect(tiered.inclusionProof(i, size)).toEqual(inclusionProof(i, size, naive));
        expect(TREE.inclusionProof(i, size)).toEqual(inclusionProof(i, size, naive));
        expect(tiered.consistencyProof(m, size)).toEqual(consistencyProof(m, size, naive));
        expect(TREE.consistencyProof(m, size)).toEqual(consistencyProof(m, size, naive));
      }),
      { numRuns: 200 },
    );
  });

  it('a keepLevel > 0 cache queried while it grows (kept leaf block, remembered edges) matches the naive hashes', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4 }), fc.array(fc.nat(), { minLength: 1, maxLength: 40 }), (keepLevel, picks) => {
        const tiered = new MerkleTreeCache({ keepLevel, readLeafHashes: (s, e) => HASHES.slice(s, e) });
        const naive = rangeHasherFromLeafHashes(HASHES);
        for (let n = 0; n < 120; n++) {
          tiered.append(HASHES[n]!);
          const size = n + 1;
          const i = picks[n % picks.length]! % size;
          const proof = tiered.inclusionProof(i, size);
          expect(proof).toEqual(inclusionProof(i, size, naive));
          for (const h of proof) h.fill(0); // callers own what they get: the cache must not hand out its own arrays
          expect(tiered.leafHash(i).fill(0)).toHaveLength(32);
          expect(tiered.root(size)).toEqual(ROOTS[size]);
          expect(tiered.inclusionProof(i, size)).toEqual(inclusionProof(i, size, naive));
          const m = 1 + (picks[(n + 1) % picks.length]! % size);
          expect(tiered.consistencyProof(m, size)).toEqual(consistencyProof(m, size, naive));
        }
      }),
      { numRuns: 40 },
    );
  });

  it('flipping any bit of an inclusion proof, the root, the leaf hash or the index fails', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: MAX }), fc.nat(), fc.nat(), fc.integer({ min: 0, max: 255 }), (size, a, b, bit) => {
        const i = a % size;
        const proof = TREE.inclusionProof(i, size);
        const root = ROOTS[size]!;
        const leaf = HASHES[i]!;
        if (proof.length > 0) {
          const k = b % proof.length;
          const bad = proof.map((p, j) => (j === k ? flipBit(p, bit) : p));
          expect(verifyInclusion(leaf, i, size, bad, root).ok).toBe(false);
        }
        expect(verifyInclusion(leaf, i, size, proof, flipBit(root, bit)).ok).toBe(false);
        expect(verifyInclusion(flipBit(leaf, bit), i, size, proof, root).ok).toBe(false);
        const idxBit = b % 10; // indices < 300 < 2^9; bit 9 pushes them out of range
        expect(verifyInclusion(leaf, i ^ (1 << idxBit), size, proof, root).ok).toBe(false);
      }),
      { numRuns: 500 },
    );
  });

  it('flipping any bit of a consistency proof or either root fails', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: MAX }), fc.nat(), fc.nat(), fc.integer({ min: 0, max: 255 }), (size2, a, b, bit) => {
        const size1 = 1 + (a % (size2 - 1)); // size1 < size2, so the proof is non-empty
        const proof = TREE.consistencyProof(size1, size2);
        const r1 = ROOTS[size1]!;
        const r2 = ROOTS[size2]!;
        const k = b % proof.length;
        const bad = proof.map((p, j) => (j === k ? flipBit(p, bit) : p));
        expect(verifyConsistency(size1, size2, bad, r1, r2).ok).toBe(false);
        expect(verifyConsistency(size1, size2, proof, flipBit(r1, bit), r2).ok).toBe(false);
        expect(verifyConsistency(size1, size2, proof, r1, flipBit(r2, bit)).ok).toBe(false);
        expect(verifyConsistency(size1, size2, proof.slice(1), r1, r2).ok).toBe(false);
        expect(verifyConsistency(size1, size2, [...proof, r1], r1, r2).ok).toBe(false);
      }),
      { numRuns: 500 },
    );
  });

  it('exhaustively: every bit of every proof element matters for all trees up to 20 leaves', () => {
    for (let size = 1; size <= 20; size++) {
      for (let i = 0; i < size; i++) {
        const proof = TREE.inclusionProof(i, size);
        proof.forEach((p, k) => {
          for (let bit = 0; bit < 256; bit += 37) {
            const bad = proof.map((q, j) => (j === k ? flipBit(q, bit) : q));
            expect(verifyInclusion(HASHES[i]!, i, size, bad, ROOTS[size]!).ok).toBe(false);
          }
        });
      }
    }
  });

  it('reports the failing step with a stable code', () => {
    const proof = TREE.inclusionProof(3, 10);
    expect(verifyInclusion(HASHES[3]!, 10, 10, proof, ROOTS[10]!)).toMatchObject({ code: 'index-out-of-range' });
    expect(verifyInclusion(HASHES[3]!, -1, 10, proof, ROOTS[10]!)).toMatchObject({ code: 'invalid-argument' });
    expect(verifyInclusion(HASHES[3]!, 3, 10, proof.slice(1), ROOTS[10]!)).toMatchObject({ code: 'wrong-proof-length' });
    expect(verifyInclusion(HASHES[3]!, 3, 10, [...proof, proof[0]!], ROOTS[10]!)).toMatchObject({ code: 'wrong-proof-length' });
    expect(verifyInclusion(HASHES[3]!, 3, 10, proof, ROOTS[9]!)).toMatchObject({ code: 'root-mismatch' });
    expect(verifyInclusion(HASHES[3]!.subarray(1), 3, 10, proof, ROOTS[10]!)).toMatchObject({ code: 'bad-hash-length' });
    expect(verifyConsistency(5, 4, [], ROOTS[5]!, ROOTS[4]!)).toMatchObject({ code: 'size-decrease' });
    expect(verifyConsistency(4, 4, [ROOTS[1]!], ROOTS[4]!, ROOTS[4]!)).toMatchObject({ code: 'proof-not-empty' });
    expect(verifyConsistency(4, 4, [], ROOTS[4]!, ROOTS[5]!)).toMatchObject({ code: 'root-mismatch' });
    expect(verifyConsistency(3, 7, [], ROOTS[3]!, ROOTS[7]!)).toMatchObject({ code: 'wrong-proof-length' });
  });

  it('handles sizes beyond 2^32 without 32-bit overflow (arithmetic only, no tree needed)', () => {
    // In a tree of 2^33 + 1 leaves, the last leaf's path is one element: the root of the first 2^33 leaves.
    const size = 2 ** 33 + 1;
    const left = ROOTS[1]!; // any 32-byte value stands in for MTH(D[0:2^33])
    const leaf = HASHES[0]!;
    const root = nodeHash(left, leaf);
    expect(verifyInclusion(leaf, size - 1, size, [left], root)).toEqual({ ok: true });
    expect(verifyInclusion(leaf, size - 2, size, [left], root).ok).toBe(false);
    expect(inclusionProof(size - 1, size, (s, e) => (e - s === 1 ? leaf : left))).toEqual([left]);
  });
});
