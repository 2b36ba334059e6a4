import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalDigest, loadPolicy, MemoryStateStore, type ApprovalRecord } from '../src/index.js';
import { T, TRUE, and, approval, cmp, makeArtifact, refund, role, rule, span, supportTools, tool } from './helpers.js';

const T0 = Date.parse('2025-01-01T00:00:00.000Z');
const FIVE_MIN = 300_000;

function policyWith(quorum: number, onTimeout: 'deny' | 'allow' = 'deny') {
  return loadPolicy(
    makeArtifact({
      tools: supportTools,
      rules: [
        rule('allow', ['issue_refund'], and(role('billing'), cmp(['args', 'amount'], '<=', '100')), { line: 10 }),
        rule('approve', ['issue_refund'], and(role('billing'), cmp(['args', 'amount'], '>', '100'), cmp(['args', 'amount'], '<=', '500')), {
          line: 11,
          approval: approval('finance_lead', quorum, FIVE_MIN, onTimeout),
        }),
      ],
    }),
  );
}

const ctx = { context: { session: 'sess-1' } };
const lead = (id: string) => ({ id, roles: ['finance_lead'] });

function record(x: ApprovalRecord | { error: string }): ApprovalRecord {
  if ('error' in x) throw new Error(x.error);
  return x;
}

