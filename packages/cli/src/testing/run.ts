/**
 * Runs test cases: each on a fresh MemoryStateStore seeded with the case's prior state through the
 * StateStore operations (`recordCall`, `budgetAdd`, `rateHit`, `taintAdd`) and the Policy's approval
 * operations, then decided (or its tool result checked) by @writ/runtime and compared with the expectation.
 */
import {
  canonicalJson,
  decimalToMicros,
  MemoryStateStore,
  type Artifact,
  type ConditionProbe,
  type Decision,
  type Policy,
  type ProbeResult,
  type ResultCheck,
} from '@writ/runtime';
import type { Expectation, ObligationExpect, TestCase } from './suite.js';

/** A policy ready for testing, with its sources for excerpts. */
export interface TestTarget {
  policy: Policy;
  artifact: Artifact;
  /** Directory rule spans are relative to. */
  root: string;
  /** Source text per span file name. */
  texts: Map<string, string>;
  /** Present when coverage is collected. */
  probe?: ConditionProbe;
}

export interface CaseResult {
  case: TestCase;
  /** `error`: the case could not be set up (its prior state does not fit the request or the policy). */
  status: 'pass' | 'fail' | 'error';
  /** Why it failed or could not run; empty when it passed. */
  problems: string[];
  decision?: Decision;
  check?: ResultCheck;
  /** Condition outcomes for coverage (with `target.probe`). */
  probe?: ProbeResult;
  ms: number;
}

class SetupError extends Error {}

const SESSION_NEEDED = (what: string) => `prior.${what} lives in a session, but the request has no context.session`;

