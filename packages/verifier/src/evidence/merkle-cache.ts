/**
 * An append-only Merkle tree that caches the roots of complete, aligned ("perfect") subtrees, so that any
 * RFC 9162 subtree hash, root, inclusion proof or consistency proof costs O(log n) hash look-ups instead of
 * O(n) hashing.
 *
 * Memory is tunable with `keepLevel`: level `L` holds one 32-byte hash per aligned block of 2^L leaves.
 * `keepLevel: 0` (the default) keeps every leaf hash and every interior perfect-subtree hash in memory
 * (≈ 64 bytes per leaf). With `keepLevel: L > 0` only levels ≥ L are kept (≈ 64 / 2^L bytes per leaf), and
 * ranges smaller than 2^L leaves are recomputed from leaf hashes fetched through `readLeafHashes` (at most
 * 2^L − 1 of them per range), e.g. from a file.
 *
 * Appending maintains the right edge of the tree (at most log2(n) pending subtree roots), RFC 9162 §2.1.1.
 *
 * @module
 */
import { HASH_SIZE, emptyRoot, nodeHash } from './hash.js';
import { checkRange, checkSize, consistencyProof, inclusionProof, rootFromLeafHashes, splitPoint } from './merkle.js';
import type { RangeHasher } from './merkle.js';

/** Options of {@link MerkleTreeCache}. */
export interface MerkleTreeCacheOptions {
  /**
   * Lowest tree level kept in memory: 0 keeps leaf hashes; `L` keeps roots of aligned blocks of 2^L leaves and
   * above. Integer 0–30. Default 0.
   */
  keepLevel?: number;
  /**
   * Returns the leaf hashes of leaves `start … end − 1` (each 32 bytes). Required when `keepLevel > 0`; called
   * only for indices below the current size, with `end − start < 2^keepLevel`.
   */
  readLeafHashes?: (start: number, end: number) => Uint8Array[];
}

/** A growable array of 32-byte hashes in one flat buffer (no per-hash object overhead). */
class HashArray {
  private buf = new Uint8Array(HASH_SIZE * 16);
  length = 0;

  push(h: Uint8Array): void {
    if ((this.length + 1) * HASH_SIZE > this.buf.length) {
      const next = new Uint8Array(this.buf.length * 2);
      next.set(this.buf);
      this.buf = next;
    }
    this.buf.set(h, this.length * HASH_SIZE);
    this.length++;
  }

  get(i: number): Uint8Array {
    return this.buf.slice(i * HASH_SIZE, (i + 1) * HASH_SIZE);
  }
}

/**
 * Append-only Merkle tree with a cache of perfect subtree roots (see module comment).
 *
 * @example
 * ```ts
 * const tree = new MerkleTreeCache();
 * for (const e of entries) tree.append(leafHash(e));
 * const proof = tree.inclusionProof(3, tree.size);
 * ```
 */
export class MerkleTreeCache {
  private readonly keepLevel: number;
  private readonly readLeafHashes: ((start: number, end: number) => Uint8Array[]) | undefined;
  /** levels[k][j] = root of leaves [j·2^k, (j+1)·2^k), for k ≥ keepLevel. */
  private readonly levels: HashArray[] = [];
  /** frontier[k] = root of the pending left sibling at level k (right edge of the tree), if any. */
  private readonly frontier: (Uint8Array | undefined)[] = [];
  private count = 0;
  /** Roots of ranges that are not kept subtrees, keyed `start:end` (see `rangeUnchecked`); never stale. */
  private readonly edges = new Map<string, Uint8Array>();
  /** The aligned block of leaf hashes read last (see `leaves`). */
  private block: { readonly start: number; readonly hashes: readonly Uint8Array[] } | undefined;

  /**
   * @param options - see {@link MerkleTreeCacheOptions}.
   * @throws `RangeError` when `keepLevel` is not an integer 0–30, or is > 0 without `readLeafHashes`.
   */
  constructor(options: MerkleTreeCacheOptions = {}) {
    const keepLevel = options.keepLevel ?? 0;
    if (!Number.isInteger(keepLevel) || keepLevel < 0 || keepLevel > 30) {
      throw new RangeError('keepLevel must be an integer from 0 to 30');
    }
    if (keepLevel > 0 && options.readLeafHashes === undefined) {
      throw new RangeError('keepLevel > 0 needs readLeafHashes');
    }
    this.keepLevel = keepLevel;
    this.readLeafHashes = options.readLeafHashes;
  }

  /** Number of leaves appended so far. */
  get size(): number {
    return this.count;
  }

  /**
   * Appends one leaf. O(log n) amortised; hashes only along the new right edge.
   *
   * @param leafHash - the 32-byte leaf hash (`leafHash(entry)`), copied.
   * @returns the new leaf's index.
   * @throws `RangeError` when `leafHash` is not 32 bytes.
   */
  append(leafHash: Uint8Array): number {
    if (leafHash.length !== HASH_SIZE) throw new RangeError(`leaf hash must be ${HASH_SIZE} bytes`);
    const index = this.count;
    let node: Uint8Array = leafHash.slice();
    let level = 0;
    let pos = index; // position of `node` within its level
    this.store(0, node);
    while (pos % 2 === 1) {
      const left = this.frontier[level]!;
      this.frontier[level] = undefined;
      node = nodeHash(left, node);
      level++;
      pos = (pos - 1) / 2;
      this.store(level, node);
    }
    this.frontier[level] = node;
    this.count++;
    return index;
  }

  /**
   * `MTH(D[start:end])`, RFC 9162 §2.1.1, for `0 ≤ start < end ≤ size`. O(log n) cached look-ups for the
   * ranges that proofs use; correct (but slower) for any range.
   *
   * @param start - first leaf, inclusive.
   * @param end - last leaf, exclusive.
   * @returns the 32-byte subtree root.
   * @throws `RangeError` when the range is empty or outside the tree.
   */
  hashRange(start: number, end: number): Uint8Array {
    checkRange(start, end, this.count);
    return this.rangeUnchecked(start, end);
  }

