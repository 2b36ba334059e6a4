/**
 * Counterexamples people can read: before the search proper (`findCounterexample`, which already prefers
 * round amounts and short printable strings), ask for the plainest request and state that still satisfy the
 * query — no history, no full rate limit, no budget used, no approval record, no taint labels, no session
 * or tenant, and an agent called `agent-1` or one the policy declares — then drop the agent preference,
 * then the state preferences, as far as the query needs.
 */
import type { Policy } from '@writ/runtime';
import { findCounterexample, type Counterexample } from './counterexample.js';
import type { ToolEncoding } from './encode.js';
import { str } from './sexpr.js';

/** Preference levels, most preferred first; the last is no preference at all. */
export function plainnessLevels(policy: Policy, enc: ToolEncoding): string[][] {
  const state: string[] = [];
  const agent: string[] = [];
  for (const v of enc.vars.vars.values()) {
    if (v.fn) continue;
    switch (v.origin.kind) {
      case 'hist_present':
      case 'limit_full':
      case 'taint':
      case 'has_session':
      case 'has_tenant':
        state.push(`(not ${v.symbol})`);
        break;
      case 'approval_status':
      case 'budget_used':
      case 'usage_tokens':
      case 'usage_cost_micros':
        state.push(`(= ${v.symbol} 0)`);
        break;
      case 'agent_id':
        agent.push(`(or ${['agent-1', ...Object.keys(policy.artifact.agents)].map((a) => `(= ${v.symbol} ${str(a)})`).join(' ')})`);
        break;
      default:
        break;
    }
  }
  return [[...state, ...agent], state, []].filter((l, i, all) => i === all.length - 1 || l.length > 0);
}

/**
 * `findCounterexample` at the plainest preference level that admits one; a confirmed counterexample is
 * preferred over an unconfirmed one from a plainer level.
 */
export async function findReadableCounterexample(
  policy: Policy,
  enc: ToolEncoding,
  asserts: readonly string[],
  timeoutMs: number,
): Promise<Counterexample | undefined> {
  let fallback: Counterexample | undefined;
  for (const level of plainnessLevels(policy, enc)) {
    const cx = await findCounterexample(policy, enc, [...asserts, ...level], timeoutMs);
    if (cx?.confirmed) return cx;
    fallback ??= cx;
  }
  return fallback;
}
