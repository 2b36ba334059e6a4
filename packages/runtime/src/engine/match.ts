/**
 * Matching one compiled rule against a request: the errored-rule check on `reads`, then the condition.
 * See SEMANTICS.md §3. (Pre rules are matched through their tool's index, `ruleindex.ts`; this is for post
 * deny rules.)
 *
 * @packageDocumentation
 */
import type { Reason } from '../decision/types.js';
import type { EvalCtx } from '../eval/context.js';
import type { RulePlan } from './plan.js';
import { erroredReason, missingRead } from './ruleindex.js';

/**
 * A deny, approve or post-deny rule: errored (a `reads` field absent) counts as matched, with the missing
 * field named in the reason. Returns the reason if the rule matches, else null.
 */
export function matchFailClosed(r: RulePlan, c: EvalCtx): Reason | null {
  if (r.reads.length > 0) {
    const missing = missingRead(r, c);
    if (missing !== undefined) return erroredReason(r, missing);
  }
  if (r.clauses !== null) {
    const k = r.clauses(c);
    return k < 0 ? null : (r.clauseReasons![k] ?? r.reason);
  }
  return r.pred(c) ? r.reason : null;
}
