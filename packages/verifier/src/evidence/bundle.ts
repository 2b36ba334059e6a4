/**
 * Evidence bundles: one JSON file that lets anyone check, offline and with only the log's public key, that a
 * decision certificate is in the log as of a signed checkpoint.
 *
 * Format (the five required fields are fixed by issue 4; anything extra is allowed and ignored, except
 * `leaf_hash`, which Writ writes and checks when present):
 *
 * ```json
 * {
 *   "certificate": { …DecisionCertificate… },
 *   "leaf_index": 3,
 *   "tree_size": 5,
 *   "inclusion_proof": ["<base64 of a 32-byte hash>", …],
 *   "checkpoint": "<C2SP signed checkpoint note>",
 *   "leaf_hash": "<base64 of SHA-256(0x00 || certificate bytes)>"
 * }
 * ```
 *
 * The logged bytes are the certificate's RFC 8785 form, so a bundle may be re-indented freely. Writ writes
 * bundles in canonical form ({@link bundleJson}), where changing any single byte changes a field's value or
 * breaks the JSON, and so makes verification fail.
 *
 * `leaf_hash` is redundant (it is recomputed from the certificate); it lets {@link verifyBundle} tell "the
 * certificate was altered" (it no longer hashes to `leaf_hash`) from "the proof does not reach the root".
 *
 * Browser-safe: no Node APIs (a log is passed in through the {@link BundleSource} interface).
 *
 * @module
 */
import { canonicalJson } from '@writ/runtime';
import { bytesEqual, fromBase64, fromUtf8, toBase64, utf8 } from './bytes.js';
import { parseCertificate } from './certificate.js';
import type { DecisionCertificate } from './certificate.js';
import { parseCheckpoint, verifyCheckpoint } from './checkpoint.js';
import type { Checkpoint } from './checkpoint.js';
import { EvidenceFormatError, fail } from './errors.js';
import type { VerifyFailure, VerifyResult } from './errors.js';
import { HASH_SIZE, leafHash } from './hash.js';
import { verifyInclusion } from './merkle-verify.js';
import { formatKeyId, parseVerifierKey } from './note-key.js';
import type { NoteVerifierKey } from './note-key.js';
import { parseNote } from './note.js';

/** An evidence bundle (see the module comment). */
export interface Bundle {
  readonly certificate: DecisionCertificate;
  readonly leaf_index: number;
  readonly tree_size: number;
  /** Base64 hashes, leaf's sibling first (RFC 9162 §2.1.3.1). */
  readonly inclusion_proof: readonly string[];
  /** The signed checkpoint note whose tree holds the certificate. */
  readonly checkpoint: string;
  /** Optional: base64 leaf hash of the certificate, as logged. */
  readonly leaf_hash?: string;
}

/** What {@link makeBundle} needs from a log (a `FileLog` or a `LogSnapshot` fits). */
export interface BundleSource {
  /** Entry bytes of leaf `index`. */
  entry(index: number): Uint8Array;
  /** RFC 9162 root of the first `size` entries. */
  root(size: number): Uint8Array;
  /** Inclusion proof of leaf `index` in the tree of `size` entries. */
  inclusionProof(index: number, size: number): Uint8Array[];
  /** The latest signed checkpoint, if any. */
  latestCheckpoint(): string | undefined;
}

/** Largest inclusion proof accepted: trees are below 2^53 leaves, so real proofs have at most 53 hashes. */
const MAX_PROOF_LENGTH = 64;

/**
 * Builds the bundle of entry `index` of a log, against a signed checkpoint of that log.
 *
 * @param log - the log (entries must be canonical certificates).
 * @param index - the entry's leaf index.
 * @param checkpoint - a signed checkpoint covering `index` (default: the log's latest).
 * @returns the bundle, with `leaf_hash`.
 * @throws `RangeError` when there is no checkpoint or it does not cover `index`; {@link EvidenceFormatError}
 *   (`malformed-note`, `malformed-checkpoint`, `malformed-certificate`) when the checkpoint or the entry does not
 *   parse, or the entry is not a certificate in canonical form; `Error` when the checkpoint's root is not this
 *   log's root at its size.
 */
