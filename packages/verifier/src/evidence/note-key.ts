/**
 * Key names, key IDs and key strings of C2SP signed-note (Ed25519, signature type 0x01).
 *
 * - key ID = first 4 bytes, big-endian, of `SHA-256(name || 0x0A || 0x01 || 32-byte public key)`
 *   (C2SP signed-note, "Signatures" and "Ed25519 signatures").
 * - verifier key string: `<name>+<8 hex digits of key ID>+<base64(0x01 || public key)>`.
 * - signer key string: `PRIVATE+KEY+<name>+<8 hex digits of key ID>+<base64(0x01 || 32-byte seed)>`.
 *
 * The key string layout is the one of golang.org/x/mod/sumdb/note, which C2SP signed-note implementations
 * share. Key names are non-empty, valid UTF-8, and contain no Unicode white space and no `+`.
 *
 * @module
 */
import { concatBytes, fromBase64, isWellFormedText, toBase64, utf8 } from './bytes.js';
import { ED25519_PUBLIC_KEY_SIZE, ED25519_SEED_SIZE, ed25519PublicKey, generateEd25519KeyPair } from './ed25519.js';
import { EvidenceFormatError } from './errors.js';
import { sha256 } from './hash.js';

/** Signature type byte of Ed25519 signatures in C2SP signed-note. */
export const SIGNATURE_TYPE_ED25519 = 0x01;

/** A public key that verifies note signatures. */
export interface NoteVerifierKey {
  /** Key name (signed-note key name; for a log key, the checkpoint origin). */
  readonly name: string;
  /** 32-bit key ID (unsigned). */
  readonly keyId: number;
  /** 32-byte Ed25519 public key. */
  readonly publicKey: Uint8Array;
}

/** A private key that signs notes (also carries its public half). */
export interface NoteSignerKey extends NoteVerifierKey {
  /** 32-byte Ed25519 secret key (RFC 8032 seed). */
  readonly seed: Uint8Array;
}

// Unicode White_Space (what Go's unicode.IsSpace accepts), which key names must not contain.
const WHITE_SPACE = /[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]/;

/**
 * Tells whether `name` is a valid signed-note key name: non-empty, well-formed, no Unicode white space, no `+`.
 *
 * @param name - candidate key name.
 * @returns `true` when valid.
 */
export function isValidKeyName(name: string): boolean {
  return name.length > 0 && isWellFormedText(name) && !WHITE_SPACE.test(name) && !name.includes('+') &&
    !/[\u0000-\u001f]/.test(name);
}

/**
 * Computes the key ID of an Ed25519 note key (C2SP signed-note, "Ed25519 signatures").
 *
 * @param name - key name (must be valid; see {@link isValidKeyName}).
 * @param publicKey - 32-byte Ed25519 public key.
 * @returns the key ID as an unsigned 32-bit integer.
 * @throws {@link EvidenceFormatError} `bad-key-name` for an invalid name, `bad-key` for a wrong key length.
 */
export function noteKeyId(name: string, publicKey: Uint8Array): number {
  assertKeyName(name);
  if (publicKey.length !== ED25519_PUBLIC_KEY_SIZE) throw new EvidenceFormatError('bad-key', 'Ed25519 public key must be 32 bytes');
  const h = sha256(concatBytes(utf8(name), Uint8Array.of(0x0a, SIGNATURE_TYPE_ED25519), publicKey));
  return ((h[0]! << 24) | (h[1]! << 16) | (h[2]! << 8) | h[3]!) >>> 0;
}

/**
 * Formats a key ID as the 8 lowercase hex digits used in key strings.
 *
 * @param keyId - unsigned 32-bit key ID.
 * @returns e.g. `"530d903a"`.
 */
export function formatKeyId(keyId: number): string {
  return keyId.toString(16).padStart(8, '0');
}

/**
 * Builds a verifier key from a name and public key (computing the key ID).
 *
 * @param name - key name.
 * @param publicKey - 32-byte Ed25519 public key.
 * @returns the {@link NoteVerifierKey}.
 * @throws {@link EvidenceFormatError} for an invalid name or key length.
 */
export function makeVerifierKey(name: string, publicKey: Uint8Array): NoteVerifierKey {
  return { name, keyId: noteKeyId(name, publicKey), publicKey: publicKey.slice() };
}

/**
 * Formats a verifier key string: `<name>+<hex key ID>+<base64(0x01 || public key)>`.
 *
 * @param key - name and public key (the key ID is recomputed, not trusted).
 * @returns the verifier key string.
 * @throws {@link EvidenceFormatError} for an invalid name or key length.
 */
export function formatVerifierKey(key: Pick<NoteVerifierKey, 'name' | 'publicKey'>): string {
  const id = noteKeyId(key.name, key.publicKey);
  return `${key.name}+${formatKeyId(id)}+${toBase64(concatBytes(Uint8Array.of(SIGNATURE_TYPE_ED25519), key.publicKey))}`;
}

/**
 * Parses a verifier key string `<name>+<hex key ID>+<base64(0x01 || public key)>` and checks that the key ID
 * matches the name and key.
 *
 * @param text - the verifier key string (base64 part may itself contain `+`).
 * @returns the parsed {@link NoteVerifierKey}.
 * @throws {@link EvidenceFormatError} `bad-key` / `bad-key-name` when malformed, of an unsupported type, or when
 *   the key ID does not match.
 */