describe('approvals end to end', () => {
  it('pending → wrong role refused → quorum of two distinct approvers → granted → one allowed call → used', () => {
    const p = policyWith(2);
    const d1 = p.decide(refund(120, ctx), { now: T0 });
    expect(d1.effect).toBe('pending_approval');
    expect(d1.denial).toBeUndefined();
    expect(d1.reasons.map((r) => [r.rule, r.kind])).toEqual([['policy.writ:11', 'approve']]);
    const a = d1.approval!;
    expect(a).toMatchObject({
      tool: 'issue_refund',
      agent: 'refund-bot',
      session: 'sess-1',
      requirements: [{ rule: 'policy.writ:11', role: 'finance_lead', quorum: 2 }],
      approvals: [],
      rejections: [],
      status: 'pending',
      created_at: '2025-01-01T00:00:00.000Z',
      expires_at: '2025-01-01T00:05:00.000Z',
      on_timeout: 'deny',
    });
    expect(a.args_digest).toBe(
      canonicalDigest({ tool: 'issue_refund', args: { order_id: 'o-1', amount: 120, reason: 'damaged' }, agent: 'refund-bot', session: 'sess-1' }),
    );
    expect(a.id).toMatch(/^[0-9a-f-]{36}$/);

    // the same call again: still pending, same record
    expect(p.decide(refund(120, ctx), { now: T0 + 1000 }).approval!.id).toBe(a.id);
    expect(p.approvals({ status: 'pending', now: T0 }).map((r) => r.id)).toEqual([a.id]);

    // wrong role, self-approval, unknown id
    expect(p.approve(a.id, { id: 'mallory', roles: ['support'] }, { now: T0 + 2000 })).toEqual({
      error: "approver 'mallory' has none of the required roles (finance_lead)",
    });
    expect(p.approve(a.id, { id: 'refund-bot', roles: ['finance_lead'] }, { now: T0 + 2000 })).toEqual({
      error: "agent 'refund-bot' may not decide on its own call",
    });
    expect(p.approve('nope', lead('fin-1'))).toEqual({ error: "no approval 'nope'" });

    // first approver: still pending; the same approver again is refused
    const r1 = record(p.approve(a.id, lead('fin-1'), { now: T0 + 3000 }));
    expect(r1.status).toBe('pending');
    expect(r1.approvals).toEqual([{ approver: 'fin-1', role: 'finance_lead', time: '2025-01-01T00:00:03.000Z' }]);
    expect(p.approve(a.id, lead('fin-1'), { now: T0 + 3500 })).toEqual({ error: `approver 'fin-1' has already approved ${a.id}` });
    expect(p.decide(refund(120, ctx), { now: T0 + 4000 }).effect).toBe('pending_approval');

    // second distinct approver: granted
    const r2 = record(p.approve(a.id, lead('fin-2'), { now: T0 + 5000 }));
    expect(r2.status).toBe('granted');

    // the identical call is allowed once, via the approve rule, and marks the record used
    const d2 = p.decide(refund(120, ctx), { now: T0 + 6000 });
    expect(d2.effect).toBe('allow');
    expect(d2.reasons.map((r) => r.rule)).toEqual(['policy.writ:11']);
    expect(d2.approval!.id).toBe(a.id);
    expect(d2.approval!.status).toBe('used');
    expect(p.approvals({ now: T0 + 6000 })[0]!.status).toBe('used');
    expect(p.approve(a.id, lead('fin-3'), { now: T0 + 6500 })).toEqual({ error: `approval ${a.id} is used` });

    // one approval = one call: the next identical call waits for a new approval
    const d3 = p.decide(refund(120, ctx), { now: T0 + 7000 });
    expect(d3.effect).toBe('pending_approval');
    expect(d3.approval!.id).not.toBe(a.id);
  });

  it('an approval binds the exact arguments: a different amount is a different request', () => {
    const p = policyWith(1);
    const a = p.decide(refund(120, ctx), { now: T0 }).approval!;
    record(p.approve(a.id, lead('fin-1'), { now: T0 + 1 }));
    const d = p.decide(refund(121, ctx), { now: T0 + 2 });
    expect(d.effect).toBe('pending_approval');
    expect(d.approval!.id).not.toBe(a.id);
    expect(d.approval!.args_digest).not.toBe(a.args_digest);
    // other session, other agent: different digests too
    expect(p.decide(refund(120, { context: { session: 'other' } }), { now: T0 + 3 }).approval!.id).not.toBe(a.id);
    expect(p.decide(refund(120, ctx), { now: T0 + 4 }).effect).toBe('allow');
  });

  it('expiry with else deny: denied once, then a retry asks again', () => {
    const p = policyWith(1, 'deny');
    const a = p.decide(refund(200, ctx), { now: T0 }).approval!;
    expect(p.decide(refund(200, ctx), { now: T0 + FIVE_MIN }).effect).toBe('pending_approval'); // the bound is inclusive
    expect(p.approvals({ now: T0 + FIVE_MIN + 1, status: 'expired' }).map((r) => r.id)).toEqual([a.id]);
    expect(p.approve(a.id, lead('fin-1'), { now: T0 + FIVE_MIN + 1 })).toEqual({ error: `approval ${a.id} expired at 2025-01-01T00:05:00.000Z` });
    const d = p.decide(refund(200, ctx), { now: T0 + FIVE_MIN + 1 });
    expect(d.effect).toBe('deny');
    expect(d.denial).toBe('forbidden');
    expect(d.reasons).toEqual([{ rule: 'writ:approval', kind: 'approval', message: `approval ${a.id} expired` }]);
    expect(d.approval!.status).toBe('expired');
    const again = p.decide(refund(200, ctx), { now: T0 + FIVE_MIN + 2 });
    expect(again.effect).toBe('pending_approval');
    expect(again.approval!.id).not.toBe(a.id);
  });

  it('expiry with else allow: the call proceeds', () => {
    const p = policyWith(1, 'allow');
    const a = p.decide(refund(200, ctx), { now: T0 }).approval!;
    const d = p.decide(refund(200, ctx), { now: T0 + FIVE_MIN + 1 });
    expect(d.effect).toBe('allow');
    expect(d.reasons.map((r) => r.rule)).toEqual(['policy.writ:11', 'writ:approval']);
    expect(d.approval).toMatchObject({ id: a.id, status: 'expired' });
  });

  it('rejection denies the call and names the rejector', () => {
    const p = policyWith(2);
    const a = p.decide(refund(300, ctx), { now: T0 }).approval!;
    record(p.approve(a.id, lead('fin-1'), { now: T0 + 1 }));
    expect(p.reject(a.id, { id: 'x', roles: [] }, 'no', { now: T0 + 2 })).toEqual({ error: "approver 'x' has none of the required roles (finance_lead)" });
    const r = record(p.reject(a.id, lead('fin-2'), 'not for this customer', { now: T0 + 2 }));
    expect(r.status).toBe('rejected');
    expect(r.rejections).toEqual([{ approver: 'fin-2', role: 'finance_lead', time: '2025-01-01T00:00:00.002Z', reason: 'not for this customer' }]);
    const d = p.decide(refund(300, ctx), { now: T0 + 3 });
    expect(d.denial).toBe('forbidden');
    expect(d.reasons[0]).toEqual({
      rule: 'writ:approval',
      kind: 'approval',
      message: `approval ${a.id} rejected by 'fin-2' (finance_lead): not for this customer`,
    });
    expect(p.approve(a.id, lead('fin-3'), { now: T0 + 4 })).toEqual({ error: `approval ${a.id} is rejected` });
  });

  it('deny beats approval; approval beats allow', () => {
    const p = loadPolicy(
      makeArtifact({
        tools: supportTools,
        rules: [
          rule('allow', ['issue_refund'], TRUE, { line: 1 }),
          rule('approve', ['issue_refund'], cmp(['args', 'amount'], '>', '100'), { line: 2, approval: approval('finance_lead') }),
          rule('deny', ['issue_refund'], cmp(['args', 'amount'], '>', '500'), { line: 3 }),
        ],
      }),
    );
    expect(p.decide(refund(50)).effect).toBe('allow');
    expect(p.decide(refund(150)).effect).toBe('pending_approval');
    expect(p.decide(refund(600)).effect).toBe('deny');
  });

  it('several approve rules: every requirement needs its quorum; the shortest window and any else-deny win', () => {
    const p = loadPolicy(
      makeArtifact({
        tools: supportTools,
        rules: [
          rule('approve', ['issue_refund'], TRUE, { line: 2, approval: approval('finance_lead', 1, 600_000, 'allow') }),
          rule('approve', ['issue_refund'], TRUE, { line: 3, approval: approval('ops', 1, 60_000, 'deny') }),
        ],
      }),
    );
    const a = p.decide(refund(1), { now: T0 }).approval!;
    expect(a.requirements).toEqual([
      { rule: 'policy.writ:2', role: 'finance_lead', quorum: 1 },
      { rule: 'policy.writ:3', role: 'ops', quorum: 1 },
    ]);
    expect(a.expires_at).toBe('2025-01-01T00:01:00.000Z');
    expect(a.on_timeout).toBe('deny');
    expect(record(p.approve(a.id, lead('f'), { now: T0 + 1 })).status).toBe('pending');
    expect(record(p.approve(a.id, { id: 'o', roles: ['ops', 'finance_lead'] }, { now: T0 + 2 })).status).toBe('granted');
    expect(p.decide(refund(1), { now: T0 + 3 }).effect).toBe('allow');
  });

  it('an errored approve rule requires approval (fail closed)', () => {
    const p = loadPolicy(
      makeArtifact({
        tools: supportTools,
        rules: [
          rule('allow', ['issue_refund'], TRUE, { line: 1 }),
          rule('approve', ['issue_refund'], cmp(['args', 'note'], '==', 'x', { kind: 'string' }), {
            line: 2,
            reads: ['args.note'],
            approval: approval('finance_lead'),
            span: span(2),
          }),
        ],
      }),
    );
    const d = p.decide(refund(1));
    expect(d.effect).toBe('pending_approval');
    expect(d.reasons[0]!.message).toContain('rule errored: args.note is absent');
  });

  it('approval records live in the state store passed in', () => {
    const p = policyWith(1);
    const store = new MemoryStateStore();
    const a = p.decide(refund(120, ctx), { now: T0, state: store }).approval!;
    expect(p.approvals()).toEqual([]);
    expect(p.approvals({ state: store }).map((r) => r.id)).toEqual([a.id]);
    expect(p.approve(a.id, lead('f'))).toEqual({ error: `no approval '${a.id}'` });
    expect(record(p.approve(a.id, lead('f'), { state: store, now: T0 + 1 })).status).toBe('granted');
    expect(p.decide(refund(120, ctx), { now: T0 + 2, state: store }).effect).toBe('allow');
  });
});

