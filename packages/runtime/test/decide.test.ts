import { describe, expect, it } from 'vitest';
import { loadPolicy, MemoryStateStore, type Expr } from '../src/index.js';
import {
  T,
  TRUE,
  and,
  cmp,
  field,
  lit,
  makeArtifact,
  not,
  or,
  ref,
  refund,
  request,
  role,
  rule,
  span,
  supportTools,
} from './helpers.js';

const allowSmall = rule('allow', ['issue_refund'], and(role('billing'), cmp(['args', 'amount'], '<=', '100')), { line: 10 });
const denyHuge = rule('deny', ['issue_refund'], cmp(['args', 'amount'], '>', '500'), { line: 12, message: 'refunds above $500 are never automated' });
const allowTickets = rule('allow', ['create_support_ticket'], role('support'), { line: 14 });

const base = makeArtifact({
  tools: supportTools,
  agents: { 'support-agent': { roles: ['support'] }, 'refund-agent': { roles: ['billing'] } },
  rules: [allowSmall, denyHuge, allowTickets],
});
const policy = loadPolicy(base);

describe('allow, deny, default deny', () => {
  it('allows with the matching allow rule as the reason', () => {
    const d = policy.decide(refund(42));
    expect(d).toEqual({
      effect: 'allow',
      reasons: [{ rule: 'policy.writ:10', kind: 'allow', message: 'allow by line 10', span: { file: 'policy.writ', line: 10, column: 1 } }],
      obligations: [],
      policy: { name: 'test-policy', version: '1.0.0', digest: base.digest },
    });
    expect(policy.decide(refund(100)).effect).toBe('allow');
  });

  it('default-denies when no rule allows (not_permitted)', () => {
    const d = policy.decide(refund(101));
    expect(d.effect).toBe('deny');
    expect(d.denial).toBe('not_permitted');
    expect(d.reasons).toEqual([{ rule: 'writ:default-deny', kind: 'default', message: "no rule allows 'issue_refund' for agent 'refund-bot'" }]);
  });

  it('a matching deny rule forbids, with its message and span', () => {
    const d = policy.decide(refund(501));
    expect(d.effect).toBe('deny');
    expect(d.denial).toBe('forbidden');
    expect(d.reasons).toEqual([
      { rule: 'policy.writ:12', kind: 'deny', message: 'refunds above $500 are never automated', span: { file: 'policy.writ', line: 12, column: 1 } },
    ]);
  });

  it('deny beats allow', () => {
    const p = loadPolicy(makeArtifact({ tools: supportTools, rules: [rule('allow', ['send_sms'], TRUE), rule('deny', ['send_sms'], TRUE)] }));
    expect(p.decide(request('send_sms', { to: '+1', body: 'hi' })).denial).toBe('forbidden');
  });

  it('the first matching deny rule by source position (file, line, column) is the reason', () => {
    const rules = [
      rule('deny', ['send_sms'], TRUE, { line: 30, span: span(30, 1, 'b.writ') }),
      rule('deny', ['*'], TRUE, { line: 20, span: span(20, 5, 'a.writ') }),
      rule('deny', ['send_sms'], TRUE, { line: 21, span: span(20, 2, 'a.writ') }),
      rule('deny', ['send_sms'], { op: 'false' }, { line: 1 }),
    ];
    const d = loadPolicy(makeArtifact({ tools: supportTools, rules })).decide(request('send_sms', { to: '+1', body: 'hi' }));
    expect(d.reasons.map((r) => [r.span?.file, r.span?.line, r.span?.column])).toEqual([['a.writ', 20, 2]]);
    // Without it, the next one by position decides.
    const rest = loadPolicy(makeArtifact({ tools: supportTools, rules: [rules[0]!, rules[1]!, rules[3]!] }));
    expect(rest.decide(request('send_sms', { to: '+1', body: 'hi' })).reasons.map((r) => [r.span?.file, r.span?.line, r.span?.column])).toEqual([
      ['a.writ', 20, 5],
    ]);
  });

  it('the first matching allow rule by source position is the reason, whatever the rules\' order or duplicates', () => {
    const r1 = rule('allow', ['send_sms'], TRUE, { line: 40 });
    const r2 = rule('allow', ['send_sms'], TRUE, { line: 41 });
    const p = loadPolicy(makeArtifact({ tools: supportTools, rules: [r2, r1, r1] }));
    expect(p.decide(request('send_sms', { to: '+1', body: 'hi' })).reasons.map((r) => r.rule)).toEqual(['policy.writ:40']);
  });
});

