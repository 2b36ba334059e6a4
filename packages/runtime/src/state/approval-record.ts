/**
 * Copying and comparing stored approval records, shared by every state store.
 *
 * @packageDocumentation
 */
import type { ApprovalRecord } from '../decision/types.js';

/**
 * A deep copy of a plain JSON value, equal to `JSON.parse(JSON.stringify(v))` for the records stored here
 * (strings, finite numbers, booleans, null, arrays, plain objects; members whose value is `undefined` are
 * left out, as JSON does), without printing and parsing text: a stored approval record is copied on every
 * decision that looks one up.
 */
function copyJsonValue(v: unknown): unknown {
  if (typeof v !== 'object' || v === null) return typeof v === 'number' && !Number.isFinite(v) ? null : v;
  if (Array.isArray(v)) {
    const out: unknown[] = new Array(v.length);
    for (let i = 0; i < v.length; i++) out[i] = copyJsonValue(v[i]);
    return out;
  }
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(v)) {
    const x = (v as Record<string, unknown>)[k];
    if (x === undefined) continue;
    if (k === '__proto__') Object.defineProperty(out, k, { value: copyJsonValue(x), enumerable: true, writable: true, configurable: true });
    else out[k] = copyJsonValue(x);
  }
  return out;
}

/**
 * A deep copy of a stored record (equal to `JSON.parse(JSON.stringify(r))`), so that no caller holds a
 * store's own object.
 */
export function cloneApproval(r: ApprovalRecord): ApprovalRecord {
  return copyJsonValue(r) as ApprovalRecord;
}

/**
 * What an approval compare-and-set compares: `status|approvals|rejections` (vote counts only grow and the
 * status only moves forward, so equal fingerprints mean no one changed the record in between).
 */
export function approvalFingerprint(r: ApprovalRecord): string {
  return `${r.status}|${r.approvals.length}|${r.rejections.length}`;
}
