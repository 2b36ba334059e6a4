// Decisions shaped like the runtime's, for certificate and bundle tests (not a test file).
import fc from 'fast-check';
import type { ApprovalRecord, Decision, Reason } from '@writ/runtime';

export const POLICY = { name: 'customer-support', version: '1.0.0', digest: `sha256:${'ab'.repeat(32)}` };

export const REFUND = { agent: { id: 'refund-agent', roles: ['billing'] }, tool: 'issue_refund', args: { order_id: 'O-1', amount: 120, reason: 'late' }, context: { session: 's-1' } };

const APPROVAL: ApprovalRecord = {
  id: 'apr-1',
  args_digest: `sha256:${'cd'.repeat(32)}`,
  tool: 'issue_refund',
  agent: 'refund-agent',
  session: 's-1',
  requirements: [{ rule: 'policy.writ:14', role: 'finance_lead', quorum: 1 }],
  approvals: [],
  rejections: [],
  status: 'pending',
  created_at: '2025-06-01T12:00:00.000Z',
  expires_at: '2025-06-01T12:05:00.000Z',
  on_timeout: 'deny',
};

const reason = (rule: string, kind: Reason['kind'], message: string, line = 12): Reason => ({
  rule,
  kind,
  message,
  span: { file: 'policy.writ', line, column: 1 },
});

/** A few decisions covering every part of the certificate: denials, approvals, both obligation kinds. */
export const DECISIONS: Record<string, Decision> = {
  allow: { effect: 'allow', reasons: [reason('policy.writ:12', 'allow', 'refunds up to $100')], obligations: [], policy: POLICY },
  forbidden: {
    effect: 'deny',
    denial: 'forbidden',
    reasons: [reason('policy.writ:16', 'deny', 'refunds above $500 are never automated', 16), reason('policy.writ:16', 'deny', 'again', 16)],
    obligations: [],
    policy: POLICY,
  },
  defaultDeny: {
    effect: 'deny',
    denial: 'not_permitted',
    reasons: [{ rule: 'writ:default-deny', kind: 'default', message: "no rule allows 'issue_refund'" }],
    obligations: [],
    policy: POLICY,
  },
  pending: {
    effect: 'pending_approval',
    reasons: [{ ...reason('policy.writ:14', 'approve', 'needs a finance lead', 14), clause: { file: 'policy.writ', line: 15, column: 3 } }],
    obligations: [],
    approval: APPROVAL,
    policy: POLICY,
  },
  redacted: {
    effect: 'allow',
    reasons: [reason('policy.writ:20', 'allow', 'tickets are fine', 20)],
    obligations: [
      {
        type: 'redact',
        target: 'args',
        rule: 'policy.writ:22',
        value: { body: 'call me at [PHONE_1]', secret: 'jane.doe@example.com' },
        tokens: [{ token: '[EMAIL_1]', kind: 'email', path: 'args.body' }],
      },
      { type: 'warn', rule: 'policy.writ:30', dimension: 'cost', level: 80, used: 8.5, limit: 10, message: 'budget at 85%' },
    ],
    policy: POLICY,
  },
};

const text = fc.oneof(fc.string({ maxLength: 30 }), fc.string({ maxLength: 10, unit: 'binary' }));
const ref = fc.record({ file: text, line: fc.nat(10_000), column: fc.nat(500) });
const reasonArb: fc.Arbitrary<Reason> = fc.record(
  {
    rule: fc.oneof(fc.constantFrom('policy.writ:1', 'policy.writ:2', 'writ:default-deny'), text),
    kind: fc.constantFrom('allow', 'approve', 'deny', 'default', 'limit', 'budget', 'flow', 'invalid'),
    message: text,
    span: ref,
    clause: ref,
  },
  { requiredKeys: ['rule', 'kind', 'message'] },
);

/** Arbitrary decisions (any strings, including control characters and non-ASCII). */
export const decisionArb: fc.Arbitrary<Decision> = fc
  .record({
    effect: fc.constantFrom('allow', 'deny', 'pending_approval') as fc.Arbitrary<Decision['effect']>,
    reasons: fc.array(reasonArb, { maxLength: 4 }),
    warn: fc.option(fc.record({ level: fc.integer({ min: 1, max: 100 }), used: fc.double({ noNaN: true, noDefaultInfinity: true }), limit: fc.double({ noNaN: true, noDefaultInfinity: true }) })),
    redactTokens: fc.option(fc.array(fc.record({ token: text, kind: text, path: text }), { maxLength: 3 })),
    approval: fc.boolean(),
    name: text.filter((s) => s.length > 0),
    version: text,
  })
  .map((r) => {
    const d: Decision = { effect: r.effect, reasons: r.reasons, obligations: [], policy: { ...POLICY, name: r.name, version: r.version } };
    if (r.effect === 'deny') d.denial = 'forbidden';
    if (r.warn !== null) d.obligations.push({ type: 'warn', rule: 'w', dimension: 'calls', message: 'm', ...r.warn });
    if (r.redactTokens !== null) d.obligations.push({ type: 'redact', target: 'result', rule: 'r', value: 'secret', tokens: r.redactTokens });
    if (r.approval) d.approval = APPROVAL;
    return d;
  });

/** Arbitrary JSON requests. */
export const requestArb = fc.jsonValue().filter((v) => !Object.is(v, -0));
