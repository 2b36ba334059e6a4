/**
 * SHA-256 and the RFC 9162 §2.1.1 Merkle tree hash domain separation.
 *
 * Leaf and interior nodes are hashed with different one-byte prefixes so that a leaf can never be passed off
 * as an interior node (second-preimage resistance of the tree):
 *
 * - leaf:  `SHA-256(0x00 || entry bytes)`
 * - node:  `SHA-256(0x01 || left || right)`
 * - empty tree: `SHA-256("")`
 *
 * In Node (20.12+) the hashes use the native one-shot `crypto.hash`, several times faster than the portable
 * `@noble/hashes` on the short inputs a Merkle tree hashes; elsewhere (browsers) they use `@noble/hashes`.
 * Both give the same bytes (the RFC 9162 vectors run against whichever is active).
 *
 * @module
 */
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';

type OneShotHash = (algorithm: 'sha256', data: Uint8Array, outputEncoding: 'latin1') => string;
const nativeHash = ((globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process?.getBuiltinModule?.('node:crypto') as
  | { hash?: OneShotHash }
  | undefined)?.hash;

/** Scratch buffer for prefixed inputs (leaf and node hashes), grown as needed; single-threaded use only. */
let scratch = new Uint8Array(4096);

function native(data: Uint8Array): Uint8Array {
  // The digest as a latin1 string (one char per byte), copied into a small on-heap array: a 'buffer' digest
  // costs an off-heap allocation per hash, which on 32-byte results is more than the hashing itself.
  const text = nativeHash!('sha256', data, 'latin1');
  const out = new Uint8Array(HASH_SIZE);
  for (let i = 0; i < HASH_SIZE; i++) out[i] = text.charCodeAt(i);
  return out;
}

/** SHA-256 of `prefix || a || b` through the scratch buffer (native path only). */
function prefixed(prefix: number, a: Uint8Array, b?: Uint8Array): Uint8Array {
  const n = 1 + a.length + (b?.length ?? 0);
  if (n > scratch.length) {
    if (n > 1 << 20) return native(concat3(prefix, a, b));
    scratch = new Uint8Array(Math.max(n, scratch.length * 2));
  }
  scratch[0] = prefix;
  scratch.set(a, 1);
  if (b !== undefined) scratch.set(b, 1 + a.length);
  return native(scratch.subarray(0, n));
}

function concat3(prefix: number, a: Uint8Array, b?: Uint8Array): Uint8Array {
  const out = new Uint8Array(1 + a.length + (b?.length ?? 0));
  out[0] = prefix;
  out.set(a, 1);
  if (b !== undefined) out.set(b, 1 + a.length);
  return out;
}

/** Length in bytes of every hash in the tree (SHA-256). */
export const HASH_SIZE = 32;

/**
 * SHA-256 (FIPS 180-4).
 *
 * @param data - bytes to hash.
 * @returns the 32-byte digest.
 */
export function sha256(data: Uint8Array): Uint8Array {
  return nativeHash !== undefined ? native(data) : nobleSha256(data);
}

/**
 * Leaf hash, RFC 9162 §2.1.1: `SHA-256(0x00 || entry)`.
 *
 * @param entry - the leaf's bytes (for Writ, a certificate's canonical JSON).
 * @returns the 32-byte leaf hash.
 */
export function leafHash(entry: Uint8Array): Uint8Array {
  if (nativeHash !== undefined) return prefixed(0x00, entry);
  const h = nobleSha256.create();
  h.update(LEAF_PREFIX);
  h.update(entry);
  return h.digest();
}

/**
 * Interior node hash, RFC 9162 §2.1.1: `SHA-256(0x01 || left || right)`.
 *
 * @param left - 32-byte hash of the left subtree.
 * @param right - 32-byte hash of the right subtree.
 * @returns the 32-byte node hash.
 */
export function nodeHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  if (nativeHash !== undefined) return prefixed(0x01, left, right);
  const h = nobleSha256.create();
  h.update(NODE_PREFIX);
  h.update(left);
  h.update(right);
  return h.digest();
}

/**
 * Root of the empty tree, RFC 9162 §2.1.1: `MTH({}) = SHA-256("")`
 * (e3b0c442…b855).
 *
 * @returns a fresh copy of the 32-byte empty root.
 */
export function emptyRoot(): Uint8Array {
  return EMPTY_ROOT.slice();
}

const LEAF_PREFIX = Uint8Array.of(0x00);
const NODE_PREFIX = Uint8Array.of(0x01);
const EMPTY_ROOT = nobleSha256(new Uint8Array(0));
