/**
 * Counterexamples and witnesses for people: the request as JSON, the state it is decided in when that
 * matters, and a decision with the rule that decided it.
 */
import type { Decision } from '@writ/runtime';
import type { Case } from '@writ/verifier';
import { whereOf } from './decision.js';

/** True when the state is the empty one (no history, no full limit, nothing used, no approval). */
export function stateIsEmpty(c: Case): boolean {
  const s = c.state;
  const used = Object.values(s.budgets).some((b) => b.cost_micros || b.tokens || b.calls);
  return s.history.length === 0 && s.full_limits.length === 0 && !used && s.approval === 'none';
}

/** `label:` then the value as indented JSON, every line prefixed with `indent`. */
export function jsonBlock(label: string, value: unknown, indent: string): string[] {
  const lines = JSON.stringify(value, null, 2).split('\n');
  return [`${indent}${label}:`, ...lines.map((l) => `${indent}  ${l}`)];
}

/** The request, and the state when it is not empty. */
export function caseLines(c: Case, indent: string): string[] {
  return [...jsonBlock('request', c.request, indent), ...(stateIsEmpty(c) ? [] : jsonBlock('state', c.state, indent))];
}

/** `allow (policy.writ:18)`: the effect and where the deciding rule is. */
export function decided(d: Decision, root: string): string {
  const where = whereOf(d.reasons[0], root);
  const effect = d.effect === 'deny' && d.denial ? `deny, ${d.denial.replace('_', ' ')}` : d.effect;
  return where ? `${effect} (${where})` : effect;
}

/** A decision for JSON output: the effect, denial, and the deciding rule's place. */
export function decisionJson(d: Decision, root: string): Record<string, unknown> {
  const r = d.reasons[0];
  return {
    effect: d.effect,
    ...(d.denial ? { denial: d.denial } : {}),
    ...(r ? { rule: r.rule, at: whereOf(r, root) } : {}),
    reasons: d.reasons,
  };
}