describe('roles', () => {
  it('a declared agent has the policy roles; claimed roles are ignored', () => {
    const ticket = (agent: Record<string, unknown>) => request('create_support_ticket', { customer_id: 'c', subject: 's', body: 'b' }, { agent });
    expect(policy.decide(ticket({ id: 'support-agent' })).effect).toBe('allow');
    expect(policy.decide(ticket({ id: 'refund-agent', roles: ['support'] })).effect).toBe('deny');
    expect(policy.decide(refund(10, { agent: { id: 'support-agent', roles: ['billing'] } })).effect).toBe('deny');
    expect(policy.decide(refund(10, { agent: { id: 'refund-agent' } })).effect).toBe('allow');
  });

  it('an undeclared agent keeps only declared roles from its claim', () => {
    const ticket = (roles: string[]) => request('create_support_ticket', { customer_id: 'c', subject: 's', body: 'b' }, { agent: { id: 'x', roles } });
    expect(policy.decide(ticket(['support'])).effect).toBe('allow');
    expect(policy.decide(ticket(['root'])).effect).toBe('deny');
    expect(policy.decide(request('create_support_ticket', { customer_id: 'c', subject: 's', body: 'b' }, { agent: { id: 'x' } })).effect).toBe('deny');
  });
});

describe('errored rules (fail closed)', () => {
  const artifact = makeArtifact({
    tools: supportTools,
    context: { env: field(T.enum('prod', 'dev'), true) },
    rules: [
      rule('allow', ['send_sms'], cmp(['context', 'env'], '==', 'dev', T.string), { line: 50, reads: ['context.env'] }),
      rule('deny', ['issue_refund'], cmp(['context', 'env'], '==', 'prod', T.string), { line: 51, reads: ['context.env'], message: 'no refunds in prod' }),
      rule('allow', ['issue_refund'], TRUE, { line: 52 }),
      rule('deny', ['issue_refund'], { op: 'str', fn: 'contains', left: ref('args', 'note'), right: lit('urgent') }, { line: 53, reads: ['args.note'], message: 'no urgent notes' }),
    ],
  });
  const p = loadPolicy(artifact);
  const sms = (context?: Record<string, unknown>) => request('send_sms', { to: '+1', body: 'b' }, context ? { context } : {});

  it('an allow rule reading an absent field does not match', () => {
    expect(p.decide(sms({ env: 'dev' })).effect).toBe('allow');
    expect(p.decide(sms()).denial).toBe('not_permitted');
    expect(p.decide(sms({ env: 'prod' })).denial).toBe('not_permitted');
  });

  it('a deny rule reading an absent field matches and says which field', () => {
    const withNote = { order_id: 'o', amount: 5, reason: 'r', note: 'calm' };
    expect(p.decide(request('issue_refund', withNote, { context: { env: 'dev' } })).effect).toBe('allow');
    const d = p.decide(request('issue_refund', withNote));
    expect(d.denial).toBe('forbidden');
    expect(d.reasons).toEqual([
      { rule: 'policy.writ:51', kind: 'deny', message: 'no refunds in prod (rule errored: context.env is absent)', span: { file: 'policy.writ', line: 51, column: 1 } },
    ]);
    const d2 = p.decide(request('issue_refund', { order_id: 'o', amount: 5, reason: 'r' }, { context: { env: 'dev' } }));
    expect(d2.reasons[0]!.message).toBe('no urgent notes (rule errored: args.note is absent)');
  });
});