export function parseVerifierKey(text: string): NoteVerifierKey {
  const [name, idHex, data] = splitKey(text);
  const keyData = decodeKeyData(data, ED25519_PUBLIC_KEY_SIZE);
  const key = makeVerifierKey(name, keyData);
  if (formatKeyId(key.keyId) !== idHex.toLowerCase()) {
    throw new EvidenceFormatError('bad-key', `verifier key ID ${idHex} does not match its name and public key`);
  }
  return key;
}

/**
 * Formats a signer key string: `PRIVATE+KEY+<name>+<hex key ID>+<base64(0x01 || seed)>`.
 *
 * @param name - key name.
 * @param seed - 32-byte Ed25519 secret key.
 * @returns the signer key string (secret: store it like a password).
 * @throws {@link EvidenceFormatError} for an invalid name or seed length.
 */
export function formatSignerKey(name: string, seed: Uint8Array): string {
  if (seed.length !== ED25519_SEED_SIZE) throw new EvidenceFormatError('bad-key', 'Ed25519 seed must be 32 bytes');
  const id = noteKeyId(name, ed25519PublicKey(seed));
  return `PRIVATE+KEY+${name}+${formatKeyId(id)}+${toBase64(concatBytes(Uint8Array.of(SIGNATURE_TYPE_ED25519), seed))}`;
}

/**
 * Parses a signer key string and checks its key ID against the derived public key.
 *
 * @param text - `PRIVATE+KEY+<name>+<hex key ID>+<base64(0x01 || seed)>`.
 * @returns the parsed {@link NoteSignerKey} (with its public key).
 * @throws {@link EvidenceFormatError} `bad-key` / `bad-key-name` when malformed or when the key ID does not match.
 */
export function parseSignerKey(text: string): NoteSignerKey {
  const prefix = 'PRIVATE+KEY+';
  if (!text.startsWith(prefix)) throw new EvidenceFormatError('bad-key', 'signer key must start with PRIVATE+KEY+');
  const [name, idHex, data] = splitKey(text.slice(prefix.length));
  const seed = decodeKeyData(data, ED25519_SEED_SIZE);
  const publicKey = ed25519PublicKey(seed);
  const keyId = noteKeyId(name, publicKey);
  if (formatKeyId(keyId) !== idHex.toLowerCase()) {
    throw new EvidenceFormatError('bad-key', `signer key ID ${idHex} does not match its name and key`);
  }
  return { name, keyId, publicKey, seed };
}

/**
 * Generates a fresh Ed25519 note key pair.
 *
 * @param name - key name; for a log key, the log's checkpoint origin (e.g. `"example.com/writ-log"`).
 * @returns `{ signerKey, verifierKey }` as key strings.
 * @throws {@link EvidenceFormatError} `bad-key-name` for an invalid name.
 */
export function generateSignerKey(name: string): { signerKey: string; verifierKey: string } {
  assertKeyName(name);
  const { seed, publicKey } = generateEd25519KeyPair();
  return { signerKey: formatSignerKey(name, seed), verifierKey: formatVerifierKey({ name, publicKey }) };
}

/**
 * Derives the verifier key string of a signer key.
 *
 * @param signerKey - signer key string or parsed key.
 * @returns the verifier key string.
 * @throws {@link EvidenceFormatError} when the signer key is malformed.
 */
export function verifierKeyOf(signerKey: string | NoteSignerKey): string {
  const k = typeof signerKey === 'string' ? parseSignerKey(signerKey) : signerKey;
  return formatVerifierKey(k);
}

function assertKeyName(name: string): void {
  if (!isValidKeyName(name)) {
    throw new EvidenceFormatError('bad-key-name', 'key name must be non-empty with no white space, control character or "+"');
  }
}

function splitKey(text: string): [string, string, string] {
  const a = text.indexOf('+');
  const b = a < 0 ? -1 : text.indexOf('+', a + 1);
  if (a < 0 || b < 0) throw new EvidenceFormatError('bad-key', 'key string must be <name>+<key ID>+<key data>');
  const name = text.slice(0, a);
  const idHex = text.slice(a + 1, b);
  if (!/^[0-9a-fA-F]{8}$/.test(idHex)) throw new EvidenceFormatError('bad-key', 'key ID must be 8 hexadecimal digits');
  assertKeyName(name);
  return [name, idHex, text.slice(b + 1)];
}

function decodeKeyData(data: string, size: number): Uint8Array {
  let bytes: Uint8Array;
  try {
    bytes = fromBase64(data);
  } catch {
    throw new EvidenceFormatError('bad-key', 'key data is not valid base64');
  }
  if (bytes[0] !== SIGNATURE_TYPE_ED25519) throw new EvidenceFormatError('bad-key', 'unsupported key type (only Ed25519, 0x01)');
  if (bytes.length !== size + 1) throw new EvidenceFormatError('bad-key', `Ed25519 key data must be ${size + 1} bytes`);
  return bytes.slice(1);
}