function field(v: unknown, ...path: string[]): unknown {
  let x = v;
  for (const k of path) {
    if (typeof x !== 'object' || x === null || !Object.hasOwn(x, k)) return undefined;
    x = (x as Record<string, unknown>)[k];
  }
  return x;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

/** The value a limit or budget is scoped by, from the raw request (as the engine's `scopeValue`). */
function scopeOf(scope: string, request: unknown): string | undefined {
  switch (scope) {
    case 'agent':
      return str(field(request, 'agent', 'id'));
    case 'tenant':
      return str(field(request, 'agent', 'tenant'));
    case 'session':
      return str(field(request, 'context', 'session'));
    default:
      return '';
  }
}

/** Seeds the store with the case's prior state; throws SetupError when it cannot apply. */
function seed(t: TestTarget, c: TestCase, store: MemoryStateStore): void {
  const p = c.prior;
  const now = p.now;
  const session = str(field(c.request, 'context', 'session'));
  if (p.history.length > 0) {
    if (session === undefined) throw new SetupError(SESSION_NEEDED('history'));
    for (const h of p.history) {
      if (!Object.hasOwn(t.artifact.tools, h.tool)) throw new SetupError(`prior.history: the policy has no tool '${h.tool}'`);
      store.recordCall(session, { tool: h.tool, args: h.args, at: now - h.agoMs }, 1000);
    }
  }
  for (const [label, values] of Object.entries(p.labels)) {
    if (session === undefined) throw new SetupError(SESSION_NEEDED('labels'));
    store.taintAdd(session, label, values, 10_000);
  }
  if (p.spent !== undefined) {
    if (t.artifact.budgets.length === 0) throw new SetupError('prior.spent: the policy has no budget');
    const costMicros = p.spent.cost === undefined ? 0 : decimalToMicros(p.spent.cost) ?? 0;
    for (const b of t.artifact.budgets) {
      const value = scopeOf(b.scope, c.request);
      if (value === undefined) throw new SetupError(`prior.spent: the budget at line ${b.span.line} is per ${b.scope}, and the request has none`);
      store.budgetAdd(`budget|${b.id}|${b.scope}|${value}`, { calls: p.spent.calls ?? 0, tokens: p.spent.tokens ?? 0, costMicros });
    }
  }
  for (const [tool, count] of Object.entries(p.rate)) {
    const limits = t.artifact.limits.filter((l) => l.tools.includes(tool) || l.tools.includes('*'));
    if (limits.length === 0) throw new SetupError(`prior.rate: no rate limit applies to '${tool}'`);
    for (const l of limits) {
      const value = scopeOf(l.scope, c.request);
      if (value === undefined) throw new SetupError(`prior.rate: the limit at line ${l.span.line} is per ${l.scope}, and the request has none`);
      // Earlier hits, one millisecond apart, ending just before the case's call.
      for (let i = 0; i < count; i++) store.rateHit(`rate|${l.id}|${l.scope}|${value}`, now - count + i, l.windowMs, Infinity);
    }
  }
  if (p.approvals.length > 0 || p.rejections.length > 0 || p.askedAgoMs !== undefined) {
    // The call is asked for first (by default a second before), creating the approval record the votes go
    // to. A call that does not wait for an approval (denied or allowed outright) has nothing to vote on: the
    // votes are not cast and the case decides it as it is (so "an approval does not open X" can be tested).
    const at = now - (p.askedAgoMs ?? 1000);
    if (t.policy.decide(c.request, { state: store, now: at, dryRun: true }).effect !== 'pending_approval') return;
    const asked = t.policy.decide(c.request, { state: store, now: at });
    if (asked.approval === undefined) throw new SetupError(`prior.approvals: the call was decided ${asked.effect} when asked for`);
    const id = asked.approval.id;
    for (const a of p.approvals) {
      const r = t.policy.approve(id, { id: a.by, roles: [a.role] }, { state: store, now: at });
      if ('error' in r) throw new SetupError(`prior.approvals: ${a.by} (${a.role}): ${r.error}`);
    }
    for (const a of p.rejections) {
      const r = t.policy.reject(id, { id: a.by, roles: [a.role] }, a.reason, { state: store, now: at });
      if ('error' in r) throw new SetupError(`prior.rejections: ${a.by} (${a.role}): ${r.error}`);
    }
  }
}

/** Whether `actual` has every field of `expected` with an equal value (as canonical JSON). */
function obligationMatches(expected: ObligationExpect, actual: unknown): boolean {
  for (const [k, v] of Object.entries(expected)) {
    const a = field(actual, k);
    if (a === undefined || canonicalJson(a) !== canonicalJson(v)) return false;
  }
  return true;
}

function describe(effect: string, denial: string | undefined): string {
  return denial ? `${effect} (${denial.replace('_', ' ')})` : effect;
}

/** The differences between what was expected and what the runtime decided. */
export function compare(e: Expectation, d: Decision | ResultCheck, result?: unknown): string[] {
  const problems: string[] = [];
  const denial = 'denial' in d ? d.denial : undefined;
  if (d.effect !== e.effect || (e.denial !== undefined && denial !== e.denial)) {
    problems.push(`expected ${describe(e.effect, e.denial)}, got ${describe(d.effect, denial)}`);
  }
  const named = d.reasons.map((r) => r.rule);
  for (const rule of e.rules ?? []) {
    if (!named.includes(rule)) problems.push(`expected rule ${rule} among the reasons, got ${named.join(', ') || 'none'}`);
  }
  for (const text of e.reasons ?? []) {
    if (!d.reasons.some((r) => r.message.includes(text))) problems.push(`expected a reason containing ${JSON.stringify(text)}`);
  }
  if (e.obligations?.length === 0 && d.obligations.length > 0) problems.push(`expected no obligations, got ${d.obligations.map((x) => x.type).join(', ')}`);
  for (const o of e.obligations ?? []) {
    if (!d.obligations.some((a) => obligationMatches(o, a))) {
      const fields = Object.keys(o).filter((k) => k !== 'type');
      problems.push(`expected a ${o.type} obligation${fields.length ? ` with ${fields.join(', ')} as given` : ''}; got ${d.obligations.map((x) => x.type).join(', ') || 'none'}`);
    }
  }
  if (e.result !== undefined) {
    const want = canonicalJson(e.result.value);
    const got = result === undefined ? 'nothing (denied)' : canonicalJson(result);
    if (want !== got) problems.push(`expected the result ${want}, got ${got}`);
  }
  return problems;
}

/** Runs one case on a fresh state store. Never throws on user data. */
export function runCase(t: TestTarget, c: TestCase): CaseResult {
  const start = performance.now();
  const store = new MemoryStateStore();
  try {
    seed(t, c, store);
  } catch (e) {
    if (e instanceof SetupError) return { case: c, status: 'error', problems: [e.message], ms: performance.now() - start };
    throw e;
  }
  const now = c.prior.now;
  // Probed before deciding: deciding may record the call in the session history the probe reads.
  const probe = t.probe?.probe(c.request, { state: store, now, ...(c.result ? { result: c.result } : {}) });
  let out: CaseResult;
  if (c.result !== undefined) {
    const check = t.policy.checkResult(c.request, c.result.value, { state: store, now });
    const problems = compare(c.expect, check, check.result);
    out = { case: c, status: problems.length ? 'fail' : 'pass', problems, check, ms: 0 };
  } else {
    const decision = t.policy.decide(c.request, { state: store, now });
    const problems = compare(c.expect, decision);
    out = { case: c, status: problems.length ? 'fail' : 'pass', problems, decision, ms: 0 };
  }
  if (probe !== undefined) out.probe = probe;
  out.ms = performance.now() - start;
  return out;
}