describe('args digest', () => {
  it('is sha256 of the RFC 8785 form of { tool, args, agent, session }, whatever the arguments (property)', () => {
    // `x` takes any JSON (objects with members out of order, digit-led names, escapes, non-ASCII, lone
    // surrogates), `s`, the agent and the session any string.
    const p = loadPolicy(
      makeArtifact({
        tools: { t: tool({ x: T.any, s: T.string, 'n?': T.number }) },
        rules: [rule('approve', ['t'], TRUE, { line: 3, approval: approval('finance_lead') })],
      }),
    );
    const key = fc.oneof(fc.string({ unit: 'binary' }), fc.constantFrom('10', '9', '__proto__', 'é', '\u{1F600}', 'a"b', ''));
    const json = fc.letrec((tie) => ({
      value: fc.oneof({ depthSize: 'small' }, fc.string({ unit: 'binary' }), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.boolean(), fc.constant(null), tie('array'), tie('object')),
      array: fc.array(tie('value'), { maxLength: 4 }),
      object: fc.dictionary(key, tie('value'), { maxKeys: 4 }),
    })).value;
    fc.assert(
      fc.property(json, fc.string({ unit: 'binary' }), fc.option(fc.integer(), { nil: undefined }), fc.option(fc.string({ unit: 'binary', minLength: 1 }), { nil: undefined }), fc.string({ unit: 'binary', minLength: 1 }), (x, s, n, session, agent) => {
        const args: Record<string, unknown> = n === undefined ? { s, x } : { n, x, s };
        const context = session === undefined ? undefined : { session };
        const d = p.decide({ agent: { id: agent, roles: [] }, tool: 't', args, ...(context ? { context } : {}) }, { dryRun: true, now: T0 });
        expect(d.effect).toBe('pending_approval');
        // Against the request's JSON form (what a gateway sends: -0 is 0, undefined members are left out).
        expect(d.approval!.args_digest).toBe(canonicalDigest({ tool: 't', args: JSON.parse(JSON.stringify(args)), agent, session }));
      }),
      { numRuns: 500 },
    );
  });
});

