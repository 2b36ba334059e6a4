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
 * Serialization is the `canonicalize` package's; this function adds strictness in front of it.
 *
 * Strict: throws a `TypeError` on anything that is not a JSON value (functions, symbols, bigints,
 * non-finite numbers, `undefined` array items or top-level value, objects other than plain objects and
 * arrays, and objects with a `toJSON` method, which `canonicalize` would consult). As with `JSON.stringify`,
 * an object member whose value is `undefined` is left out.
 */
export function canonicalJson(value: unknown): string {
  assertJsonValue(value, 0);
  return canonicalize(value) as string;
}

const MAX_DEPTH = 10_000;

function assertJsonValue(v: unknown, depth: number): void {
  if (depth > MAX_DEPTH) throw new TypeError('canonical JSON: value nested too deeply');
  switch (typeof v) {
    case 'string':
    case 'boolean':
      return;
    case 'number':
      if (!Number.isFinite(v)) throw new TypeError(`canonical JSON: ${String(v)} is not a JSON number`);
      return;
    case 'object': {
      if (v === null) return;
      if (Array.isArray(v)) {
        for (let i = 0; i < v.length; i++) {
          if (v[i] === undefined) throw new TypeError('canonical JSON: undefined is not a JSON value');
          assertJsonValue(v[i], depth + 1);
        }
        return;
      }
      const proto = Object.getPrototypeOf(v) as unknown;
      if (proto !== Object.prototype && proto !== null) {
        throw new TypeError('canonical JSON: only plain objects and arrays are JSON values');
      }
      const obj = v as Record<string, unknown>;
      if (typeof obj['toJSON'] === 'function') throw new TypeError('canonical JSON: objects with toJSON are not JSON values');
      for (const k of Object.keys(obj)) if (obj[k] !== undefined) assertJsonValue(obj[k], depth + 1);
      return;
    }
    default:
      throw new TypeError(`canonical JSON: a ${typeof v} is not a JSON value`);
  }
}

/** `sha256:<hex>` of the UTF-8 bytes of a string. */
export function sha256Hex(text: string): string {
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