  /**
   * Root of the tree of the first `size` leaves (RFC 9162 §2.1.1).
   *
   * @param size - tree size, default the current size; 0 gives `SHA-256("")`.
   * @returns the 32-byte root.
   * @throws `RangeError` when `size` exceeds the current size.
   */
  root(size: number = this.count): Uint8Array {
    checkSize(size, 'size');
    if (size > this.count) throw new RangeError(`tree size ${size} exceeds ${this.count} leaves`);
    return size === 0 ? emptyRoot() : this.rangeUnchecked(0, size);
  }

  /**
   * Hash of leaf `index`.
   *
   * @param index - `0 ≤ index < size`.
   * @returns the 32-byte leaf hash.
   * @throws `RangeError` when out of range.
   */
  leafHash(index: number): Uint8Array {
    return this.hashRange(index, index + 1);
  }

  /**
   * Inclusion proof, RFC 9162 §2.1.3.1; see {@link inclusionProof}.
   *
   * @param index - leaf index, `< size`.
   * @param size - tree size, default the current size.
   * @returns the proof, leaf's sibling first.
   * @throws `RangeError` when out of range.
   */
  inclusionProof(index: number, size: number = this.count): Uint8Array[] {
    if (size > this.count) throw new RangeError(`tree size ${size} exceeds ${this.count} leaves`);
    return inclusionProof(index, size, this.rangeHasher);
  }

  /**
   * Consistency proof, RFC 9162 §2.1.4.1; see {@link consistencyProof}.
   *
   * @param size1 - older size, `1 ≤ size1 ≤ size2`.
   * @param size2 - newer size, default the current size.
   * @returns the proof.
   * @throws `RangeError` when out of range.
   */
  consistencyProof(size1: number, size2: number = this.count): Uint8Array[] {
    if (size2 > this.count) throw new RangeError(`tree size ${size2} exceeds ${this.count} leaves`);
    return consistencyProof(size1, size2, this.rangeHasher);
  }

  /** This tree as a {@link RangeHasher} (bound; safe to pass around). */
  readonly rangeHasher: RangeHasher = (start, end) => this.hashRange(start, end);

  private store(level: number, hash: Uint8Array): void {
    if (level < this.keepLevel) return;
    let arr = this.levels[level];
    if (arr === undefined) {
      arr = new HashArray();
      this.levels[level] = arr;
    }
    arr.push(hash);
  }

  /**
   * Leaf hashes `start … end − 1` (fewer than 2^keepLevel). A proof asks for several ranges inside the aligned
   * block of 2^keepLevel leaves around its leaf: the block is read once and kept (leaf hashes never change), so
   * a proof costs one read instead of one per level below keepLevel.
   */
  private leaves(start: number, end: number): readonly Uint8Array[] {
    const width = 2 ** this.keepLevel;
    const blockStart = start - (start % width);
    let got: readonly Uint8Array[];
    let from: number;
    if (end - blockStart > width) {
      got = this.readLeafHashes!(start, end);
      from = start;
    } else {
      let b = this.block;
      if (b === undefined || b.start !== blockStart || b.start + b.hashes.length < end) {
        const blockEnd = Math.min(blockStart + width, this.count);
        b = { start: blockStart, hashes: this.readLeafHashes!(blockStart, blockEnd) };
        if (b.hashes.length !== blockEnd - blockStart) {
          throw new Error(`readLeafHashes returned ${b.hashes.length} hashes, expected ${blockEnd - blockStart}`);
        }
        this.block = b;
      }
      got = b.hashes;
      from = b.start;
    }
    if (got.length < end - from) throw new Error(`readLeafHashes returned ${got.length} hashes, expected ${end - from}`);
    return from === start && got.length === end - start ? got : got.slice(start - from, end - from);
  }

  private rangeUnchecked(start: number, end: number): Uint8Array {
    const n = end - start;
    if (n < 2 ** this.keepLevel) {
      // Below the kept levels: fetch the leaves (fewer than 2^keepLevel) and hash them.
      // (A single leaf's hash is copied: the kept block must not be handed out.)
      const leaves = this.leaves(start, end);
      return leaves.length === 1 ? leaves[0]!.slice() : rootFromLeafHashes(leaves);
    }
    if (isPowerOfTwo(n) && start % n === 0) {
      const level = n < 2 ** 31 ? 31 - Math.clz32(n) : Math.round(Math.log2(n));
      const arr = this.levels[level];
      const j = start / n;
      if (arr !== undefined && j < arr.length) return arr.get(j);
    }
    // Not a kept subtree: the ranges on the right edge of a tree size (every proof at that size has some of
    // them) are remembered, so repeated proofs do not rehash them.
    const key = `${start}:${end}`;
    const known = this.edges.get(key);
    if (known !== undefined) return known.slice();
    const k = splitPoint(n);
    const hash = nodeHash(this.rangeUnchecked(start, start + k), this.rangeUnchecked(start + k, end));
    if (this.edges.size >= MAX_EDGES) this.edges.clear();
    this.edges.set(key, hash.slice());
    return hash;
  }
}

/** At most this many remembered right-edge ranges (a few tree sizes' worth; ≈ 100 bytes each). */
const MAX_EDGES = 1024;

function isPowerOfTwo(n: number): boolean {
  // Exact for safe integers: powers of two are represented exactly, and log2 of them is an exact integer.
  if (n < 2 ** 31) return n >= 1 && (n & (n - 1)) === 0;
  return 2 ** Math.round(Math.log2(n)) === n;
}
