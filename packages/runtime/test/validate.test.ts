import { describe, expect, it } from 'vitest';
import { loadPolicy, type Decision } from '../src/index.js';
import { T, TRUE, field, makeArtifact, rule, supportTools, tool } from './helpers.js';

const artifact = makeArtifact({
  tools: {
    ...supportTools,
    schedule: tool({ delay: T.duration, 'tags?': T.list(T.string), 'priority?': T.enum('low', 'high'), 'count?': T.integer, 'flag?': T.boolean, 'ratio?': T.number, 'blob?': T.any }),
  },
  context: { env: field(T.enum('prod', 'dev'), true), window: field(T.duration, true) },
  rules: [rule('allow', ['*'], TRUE)],
});
const policy = loadPolicy(artifact);
const agent = { id: 'bot' };

function invalid(request: unknown): string {
  const d: Decision = policy.decide(request);
  expect(d.effect).toBe('deny');
  expect(d.denial).toBe('invalid_request');
  expect(d.reasons).toHaveLength(1);
  expect(d.reasons[0]!.rule).toBe('writ:invalid-request');
  expect(d.reasons[0]!.kind).toBe('invalid');
  expect(d.obligations).toEqual([]);
  expect(d.policy).toEqual({ name: 'test-policy', version: '1.0.0', digest: artifact.digest });
  return d.reasons[0]!.message;
}

const sms = (args: unknown, extra: Record<string, unknown> = {}) => ({ agent, tool: 'send_sms', args, ...extra });

