/**
 * Content addressing: RFC 8785 (JSON Canonicalization Scheme) + SHA-256.
 *
 * @packageDocumentation
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';
import canonicalizeModule from 'canonicalize';

// The package is CommonJS with an ESM-style `export default` typing: Node hands us `module.exports`
// itself, TypeScript expects `.default`; accept either.
const canonicalize = ((canonicalizeModule as unknown as { default?: unknown }).default ?? canonicalizeModule) as (
  value: unknown,
) => string | undefined;

/**
 * The RFC 8785 canonical form of a JSON value: object members sorted by the UTF-16 code units of their
 * names, no whitespace, numbers in ECMAScript shortest form, strings as `JSON.stringify` escapes them.
 * Serialization is `JSON.stringify` of a key-sorted copy (the `canonicalize` package's when member names
 * start with digits); this function adds strictness in front of it.
 *
 * Strict: throws a `TypeError` on anything that is not a JSON value (functions, symbols, bigints,
 * non-finite numbers, `undefined` array items or top-level value, objects other than plain objects and
 * arrays, and objects with a `toJSON` method, which `canonicalize` would consult). As with `JSON.stringify`,
 * an object member whose value is `undefined` is left out.
 */
export function canonicalJson(value: unknown): string {
  // JSON.stringify writes exactly the canonical bytes (it serializes numbers and strings as canonicalize does)
  // once every object lists its members in canonical order: `inOrder` returns the value itself when it already
  // does (artifacts written by the compiler, so loading them copies nothing), else a copy with the objects that
  // are out of order rebuilt in order. canonicalize only when such an object has a member name starting with a
  // digit, because JavaScript enumerates index-like names ("10", "9") numerically before all others.
  const ordered = inOrder(value, 0);
  return ordered !== DIGIT_KEY ? JSON.stringify(ordered) : (canonicalize(value) as string);
}

const MAX_DEPTH = 10_000;
const DIGIT_KEY: unique symbol = Symbol('digit key');

/**
 * Throws unless `v` is a JSON value; returns `v` when every object in it lists its members in canonical order
 * (UTF-16 code units) with no `undefined` member, else a copy where the other objects are rebuilt in order, or
 * DIGIT_KEY when a rebuilt object has a name starting with a digit (see canonicalJson).
 */
function inOrder(v: unknown, depth: number): unknown {
  if (depth > MAX_DEPTH) throw new TypeError('canonical JSON: value nested too deeply');
  switch (typeof v) {
    case 'string':
    case 'boolean':
      return v;
    case 'number':
      if (!Number.isFinite(v)) throw new TypeError(`canonical JSON: ${String(v)} is not a JSON number`);
      return v;
    case 'object': {
      if (v === null) return v;
      if (Array.isArray(v)) {
        let out: unknown[] | undefined;
        for (let i = 0; i < v.length; i++) {
          const x: unknown = v[i];
          if (x === undefined) throw new TypeError('canonical JSON: undefined is not a JSON value');
          const y = inOrder(x, depth + 1);
          if (y === DIGIT_KEY) return DIGIT_KEY;
          if (y !== x && out === undefined) out = v.slice(0, i);
          if (out !== undefined) out.push(y);
        }
        return out ?? v;
      }
      const proto = Object.getPrototypeOf(v) as unknown;
      if (proto !== Object.prototype && proto !== null) {
        throw new TypeError('canonical JSON: only plain objects and arrays are JSON values');
      }
      const obj = v as Record<string, unknown>;
      if (typeof obj['toJSON'] === 'function') throw new TypeError('canonical JSON: objects with toJSON are not JSON values');
      const keys = Object.keys(obj);
      let same = true;
      let values: unknown[] | undefined;
      for (let i = 0; i < keys.length; i++) {
        const k = keys[i]!;
        if (i > 0 && !(keys[i - 1]! < k)) same = false;
        const x = obj[k];
        if (x === undefined) {
          same = false;
          continue;
        }
        const y = inOrder(x, depth + 1);
        if (y === DIGIT_KEY) return DIGIT_KEY;
        if (y !== x) same = false;
        if (!same && values === undefined) values = new Array<unknown>(keys.length);
        if (values !== undefined) values[i] = y;
      }
      if (same) return v;
      // Rebuild: members in code-unit order, converted values (earlier ones were unchanged: read them again).
      const order = keys.map((_, i) => i).sort((a, b) => (keys[a]! < keys[b]! ? -1 : keys[a]! > keys[b]! ? 1 : 0));
      const out: Record<string, unknown> = {};
      for (const i of order) {
        const k = keys[i]!;
        const c = k.charCodeAt(0);
        if (c >= 0x30 && c <= 0x39) return DIGIT_KEY;
        const y = values?.[i] !== undefined ? values[i] : obj[k];
        if (y === undefined) continue;
        // An own `__proto__` member is data: plain assignment would set the prototype instead.
        if (k === '__proto__') Object.defineProperty(out, k, { value: y, writable: true, enumerable: true, configurable: true });
        else out[k] = y;
      }
      return out;
    }
    default:
      throw new TypeError(`canonical JSON: a ${typeof v} is not a JSON value`);
  }
}

