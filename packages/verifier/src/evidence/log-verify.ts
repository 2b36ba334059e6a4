/**
 * Auditing a whole log directory with only the log's public key (Node only; what `writ log verify` runs).
 *
 * @module
 */
import { bytesEqual } from './bytes.js';
import { checkpointFailure } from './bundle.js';
import { parseCertificate } from './certificate.js';
import { CheckpointChain, verifyCheckpointAdvance } from './checkpoint-chain.js';
import { verifyCheckpoint } from './checkpoint.js';
import type { Checkpoint } from './checkpoint.js';
import { fail } from './errors.js';
import type { VerifyResult } from './errors.js';
import type { LogSnapshot } from './log-snapshot.js';
import { formatKeyId, parseVerifierKey } from './note-key.js';
import type { NoteVerifierKey } from './note-key.js';

/** Options of {@link verifyLog}. */
export interface VerifyLogOptions {
  /**
   * What every entry must be: `certificates` (default), a DecisionCertificate in canonical form, as `writ decide
   * --log` writes; or `any` bytes.
   */
  readonly entries?: 'certificates' | 'any';
  /**
   * Signed checkpoints of this log obtained earlier (e.g. from bundles or a witness). The log must still extend
   * each one: this is what detects a log rewritten or truncated together with its stored checkpoints.
   */
  readonly trusted?: readonly string[];
  /** Called now and then while entries are checked. */
  readonly onProgress?: (done: number, total: number) => void;
}

/** What {@link verifyLog} checked. */
export interface LogReport {
  /** Intact entries, every one re-hashed. */
  readonly size: number;
  /** The latest signed checkpoint (absent for an empty log without one). */
  readonly checkpoint: Checkpoint | undefined;
  /** Stored checkpoints verified and chained by consistency proofs. */
  readonly checkpoints: number;
  /** Entries appended after the latest checkpoint (not yet signed). */
  readonly uncovered: number;
  /** Trusted checkpoints the log was checked to extend. */
  readonly trusted: number;
  /** The key that signed the checkpoints: `name+keyid`. */
  readonly signedBy: string;
  /** Things worth knowing that are not failures (a torn final write, unsigned entries). */
  readonly warnings: readonly string[];
}

/**
 * Verifies a log: (1) every frame of the entries file is intact and each entry matches its leaf hash (done by
 * `LogSnapshot.open`; damage to an acknowledged entry fails here); (2) every entry is a canonical certificate
 * (unless `entries: 'any'`); (3) the latest checkpoint is signed by `verifierKey`, covers no more entries than
 * the log holds, and its root is the root of that many entries; (4) every stored checkpoint is signed by the key
 * and each extends the previous by a consistency proof computed from the entries, ending at the latest one;
 * (5) the log extends every `trusted` checkpoint.
 *
 * Failure codes: `corrupt-log` (damaged frames, entries that are not certificates, a damaged history file),
 * `log-mismatch` (fewer entries than signed, roots that differ, history and latest checkpoint disagree,
 * entries without any checkpoint), the checkpoint codes of `verifyBundle` (`wrong-key`, `invalid-signature`,
 * `origin-mismatch`, `malformed-bundle` for an unparsable checkpoint), and `inconsistent-checkpoints` /
 * `checkpoint-shrank` for a broken chain.
 *
 * @param log - an open snapshot.
 * @param verifierKey - the log's verifier key (trusted).
 * @param options - see {@link VerifyLogOptions}.
 * @returns `{ ok: true, …report }` or `{ ok: false, code, reason }`.
 * @throws `EvidenceFormatError` only when `verifierKey` is malformed.
 */
