/**
 * Writ evidence: RFC 9162 Merkle trees and proofs, Ed25519 (RFC 8032), C2SP signed notes and tlog
 * checkpoints, the append-only file log, DecisionCertificates and evidence bundles. Never loads the SMT solver.
 *
 * Conventions (see `errors.ts`): `verify*` functions return `{ ok: true, … } | { ok: false, code, reason }`
 * and never throw on bad untrusted input; `parse*` functions throw `EvidenceFormatError`.
 *
 * @module
 */
export { EvidenceFormatError, fail } from './errors.js';
export type { FailureCode, FormatErrorCode, VerifyFailure, VerifyResult } from './errors.js';
export { bytesEqual, concatBytes, fromBase64, fromHex, fromUtf8, toBase64, toHex, utf8 } from './bytes.js';
export { HASH_SIZE, emptyRoot, leafHash, nodeHash, sha256 } from './hash.js';
export {
  consistencyProof,
  inclusionProof,
  rangeHasherFromLeafHashes,
  rootFromEntries,
  rootFromLeafHashes,
} from './merkle.js';
export type { RangeHasher } from './merkle.js';
export { MerkleTreeCache } from './merkle-cache.js';
export type { MerkleTreeCacheOptions } from './merkle-cache.js';
export { verifyConsistency, verifyInclusion } from './merkle-verify.js';
export {
  ED25519_PUBLIC_KEY_SIZE,
  ED25519_SEED_SIZE,
  ED25519_SIGNATURE_SIZE,
  ed25519PublicKey,
  ed25519Sign,
  ed25519Verify,
  generateEd25519KeyPair,
} from './ed25519.js';
export type { Ed25519KeyPair } from './ed25519.js';
export {
  SIGNATURE_TYPE_ED25519,
  formatKeyId,
  formatSignerKey,
  formatVerifierKey,
  generateSignerKey,
  isValidKeyName,
  makeVerifierKey,
  noteKeyId,
  parseSignerKey,
  parseVerifierKey,
  verifierKeyOf,
} from './note-key.js';
export type { NoteSignerKey, NoteVerifierKey } from './note-key.js';
export { MAX_NOTE_BYTES, MAX_NOTE_SIGNATURES, formatNote, parseNote, signNote, verifyNote } from './note.js';
export type { NoteLimits, NoteSignature, ParsedNote, VerifiedNote } from './note.js';
export { formatCheckpoint, parseCheckpoint, sameCheckpoint, signCheckpoint, verifyCheckpoint } from './checkpoint.js';
export type { Checkpoint, VerifiedCheckpoint } from './checkpoint.js';
export { CheckpointChain, verifyCheckpointAdvance } from './checkpoint-chain.js';
export { verifyInclusionInCheckpoint } from './inclusion-check.js';
export { FileLog, LogError } from './filelog.js';
export type { FileLogOptions, LogErrorCode, RecoveryReport } from './filelog.js';
export { Checkpointer } from './checkpointer.js';
export type { CheckpointerOptions } from './checkpointer.js';
export {
  CERTIFICATE_TYPE,
  certifiableRequest,
  certificateBytes,
  certificateSchema,
  certifyDecision,
  makeCertificate,
  parseCertificate,
  requestDigest,
} from './certificate.js';
export type {
  CertificateObligation,
  CertificateOptions,
  CertificateReason,
  CertificateSourceRef,
  DecisionCertificate,
  ParseCertificateOptions,
} from './certificate.js';
export { bundleJson, makeBundle, parseBundle, verifyBundle } from './bundle.js';
export type { Bundle, BundleSource, ParsedBundle, VerifiedBundle } from './bundle.js';
export { LogSnapshot } from './log-snapshot.js';
export type { HistoryProblem } from './log-snapshot.js';
export { verifyLog } from './log-verify.js';
export type { LogReport, VerifyLogOptions } from './log-verify.js';
