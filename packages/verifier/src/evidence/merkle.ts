/**
 * Merkle tree hash and proof generation, RFC 9162 §2.1.1 (MTH), §2.1.3.1 (inclusion path) and §2.1.4.1
 * (consistency proof).
 *
 * Generation works from a {@link RangeHasher}: any function that returns `MTH(D[start:end])`, the root of the
 * subtree over leaves `start` (inclusive) to `end` (exclusive). That lets a caller produce proofs from whatever
 * it stores: an array of leaf hashes ({@link rangeHasherFromLeafHashes}, O(n) per call), an in-memory
 * {@link MerkleTreeCache} (O(log n) per aligned subtree), or a file log that reads leaf hashes from disk.
 *
 * Indices and sizes are JavaScript numbers and must be safe integers (≤ 2^53 − 1); no bitwise operators are
 * used on them, so sizes above 2^32 work.
 *
 * @module
 */
import { emptyRoot, leafHash, nodeHash } from './hash.js';

/**
 * Returns `MTH(D[start:end])` for `0 ≤ start < end ≤ size` of some tree: the RFC 9162 §2.1.1 hash of the
 * leaves `start … end − 1`. Proof generation only ever asks for ranges that are subtrees of the RFC 9162
 * recursion (the left part is a power of two aligned to its size).
 */
export type RangeHasher = (start: number, end: number) => Uint8Array;

/**
 * Largest power of two strictly smaller than `n` (the split point `k` of RFC 9162 §2.1.1).
 *
 * @param n - an integer ≥ 2.
 * @returns `k` with `k < n ≤ 2k`.
 */
export function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/**
 * Merkle tree hash of a list of leaf hashes, RFC 9162 §2.1.1 (`MTH`). Iterative, O(n) time, O(log n) extra
 * space.
 *
 * @param leafHashes - the leaves' hashes ({@link leafHash} of each entry), in log order.
 * @returns the 32-byte root; `SHA-256("")` for an empty list.
 */
export function rootFromLeafHashes(leafHashes: readonly Uint8Array[]): Uint8Array {
  if (leafHashes.length === 0) return emptyRoot();
  // Merge perfect subtrees left to right (a stack of right-edge roots), then fold the stack from the right:
  // that reproduces the RFC's split at the largest power of two.
  const stack: { level: number; hash: Uint8Array }[] = [];
  for (const h of leafHashes) {
    let node = { level: 0, hash: h };
    let top = stack[stack.length - 1];
    while (top !== undefined && top.level === node.level) {
      stack.pop();
      node = { level: node.level + 1, hash: nodeHash(top.hash, node.hash) };
      top = stack[stack.length - 1];
    }
    stack.push(node);
  }
  let acc = stack.pop()!.hash;
  while (stack.length > 0) acc = nodeHash(stack.pop()!.hash, acc);
  return acc;
}

/**
 * Merkle tree hash of a list of entries: `MTH` over `leafHash(entry)` for each.
 *
 * @param entries - the leaves' bytes, in log order.
 * @returns the 32-byte root; `SHA-256("")` for an empty list.
 */
export function rootFromEntries(entries: readonly Uint8Array[]): Uint8Array {
  return rootFromLeafHashes(entries.map(leafHash));
}

/**
 * A {@link RangeHasher} over an array of leaf hashes: recomputes each range, O(end − start) per call.
 * Convenient for tests and small trees; use {@link MerkleTreeCache} for anything large.
 *
 * @param leafHashes - the leaves' hashes, in log order (not copied; do not mutate while in use).
 * @returns a range hasher for trees of any size up to `leafHashes.length`.
 */
export function rangeHasherFromLeafHashes(leafHashes: readonly Uint8Array[]): RangeHasher {
  return (start, end) => {
    checkRange(start, end, leafHashes.length);
    return rootFromLeafHashes(leafHashes.slice(start, end));
  };
}