describe('request validation (fail closed)', () => {
  it('the request must be an object', () => {
    expect(invalid(null)).toBe('request must be an object, got null');
    expect(invalid('hi')).toBe('request must be an object, got string "hi"');
    expect(invalid([])).toBe('request must be an object, got a list');
    expect(invalid(undefined)).toBe('request must be an object, got a undefined');
  });

  it('agent', () => {
    expect(invalid({ tool: 'send_sms', args: {} })).toBe('missing agent');
    expect(invalid({ agent: 'bot', tool: 'send_sms' })).toBe('agent must be an object, got string "bot"');
    expect(invalid({ agent: {}, tool: 'send_sms' })).toBe('agent.id must be a non-empty string, got a undefined');
    expect(invalid({ agent: { id: '' }, tool: 'send_sms' })).toBe('agent.id must be a non-empty string, got string ""');
    expect(invalid({ agent: { id: 'a', roles: 'billing' }, tool: 'send_sms' })).toBe('agent.roles must be a list of strings, got string "billing"');
    expect(invalid({ agent: { id: 'a', roles: ['x', 3] }, tool: 'send_sms' })).toBe('agent.roles[1] must be a string, got number 3');
    expect(invalid({ agent: { id: 'a', tenant: 5 }, tool: 'send_sms' })).toBe('agent.tenant must be a string, got number 5');
  });

  it('tool', () => {
    expect(invalid({ agent, args: {} })).toBe('tool must be a string, got a undefined');
    expect(invalid({ agent, tool: 'rm_rf', args: {} })).toBe("unknown tool 'rm_rf'");
    expect(invalid({ agent, tool: 'toString', args: {} })).toBe("unknown tool 'toString'");
  });

  it('args: shape, unexpected and missing arguments', () => {
    expect(invalid(sms([]))).toBe('args must be an object, got a list');
    expect(invalid(sms({ to: '+1', body: 'x', cc: '+2' }))).toBe("unexpected argument args.cc for tool 'send_sms'");
    expect(invalid(sms({ to: '+1', body: 'x', constructor: 'x' }))).toBe("unexpected argument args.constructor for tool 'send_sms'");
    expect(invalid(sms({ to: '+1' }))).toBe("missing argument args.body (string) for tool 'send_sms'");
    expect(invalid({ agent, tool: 'send_sms' })).toBe("missing argument args.to (string) for tool 'send_sms'");
    // absent args are {}: fine for a tool whose parameters are all optional
    const p = loadPolicy(makeArtifact({ tools: { ping: tool({ 'x?': T.string }) }, rules: [rule('allow', ['ping'], TRUE)] }));
    expect(p.decide({ agent, tool: 'ping' }).effect).toBe('allow');
  });

  it('args: wrong types', () => {
    const refund = (amount: unknown) => ({ agent, tool: 'issue_refund', args: { order_id: 'o', amount, reason: 'r' } });
    expect(invalid(refund('100'))).toBe('args.amount must be money(USD): a finite number in USD, got string "100"');
    expect(invalid(refund(Number.POSITIVE_INFINITY))).toBe('args.amount must be money(USD): a finite number in USD, got number Infinity');
    expect(invalid(refund(Number.NaN))).toBe('args.amount must be money(USD): a finite number in USD, got number NaN');
    expect(invalid(refund(null))).toBe('args.amount must be money(USD): a finite number in USD, got null');
    expect(invalid(sms({ to: 5, body: 'x' }))).toBe('args.to must be a string, got number 5');
    const schedule = (args: Record<string, unknown>) => ({ agent, tool: 'schedule', args: { delay: 5, ...args } });
    expect(invalid(schedule({ count: 1.5 }))).toBe('args.count must be an integer (a safe integer number), got number 1.5');
    expect(invalid(schedule({ count: 2 ** 53 }))).toContain('args.count must be an integer');
    expect(invalid(schedule({ flag: 'true' }))).toBe('args.flag must be a boolean, got string "true"');
    expect(invalid(schedule({ ratio: -Infinity }))).toBe('args.ratio must be a finite number, got number -Infinity');
    expect(invalid(schedule({ priority: 'urgent' }))).toBe('args.priority must be one of "low", "high", got string "urgent"');
    expect(invalid(schedule({ tags: ['a', 3] }))).toBe('args.tags[1] must be a string, got number 3');
    expect(invalid(schedule({ tags: 'a' }))).toBe('args.tags must be a list, got string "a"');
    expect(invalid(schedule({ tags: new Array(10_001).fill('x') }))).toBe('args.tags has 10001 items; at most 10000 are accepted');
  });

  it('args: huge strings', () => {
    expect(invalid(sms({ to: '+1', body: 'x'.repeat(65_537) }))).toBe('args.body is a string of 65537 characters; at most 65536 are accepted');
    expect(policy.decide(sms({ to: '+1', body: 'x'.repeat(65_536) })).effect).toBe('allow');
    const small = loadPolicy(artifact, { maxStringLength: 10 });
    expect(small.decide(sms({ to: '+1', body: 'x'.repeat(11) })).denial).toBe('invalid_request');
  });

  it('durations: milliseconds or duration strings, normalised', () => {
    const schedule = (delay: unknown) => ({ agent, tool: 'schedule', args: { delay } });
    for (const ok of [0, 1500, '90s', '5m', '1h30m', '2d', '500ms']) expect(policy.decide(schedule(ok)).effect, String(ok)).toBe('allow');
    expect(invalid(schedule('5 minutes'))).toBe('args.delay: invalid duration "5 minutes" (use milliseconds or a duration such as 500ms, 90s, 5m, 1h30m, 2d)');
    expect(invalid(schedule('1.5h'))).toContain('invalid duration');
    expect(invalid(schedule(-1))).toContain('args.delay must be a duration');
    expect(invalid(schedule(1.5))).toContain('args.delay must be a duration');
  });

  it('context: reserved keys and declared fields', () => {
    expect(invalid(sms({ to: '+1', body: 'x' }, { context: 'prod' }))).toBe('context must be an object, got string "prod"');
    expect(invalid(sms({ to: '+1', body: 'x' }, { context: { session: 42 } }))).toBe('context.session must be a non-empty string, got number 42');
    expect(invalid(sms({ to: '+1', body: 'x' }, { context: { time: 1 } }))).toBe('context.time must be a string, got number 1');
    expect(invalid(sms({ to: '+1', body: 'x' }, { context: { labels: { body: 'pii' } } }))).toBe(
      'context.labels.body must be a list of label names, got string "pii"',
    );
    expect(invalid(sms({ to: '+1', body: 'x' }, { context: { usage: { tokens: -1 } } }))).toBe(
      'context.usage.tokens must be a non-negative integer, got number -1',
    );
    expect(invalid(sms({ to: '+1', body: 'x' }, { context: { usage: { cost: Number.NaN } } }))).toBe(
      'context.usage.cost must be a non-negative finite number, got number NaN',
    );
    expect(invalid(sms({ to: '+1', body: 'x' }, { context: { env: 'staging' } }))).toBe('context.env must be one of "prod", "dev", got string "staging"');
    expect(invalid(sms({ to: '+1', body: 'x' }, { context: { window: '5 min' } }))).toContain('context.window: invalid duration');
    // undeclared context keys are ignored
    expect(policy.decide(sms({ to: '+1', body: 'x' }, { context: { whatever: { deep: [1] }, env: 'prod', window: '5m' } })).effect).toBe('allow');
  });

  it('decideJson: text that is not JSON is an invalid request', () => {
    expect(policy.decideJson('{').denial).toBe('invalid_request');
    expect(policy.decideJson(JSON.stringify(sms({ to: '+1', body: 'x' }))).effect).toBe('allow');
  });

  it('bad options fail closed instead of throwing', () => {
    const d = policy.decide(sms({ to: '+1', body: 'x' }), { now: Number.NaN });
    expect(d.effect).toBe('deny');
    expect(d.reasons[0]!.rule).toBe('writ:internal-error');
    expect(d.reasons[0]!.message).toMatch(/^internal error: options.now/);
  });
});
