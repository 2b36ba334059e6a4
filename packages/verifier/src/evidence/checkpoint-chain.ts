/**
 * Following a log's checkpoints over time: a new checkpoint is accepted only with a valid RFC 9162 consistency
 * proof from the last one accepted, so the log can only grow (C2SP tlog-checkpoint, "Signatures": a log must
 * never sign two inconsistent checkpoints).
 *
 * @module
 */
import { bytesEqual } from './bytes.js';
import { fail } from './errors.js';
import type { VerifyResult } from './errors.js';
import { emptyRoot } from './hash.js';
import { verifyConsistency } from './merkle-verify.js';
import { verifyCheckpoint } from './checkpoint.js';
import type { Checkpoint } from './checkpoint.js';
import { parseVerifierKey } from './note-key.js';
import type { NoteVerifierKey } from './note-key.js';

/**
 * Checks that `next` extends `prev` (both already signature-checked), given the consistency proof between them.
 *
 * Rules:
 * - same origin (`origin-mismatch`), and `next.size ≥ prev.size` (`checkpoint-shrank`);
 * - a checkpoint of size 0 must have root `SHA-256("")`;
 * - from `prev.size = 0`: any `next` is consistent and the proof must be empty. This is how the chain starts
 *   from an empty log, since `verifyConsistency` refuses `size1 = 0` (see its comment);
 * - equal sizes: the proof must be empty and the roots equal (else `inconsistent-checkpoints`: the log signed
 *   two different trees of one size, a fork);
 * - otherwise `verifyConsistency(prev.size, next.size, proof, prev.root, next.root)` must pass.
 *
 * @param prev - the last accepted checkpoint.
 * @param next - the candidate.
 * @param proof - consistency proof from `prev.size` to `next.size` (32-byte hashes).
 * @returns `{ ok: true }` or a failure with code `origin-mismatch`, `checkpoint-shrank`, `proof-not-empty` or
 *   `inconsistent-checkpoints` (the reason includes the proof check's own reason).
 */
export function verifyCheckpointAdvance(prev: Checkpoint, next: Checkpoint, proof: readonly Uint8Array[]): VerifyResult {
  if (prev.origin !== next.origin) return fail('origin-mismatch', `origin changed from ${prev.origin} to ${next.origin}`);
  if (next.size < prev.size) return fail('checkpoint-shrank', `tree size went down from ${prev.size} to ${next.size}`);
  for (const cp of [prev, next]) {
    if (cp.size === 0 && !bytesEqual(cp.root, emptyRoot())) {
      return fail('inconsistent-checkpoints', 'a checkpoint of size 0 must have the empty-tree root SHA-256("")');
    }
  }
  if (prev.size === 0 || prev.size === next.size) {
    if (proof.length > 0) return fail('proof-not-empty', `no consistency proof is needed from size ${prev.size} to ${next.size}`);
    if (prev.size === next.size && !bytesEqual(prev.root, next.root)) {
      return fail('inconsistent-checkpoints', `two different roots for tree size ${prev.size}: the log forked`);
    }
    return { ok: true };
  }
  const v = verifyConsistency(prev.size, next.size, proof, prev.root, next.root);
  if (!v.ok) return fail('inconsistent-checkpoints', `checkpoint of size ${next.size} does not extend size ${prev.size}: ${v.reason}`);
  return { ok: true };
}

/**
 * Tracks the latest accepted checkpoint of one log (a client's or monitor's view).
 *
 * @example
 * ```ts
 * const chain = new CheckpointChain(logVerifierKey);
 * const r = chain.advance(checkpointText, proofFromLog);
 * if (!r.ok) throw new Error(r.reason);
 * ```
 */
export class CheckpointChain {
  private readonly key: NoteVerifierKey;
  private current: Checkpoint | undefined;

  /**
   * @param logKey - the log's verifier key (string or parsed).
   * @param trusted - optionally, a checkpoint already trusted (e.g. persisted from an earlier run).
   * @throws `EvidenceFormatError` when `logKey` is malformed.
   */
  constructor(logKey: string | NoteVerifierKey, trusted?: Checkpoint) {
    this.key = typeof logKey === 'string' ? parseVerifierKey(logKey) : logKey;
    this.current = trusted;
  }

  /** The latest accepted checkpoint, if any. */
  get latest(): Checkpoint | undefined {
    return this.current;
  }

  /**
   * Verifies a signed checkpoint and, if it extends the latest accepted one, makes it the latest. The first
   * checkpoint is trusted on first use (its proof must be empty).
   *
   * @param note - signed checkpoint text or bytes (untrusted).
   * @param proof - consistency proof from the latest accepted size to the new size.
   * @returns `{ ok: true, checkpoint }` or a failure (codes of `verifyCheckpoint` and
   *   {@link verifyCheckpointAdvance}); on failure the chain is unchanged.
   */
  advance(note: string | Uint8Array, proof: readonly Uint8Array[]): VerifyResult<{ checkpoint: Checkpoint }> {
    const v = verifyCheckpoint(note, this.key);
    if (!v.ok) return v;
    if (this.current === undefined) {
      if (proof.length > 0) return fail('proof-not-empty', 'the first checkpoint is trusted as is; no proof is expected');
    } else {
      const a = verifyCheckpointAdvance(this.current, v.checkpoint, proof);
      if (!a.ok) return a;
    }
    this.current = v.checkpoint;
    return { ok: true, checkpoint: v.checkpoint };
  }
}
