import { describe, expect, it } from 'vitest';
import { loadPolicy, MemoryStateStore, type Budget, type Limit } from '../src/index.js';
import { TRUE, approval, cmp, makeArtifact, refund, request, rule, span, supportTools } from './helpers.js';

const HOUR = 3_600_000;
const sms = (agent = 'bot', context?: Record<string, unknown>) =>
  request('send_sms', { to: '+1', body: 'hi' }, { agent: { id: agent }, ...(context ? { context } : {}) });

function limit(scope: Limit['scope'], count = 3, windowMs = HOUR, tools = ['send_sms']): Limit {
  return { id: `policy.writ:20`, tools, count, windowMs, scope, span: span(20) };
}

describe('rate limits', () => {
  it('exactly N calls in the window, then deny, then allowed again as the window slides', () => {
    const p = loadPolicy(makeArtifact({ tools: supportTools, rules: [rule('allow', ['*'], TRUE)], limits: [limit('agent')] }));
    const t0 = 10_000_000;
    for (let i = 0; i < 3; i++) expect(p.decide(sms(), { now: t0 + i * 1000 }).effect).toBe('allow');
    const d = p.decide(sms(), { now: t0 + 3000 });
    expect(d.denial).toBe('forbidden');
    expect(d.reasons).toEqual([
      { rule: 'policy.writ:20', kind: 'limit', message: 'rate limit: 3 per 1h per agent exceeded', span: { file: 'policy.writ', line: 20, column: 1 } },
    ]);
    // another agent has its own window; other tools are not limited
    expect(p.decide(sms('other'), { now: t0 + 3000 }).effect).toBe('allow');
    expect(p.decide(request('web_fetch', { url: 'u' }, { agent: { id: 'bot' } }), { now: t0 + 3000 }).effect).toBe('allow');
    // the first hit leaves the window [now - 1h, now] after t0 + 1h
    expect(p.decide(sms(), { now: t0 + HOUR }).effect).toBe('deny');
    expect(p.decide(sms(), { now: t0 + HOUR + 1 }).effect).toBe('allow');
    expect(p.decide(sms(), { now: t0 + HOUR + 2 }).effect).toBe('deny');
    expect(p.decide(sms(), { now: t0 + HOUR + 1001 }).effect).toBe('allow');
  });

  it('denied calls do not consume the limit', () => {
    const p = loadPolicy(
      makeArtifact({ tools: supportTools, rules: [rule('allow', ['send_sms'], TRUE), rule('deny', ['send_sms'], cmp(['args', 'to'], '==', 'x', { kind: 'string' }))], limits: [limit('agent', 1)] }),
    );
    expect(p.decide(request('send_sms', { to: 'x', body: 'b' }, { agent: { id: 'bot' } }), { now: 1 }).effect).toBe('deny');
    expect(p.decide(sms(), { now: 2 }).effect).toBe('allow');
  });

  it('tenant and session scopes need their value (fail closed); global is one window', () => {
    const tenant = loadPolicy(makeArtifact({ tools: supportTools, rules: [rule('allow', ['*'], TRUE)], limits: [limit('tenant', 1)] }));
    expect(tenant.decide(sms()).reasons[0]!.message).toBe('a per-tenant rate limit applies, but the request has no agent.tenant');
    const withTenant = (agent: string, t: string) => request('send_sms', { to: '+1', body: 'hi' }, { agent: { id: agent, tenant: t } });
    expect(tenant.decide(withTenant('a', 'acme'), { now: 1 }).effect).toBe('allow');
    expect(tenant.decide(withTenant('b', 'acme'), { now: 2 }).effect).toBe('deny');
    expect(tenant.decide(withTenant('b', 'globex'), { now: 3 }).effect).toBe('allow');

    const session = loadPolicy(makeArtifact({ tools: supportTools, rules: [rule('allow', ['*'], TRUE)], limits: [limit('session', 1)] }));
    expect(session.decide(sms()).reasons[0]!.message).toBe('a per-session rate limit applies, but the request has no context.session');
    expect(session.decide(sms('a', { session: 's' }), { now: 1 }).effect).toBe('allow');
    expect(session.decide(sms('b', { session: 's' }), { now: 2 }).effect).toBe('deny');

    const global = loadPolicy(makeArtifact({ tools: supportTools, rules: [rule('allow', ['*'], TRUE)], limits: [limit('global', 2, 60_000)] }));
    expect(global.decide(sms('a'), { now: 1 }).effect).toBe('allow');
    expect(global.decide(sms('b'), { now: 2 }).effect).toBe('allow');
    expect(global.decide(sms('c'), { now: 3 }).reasons[0]!.message).toBe('rate limit: 2 per 1m exceeded');
  });

  it('a budget denial rolls back the rate-limit hit of the same decision', () => {
    const budget: Budget = { id: 'policy.writ:30', scope: 'agent', calls: 1, warn: [], span: span(30) };
    const p = loadPolicy(makeArtifact({ tools: supportTools, rules: [rule('allow', ['*'], TRUE)], limits: [limit('agent', 5)], budgets: [budget] }));
    const store = new MemoryStateStore();
    expect(p.decide(sms(), { now: 1, state: store }).effect).toBe('allow');
    expect(p.decide(sms(), { now: 2, state: store }).reasons[0]!.kind).toBe('budget');
    expect(store.rateCount('rate|policy.writ:20|agent|bot', 2, HOUR)).toBe(1);
  });
});