describe('clauses', () => {
  it('names the first true disjunct of an or', () => {
    const when = or(cmp(['args', 'amount'], '>', '1000'), cmp(['args', 'amount'], '<', '0'), TRUE);
    const r = rule('deny', ['issue_refund'], when, { line: 60, clauses: [span(60, 10), span(61, 10), span(62, 10)] });
    const p = loadPolicy(makeArtifact({ tools: supportTools, rules: [r] }));
    expect(p.decide(refund(5000)).reasons[0]!.clause).toEqual({ file: 'policy.writ', line: 60, column: 10 });
    expect(p.decide(refund(-1)).reasons[0]!.clause).toEqual({ file: 'policy.writ', line: 61, column: 10 });
    expect(p.decide(refund(5)).reasons[0]!.clause).toEqual({ file: 'policy.writ', line: 62, column: 10 });
  });
});

describe('kill switch', () => {
  const sms = request('send_sms', { to: '+1', body: 'hi' });
  it('the artifact can disable a tool; enable() overrides it', () => {
    const tools = { ...supportTools, send_sms: { ...supportTools.send_sms, disabled: { reason: 'carrier outage', span: span(3) } } };
    const p = loadPolicy(makeArtifact({ tools, rules: [rule('allow', ['*'], TRUE)] }));
    const d = p.decide(sms);
    expect(d.denial).toBe('forbidden');
    expect(d.reasons).toEqual([
      { rule: 'writ:kill-switch', kind: 'disabled', message: "tool 'send_sms' is disabled: carrier outage", span: { file: 'policy.writ', line: 3, column: 1 } },
    ]);
    p.enable('send_sms');
    expect(p.decide(sms).effect).toBe('allow');
    expect(p.overrides()).toEqual([{ tool: 'send_sms', disabled: false }]);
    p.disable('send_sms', 'again');
    expect(p.decide(sms).reasons[0]!.message).toBe("tool 'send_sms' is disabled: again");
  });

  it('runtime disable of one tool or of every tool', () => {
    const p = loadPolicy(makeArtifact({ tools: supportTools, rules: [rule('allow', ['*'], TRUE)] }));
    p.disable('send_sms', 'spam wave');
    expect(p.decide(sms).reasons[0]!.kind).toBe('disabled');
    expect(p.decide(request('web_fetch', { url: 'u' })).effect).toBe('allow');
    p.disable('*', 'incident 42');
    expect(p.decide(request('web_fetch', { url: 'u' })).reasons[0]!.message).toBe('all tools are disabled: incident 42');
    expect(p.overrides()).toEqual([
      { tool: '*', disabled: true, reason: 'incident 42' },
      { tool: 'send_sms', disabled: true, reason: 'spam wave' },
    ]);
    p.enable('*');
    expect(p.decide(request('web_fetch', { url: 'u' })).effect).toBe('allow');
    expect(p.decide(sms).effect).toBe('allow');
    expect(p.overrides()).toEqual([]);
    expect(() => p.disable('nope', 'x')).toThrow("unknown tool 'nope'");
  });

  it('the kill switch beats an allow even before deny rules', () => {
    const p = loadPolicy(makeArtifact({ tools: supportTools, rules: [rule('allow', ['send_sms'], TRUE)] }));
    p.disable('send_sms', 'x');
    expect(p.decide(sms).denial).toBe('forbidden');
  });
});

