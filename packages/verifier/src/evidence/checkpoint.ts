/**
 * C2SP tlog-checkpoint: the signed tree head of a log, as the text of a signed note.
 *
 * Body (the note text):
 * ```
 * <origin>\n
 * <tree size, decimal, no leading zeros>\n
 * <root hash, standard base64 of 32 bytes>\n
 * [<extension line>\n]...
 * ```
 * The log signs the body with its note key, whose name equals the origin (Writ requires this; C2SP says SHOULD).
 *
 * Tree sizes are limited to `Number.MAX_SAFE_INTEGER` (2^53 − 1).
 *
 * @module
 */
import { bytesEqual, fromBase64, toBase64 } from './bytes.js';
import { EvidenceFormatError, fail } from './errors.js';
import type { VerifyResult } from './errors.js';
import { HASH_SIZE } from './hash.js';
import { parseSignerKey } from './note-key.js';
import type { NoteSignerKey, NoteVerifierKey } from './note-key.js';
import { assertNoteText, signNote, verifyNote } from './note.js';
import type { NoteLimits, VerifiedNote } from './note.js';

/** A log's tree head. */
export interface Checkpoint {
  /** Log identity; for Writ, also the log key's name. Non-empty. */
  readonly origin: string;
  /** Number of leaves. */
  readonly size: number;
  /** 32-byte RFC 9162 root of the first `size` leaves. */
  readonly root: Uint8Array;
  /** Optional extension lines (each non-empty, without newline). Not recommended by C2SP. */
  readonly extensions: readonly string[];
}

/**
 * Parses a checkpoint body strictly.
 *
 * @param body - the note text: at least three lines, each ending in `\n`.
 * @returns the {@link Checkpoint}.
 * @throws {@link EvidenceFormatError} `malformed-checkpoint` when: the body is not valid note text; fewer than
 *   three lines; the origin or an extension line is empty; the size is not canonical decimal (no sign, no
 *   leading zero except `0` itself) or exceeds 2^53 − 1; the root is not canonical base64 of exactly 32 bytes.
 */
export function parseCheckpoint(body: string): Checkpoint {
  try {
    assertNoteText(body);
  } catch (e) {
    throw new EvidenceFormatError('malformed-checkpoint', `checkpoint body: ${(e as Error).message}`);
  }
  const lines = body.slice(0, -1).split('\n');
  if (lines.length < 3) throw new EvidenceFormatError('malformed-checkpoint', 'checkpoint needs origin, tree size and root hash lines');
  const [origin, sizeText, rootText, ...extensions] = lines as [string, string, string, ...string[]];
  if (origin.length === 0) throw new EvidenceFormatError('malformed-checkpoint', 'checkpoint origin is empty');
  if (!/^(0|[1-9][0-9]*)$/.test(sizeText)) {
    throw new EvidenceFormatError('malformed-checkpoint', 'checkpoint tree size is not a decimal number without leading zeros');
  }
  const size = Number(sizeText);
  if (!Number.isSafeInteger(size)) throw new EvidenceFormatError('malformed-checkpoint', 'checkpoint tree size exceeds 2^53 - 1');
  let root: Uint8Array;
  try {
    root = fromBase64(rootText);
  } catch {
    throw new EvidenceFormatError('malformed-checkpoint', 'checkpoint root hash is not canonical base64');
  }
  if (root.length !== HASH_SIZE) throw new EvidenceFormatError('malformed-checkpoint', `checkpoint root hash is ${root.length} bytes, expected ${HASH_SIZE}`);
  if (extensions.some((l) => l.length === 0)) throw new EvidenceFormatError('malformed-checkpoint', 'checkpoint extension lines must be non-empty');
  return { origin, size, root, extensions };
}

/**
 * Formats a checkpoint body.
 *
 * @param cp - the tree head.
 * @returns `origin\nsize\nbase64(root)\n[extensions\n]`.
 * @throws {@link EvidenceFormatError} `malformed-checkpoint` when a field is invalid (so that formatting never
 *   produces text that {@link parseCheckpoint} would reject).
 */
export function formatCheckpoint(cp: Checkpoint): string {
  const body = [cp.origin, String(cp.size), toBase64(cp.root), ...cp.extensions].join('\n') + '\n';
  if (cp.origin.includes('\n') || cp.extensions.some((l) => l.includes('\n'))) {
    throw new EvidenceFormatError('malformed-checkpoint', 'checkpoint fields must not contain newlines');
  }
  parseCheckpoint(body);
  return body;
}

/**
 * Signs a checkpoint with the log's key. The key's name must equal the origin.
 *
 * @param cp - the tree head.
 * @param logKey - the log's signer key string (`PRIVATE+KEY+<origin>+…`) or parsed key.
 * @param cosigners - optional further signer keys (e.g. a second log key during rotation).
 * @returns the signed checkpoint note.
 * @throws {@link EvidenceFormatError} for an invalid checkpoint or key, or `bad-key-name` when the key's name
 *   differs from the origin.
 */
export function signCheckpoint(
  cp: Checkpoint,
  logKey: string | NoteSignerKey,
  cosigners: readonly (string | NoteSignerKey)[] = [],
): string {
  const key = typeof logKey === 'string' ? parseSignerKey(logKey) : logKey;
  if (key.name !== cp.origin) {
    throw new EvidenceFormatError('bad-key-name', `log key name ${key.name} differs from checkpoint origin ${cp.origin}`);
  }
  return signNote(formatCheckpoint(cp), [key, ...cosigners]);
}

/** Details of a verified checkpoint. */
export interface VerifiedCheckpoint {
  /** The parsed tree head. */
  readonly checkpoint: Checkpoint;
  /** The verified note (text and signatures). */
  readonly note: VerifiedNote;
}

/**
 * Verifies a signed checkpoint: the note carries a valid signature by `logKey` (other signatures, e.g.
 * witnesses', are ignored unless they are by `logKey` too), the text is a valid checkpoint body, and its origin
 * equals the log key's name.
 *
 * @param note - the signed checkpoint (untrusted), text or UTF-8 bytes.
 * @param logKey - the log's verifier key string or parsed key (trusted).
 * @param limits - note size limits.
 * @returns `{ ok: true, checkpoint, note }` or a failure: the codes of `verifyNote`, `malformed-checkpoint`, or
 *   `origin-mismatch`.
 * @throws {@link EvidenceFormatError} only when `logKey` is a malformed key string.
 */
export function verifyCheckpoint(
  note: string | Uint8Array,
  logKey: string | NoteVerifierKey,
  limits: NoteLimits = {},
): VerifyResult<VerifiedCheckpoint> {
  const v = verifyNote(note, logKey, limits);
  if (!v.ok) return v;
  let checkpoint: Checkpoint;
  try {
    checkpoint = parseCheckpoint(v.text);
  } catch (e) {
    return fail('malformed-checkpoint', (e as Error).message);
  }
  const keyName = v.verified[0]!.name;
  if (checkpoint.origin !== keyName) {
    return fail('origin-mismatch', `checkpoint origin ${checkpoint.origin} differs from log key name ${keyName}`);
  }
  return { ok: true, checkpoint, note: v };
}

/**
 * Tells whether two checkpoints are the same tree head (origin, size, root and extensions).
 *
 * @param a - first checkpoint.
 * @param b - second checkpoint.
 * @returns `true` when equal.
 */
export function sameCheckpoint(a: Checkpoint, b: Checkpoint): boolean {
  return a.origin === b.origin && a.size === b.size && bytesEqual(a.root, b.root) &&
    a.extensions.length === b.extensions.length && a.extensions.every((l, i) => l === b.extensions[i]);
}
