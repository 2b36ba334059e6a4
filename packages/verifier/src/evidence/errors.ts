/**
 * Error and result conventions shared by every evidence module.
 *
 * The rule, applied everywhere under `evidence/`:
 *
 * - `verify*` functions judge **untrusted** data (proofs, roots, notes, checkpoints, bundles). They never throw
 *   because that data is bad; they return a {@link VerifyResult}: `{ ok: true, ... }` or
 *   `{ ok: false, code, reason }`, where `code` is a stable {@link FailureCode} for programs and `reason` is one
 *   readable sentence for people.
 * - `parse*` functions turn text into structures and throw {@link EvidenceFormatError} (with a stable `code`)
 *   when the text does not follow the format.
 * - Everything else (proof generation, signing, the file log) throws on misuse: `RangeError` for an argument
 *   outside its domain (an index past the tree size), `EvidenceFormatError` for a malformed key string, and the
 *   log's own `LogError` subclasses (see `filelog.ts`) for storage problems.
 *
 * @module
 */

/** Stable machine-readable reasons a verification fails. */
export type FailureCode =
  /** An index or size is not a non-negative safe integer. */
  | 'invalid-argument'
  /** The leaf index is not smaller than the tree size. */
  | 'index-out-of-range'
  /** A hash (leaf, node, root) is not 32 bytes long. */
  | 'bad-hash-length'
  /** The proof has too many or too few elements for the given index and sizes. */
  | 'wrong-proof-length'
  /** The root recomputed from the proof differs from the expected root. */
  | 'root-mismatch'
  /** A consistency check was asked from a larger tree to a smaller one. */
  | 'size-decrease'
  /** A consistency proof from the empty tree (size1 = 0) was asked; see `verifyConsistency`. */
  | 'empty-tree'
  /** Two equal tree sizes came with a non-empty consistency proof. */
  | 'proof-not-empty'
  /** A proof element or other base64 field does not decode. */
  | 'bad-encoding'
  /** The note does not follow the C2SP signed-note format. */
  | 'malformed-note'
  /** The note exceeds the configured byte limit. */
  | 'note-too-large'
  /** The note carries more signature lines than the configured limit. */
  | 'too-many-signatures'
  /** A signature from a known key does not verify. */
  | 'invalid-signature'
  /** No signature from a known key is present. */
  | 'no-verified-signature'
  /** The note text is not a C2SP tlog-checkpoint body. */
  | 'malformed-checkpoint'
  /** The checkpoint's origin differs from the log key's name or from the previous checkpoint's origin. */
  | 'origin-mismatch'
  /** A newer checkpoint has a smaller tree size than the one already accepted. */
  | 'checkpoint-shrank'
  /** Two checkpoints cannot both be heads of one append-only log. */
  | 'inconsistent-checkpoints'
  /** A bundle is not JSON, lacks a required field, has a field of the wrong type or encoding, or carries a
   *  certificate that does not follow the certificate format. */
  | 'malformed-bundle'
  /** The checkpoint carries no signature by the given key (another key, or another key with the same name). */
  | 'wrong-key'
  /** A bundle's `tree_size` differs from the size its checkpoint signs. */
  | 'tree-size-mismatch'
  /** A bundle's certificate no longer hashes to the leaf hash recorded with it. */
  | 'certificate-altered'
  /** A log's entries file is damaged, or an entry is not what the log should hold. */
  | 'corrupt-log'
  /** A log holds fewer entries than a checkpoint it signed, or its stored files disagree. */
  | 'log-mismatch';

/** A failed verification: a stable code and one readable sentence. */
export interface VerifyFailure {
  readonly ok: false;
  readonly code: FailureCode;
  readonly reason: string;
}

/** Outcome of a `verify*` function: success (with optional details `T`) or a {@link VerifyFailure}. */
export type VerifyResult<T extends object = object> = ({ readonly ok: true } & T) | VerifyFailure;

/**
 * Builds a {@link VerifyFailure}.
 *
 * @param code - stable failure code.
 * @param reason - one readable sentence.
 * @returns `{ ok: false, code, reason }`.
 */
export function fail(code: FailureCode, reason: string): VerifyFailure {
  return { ok: false, code, reason };
}

/** Stable codes of {@link EvidenceFormatError}. */
export type FormatErrorCode =
  | 'bad-base64'
  | 'bad-hex'
  | 'bad-key'
  | 'bad-key-name'
  | 'malformed-note'
  | 'note-too-large'
  | 'too-many-signatures'
  | 'malformed-checkpoint'
  | 'ambiguous-key'
  | 'malformed-certificate'
  | 'malformed-bundle';

/** Thrown by `parse*` functions and key handling when text does not follow its format. */
export class EvidenceFormatError extends Error {
  /** Stable machine-readable code. */
  readonly code: FormatErrorCode;

  /**
   * @param code - stable code.
   * @param message - one readable sentence.
   */
  constructor(code: FormatErrorCode, message: string) {
    super(message);
    this.name = 'EvidenceFormatError';
    this.code = code;
  }
}