describe('expressions', () => {
  const allowIf = (when: Expr) => loadPolicy(makeArtifact({ tools: { ...supportTools, tag: supportTagTool }, roles: ['billing', 'support'], rules: [rule('allow', ['*'], when)] }));
  const supportTagTool = { params: { name: field(T.string), tags: field(T.list(T.string)), level: field(T.enum('a', 'b')), n: field(T.number), wait: field(T.duration), blob: field(T.any, true) }, order: ['name', 'tags', 'level', 'n', 'wait', 'blob'], span: span(1) };
  const tag = (args: Record<string, unknown> = {}) => request('tag', { name: 'alpha-beta', tags: ['x', 'y'], level: 'a', n: 0.1 + 0.2, wait: '5m', ...args });
  const allowed = (when: Expr, args?: Record<string, unknown>) => allowIf(when).decide(tag(args)).effect === 'allow';

  it('cmp on numbers compares doubles; decimal literals are converted once', () => {
    expect(allowed(cmp(['args', 'n'], '>', '0.3', T.number))).toBe(true); // 0.1 + 0.2 > 0.3 in doubles
    expect(allowed(cmp(['args', 'n'], '<=', '0.30000000000000004', T.number))).toBe(true);
    expect(allowed({ op: 'cmp', cmp: '>', left: lit('1'), right: ref('args', 'n'), type: T.number })).toBe(true);
    expect(allowed({ op: 'cmp', cmp: '<', left: ref('args', 'n'), right: ref('args', 'wait'), type: T.number })).toBe(true);
  });

  it('cmp on durations compares milliseconds (duration strings are normalised)', () => {
    expect(allowed(cmp(['args', 'wait'], '==', 300_000, T.duration))).toBe(true);
    expect(allowed(cmp(['args', 'wait'], '<', 300_000, T.duration))).toBe(false);
    expect(allowed(cmp(['args', 'wait'], '>=', '5m', T.duration))).toBe(true);
  });

  it('cmp on strings, enums and booleans is strict equality', () => {
    expect(allowed(cmp(['args', 'level'], '==', 'a', T.enum('a', 'b')))).toBe(true);
    expect(allowed(cmp(['args', 'level'], '!=', 'a', T.enum('a', 'b')))).toBe(false);
    expect(allowed(cmp(['args', 'name'], '==', 'ALPHA-BETA', T.string))).toBe(false);
    expect(allowed(cmp(['agent', 'id'], '==', 'refund-bot', T.string))).toBe(true);
  });

  it('an absent operand makes an atom false, even !=', () => {
    expect(allowed(cmp(['agent', 'tenant'], '!=', 'acme', T.string))).toBe(false);
    expect(allowed(not(cmp(['agent', 'tenant'], '==', 'acme', T.string)))).toBe(true);
    expect(allowed(cmp(['args', 'blob'], '==', 1, T.any))).toBe(false);
  });

  it('in: literal lists and list-typed fields', () => {
    expect(allowed({ op: 'in', value: ref('args', 'level'), set: lit(['a', 'c']) })).toBe(true);
    expect(allowed({ op: 'in', value: ref('args', 'level'), set: lit(['b']) })).toBe(false);
    expect(allowed({ op: 'in', value: lit('y'), set: ref('args', 'tags') })).toBe(true);
    expect(allowed({ op: 'in', value: lit('z'), set: ref('args', 'tags') })).toBe(false);
    expect(allowed({ op: 'in', value: ref('args', 'n'), set: lit(['0.30000000000000004', 7]) })).toBe(true);
    expect(allowed({ op: 'in', value: ref('args', 'tags'), set: lit(['x']) })).toBe(false);
  });

  it('string functions and RE2 matches (unanchored)', () => {
    expect(allowed({ op: 'str', fn: 'starts_with', left: ref('args', 'name'), right: lit('alpha') })).toBe(true);
    expect(allowed({ op: 'str', fn: 'ends_with', left: ref('args', 'name'), right: lit('alpha') })).toBe(false);
    expect(allowed({ op: 'str', fn: 'contains', left: ref('args', 'name'), right: lit('a-b') })).toBe(true);
    expect(allowed({ op: 'matches', value: ref('args', 'name'), pattern: 'ha-b' })).toBe(true);
    expect(allowed({ op: 'matches', value: ref('args', 'name'), pattern: '^beta' })).toBe(false);
    expect(allowed({ op: 'matches', value: ref('args', 'name'), pattern: '(a|b)+-\\w+$' })).toBe(true);
    // linear time on a classic catastrophic-backtracking pattern
    expect(allowed({ op: 'matches', value: ref('args', 'name'), pattern: '^(a+)+$' }, { name: 'a'.repeat(5000) + '!' })).toBe(false);
  });

  it('has_role, detect', () => {
    expect(allowed(role('billing'))).toBe(true);
    expect(allowed(role('support'))).toBe(false);
    expect(allowed({ op: 'detect', detector: 'pii', value: ref('args', 'name') }, { name: 'mail me at ana@example.com' })).toBe(true);
    expect(allowed({ op: 'detect', detector: 'pii', kinds: ['us_ssn'], value: ref('args') }, { name: 'mail me at ana@example.com' })).toBe(false);
    expect(allowed({ op: 'detect', detector: 'pii', kinds: ['email'], value: ref('args') }, { name: 'mail me at ana@example.com' })).toBe(true);
  });

  it('and / or / not', () => {
    expect(allowed(and(role('billing'), not(role('support')), or({ op: 'false' }, TRUE)))).toBe(true);
    expect(allowed(and(role('billing'), { op: 'false' }))).toBe(false);
    expect(allowed(or())).toBe(false);
    expect(allowed(and())).toBe(true);
  });
});

