/**
 * Sliding-window rate limits. See SEMANTICS.md §5f.
 *
 * @packageDocumentation
 */
import type { Limit } from '../artifact/types.js';
import type { Reason } from '../decision/types.js';
import type { EvalCtx } from '../eval/context.js';
import type { LimitPlan } from './plan.js';

/** The value a limit or budget is scoped by; undefined if the request lacks it (tenant, session). */
export function scopeValue(scope: Limit['scope'], c: EvalCtx): string | undefined {
  switch (scope) {
    case 'agent':
      return c.agentId;
    case 'tenant':
      return c.tenant;
    case 'session':
      return c.session;
    case 'global':
      return '';
  }
}

/** Keys of the rate-limit hits a decision reserved, to undo them if a later check denies. */
export type LimitHits = string[];

/**
 * Reserves one hit in each limit's window (in span order), atomically per limit. On the first limit that
 * is full, undoes the hits already reserved and returns its reason. In a dry run nothing is written: each
 * window is only counted.
 */
export function reserveLimits(limits: readonly LimitPlan[], c: EvalCtx, dryRun: boolean, hits: LimitHits): Reason | undefined {
  const store = c.store;
  for (const l of limits) {
    const value = scopeValue(l.limit.scope, c);
    if (value === undefined) {
      undoLimits(c, hits);
      return l.needsScope;
    }
    const key = l.keyPrefix + value;
    if (dryRun) {
      if (store.rateCount(key, c.now, l.limit.windowMs) >= l.limit.count) return l.exceeded;
      continue;
    }
    if (!store.rateHit(key, c.now, l.limit.windowMs, l.limit.count)) {
      undoLimits(c, hits);
      return l.exceeded;
    }
    hits.push(key);
  }
  return undefined;
}

/** Compensates the hits reserved for a decision that was then denied. */
export function undoLimits(c: EvalCtx, hits: LimitHits): void {
  for (const key of hits) c.store.rateUndo(key, c.now);
  hits.length = 0;
}