/**
 * Inclusion proof (audit path) for leaf `index` in the tree of the first `size` leaves, RFC 9162 §2.1.3.1
 * (`PATH(m, D[n])`), ordered from the leaf's sibling up to the root's child.
 *
 * @param index - leaf index, `0 ≤ index < size`.
 * @param size - tree size, ≥ 1.
 * @param source - a {@link RangeHasher} or the array of leaf hashes (at least `size` of them).
 * @returns the proof: ⌈log2(size)⌉ or fewer 32-byte hashes; empty when `size` is 1.
 * @throws `RangeError` when `index`/`size` are not safe integers with `0 ≤ index < size`.
 */
export function inclusionProof(index: number, size: number, source: RangeHasher | readonly Uint8Array[]): Uint8Array[] {
  checkSize(size, 'size');
  checkSize(index, 'index');
  if (index >= size) throw new RangeError(`leaf index ${index} is not below tree size ${size}`);
  const hashRange = toRangeHasher(source, size);
  const path: Uint8Array[] = [];
  // Walk down from the root; record the sibling subtree at each split, then reverse (leaf first).
  let start = 0;
  let end = size;
  while (end - start > 1) {
    const k = splitPoint(end - start);
    if (index < start + k) {
      path.push(hashRange(start + k, end));
      end = start + k;
    } else {
      path.push(hashRange(start, start + k));
      start += k;
    }
  }
  return path.reverse();
}

/**
 * Consistency proof between the tree of the first `size1` leaves and the tree of the first `size2` leaves,
 * RFC 9162 §2.1.4.1 (`PROOF(m, D[n]) = SUBPROOF(m, D[n], true)`).
 *
 * @param size1 - older tree size, `1 ≤ size1 ≤ size2`. Size 0 is refused: see `verifyConsistency` for why a
 *   proof from the empty tree is not a thing in this library.
 * @param size2 - newer tree size.
 * @param source - a {@link RangeHasher} or the array of leaf hashes (at least `size2` of them).
 * @returns the proof (32-byte hashes); empty when `size1 === size2`.
 * @throws `RangeError` when sizes are not safe integers with `1 ≤ size1 ≤ size2`.
 */
export function consistencyProof(
  size1: number,
  size2: number,
  source: RangeHasher | readonly Uint8Array[],
): Uint8Array[] {
  checkSize(size1, 'size1');
  checkSize(size2, 'size2');
  if (size1 === 0) throw new RangeError('no consistency proof from the empty tree (size1 = 0)');
  if (size1 > size2) throw new RangeError(`size1 ${size1} is larger than size2 ${size2}`);
  const hashRange = toRangeHasher(source, size2);
  const proof: Uint8Array[] = [];
  // SUBPROOF(m, D[start:end], b), unrolled: the node hashes are collected top-down, then reversed.
  let m = size1;
  let start = 0;
  let end = size2;
  let complete = true; // the RFC's `b`: whether D[start:start+m] is a subtree of the old tree's root path
  while (m !== end - start) {
    const k = splitPoint(end - start);
    if (m <= k) {
      proof.push(hashRange(start + k, end));
      end = start + k;
    } else {
      proof.push(hashRange(start, start + k));
      start += k;
      m -= k;
      complete = false;
    }
  }
  if (!complete) proof.push(hashRange(start, end));
  return proof.reverse();
}

function toRangeHasher(source: RangeHasher | readonly Uint8Array[], size: number): RangeHasher {
  if (typeof source === 'function') return source;
  if (source.length < size) throw new RangeError(`only ${source.length} leaf hashes for tree size ${size}`);
  return rangeHasherFromLeafHashes(source);
}

/** @internal Throws `RangeError` unless `n` is a non-negative safe integer. */
export function checkSize(n: number, what: string): void {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`${what} must be a non-negative safe integer, got ${n}`);
}

/** @internal Throws `RangeError` unless `0 ≤ start < end ≤ size`. */
export function checkRange(start: number, end: number, size: number): void {
  checkSize(start, 'start');
  checkSize(end, 'end');
  if (start >= end || end > size) throw new RangeError(`range [${start}, ${end}) is not inside a tree of size ${size}`);
}
