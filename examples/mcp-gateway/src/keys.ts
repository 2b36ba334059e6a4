/**
 * Approvers' Ed25519 keys, in the key-string format `writ keygen` writes (C2SP signed-note keys:
 * `<name>+<key id>+<base64(0x01 || key)>`, private keys prefixed `PRIVATE+KEY+`), read with Node's crypto
 * so the gateway needs no other dependency. Signatures are Ed25519 (RFC 8032) over the message bytes.
 */
import { createHash, createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';

/** A key string that cannot be read; the message says why, in one line. */
export class KeyFormatError extends Error {}

export interface PublicKey {
  /** The key's name (for an approver, their id). */
  name: string;
  key: KeyObject;
}

export interface PrivateKey extends PublicKey {
  /** The matching public key, for deriving the verifier key string. */
  publicKey: KeyObject;
}

// DER prefixes of an Ed25519 SubjectPublicKeyInfo and PKCS #8 PrivateKeyInfo (RFC 8410), before the 32 raw bytes.
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');
const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const ED25519 = 0x01;

/** C2SP signed-note key id: the first 4 bytes of SHA-256(name || "\n" || 0x01 || public key). */
function keyId(name: string, raw: Buffer): string {
  const h = createHash('sha256').update(name, 'utf8').update(Buffer.from([0x0a, ED25519])).update(raw).digest();
  return h.subarray(0, 4).toString('hex');
}

function split(text: string): { name: string; id: string; raw: Buffer } {
  // Base64 key data may itself contain '+': only the first two separate fields.
  const t = text.trim();
  const a = t.indexOf('+');
  const b = a < 0 ? -1 : t.indexOf('+', a + 1);
  if (a < 0 || b < 0) throw new KeyFormatError('a key must be <name>+<key id>+<key data>');
  const name = t.slice(0, a);
  const id = t.slice(a + 1, b);
  const data = t.slice(b + 1);
  if (name.length === 0 || /\s/.test(name)) throw new KeyFormatError('a key name must be non-empty with no white space');
  if (!/^[0-9a-f]{8}$/i.test(id)) throw new KeyFormatError('a key id must be 8 hexadecimal digits');
  const bytes = Buffer.from(data, 'base64');
  if (bytes.length !== 33 || bytes[0] !== ED25519 || bytes.toString('base64') !== data) {
    throw new KeyFormatError('key data must be base64 of 0x01 followed by a 32-byte Ed25519 key');
  }
  return { name, id: id.toLowerCase(), raw: bytes.subarray(1) };
}

/** @throws KeyFormatError */
export function parsePublicKey(text: string): PublicKey {
  const { name, id, raw } = split(text);
  if (keyId(name, raw) !== id) throw new KeyFormatError(`key id ${id} does not match the key's name and bytes`);
  return { name, key: createPublicKey({ key: Buffer.concat([SPKI_PREFIX, raw]), format: 'der', type: 'spki' }) };
}

/** @throws KeyFormatError */
export function parsePrivateKey(text: string): PrivateKey {
  const t = text.trim();
  if (!t.startsWith('PRIVATE+KEY+')) throw new KeyFormatError('a private key starts with PRIVATE+KEY+ (the .key file of `writ keygen`)');
  const { name, id, raw } = split(t.slice('PRIVATE+KEY+'.length));
  const key = createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, raw]), format: 'der', type: 'pkcs8' });
  const publicKey = createPublicKey(key);
  const pubRaw = publicKey.export({ format: 'der', type: 'spki' }).subarray(SPKI_PREFIX.length);
  if (keyId(name, pubRaw) !== id) throw new KeyFormatError(`key id ${id} does not match the key's name and bytes`);
  return { name, key, publicKey };
}

/** Ed25519 signature of `message`, base64. */
export function signMessage(key: PrivateKey, message: string): string {
  return sign(null, Buffer.from(message, 'utf8'), key.key).toString('base64');
}

/** True when `signature` (base64) is `key`'s Ed25519 signature of `message`. Never throws. */
export function verifyMessage(key: PublicKey, message: string, signature: string): boolean {
  try {
    const sig = Buffer.from(signature, 'base64');
    return sig.length === 64 && verify(null, Buffer.from(message, 'utf8'), key.key, sig);
  } catch {
    return false;
  }
}