export function makeBundle(log: BundleSource, index: number, checkpoint: string | undefined = log.latestCheckpoint()): Bundle {
  if (checkpoint === undefined) throw new RangeError('the log has no signed checkpoint yet');
  const cp = parseCheckpoint(parseNote(checkpoint).text);
  if (!Number.isSafeInteger(index) || index < 0 || index >= cp.size) {
    throw new RangeError(`entry ${index} is not covered by the checkpoint of tree size ${cp.size}`);
  }
  if (!bytesEqual(log.root(cp.size), cp.root)) throw new Error(`the checkpoint's root is not this log's root at size ${cp.size}`);
  const bytes = log.entry(index);
  const certificate = parseCertificate(bytes, { requireCanonical: true });
  return {
    certificate,
    leaf_index: index,
    tree_size: cp.size,
    inclusion_proof: log.inclusionProof(index, cp.size).map(toBase64),
    checkpoint,
    leaf_hash: toBase64(leafHash(bytes)),
  };
}

/**
 * A bundle as canonical JSON text (RFC 8785), the form Writ writes.
 *
 * @param bundle - the bundle.
 * @returns compact canonical JSON, without a trailing newline.
 */
export function bundleJson(bundle: Bundle): string {
  return canonicalJson(bundle);
}

/** A bundle whose fields have been decoded and type-checked (nothing verified yet). */
export interface ParsedBundle {
  /** The bundle object as parsed (extra fields included). */
  readonly bundle: Bundle;
  /** The certificate's bytes: its canonical form, i.e. the logged entry. */
  readonly certificateBytes: Uint8Array;
  /** Decoded inclusion proof. */
  readonly proof: readonly Uint8Array[];
  /** Decoded `leaf_hash`, when present. */
  readonly leafHash?: Uint8Array;
}

/**
 * Parses a bundle and checks its shape: JSON object; `certificate` a valid certificate
 * (`parseCertificate`); `leaf_index` and `tree_size` non-negative safe integers; `inclusion_proof` an array of
 * at most 64 canonical base64 strings of 32 bytes; `checkpoint` a string; `leaf_hash`, if present, canonical base64
 * of 32 bytes. Signatures and proofs are not checked.
 *
 * @param input - bundle JSON text, its UTF-8 bytes, or a parsed value.
 * @returns the decoded bundle.
 * @throws {@link EvidenceFormatError} `malformed-bundle` saying which field is wrong.
 */
export function parseBundle(input: unknown): ParsedBundle {
  const bad = (msg: string): never => {
    throw new EvidenceFormatError('malformed-bundle', msg);
  };
  let value = input;
  if (input instanceof Uint8Array) {
    try {
      value = fromUtf8(input);
    } catch {
      bad('bundle is not valid UTF-8');
    }
  }
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value);
    } catch (e) {
      bad(`bundle is not JSON: ${(e as Error).message}`);
    }
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return bad('bundle is not a JSON object');
  const b = value as Record<string, unknown>;
  for (const field of ['certificate', 'leaf_index', 'tree_size', 'inclusion_proof', 'checkpoint']) {
    if (!(field in b)) bad(`bundle has no '${field}'`);
  }
  for (const field of ['leaf_index', 'tree_size']) {
    const n = b[field];
    if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) bad(`bundle.${field} is not a non-negative integer`);
  }
  if (typeof b['checkpoint'] !== 'string') bad('bundle.checkpoint is not a string');
  const proofIn = b['inclusion_proof'];
  if (!Array.isArray(proofIn)) return bad('bundle.inclusion_proof is not an array');
  if (proofIn.length > MAX_PROOF_LENGTH) bad(`bundle.inclusion_proof has more than ${MAX_PROOF_LENGTH} hashes`);
  const proof = proofIn.map((p: unknown, i) => decodeHash(p, `bundle.inclusion_proof[${i}]`));
  const leafHashIn = 'leaf_hash' in b ? decodeHash(b['leaf_hash'], 'bundle.leaf_hash') : undefined;
  const certIn = b['certificate'];
  if (typeof certIn !== 'object' || certIn === null || Array.isArray(certIn)) bad('bundle.certificate is not a JSON object');
  let certificate: DecisionCertificate;
  try {
    certificate = parseCertificate(certIn);
  } catch (e) {
    return bad((e as Error).message);
  }
  const parsed = { bundle: { ...b, certificate } as unknown as Bundle, certificateBytes: utf8(canonicalJson(certificate)), proof };
  return leafHashIn === undefined ? parsed : { ...parsed, leafHash: leafHashIn };
}

