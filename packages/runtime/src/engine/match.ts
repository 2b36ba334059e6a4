/**
 * Matching one compiled rule against a request: the errored-rule check on `reads`, then the condition.
 * See SEMANTICS.md §3.
 *
 * @packageDocumentation
 */
import type { Reason } from '../decision/types.js';
import type { EvalCtx } from '../eval/context.js';
import type { RulePlan } from './plan.js';
import { makeReason } from './reasons.js';

/** The first field in `reads` that the request lacks, or undefined. */
function missingRead(r: RulePlan, c: EvalCtx): string | undefined {
  const reads = r.reads;
  for (let i = 0; i < reads.length; i++) {
    const rd = reads[i]!;
    if (rd.get(c) === undefined) return rd.name;
  }
  return undefined;
}

function evaluate(r: RulePlan, c: EvalCtx): Reason | null {
  if (r.clauses !== null) {
    const k = r.clauses(c);
    return k < 0 ? null : (r.clauseReasons![k] ?? r.reason);
  }
  return r.pred(c) ? r.reason : null;
}

/**
 * A deny, approve or post-deny rule: errored (a `reads` field absent) counts as matched, with the missing
 * field named in the reason. Returns the reason if the rule matches, else null.
 */
export function matchFailClosed(r: RulePlan, c: EvalCtx): Reason | null {
  if (r.reads.length > 0) {
    const missing = missingRead(r, c);
    if (missing !== undefined) {
      return makeReason(r.id, r.reason.kind, `${r.message} (rule errored: ${missing} is absent)`, r.reason.span);
    }
  }
  return evaluate(r, c);
}

/** An allow rule: errored counts as not matched. */
export function matchAllow(r: RulePlan, c: EvalCtx): Reason | null {
  if (r.reads.length > 0 && missingRead(r, c) !== undefined) return null;
  return evaluate(r, c);
}
