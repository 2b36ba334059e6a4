/**
 * The complete offline check behind a Writ evidence bundle
 * `{ certificate, leaf_index, tree_size, inclusion_proof: [base64…], checkpoint: "<signed note>" }`:
 * the checkpoint is signed by the log key, parses, and the entry is included in the tree it names.
 *
 * @module
 */
import { fromBase64 } from './bytes.js';
import { fail } from './errors.js';
import type { VerifyResult } from './errors.js';
import { leafHash } from './hash.js';
import { verifyInclusion } from './merkle-verify.js';
import { verifyCheckpoint } from './checkpoint.js';
import type { Checkpoint } from './checkpoint.js';
import type { NoteVerifierKey } from './note-key.js';

/**
 * Verifies offline, with only the log's public key, that `entryBytes` is leaf `leafIndex` of the log as of a
 * signed checkpoint: (1) the checkpoint note carries a valid signature by `verifierKey` and its origin equals the
 * key name (`verifyCheckpoint`); (2) `leafIndex < checkpoint.size`; (3) the RFC 9162 §2.1.3.2 inclusion proof of
 * `SHA-256(0x00 || entryBytes)` reproduces the checkpoint's root.
 *
 * A bundle's `tree_size`, if it has one, must be compared by the caller with `checkpoint.size` in the result.
 *
 * @param entryBytes - the logged bytes (a certificate's canonical JSON).
 * @param leafIndex - the entry's index in the log.
 * @param proof - inclusion path: 32-byte hashes, or their standard base64 strings as carried in a bundle.
 * @param checkpointText - the signed checkpoint note.
 * @param verifierKey - the log's verifier key string or parsed key.
 * @returns `{ ok: true, checkpoint }` or a failure whose `reason` says which step failed: the codes of
 *   `verifyCheckpoint`, `bad-encoding` (a proof element is not canonical base64), or those of `verifyInclusion`.
 * @throws `EvidenceFormatError` only when `verifierKey` is a malformed key string.
 */
export function verifyInclusionInCheckpoint(
  entryBytes: Uint8Array,
  leafIndex: number,
  proof: readonly Uint8Array[] | readonly string[],
  checkpointText: string | Uint8Array,
  verifierKey: string | NoteVerifierKey,
): VerifyResult<{ checkpoint: Checkpoint }> {
  const c = verifyCheckpoint(checkpointText, verifierKey);
  if (!c.ok) return fail(c.code, `checkpoint: ${c.reason}`);
  const path: Uint8Array[] = [];
  for (const [i, p] of proof.entries()) {
    if (typeof p === 'string') {
      try {
        path.push(fromBase64(p));
      } catch {
        return fail('bad-encoding', `inclusion proof element ${i} is not canonical base64`);
      }
    } else {
      path.push(p);
    }
  }
  const { checkpoint } = c;
  const v = verifyInclusion(leafHash(entryBytes), leafIndex, checkpoint.size, path, checkpoint.root);
  if (!v.ok) return fail(v.code, `inclusion in checkpoint of size ${checkpoint.size}: ${v.reason}`);
  return { ok: true, checkpoint };
}