function decodeHash(value: unknown, what: string): Uint8Array {
  if (typeof value !== 'string') throw new EvidenceFormatError('malformed-bundle', `${what} is not a string`);
  let bytes: Uint8Array;
  try {
    bytes = fromBase64(value);
  } catch {
    throw new EvidenceFormatError('malformed-bundle', `${what} is not canonical base64`);
  }
  if (bytes.length !== HASH_SIZE) throw new EvidenceFormatError('malformed-bundle', `${what} is ${bytes.length} bytes, not a ${HASH_SIZE}-byte hash`);
  return bytes;
}

/** Details of a verified bundle. */
export interface VerifiedBundle {
  /** The certificate (trust it only because `ok` is true). */
  readonly certificate: DecisionCertificate;
  /** The certificate's bytes (the logged entry). */
  readonly certificateBytes: Uint8Array;
  readonly leafIndex: number;
  readonly treeSize: number;
  /** The verified checkpoint. */
  readonly checkpoint: Checkpoint;
  /** The key that signed it: `name+keyid`. */
  readonly signedBy: string;
}

/**
 * Verifies a bundle offline with only the log's verifier key, and says precisely what is wrong when it fails:
 *
 * | code                  | meaning                                                                           |
 * |-----------------------|-----------------------------------------------------------------------------------|
 * | `malformed-bundle`    | not JSON, a required field missing or of the wrong type, bad base64, a certificate that does not follow the format, a checkpoint that is not a signed note / checkpoint |
 * | `wrong-key`           | the checkpoint has no signature by this key (signed by another key, or another key with the same name) |
 * | `invalid-signature`   | the checkpoint's signature by this key does not verify (the checkpoint was altered) |
 * | `origin-mismatch`     | validly signed, but the checkpoint's origin is not the key's name                 |
 * | `tree-size-mismatch`  | `tree_size` differs from the size the checkpoint signs                            |
 * | `index-out-of-range`  | `leaf_index` is not below `tree_size`                                             |
 * | `certificate-altered` | the certificate no longer hashes to the bundle's `leaf_hash`                      |
 * | `wrong-proof-length`  | the proof has too many or too few hashes for this index and size                  |
 * | `root-mismatch`       | the inclusion proof does not reach the checkpoint's root                          |
 *
 * Never throws on bad bundles.
 *
 * @param input - bundle JSON text, UTF-8 bytes, or a parsed value (untrusted).
 * @param verifierKey - the log's verifier key string (`name+keyid+base64`) or parsed key (trusted).
 * @returns `{ ok: true, certificate, certificateBytes, leafIndex, treeSize, checkpoint, signedBy }` or
 *   `{ ok: false, code, reason }`.
 * @throws {@link EvidenceFormatError} only when `verifierKey` is a malformed key string.
 */
