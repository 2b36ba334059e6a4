/**
 * Byte helpers: strict hex and base64 (RFC 4648 §4 and §8), UTF-8, comparison, concatenation.
 *
 * Pure JavaScript (no `Buffer`) so that offline verification also runs in browsers. Decoders are strict: a
 * string that does not round-trip exactly (wrong alphabet, missing or misplaced padding, non-zero padding bits,
 * whitespace) is rejected, so that two different strings never decode to the same bytes. That matters for
 * tamper detection: changing any character of a signed note must change what it means or make it invalid.
 *
 * @module
 */
import { EvidenceFormatError } from './errors.js';

const B64_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const B64_VALUES: Int16Array = (() => {
  const t = new Int16Array(128).fill(-1);
  for (let i = 0; i < B64_ALPHABET.length; i++) t[B64_ALPHABET.charCodeAt(i)] = i;
  return t;
})();

/**
 * Encodes bytes as standard, padded base64 (RFC 4648 §4).
 *
 * @param bytes - any bytes (may be empty).
 * @returns the base64 text; `""` for empty input.
 */
export function toBase64(bytes: Uint8Array): string {
  let out = '';
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out += B64_ALPHABET[n >> 18]! + B64_ALPHABET[(n >> 12) & 63]! + B64_ALPHABET[(n >> 6) & 63]! + B64_ALPHABET[n & 63]!;
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = bytes[i]! << 16;
    out += B64_ALPHABET[n >> 18]! + B64_ALPHABET[(n >> 12) & 63]! + '==';
  } else if (rest === 2) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8);
    out += B64_ALPHABET[n >> 18]! + B64_ALPHABET[(n >> 12) & 63]! + B64_ALPHABET[(n >> 6) & 63]! + '=';
  }
  return out;
}

/**
 * Decodes standard, padded base64 (RFC 4648 §4), strictly: length a multiple of 4, only the standard
 * alphabet, `=` only as final padding, and padding bits zero (the canonical encoding, RFC 4648 §3.5).
 *
 * @param text - base64 text; `""` decodes to empty bytes.
 * @returns the decoded bytes.
 * @throws {@link EvidenceFormatError} with code `bad-base64` when `text` is not canonical base64.
 */
export function fromBase64(text: string): Uint8Array {
  if (text.length % 4 !== 0) throw new EvidenceFormatError('bad-base64', 'base64 length is not a multiple of 4');
  let pad = 0;
  if (text.endsWith('==')) pad = 2;
  else if (text.endsWith('=')) pad = 1;
  const out = new Uint8Array((text.length / 4) * 3 - pad);
  let o = 0;
  for (let i = 0; i < text.length; i += 4) {
    const last = i + 4 === text.length;
    let n = 0;
    for (let j = 0; j < 4; j++) {
      const c = text.charCodeAt(i + j);
      let v: number;
      if (last && c === 61 /* = */ && j >= 4 - pad) v = 0;
      else {
        v = c < 128 ? B64_VALUES[c]! : -1;
        if (v < 0) throw new EvidenceFormatError('bad-base64', `invalid base64 character at offset ${i + j}`);
      }
      n = (n << 6) | v;
    }
    if (last && pad > 0) {
      const unused = pad === 2 ? n & 0xffff : n & 0xff;
      if (unused !== 0) throw new EvidenceFormatError('bad-base64', 'base64 padding bits are not zero');
    }
    out[o++] = (n >> 16) & 0xff;
    if (o < out.length) out[o++] = (n >> 8) & 0xff;
    if (o < out.length) out[o++] = n & 0xff;
  }
  return out;
}

/**
 * Encodes bytes as lowercase hexadecimal.
 *
 * @param bytes - any bytes.
 * @returns two lowercase hex digits per byte.
 */
export function toHex(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) out += (b < 16 ? '0' : '') + b.toString(16);
  return out;
}

/**
 * Decodes hexadecimal (either case, no prefix, no separators).
 *
 * @param text - an even number of hex digits.
 * @returns the decoded bytes.
 * @throws {@link EvidenceFormatError} with code `bad-hex` on odd length or a non-hex character.
 */
export function fromHex(text: string): Uint8Array {
  if (text.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(text)) {
    throw new EvidenceFormatError('bad-hex', 'not an even-length hexadecimal string');
  }
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(text.slice(2 * i, 2 * i + 2), 16);
  return out;
}

const encoder = new TextEncoder();
const strictDecoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Encodes a string as UTF-8.
 *
 * @param text - a well-formed string (lone surrogates would be replaced by U+FFFD; check with
 *   {@link isWellFormedText} first where that matters).
 * @returns UTF-8 bytes.
 */
export function utf8(text: string): Uint8Array {
  return encoder.encode(text);
}

/**
 * Decodes UTF-8 strictly (invalid sequences are an error; a leading BOM is kept as U+FEFF).
 *
 * @param bytes - UTF-8 bytes.
 * @returns the decoded string.
 * @throws `TypeError` (from `TextDecoder`) when the bytes are not valid UTF-8.
 */
export function fromUtf8(bytes: Uint8Array): string {
  return strictDecoder.decode(bytes);
}

/**
 * Tells whether a string has no lone UTF-16 surrogates, i.e. encodes to UTF-8 without replacement.
 *
 * @param text - any string.
 * @returns `true` when every surrogate is part of a pair.
 */
export function isWellFormedText(text: string): boolean {
  return !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(text);
}

/**
 * Compares two byte arrays for equal length and content. Not constant-time: use only on public data
 * (hashes, roots, key IDs), never on secrets.
 *
 * @param a - first bytes.
 * @param b - second bytes.
 * @returns `true` when identical.
 */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Concatenates byte arrays.
 *
 * @param parts - the arrays, in order.
 * @returns a new array holding all bytes.
 */
export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
