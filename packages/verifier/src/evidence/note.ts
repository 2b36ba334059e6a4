/**
 * C2SP signed-note: parsing, formatting, signing and verification of notes signed with Ed25519.
 *
 * A note is UTF-8 text ending in a newline, one blank line, then one or more signature lines
 * `— <key name> <base64(4-byte big-endian key ID || signature)>\n` (the dash is U+2014 EM DASH). The text is
 * separated from the signatures by the **last** blank line; it may contain blank lines itself. The signature
 * covers the text's UTF-8 bytes including its final newline, not the blank line. Notes must be valid UTF-8 and
 * contain no ASCII control character other than newline.
 *
 * Verification rules (C2SP signed-note, "Signatures"): a signature is attributed to a key by the pair (name,
 * key ID); signatures from unknown keys are ignored (reported as `unverified`); every signature from a known
 * key must verify, or the whole note is rejected; at least one must verify. Limits: 1 MiB and 100 signatures
 * by default (C2SP requires accepting at least 16).
 *
 * @module
 */
import { fromBase64, fromUtf8, isWellFormedText, toBase64, utf8 } from './bytes.js';
import { ed25519Sign, ed25519Verify } from './ed25519.js';
import { EvidenceFormatError, fail } from './errors.js';
import type { VerifyResult } from './errors.js';
import { isValidKeyName, parseSignerKey, parseVerifierKey } from './note-key.js';
import type { NoteSignerKey, NoteVerifierKey } from './note-key.js';

/** One signature line of a note. */
export interface NoteSignature {
  /** Key name as written on the line. */
  readonly name: string;
  /** Key ID (first 4 bytes of the decoded signature), unsigned 32-bit. */
  readonly keyId: number;
  /** The signature bytes after the key ID (64 bytes for Ed25519). */
  readonly signature: Uint8Array;
}

/** A note split into its text and its signature lines. */
export interface ParsedNote {
  /** The signed text, ending in `\n`. */
  readonly text: string;
  /** Signature lines in order of appearance. */
  readonly signatures: readonly NoteSignature[];
}

/** Size limits applied when parsing and verifying notes. */
export interface NoteLimits {
  /** Maximum note size in UTF-8 bytes. Default {@link MAX_NOTE_BYTES}. */
  readonly maxBytes?: number;
  /** Maximum number of signature lines. Default {@link MAX_NOTE_SIGNATURES}. */
  readonly maxSignatures?: number;
}

/** Default maximum note size: 1 MiB. */
export const MAX_NOTE_BYTES = 1 << 20;
/** Default maximum number of signature lines: 100. */
export const MAX_NOTE_SIGNATURES = 100;

const SIG_PREFIX = '\u2014 ';
const CONTROL = /[\u0000-\u0009\u000b-\u001f]/;

/**
 * Checks that `text` can be the text of a note: non-empty, ends in `\n`, well-formed, no control character
 * other than `\n`.
 *
 * @param text - candidate note text.
 * @throws {@link EvidenceFormatError} `malformed-note` with the rule broken.
 */
export function assertNoteText(text: string): void {
  if (text.length === 0 || !text.endsWith('\n')) throw new EvidenceFormatError('malformed-note', 'note text must end with a newline');
  if (!isWellFormedText(text)) throw new EvidenceFormatError('malformed-note', 'note text is not well-formed Unicode');
  if (CONTROL.test(text)) throw new EvidenceFormatError('malformed-note', 'note text contains a control character other than newline');
}

/**
 * Parses a signed note without checking any signature.
 *
 * @param note - the note as text or as UTF-8 bytes (bytes are decoded strictly).
 * @param limits - size limits, see {@link NoteLimits}.
 * @returns the text and the signature lines.
 * @throws {@link EvidenceFormatError} `note-too-large`, `too-many-signatures` or `malformed-note` (invalid
 *   UTF-8, control character, no blank line before the signatures, a line that is not `— <name> <base64>`,
 *   invalid key name, non-canonical base64, signature shorter than 5 bytes).
 */
