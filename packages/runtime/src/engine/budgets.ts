/**
 * Budgets: calls, tokens and cost per agent, tenant or session; money in integer micro-units.
 * See SEMANTICS.md §5g.
 *
 * @packageDocumentation
 */
import { MICROS, formatMicros, numberToMicros } from '../artifact/value.js';
import type { Obligation, Reason } from '../decision/types.js';
import type { EvalCtx } from '../eval/context.js';
import type { BudgetLimits, BudgetUsage } from '../state/store.js';
import { scopeValue } from './limits.js';
import type { BudgetPlan } from './plan.js';
import { RULE_INVALID, makeReason, sourceRef } from './reasons.js';

/** Budgets a decision charged, to compensate if a later check denies. */
export type BudgetCharges = Array<{ key: string; delta: BudgetUsage }>;

function limitsOf(b: BudgetPlan): BudgetLimits {
  const l: BudgetLimits = {};
  if (b.budget.calls !== undefined) l.calls = b.budget.calls;
  if (b.budget.tokens !== undefined) l.tokens = b.budget.tokens;
  if (b.limitCostMicros !== undefined) l.costMicros = b.limitCostMicros;
  return l;
}

/** This call's consumption as counted by budget `b`. */
export function budgetDelta(b: BudgetPlan, c: EvalCtx): BudgetUsage {
  const tool = c.tool;
  let cost = numberToMicros(c.usageCost);
  if (tool.costMicros !== 0 && tool.costCurrency === b.currency) cost += tool.costMicros;
  return { calls: 1, tokens: c.usageTokens, costMicros: cost };
}

function exceededMessage(b: BudgetPlan, before: BudgetUsage, delta: BudgetUsage): string {
  const parts: string[] = [];
  const bud = b.budget;
  if (b.limitCostMicros !== undefined && before.costMicros + delta.costMicros > b.limitCostMicros) {
    parts.push(`cost ${formatMicros(before.costMicros + delta.costMicros)} ${b.currency ?? ''} > ${formatMicros(b.limitCostMicros)} ${b.currency ?? ''}`);
  }
  if (bud.tokens !== undefined && before.tokens + delta.tokens > bud.tokens) {
    parts.push(`tokens ${before.tokens + delta.tokens} > ${bud.tokens}`);
  }
  if (bud.calls !== undefined && before.calls + delta.calls > bud.calls) {
    parts.push(`calls ${before.calls + delta.calls} > ${bud.calls}`);
  }
  return `${bud.scope} budget: ${parts.join(', ')}`;
}

function highestLevel(levels: readonly number[], used: number, limit: number): number | undefined {
  if (used <= 0) return undefined;
  let best: number | undefined;
  for (const level of levels) if (used * 100 >= level * limit) best = level;
  return best;
}

function warnings(b: BudgetPlan, after: BudgetUsage, out: Obligation[]): void {
  const bud = b.budget;
  if (bud.warn.length === 0) return;
  const cur = b.currency ?? '';
  // Each dimension as [name, used, limit, text of an amount] in its own unit.
  const dims: Array<[dimension: 'cost' | 'tokens' | 'calls', used: number, limit: number | undefined, text: (n: number) => string]> = [
    ['cost', after.costMicros, b.limitCostMicros, (n) => `${formatMicros(n)} ${cur}`],
    ['tokens', after.tokens, bud.tokens, String],
    ['calls', after.calls, bud.calls, String],
  ];
  for (const [dimension, used, limit, text] of dims) {
    if (limit === undefined) continue;
    const level = highestLevel(bud.warn, used, limit);
    if (level === undefined) continue;
    const micro = dimension === 'cost' ? MICROS : 1;
    out.push({
      type: 'warn',
      rule: bud.id,
      dimension,
      level,
      used: used / micro,
      limit: limit / micro,
      message: `${bud.scope} budget: ${dimension} ${text(used)} reached ${level}% of ${text(limit)}`,
    });
  }
}