describe('budgets', () => {
  const sessionBudget: Budget = {
    id: 'policy.writ:40',
    scope: 'session',
    cost: { amount: '10', currency: 'USD' },
    warn: [80, 90],
    span: span(40),
  };
  const ctx = { context: { session: 's1' } };

  it('cost accumulates exactly: 500 refunds at 0.02 USD is 10.00 USD; the 501st is denied', () => {
    const p = loadPolicy(makeArtifact({ tools: supportTools, rules: [rule('allow', ['*'], TRUE)], budgets: [sessionBudget] }));
    const store = new MemoryStateStore();
    const warnings: Array<[number, number]> = [];
    for (let i = 1; i <= 500; i++) {
      const d = p.decide(refund(1, ctx), { state: store });
      expect(d.effect).toBe('allow');
      const w = d.obligations.find((o) => o.type === 'warn');
      if (w && w.type === 'warn') warnings.push([i, w.level]);
    }
    expect(store.budgetUse('budget|policy.writ:40|session|s1')).toEqual({ calls: 500, tokens: 0, costMicros: 10_000_000 });
    const d = p.decide(refund(1, ctx), { state: store });
    expect(d.denial).toBe('forbidden');
    expect(d.reasons).toEqual([
      { rule: 'policy.writ:40', kind: 'budget', message: 'session budget: cost 10.02 USD > 10 USD', span: { file: 'policy.writ', line: 40, column: 1 } },
    ]);
    // warn at 80% from the 400th call (8.00 USD), at 90% from the 450th (9.00 USD)
    expect(warnings[0]).toEqual([400, 80]);
    expect(warnings.find(([, level]) => level === 90)).toEqual([450, 90]);
    expect(warnings).toHaveLength(101);
    const last = p.decide(request('send_sms', { to: '+1', body: 'hi' }, ctx), { state: store });
    expect(last.effect).toBe('allow'); // send_sms costs nothing
    expect(last.obligations).toEqual([
      { type: 'warn', rule: 'policy.writ:40', dimension: 'cost', level: 90, used: 10, limit: 10, message: 'session budget: cost 10 USD reached 90% of 10 USD' },
    ]);
    // another session has its own budget; no session at all is denied (fail closed)
    expect(p.decide(refund(1, { context: { session: 's2' } }), { state: store }).effect).toBe('allow');
    expect(p.decide(refund(1), { state: store }).reasons[0]!.message).toBe('a per-session budget applies, but the request has no context.session');
  });

  it('usage tokens and extra cost count; calls count; a denied call spends nothing', () => {
    const b: Budget = { id: 'policy.writ:41', scope: 'agent', cost: { amount: '1', currency: 'USD' }, tokens: 1000, calls: 3, warn: [50], span: span(41) };
    const p = loadPolicy(makeArtifact({ tools: supportTools, rules: [rule('allow', ['*'], TRUE)], budgets: [b] }));
    const store = new MemoryStateStore();
    const call = (tokens: number, cost: number) => p.decide(request('send_sms', { to: '+1', body: 'x' }, { context: { usage: { tokens, cost } } }), { state: store });
    expect(call(400, 0.1).obligations).toEqual([]);
    const second = call(200, 0.1);
    expect(second.obligations.map((o) => (o.type === 'warn' ? [o.dimension, o.level, o.used] : o.type))).toEqual([
      ['tokens', 50, 600],
      ['calls', 50, 2],
    ]);
    const over = call(401, 0);
    expect(over.reasons[0]!.message).toBe('agent budget: tokens 1001 > 1000');
    expect(store.budgetUse('budget|policy.writ:41|agent|refund-bot')).toEqual({ calls: 2, tokens: 600, costMicros: 200_000 });
    expect(call(0, 0.9).reasons[0]!.message).toBe('agent budget: cost 1.1 USD > 1 USD');
    expect(call(0, 0.8).effect).toBe('allow');
    expect(call(0, 0).reasons[0]!.message).toBe('agent budget: calls 4 > 3');
  });

  it('a tool cost in another currency does not count', () => {
    const eur: Budget = { ...sessionBudget, cost: { amount: '0.01', currency: 'EUR' } };
    const p = loadPolicy(makeArtifact({ tools: supportTools, rules: [rule('allow', ['*'], TRUE)], budgets: [eur] }));
    for (let i = 0; i < 5; i++) expect(p.decide(refund(1, ctx)).effect).toBe('allow');
  });

  it('a budget denial after a granted approval leaves the approval unused', () => {
    const b: Budget = { id: 'policy.writ:42', scope: 'agent', calls: 0, warn: [], span: span(42) };
    const p = loadPolicy(
      makeArtifact({ tools: supportTools, rules: [rule('approve', ['issue_refund'], TRUE, { approval: approval('finance_lead') })], budgets: [b] }),
    );
    const a = p.decide(refund(1), { now: 1 }).approval!;
    p.approve(a.id, { id: 'f', roles: ['finance_lead'] }, { now: 2 });
    expect(p.decide(refund(1), { now: 3 }).reasons[0]!.kind).toBe('budget');
    expect(p.approvals()[0]!.status).toBe('granted');
  });
});