export function parseNote(note: string | Uint8Array, limits: NoteLimits = {}): ParsedNote {
  const maxBytes = limits.maxBytes ?? MAX_NOTE_BYTES;
  const maxSignatures = limits.maxSignatures ?? MAX_NOTE_SIGNATURES;
  let msg: string;
  if (typeof note === 'string') {
    if (!isWellFormedText(note)) throw new EvidenceFormatError('malformed-note', 'note is not well-formed Unicode');
    if (note.length > maxBytes || utf8(note).length > maxBytes) throw new EvidenceFormatError('note-too-large', `note is larger than ${maxBytes} bytes`);
    msg = note;
  } else {
    if (note.length > maxBytes) throw new EvidenceFormatError('note-too-large', `note is larger than ${maxBytes} bytes`);
    try {
      msg = fromUtf8(note);
    } catch {
      throw new EvidenceFormatError('malformed-note', 'note is not valid UTF-8');
    }
  }
  if (CONTROL.test(msg)) throw new EvidenceFormatError('malformed-note', 'note contains a control character other than newline');
  const split = msg.lastIndexOf('\n\n');
  if (split < 0) throw new EvidenceFormatError('malformed-note', 'note has no blank line before its signatures');
  const text = msg.slice(0, split + 1);
  const block = msg.slice(split + 2);
  if (block.length === 0 || !block.endsWith('\n')) {
    throw new EvidenceFormatError('malformed-note', 'note must end with signature lines, each ending in a newline');
  }
  const lines = block.slice(0, -1).split('\n');
  if (lines.length > maxSignatures) throw new EvidenceFormatError('too-many-signatures', `note has more than ${maxSignatures} signatures`);
  const signatures = lines.map((line, i) => parseSignatureLine(line, i + 1));
  return { text, signatures };
}

function parseSignatureLine(line: string, n: number): NoteSignature {
  if (!line.startsWith(SIG_PREFIX)) throw new EvidenceFormatError('malformed-note', `signature line ${n} does not start with "— "`);
  const rest = line.slice(SIG_PREFIX.length);
  const space = rest.indexOf(' ');
  if (space < 0) throw new EvidenceFormatError('malformed-note', `signature line ${n} has no space between key name and signature`);
  const name = rest.slice(0, space);
  const b64 = rest.slice(space + 1);
  if (!isValidKeyName(name)) throw new EvidenceFormatError('malformed-note', `signature line ${n} has an invalid key name`);
  let raw: Uint8Array;
  try {
    raw = fromBase64(b64);
  } catch {
    throw new EvidenceFormatError('malformed-note', `signature line ${n} is not canonical base64`);
  }
  if (raw.length < 5) throw new EvidenceFormatError('malformed-note', `signature line ${n} is too short`);
  const keyId = ((raw[0]! << 24) | (raw[1]! << 16) | (raw[2]! << 8) | raw[3]!) >>> 0;
  return { name, keyId, signature: raw.slice(4) };
}

/**
 * Formats a note from its text and signatures (no signing, no verification).
 *
 * @param text - note text (see {@link assertNoteText}).
 * @param signatures - signature lines to write, in order.
 * @returns `text + "\n" + "— name base64(keyID||sig)\n"…`.
 * @throws {@link EvidenceFormatError} for invalid text, key names, or no signature.
 */
export function formatNote(text: string, signatures: readonly NoteSignature[]): string {
  assertNoteText(text);
  if (signatures.length === 0) throw new EvidenceFormatError('malformed-note', 'a note needs at least one signature');
  let out = text + '\n';
  for (const s of signatures) {
    if (!isValidKeyName(s.name)) throw new EvidenceFormatError('bad-key-name', `invalid key name ${JSON.stringify(s.name)}`);
    const raw = new Uint8Array(4 + s.signature.length);
    raw[0] = s.keyId >>> 24;
    raw[1] = (s.keyId >>> 16) & 255;
    raw[2] = (s.keyId >>> 8) & 255;
    raw[3] = s.keyId & 255;
    raw.set(s.signature, 4);
    out += `${SIG_PREFIX}${s.name} ${toBase64(raw)}\n`;
  }
  return out;
}

