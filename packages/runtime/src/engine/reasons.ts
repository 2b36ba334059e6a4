/**
 * Reasons: construction, ordering and the built-in reason ids.
 *
 * @packageDocumentation
 */
import type { Span } from '../artifact/types.js';
import type { Reason, ReasonKind, SourceRef } from '../decision/types.js';

export const RULE_INVALID = 'writ:invalid-request';
export const RULE_INTERNAL = 'writ:internal-error';
export const RULE_DEFAULT_DENY = 'writ:default-deny';
export const RULE_KILL_SWITCH = 'writ:kill-switch';
export const RULE_NO_POST = 'writ:no-post-rule';
export const RULE_APPROVAL = 'writ:approval';

/** The 1-based start of a span, as reasons report it. */
export function sourceRef(span: Span): SourceRef {
  return Object.freeze({ file: span.file, line: span.line, column: span.column });
}

/** A reason; frozen, because precomputed reasons are shared by every decision. */
export function makeReason(rule: string, kind: ReasonKind, message: string, span?: SourceRef, clause?: SourceRef): Reason {
  const r: Reason = { rule, kind, message };
  if (span !== undefined) r.span = span;
  if (clause !== undefined) r.clause = clause;
  return Object.freeze(r);
}

/** Order of reasons: by source position (file, line, column), then rule id; reasons without a span last. */
export function compareReasons(a: Reason, b: Reason): number {
  const sa = a.span;
  const sb = b.span;
  if (sa !== undefined && sb !== undefined) {
    if (sa.file !== sb.file) return sa.file < sb.file ? -1 : 1;
    if (sa.line !== sb.line) return sa.line - sb.line;
    if (sa.column !== sb.column) return sa.column - sb.column;
  } else if (sa !== undefined) return -1;
  else if (sb !== undefined) return 1;
  if (a.rule !== b.rule) return a.rule < b.rule ? -1 : 1;
  if (a.message !== b.message) return a.message < b.message ? -1 : 1;
  return 0;
}

/** Compares spans (file, line, column, end) for sorting rules at load. */
export function compareSpans(a: Span, b: Span): number {
  if (a.file !== b.file) return a.file < b.file ? -1 : 1;
  return a.line - b.line || a.column - b.column || a.endLine - b.endLine || a.endColumn - b.endColumn;
}

/** Sorts reasons by {@link compareReasons} and drops exact duplicates (duplicated rules report once). */
export function sortReasons(reasons: Reason[]): Reason[] {
  if (reasons.length < 2) return reasons;
  reasons.sort(compareReasons);
  const out: Reason[] = [reasons[0] as Reason];
  for (let i = 1; i < reasons.length; i++) {
    const r = reasons[i] as Reason;
    const last = out[out.length - 1] as Reason;
    if (compareReasons(last, r) !== 0 || !sameRef(last.clause, r.clause)) {
      out.push(r);
    }
  }
  return out;
}

/**
 * Appends a reason to a list that is being built in sorted order, skipping it if it repeats the last one
 * (a duplicated rule).
 */
export function pushReason(list: Reason[], r: Reason): void {
  const last = list[list.length - 1];
  if (last !== undefined && (last === r || (compareReasons(last, r) === 0 && sameRef(last.clause, r.clause)))) return;
  list.push(r);
}

function sameRef(a: SourceRef | undefined, b: SourceRef | undefined): boolean {
  if (a === b) return true;
  return a !== undefined && b !== undefined && a.file === b.file && a.line === b.line && a.column === b.column;
}