/**
 * Why `before + delta` cannot be counted exactly (a dimension's sum or the delta itself is not a safe
 * integer: above 2^53 − 1 micro-units or tokens, doubles lose units and Redis's 64-bit counters overflow),
 * or undefined if it can.
 */
function outOfRange(before: BudgetUsage, delta: BudgetUsage): string | undefined {
  if (!Number.isSafeInteger(delta.costMicros)) return `context.usage.cost is too large to count exactly (at most ${formatMicros(Number.MAX_SAFE_INTEGER)})`;
  if (!Number.isSafeInteger(delta.tokens)) return `context.usage.tokens is too large to count exactly (at most ${Number.MAX_SAFE_INTEGER})`;
  if (!Number.isSafeInteger(before.costMicros + delta.costMicros)) return 'context.usage.cost would take a budget\'s cost past what can be counted exactly';
  if (!Number.isSafeInteger(before.tokens + delta.tokens)) return 'context.usage.tokens would take a budget\'s tokens past what can be counted exactly';
  if (!Number.isSafeInteger(before.calls + delta.calls)) return 'a budget\'s call count cannot be counted exactly';
  return undefined;
}

/**
 * Charges this call to every budget (in span order) with an atomic check-and-add each. On the first budget
 * the call would exceed, undoes the charges already made and returns the reason. Warn obligations for the
 * new usage are appended to `warn`. A dry run only reads.
 *
 * A usage the budget cannot count exactly (`context.usage` so large that the delta, or its sum with the
 * stored usage, is not a safe integer of micro-units or tokens) returns a reason with rule
 * `writ:invalid-request` and kind `invalid`: the caller denies the request as `invalid_request` and
 * charges nothing (so one request cannot poison a shared budget).
 */
export function reserveBudgets(
  budgets: readonly BudgetPlan[],
  c: EvalCtx,
  dryRun: boolean,
  charged: BudgetCharges,
  warn: Obligation[],
): Reason | undefined {
  const store = c.store;
  for (const b of budgets) {
    const value = scopeValue(b.budget.scope, c);
    if (value === undefined) {
      undoBudgets(c, charged);
      return b.needsScope;
    }
    const key = b.keyPrefix + value;
    const delta = budgetDelta(b, c);
    const limits = limitsOf(b);
    // Read first (the same value the charge re-checks; a snapshot fetches it once) so that an unsafe sum
    // is refused before anything is written.
    const range = outOfRange(store.budgetUse(key), delta);
    if (range !== undefined) {
      undoBudgets(c, charged);
      return makeReason(RULE_INVALID, 'invalid', range);
    }
    let before: BudgetUsage;
    let ok: boolean;
    if (dryRun) {
      before = store.budgetUse(key);
      ok =
        (limits.calls === undefined || before.calls + delta.calls <= limits.calls) &&
        (limits.tokens === undefined || before.tokens + delta.tokens <= limits.tokens) &&
        (limits.costMicros === undefined || before.costMicros + delta.costMicros <= limits.costMicros);
    } else {
      const r = store.budgetCharge(key, delta, limits);
      before = r.before;
      ok = r.ok;
    }
    if (!ok) {
      undoBudgets(c, charged);
      return makeReason(b.budget.id, 'budget', exceededMessage(b, before, delta), sourceRef(b.budget.span));
    }
    if (!dryRun) charged.push({ key, delta });
    warnings(
      b,
      { calls: before.calls + delta.calls, tokens: before.tokens + delta.tokens, costMicros: before.costMicros + delta.costMicros },
      warn,
    );
  }
  return undefined;
}

/** Compensates the charges of a decision that was then denied. */
export function undoBudgets(c: EvalCtx, charged: BudgetCharges): void {
  for (const { key, delta } of charged) {
    c.store.budgetAdd(key, { calls: -delta.calls, tokens: -delta.tokens, costMicros: -delta.costMicros });
  }
  charged.length = 0;
}
