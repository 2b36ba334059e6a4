/**
 * JSON Schemas of the routes: they document the API (OpenAPI via @fastify/swagger) and make fastify
 * serialize responses with fast-json-stringify. Response schemas must list every member a response has
 * (members not listed are not sent); `test/serialization.test.ts` checks responses against the runtime's
 * own objects.
 *
 * @packageDocumentation
 */

const sourceRef = {
  type: 'object',
  required: ['file', 'line', 'column'],
  properties: { file: { type: 'string' }, line: { type: 'integer' }, column: { type: 'integer' } },
} as const;

const reason = {
  type: 'object',
  required: ['rule', 'kind', 'message'],
  properties: {
    rule: { type: 'string', description: 'Rule or control id (`file:line`), or `writ:<name>` for built-in reasons.' },
    kind: { type: 'string', enum: ['allow', 'approve', 'deny', 'default', 'disabled', 'limit', 'budget', 'flow', 'approval', 'invalid', 'post', 'state'] },
    message: { type: 'string' },
    span: sourceRef,
    clause: sourceRef,
  },
} as const;

const policyMeta = {
  type: 'object',
  required: ['name', 'version', 'digest'],
  properties: { name: { type: 'string' }, version: { type: 'string' }, digest: { type: 'string', description: '`sha256:<hex>` of the artifact.' } },
} as const;

const party = {
  type: 'object',
  required: ['approver', 'role', 'time'],
  properties: { approver: { type: 'string' }, role: { type: 'string' }, time: { type: 'string' }, reason: { type: 'string' } },
} as const;

export const approvalRecord = {
  type: 'object',
  required: ['id', 'args_digest', 'tool', 'agent', 'requirements', 'approvals', 'rejections', 'status', 'created_at', 'expires_at', 'on_timeout'],
  properties: {
    id: { type: 'string' },
    args_digest: { type: 'string' },
    tool: { type: 'string' },
    agent: { type: 'string' },
    session: { type: 'string' },
    requirements: {
      type: 'array',
      items: { type: 'object', required: ['rule', 'role', 'quorum'], properties: { rule: { type: 'string' }, role: { type: 'string' }, quorum: { type: 'integer' } } },
    },
    approvals: { type: 'array', items: party },
    rejections: { type: 'array', items: party },
    status: { type: 'string', enum: ['pending', 'granted', 'rejected', 'expired', 'used'] },
    created_at: { type: 'string' },
    expires_at: { type: 'string' },
    on_timeout: { type: 'string', enum: ['deny', 'allow'] },
  },
} as const;

// Obligations carry arbitrary JSON (redacted values): no schema, serialized as JSON.stringify does.
const obligations = { type: 'array', items: { description: 'A redact or warn obligation (see the runtime\'s Obligation type).' } } as const;

export const decision = {
  type: 'object',
  required: ['effect', 'reasons', 'obligations', 'policy'],
  properties: {
    effect: { type: 'string', enum: ['allow', 'deny', 'pending_approval'] },
    denial: { type: 'string', enum: ['forbidden', 'not_permitted', 'invalid_request'] },
    reasons: { type: 'array', items: reason },
    obligations,
    approval: approvalRecord,
    policy: policyMeta,
  },
} as const;

export const resultCheck = {
  type: 'object',
  required: ['effect', 'reasons', 'obligations', 'policy'],
  properties: {
    effect: { type: 'string', enum: ['allow', 'deny'] },
    reasons: { type: 'array', items: reason },
    result: { description: 'The result to hand to the agent, redacted where post rules say so. Absent on deny.' },
    obligations,
    policy: policyMeta,
  },
} as const;

/** Every 4xx/5xx body. */
export const errorBody = {
  type: 'object',
  required: ['error', 'reason', 'policy_digest'],
  properties: {
    error: { type: 'string', description: 'The HTTP status text, e.g. `Bad Request`.' },
    reason: { type: 'string', description: 'What was wrong, in one sentence.' },
    policy_digest: { type: 'string' },
  },
} as const;

/** A tool-call request (the runtime validates it; a malformed one is an `invalid_request` deny, not a 400). */
export const requestBody = {
  type: 'object',
  description: 'A tool-call request. Not validated here: the runtime denies a malformed request with denial `invalid_request`.',
  properties: {
    agent: {
      type: 'object',
      properties: { id: { type: 'string' }, roles: { type: 'array', items: { type: 'string' } }, tenant: { type: 'string' }, attrs: { type: 'object' } },
    },
    tool: { type: 'string' },
    args: { type: 'object' },
    context: { type: 'object', description: 'session, time, labels, usage, and declared context fields.' },
  },
} as const;

export const checkResultBody = {
  type: 'object',
  description: 'The request that was allowed and the result its tool returned.',
  properties: { request: requestBody, result: {} },
} as const;

export const approvalAction = {
  type: 'object',
  required: ['action'],
  additionalProperties: false,
  properties: {
    action: { type: 'string', enum: ['approve', 'reject'] },
    reason: { type: 'string', maxLength: 1000, description: 'Why (recorded with a rejection).' },
  },
} as const;

export const approvalList = {
  type: 'object',
  required: ['approvals', 'policy_digest'],
  properties: { approvals: { type: 'array', items: approvalRecord }, policy_digest: { type: 'string' } },
} as const;

export const approvalResult = {
  type: 'object',
  required: ['approval', 'policy_digest'],
  properties: { approval: approvalRecord, policy_digest: { type: 'string' } },
} as const;

export const health = {
  type: 'object',
  required: ['status', 'policy', 'state'],
  properties: {
    status: { type: 'string', enum: ['ok', 'degraded'] },
    policy: policyMeta,
    state: { type: 'object', required: ['kind', 'ok'], properties: { kind: { type: 'string' }, ok: { type: 'boolean' } } },
  },
} as const;

export const bearer = [{ bearer: [] as string[] }];