/** A deep copy of a JSON value with every object's members in canonical (RFC 8785) order. */
export function sortKeys<T>(value: T): T {
  if (Array.isArray(value)) return value.map(sortKeys) as T;
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(value).sort()) {
    const x = (value as Record<string, unknown>)[k];
    if (x === undefined) continue;
    // An own `__proto__` member is data: plain assignment would set the prototype instead.
    if (k === '__proto__') Object.defineProperty(out, k, { value: sortKeys(x), writable: true, enumerable: true, configurable: true });
    else out[k] = sortKeys(x);
  }
  return out as T;
}

type NodeHash = { update(text: string, encoding: 'utf8'): NodeHash; digest(encoding: 'hex'): string };
type NodeCrypto = { createHash(algorithm: 'sha256'): NodeHash; hash?: (algorithm: 'sha256', text: string, encoding: 'hex') => string };

/**
 * Node's native SHA-256 when the runtime runs in Node (about ten times faster on large artifacts than the
 * portable implementation), found without importing `node:crypto` so that browsers load this module too.
 */
const nodeCrypto: NodeCrypto | undefined = (() => {
  try {
    const p = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
    const m = p?.getBuiltinModule?.('node:crypto') as Partial<NodeCrypto> | undefined;
    return typeof m?.createHash === 'function' ? (m as NodeCrypto) : undefined;
  } catch {
    return undefined;
  }
})();
/** The one-shot `crypto.hash` (Node 20.12+): no Hash object per digest, which matters on short inputs. */
const oneShot = typeof nodeCrypto?.hash === 'function' ? nodeCrypto.hash : undefined;

/** `sha256:<hex>` of the UTF-8 bytes of a string. */
export function sha256Hex(text: string): string {
  if (oneShot !== undefined) return 'sha256:' + oneShot('sha256', text, 'hex');
  if (nodeCrypto !== undefined) return 'sha256:' + nodeCrypto.createHash('sha256').update(text, 'utf8').digest('hex');
  return 'sha256:' + bytesToHex(sha256(utf8ToBytes(text)));
}

/** The portable implementation of {@link sha256Hex} (used where Node's is not available); for tests. */
export function sha256HexPortable(text: string): string {
  return 'sha256:' + bytesToHex(sha256(utf8ToBytes(text)));
}

/** `sha256:<hex>` of the RFC 8785 canonical form of any JSON value (approvals' `args_digest`, request digests). */
export function canonicalDigest(value: unknown): string {
  return sha256Hex(canonicalJson(value));
}

/**
 * The digest of a decision-table artifact: `sha256:<hex>` of the RFC 8785 canonical form of the artifact
 * object with its `digest` member removed (present or not). The compiler stamps it; the loader checks it.
 */
export function artifactDigest(artifact: object): string {
  const { digest: _ignored, ...rest } = artifact as Record<string, unknown>;
  return canonicalDigest(rest);
}