export function verifyBundle(input: unknown, verifierKey: string | NoteVerifierKey): VerifyResult<VerifiedBundle> {
  const key = typeof verifierKey === 'string' ? parseVerifierKey(verifierKey) : verifierKey;
  const keyText = `${key.name}+${formatKeyId(key.keyId)}`;
  let parsed: ParsedBundle;
  try {
    parsed = parseBundle(input);
  } catch (e) {
    if (e instanceof EvidenceFormatError) return fail('malformed-bundle', e.message);
    throw e;
  }
  const { bundle, certificateBytes, proof } = parsed;

  const c = verifyCheckpoint(bundle.checkpoint, key);
  if (!c.ok) {
    const f = checkpointFailure(c, bundle.checkpoint, key, keyText, 'malformed-bundle');
    return f.code === 'malformed-bundle' ? fail(f.code, `bundle.checkpoint is ${f.reason}`) : f;
  }
  const { checkpoint } = c;

  if (bundle.tree_size !== checkpoint.size) {
    return fail('tree-size-mismatch', `the bundle says tree size ${bundle.tree_size} but its checkpoint signs tree size ${checkpoint.size}`);
  }
  if (bundle.leaf_index >= bundle.tree_size) {
    return fail('index-out-of-range', `leaf index ${bundle.leaf_index} is not below the tree size ${bundle.tree_size}`);
  }
  const leaf = leafHash(certificateBytes);
  if (parsed.leafHash !== undefined && !bytesEqual(parsed.leafHash, leaf)) {
    return fail('certificate-altered', 'the certificate does not hash to the bundle\'s leaf_hash: it was altered after the bundle was made');
  }
  const v = verifyInclusion(leaf, bundle.leaf_index, bundle.tree_size, proof, checkpoint.root);
  if (!v.ok) {
    if (v.code === 'root-mismatch') {
      const suspect = parsed.leafHash !== undefined ? 'leaf_index or inclusion_proof' : 'the certificate, leaf_index or inclusion_proof';
      return fail('root-mismatch', `the inclusion proof does not reach the checkpoint's root (${suspect} was altered)`);
    }
    return fail(v.code, `inclusion proof: ${v.reason}`);
  }
  return {
    ok: true,
    certificate: bundle.certificate,
    certificateBytes,
    leafIndex: bundle.leaf_index,
    treeSize: bundle.tree_size,
    checkpoint,
    signedBy: keyText,
  };
}

/**
 * @internal Explains why a checkpoint did not verify against `key`: `wrong-key` (no signature by it, naming the
 * keys that did sign), `invalid-signature`, `origin-mismatch`, or `malformedCode` for a note or checkpoint that
 * does not parse.
 */
export function checkpointFailure(
  c: VerifyFailure,
  note: string,
  key: NoteVerifierKey,
  keyText: string,
  malformedCode: 'malformed-bundle' | 'malformed-checkpoint' = 'malformed-checkpoint',
): VerifyFailure {
  switch (c.code) {
    case 'no-verified-signature': {
      let names: string[] = [];
      try {
        const sigs = parseNote(note).signatures;
        const sameName = sigs.find((s) => s.name === key.name);
        if (sameName !== undefined) {
          return fail('wrong-key', `the checkpoint is signed by a different key named ${key.name} (key ID ${formatKeyId(sameName.keyId)}), not by ${keyText}`);
        }
        names = [...new Set(sigs.map((s) => `${s.name}+${formatKeyId(s.keyId)}`))];
      } catch {
        // verifyCheckpoint parsed it already; unreachable
      }
      return fail('wrong-key', `the checkpoint is not signed by ${keyText} (it is signed by ${names.join(', ') || 'no key'})`);
    }
    case 'invalid-signature':
      return fail('invalid-signature', `bad signature: the checkpoint's signature by ${keyText} does not verify (the checkpoint was altered)`);
    case 'origin-mismatch':
      return fail('origin-mismatch', `checkpoint: ${c.reason}`);
    default:
      return fail(malformedCode, `not a valid signed checkpoint: ${c.reason}`);
  }
}