/**
 * Signs a text with one or more Ed25519 note keys (RFC 8032 §5.1.6 over the text's UTF-8 bytes).
 *
 * @param text - note text: non-empty, ending in `\n`, no control characters other than `\n`.
 * @param signers - signer key string(s) (`PRIVATE+KEY+…`) or parsed key(s).
 * @returns the signed note.
 * @throws {@link EvidenceFormatError} for invalid text or keys.
 */
export function signNote(text: string, signers: string | NoteSignerKey | readonly (string | NoteSignerKey)[]): string {
  assertNoteText(text);
  const list = Array.isArray(signers) ? signers : [signers as string | NoteSignerKey];
  const msg = utf8(text);
  const signatures = list.map((s): NoteSignature => {
    const k = typeof s === 'string' ? parseSignerKey(s) : s;
    return { name: k.name, keyId: k.keyId, signature: ed25519Sign(msg, k.seed) };
  });
  return formatNote(text, signatures);
}

/** Details of a successfully verified note. */
export interface VerifiedNote {
  /** The signed text (trust it only because `ok` is true). */
  readonly text: string;
  /** Signatures from known keys, all of which verified (one entry per key). */
  readonly verified: readonly NoteSignature[];
  /** Signatures from keys not in the verifier list (ignored, as C2SP requires). */
  readonly unverified: readonly NoteSignature[];
}

/**
 * Verifies a signed note against a set of trusted verifier keys.
 *
 * @param note - the note, as text or UTF-8 bytes (untrusted).
 * @param verifierKeys - trusted key(s), as verifier key strings or parsed keys.
 * @param limits - size limits, see {@link NoteLimits}.
 * @returns `{ ok: true, text, verified, unverified }`, or a failure: `malformed-note`, `note-too-large`,
 *   `too-many-signatures`, `invalid-signature` (a known key's signature does not verify) or
 *   `no-verified-signature` (no signature from any known key).
 * @throws {@link EvidenceFormatError} only for bad trusted input: a verifier key string that does not parse
 *   (`bad-key`), or two different keys sharing one name and key ID (`ambiguous-key`).
 */
export function verifyNote(
  note: string | Uint8Array,
  verifierKeys: string | NoteVerifierKey | readonly (string | NoteVerifierKey)[],
  limits: NoteLimits = {},
): VerifyResult<VerifiedNote> {
  const keys = indexKeys(verifierKeys);
  let parsed: ParsedNote;
  try {
    parsed = parseNote(note, limits);
  } catch (e) {
    if (e instanceof EvidenceFormatError) {
      const code = e.code === 'note-too-large' || e.code === 'too-many-signatures' ? e.code : 'malformed-note';
      return fail(code, e.message);
    }
    throw e;
  }
  const msg = utf8(parsed.text);
  const verified = new Map<string, NoteSignature>();
  const unverified: NoteSignature[] = [];
  for (const sig of parsed.signatures) {
    const id = `${sig.keyId}\u0000${sig.name}`;
    const key = keys.get(id);
    if (key === undefined) {
      unverified.push(sig);
      continue;
    }
    if (!ed25519Verify(sig.signature, msg, key.publicKey)) {
      return fail('invalid-signature', `the signature by known key ${sig.name} does not verify`);
    }
    if (!verified.has(id)) verified.set(id, sig);
  }
  if (verified.size === 0) {
    const names = [...new Set(unverified.map((s) => s.name))].join(', ');
    return fail('no-verified-signature', `no signature from a known key (signed by: ${names})`);
  }
  return { ok: true, text: parsed.text, verified: [...verified.values()], unverified };
}

function indexKeys(input: string | NoteVerifierKey | readonly (string | NoteVerifierKey)[]): Map<string, NoteVerifierKey> {
  const list = Array.isArray(input) ? input : [input as string | NoteVerifierKey];
  const map = new Map<string, NoteVerifierKey>();
  for (const k of list) {
    const key = typeof k === 'string' ? parseVerifierKey(k) : k;
    const id = `${key.keyId}\u0000${key.name}`;
    const prev = map.get(id);
    if (prev !== undefined && toBase64(prev.publicKey) !== toBase64(key.publicKey)) {
      throw new EvidenceFormatError('ambiguous-key', `two different verifier keys share name ${key.name} and key ID`);
    }
    map.set(id, key);
  }
  return map;
}
