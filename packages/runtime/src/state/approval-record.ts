/**
 * Copying and comparing stored approval records, shared by every state store.
 *
 * @packageDocumentation
 */
import type { ApprovalRecord } from '../decision/types.js';

/** A deep copy (records are plain JSON), so that no caller holds a store's own object. */
export function cloneApproval(r: ApprovalRecord): ApprovalRecord {
  return JSON.parse(JSON.stringify(r)) as ApprovalRecord;
}

/**
 * What an approval compare-and-set compares: `status|approvals|rejections` (vote counts only grow and the
 * status only moves forward, so equal fingerprints mean no one changed the record in between).
 */
export function approvalFingerprint(r: ApprovalRecord): string {
  return `${r.status}|${r.approvals.length}|${r.rejections.length}`;
}
