/**
 * Verification of RFC 9162 inclusion proofs (§2.1.3.2) and consistency proofs (§2.1.4.2).
 *
 * Both functions judge untrusted input and never throw: they return `{ ok: true }` or
 * `{ ok: false, code, reason }` (see `errors.ts`). Tree sizes and indices are numbers and must be safe
 * integers; arithmetic uses division, not 32-bit bitwise operators.
 *
 * @module
 */
import { bytesEqual } from './bytes.js';
import { fail } from './errors.js';
import type { VerifyResult } from './errors.js';
import { HASH_SIZE, nodeHash } from './hash.js';

const isSize = (n: number): boolean => Number.isSafeInteger(n) && n >= 0;
const half = (n: number): number => Math.floor(n / 2);
const odd = (n: number): boolean => n % 2 === 1;

/**
 * Verifies that `leafHash` is leaf `index` of the tree of `size` leaves whose root is `root`, following
 * RFC 9162 §2.1.3.2 exactly (the path length must match the index and size; no extra or missing element is
 * tolerated).
 *
 * @param leafHash - 32-byte leaf hash (`SHA-256(0x00 || entry)`).
 * @param index - leaf index, `0 ≤ index < size`.
 * @param size - tree size.
 * @param proof - the inclusion path, leaf's sibling first, each 32 bytes (`[]` for a one-leaf tree).
 * @param root - the expected 32-byte root of the tree of `size` leaves.
 * @returns `{ ok: true }`, or a failure with code `invalid-argument`, `index-out-of-range`,
 *   `bad-hash-length`, `wrong-proof-length` or `root-mismatch`.
 */
export function verifyInclusion(
  leafHash: Uint8Array,
  index: number,
  size: number,
  proof: readonly Uint8Array[],
  root: Uint8Array,
): VerifyResult {
  if (!isSize(index) || !isSize(size)) return fail('invalid-argument', 'leaf index and tree size must be non-negative safe integers');
  if (index >= size) return fail('index-out-of-range', `leaf index ${index} is not below tree size ${size}`);
  const bad = badLength([leafHash, root, ...proof]);
  if (bad !== undefined) return bad;
  let fn = index;
  let sn = size - 1;
  let r = leafHash;
  for (const p of proof) {
    if (sn === 0) return fail('wrong-proof-length', `inclusion proof has more than the expected elements for index ${index} in size ${size}`);
    if (odd(fn) || fn === sn) {
      r = nodeHash(p, r);
      if (!odd(fn)) {
        while (!odd(fn) && fn !== 0) {
          fn = half(fn);
          sn = half(sn);
        }
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = half(fn);
    sn = half(sn);
  }
  if (sn !== 0) return fail('wrong-proof-length', `inclusion proof has fewer than the expected elements for index ${index} in size ${size}`);
  if (!bytesEqual(r, root)) return fail('root-mismatch', 'the root computed from the inclusion proof does not match the expected root');
  return { ok: true };
}

/**
 * Verifies that the tree of `size1` leaves with root `root1` is a prefix of the tree of `size2` leaves with
 * root `root2`, following RFC 9162 §2.1.4.2, with these edge rules:
 *
 * - `size2 < size1` fails (`size-decrease`).
 * - **`size1 = 0` always fails (`empty-tree`)**, even with an empty proof and even when `size2 = 0`. Every tree
 *   trivially extends the empty tree, so such a "proof" proves nothing; RFC 9162 defines consistency proofs only
 *   for `0 < size1`, and the transparency-dev golden vectors we test against expect an error here. (The C2SP
 *   draft accepts it; we do not.) Callers that follow a log from nothing, such as `verifyCheckpointAdvance`,
 *   treat a first checkpoint of size 0 explicitly instead of calling this.
 * - `size1 = size2 > 0`: the proof must be empty and the roots byte-equal (their length is not checked).
 * - otherwise the proof must be non-empty, every hash 32 bytes, and the RFC algorithm must reproduce both roots
 *   with the path fully consumed.
 *
 * @param size1 - older tree size.
 * @param size2 - newer tree size.
 * @param proof - consistency proof, each element 32 bytes.
 * @param root1 - expected root of the older tree.
 * @param root2 - expected root of the newer tree.
 * @returns `{ ok: true }`, or a failure with code `invalid-argument`, `size-decrease`, `empty-tree`,
 *   `proof-not-empty`, `root-mismatch`, `wrong-proof-length` or `bad-hash-length`.
 */
export function verifyConsistency(
  size1: number,
  size2: number,
  proof: readonly Uint8Array[],
  root1: Uint8Array,
  root2: Uint8Array,
): VerifyResult {
  if (!isSize(size1) || !isSize(size2)) return fail('invalid-argument', 'tree sizes must be non-negative safe integers');
  if (size2 < size1) return fail('size-decrease', `tree size ${size2} is smaller than ${size1}`);
  if (size1 === 0) return fail('empty-tree', 'a consistency proof from the empty tree (size 0) proves nothing and is not accepted');
  if (size1 === size2) {
    if (proof.length > 0) return fail('proof-not-empty', 'equal tree sizes need an empty consistency proof');
    if (!bytesEqual(root1, root2)) return fail('root-mismatch', `two different roots for the same tree size ${size1}`);
    return { ok: true };
  }
  if (proof.length === 0) return fail('wrong-proof-length', 'empty consistency proof for different tree sizes');
  const bad = badLength([root1, root2, ...proof]);
  if (bad !== undefined) return bad;

  // RFC 9162 §2.1.4.2, steps 2–7.
  const path = isPowerOfTwo(size1) ? [root1, ...proof] : [...proof];
  let fn = size1 - 1;
  let sn = size2 - 1;
  while (odd(fn)) {
    fn = half(fn);
    sn = half(sn);
  }
  let fr = path[0]!;
  let sr = path[0]!;
  for (let i = 1; i < path.length; i++) {
    const c = path[i]!;
    if (sn === 0) return fail('wrong-proof-length', `consistency proof from ${size1} to ${size2} has too many elements`);
    if (odd(fn) || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      if (!odd(fn)) {
        while (!odd(fn) && fn !== 0) {
          fn = half(fn);
          sn = half(sn);
        }
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn = half(fn);
    sn = half(sn);
  }
  if (sn !== 0) return fail('wrong-proof-length', `consistency proof from ${size1} to ${size2} has too few elements`);
  if (!bytesEqual(fr, root1)) return fail('root-mismatch', `the proof does not reproduce the root of tree size ${size1}`);
  if (!bytesEqual(sr, root2)) return fail('root-mismatch', `the proof does not reproduce the root of tree size ${size2}`);
  return { ok: true };
}

function badLength(hashes: readonly Uint8Array[]): VerifyResult | undefined {
  for (const h of hashes) {
    if (h.length !== HASH_SIZE) return fail('bad-hash-length', `a hash is ${h.length} bytes, expected ${HASH_SIZE}`);
  }
  return undefined;
}

function isPowerOfTwo(n: number): boolean {
  return n >= 1 && 2 ** Math.round(Math.log2(n)) === n;
}