export function verifyLog(log: LogSnapshot, verifierKey: string | NoteVerifierKey, options: VerifyLogOptions = {}): VerifyResult<LogReport> {
  const key = typeof verifierKey === 'string' ? parseVerifierKey(verifierKey) : verifierKey;
  const keyText = `${key.name}+${formatKeyId(key.keyId)}`;
  const warnings: string[] = [];
  const size = log.size;

  if (log.damage !== undefined) {
    if (log.damage.kind === 'corrupt') return fail('corrupt-log', `entries file: ${log.damage.reason}`);
    warnings.push(
      `${log.fileSize - log.damage.offset} bytes of an interrupted, unacknowledged append at the end of the entries file ` +
        '(removed when the log is next opened for writing)',
    );
  }
  const problem = log.historyProblems[0];
  if (problem !== undefined) return fail('corrupt-log', `checkpoint history, line ${problem.line}: ${problem.reason}`);

  // (3) the latest checkpoint against the entries.
  const latestText = log.latestCheckpoint();
  let latest: Checkpoint | undefined;
  if (latestText === undefined) {
    if (size > 0) return fail('log-mismatch', `the log holds ${size} entries but no signed checkpoint`);
  } else {
    const c = verifyCheckpoint(latestText, key);
    if (!c.ok) return prefixed(checkpointFailure(c, latestText, key, keyText), 'latest checkpoint');
    latest = c.checkpoint;
    if (latest.size > size) {
      return fail('log-mismatch', `the latest checkpoint signs ${latest.size} entries but the log holds only ${size}: entries were removed`);
    }
    if (!bytesEqual(log.root(latest.size), latest.root)) {
      return fail('log-mismatch', `the first ${latest.size} entries do not hash to the latest checkpoint's root: entries were altered, removed or reordered`);
    }
  }

  // (4) the stored history, chained by consistency proofs.
  const history = log.checkpointHistory();
  const chain = new CheckpointChain(key);
  for (const [i, note] of history.entries()) {
    const c = verifyCheckpoint(note, key);
    if (!c.ok) return prefixed(checkpointFailure(c, note, key, keyText), `stored checkpoint ${i + 1}`);
    const prev = chain.latest;
    const next = c.checkpoint;
    if (next.size > size) {
      return fail('log-mismatch', `stored checkpoint ${i + 1} signs ${next.size} entries but the log holds only ${size}: entries were removed`);
    }
    const proof = prev !== undefined && prev.size > 0 && next.size > prev.size ? log.consistencyProof(prev.size, next.size) : [];
    const a = chain.advance(note, proof);
    if (!a.ok) return fail(a.code, `stored checkpoint ${i + 1} (tree size ${next.size}): ${a.reason}`);
  }
  if (latestText !== undefined && history[history.length - 1] !== latestText) {
    return fail('log-mismatch', 'the latest checkpoint is not the last one in the checkpoint history');
  }

  // (5) trusted checkpoints from outside.
  for (const [i, note] of (options.trusted ?? []).entries()) {
    const c = verifyCheckpoint(note, key);
    if (!c.ok) return prefixed(checkpointFailure(c, note, key, keyText), `trusted checkpoint ${i + 1}`);
    const t = c.checkpoint;
    if (t.size > size) return fail('log-mismatch', `a trusted checkpoint signs ${t.size} entries but the log holds only ${size}: the log was truncated`);
    let ok: boolean;
    if (latest !== undefined && t.size <= latest.size) {
      const proof = t.size > 0 && latest.size > t.size ? log.consistencyProof(t.size, latest.size) : [];
      ok = verifyCheckpointAdvance(t, latest, proof).ok;
    } else {
      ok = bytesEqual(log.root(t.size), t.root);
    }
    if (!ok) return fail('log-mismatch', `the log does not extend the trusted checkpoint of tree size ${t.size}: it was rewritten`);
  }

  // (2) every entry is a certificate (last: the slowest step).
  if ((options.entries ?? 'certificates') === 'certificates') {
    for (let i = 0; i < size; i++) {
      try {
        parseCertificate(log.entry(i), { requireCanonical: true });
      } catch (e) {
        return fail('corrupt-log', `entry ${i} is not a canonical decision certificate: ${(e as Error).message}`);
      }
      if (options.onProgress !== undefined && (i + 1) % 65536 === 0) options.onProgress(i + 1, size);
    }
  }
  options.onProgress?.(size, size);

  const uncovered = size - (latest?.size ?? 0);
  if (uncovered > 0) warnings.push(`${uncovered} entries after the latest checkpoint are not signed yet`);
  return {
    ok: true,
    size,
    checkpoint: latest,
    checkpoints: history.length,
    uncovered,
    trusted: options.trusted?.length ?? 0,
    signedBy: keyText,
    warnings,
  };
}

function prefixed(f: { code: Parameters<typeof fail>[0]; reason: string }, what: string): ReturnType<typeof fail> {
  return fail(f.code, `${what}: ${f.reason}`);
}