describe('sequences: called', () => {
  const lookup = (id: string) => request('lookup_order', { order_id: id });
  const calledLookup = (where?: Expr, withinMs?: number): Expr => ({ op: 'called', tools: ['lookup_order'], ...(where ? { where } : {}), ...(withinMs ? { withinMs } : {}) });
  const samePrior: Expr = { op: 'cmp', cmp: '==', left: ref('prior', 'order_id'), right: ref('args', 'order_id'), type: T.string };
  const make = (when: Expr) =>
    loadPolicy(makeArtifact({ tools: supportTools, rules: [rule('allow', ['lookup_order'], TRUE), rule('allow', ['issue_refund'], when)] }));
  const ctx = { session: 's1' };

  it('requires an earlier allowed call in the same session', () => {
    const p = make(calledLookup());
    expect(p.decide(refund(5, { context: ctx })).effect).toBe('deny');
    expect(p.decide({ ...lookup('o-1'), context: ctx }).effect).toBe('allow');
    expect(p.decide(refund(5, { context: ctx })).effect).toBe('allow');
    expect(p.decide(refund(5, { context: { session: 's2' } })).effect).toBe('deny');
    expect(p.decide(refund(5)).effect).toBe('deny'); // no session: empty history
  });

  it('where with prior.* binds the earlier call, withinMs bounds it', () => {
    const p = make(calledLookup(samePrior, 60_000));
    const t0 = 1_000_000;
    p.decide({ ...lookup('o-9'), context: ctx }, { now: t0 });
    expect(p.decide(refund(5, { context: ctx }), { now: t0 + 1000 }).effect).toBe('deny'); // o-1 was never looked up
    p.decide({ ...lookup('o-1'), context: ctx }, { now: t0 + 2000 });
    expect(p.decide(refund(5, { context: ctx }), { now: t0 + 3000 }).effect).toBe('allow');
    expect(p.decide(refund(5, { context: ctx }), { now: t0 + 2000 + 60_000 }).effect).toBe('allow');
    expect(p.decide(refund(5, { context: ctx }), { now: t0 + 2000 + 60_001 }).effect).toBe('deny');
  });

  it('denied calls are not history; state can be passed in', () => {
    const p = make(calledLookup());
    const store = new MemoryStateStore();
    p.disable('lookup_order', 'x');
    p.decide({ ...lookup('o-1'), context: ctx }, { state: store });
    expect(store.history('s1')).toEqual([]);
    p.enable('lookup_order');
    p.decide({ ...lookup('o-1'), context: ctx }, { state: store, now: 5 });
    expect(store.history('s1')).toEqual([{ tool: 'lookup_order', args: { order_id: 'o-1' }, at: 5 }]);
    expect(p.decide(refund(5, { context: ctx })).effect).toBe('deny'); // the policy's own store is separate
    expect(p.decide(refund(5, { context: ctx }), { state: store }).effect).toBe('allow');
  });
});
