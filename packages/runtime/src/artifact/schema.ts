/**
 * JSON Schema (draft-07) of the decision-table artifact (`types.ts`). The loader validates every artifact
 * against it with ajv; `schema/artifact.schema.json` is the same object written out for other tools (a test
 * keeps the two equal; `node packages/runtime/scripts/write-schema.mjs` regenerates the file after a build).
 *
 * Unions with a tag (`op`, `kind`, `action`) use ajv's `discriminator` keyword so that an error names the
 * offending member rather than every alternative.
 *
 * @packageDocumentation
 */

const str = { type: 'string' } as const;
const nonEmpty = { type: 'string', minLength: 1 } as const;
const strings = { type: 'array', items: { type: 'string' } } as const;
const toolNames = { type: 'array', items: nonEmpty, minItems: 1 } as const;
const posInt = { type: 'integer', minimum: 1 } as const;
const nonNegInt = { type: 'integer', minimum: 0 } as const;
const decimal = { type: 'string', pattern: '^-?(0|[1-9][0-9]*)(\\.[0-9]+)?$' } as const;
const span = { $ref: '#/definitions/span' } as const;
const expr = { $ref: '#/definitions/expr' } as const;
const value = { $ref: '#/definitions/value' } as const;
const detector = { enum: ['pii', 'secret', 'injection'] } as const;
const indexList = { type: 'array', items: nonNegInt } as const;

function obj(
  properties: Record<string, unknown>,
  required: string[] = Object.keys(properties),
): Record<string, unknown> {
  return { type: 'object', properties, required, additionalProperties: false };
}

/** The artifact's JSON Schema, as a plain object. */
export const artifactSchema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  $id: 'urn:writ:schema:decision-table:v0',
  title: 'Writ decision-table artifact (writ.decision-table/v0)',
  type: 'object',
  properties: {
    format: { const: 'writ.decision-table/v0' },
    policy: obj({ name: nonEmpty, version: str }),
    sources: { type: 'array', items: obj({ file: str, sha256: str }) },
    roles: strings,
    agents: {
      type: 'object',
      additionalProperties: obj({ roles: strings }),
    },
    context: { type: 'object', additionalProperties: { $ref: '#/definitions/field' } },
    tools: { type: 'object', additionalProperties: { $ref: '#/definitions/tool' } },
    groups: { type: 'object', additionalProperties: strings },
    rules: { type: 'array', items: { $ref: '#/definitions/rule' } },
    limits: { type: 'array', items: { $ref: '#/definitions/limit' } },
    budgets: { type: 'array', items: { $ref: '#/definitions/budget' } },
    labels: { type: 'array', items: { $ref: '#/definitions/label' } },
    flows: { type: 'array', items: { $ref: '#/definitions/flow' } },
    pre: { type: 'array', items: { $ref: '#/definitions/pre' } },
    post: { type: 'array', items: { $ref: '#/definitions/post' } },
    asserts: { type: 'array', items: { $ref: '#/definitions/assert' } },
    index: { type: 'object', additionalProperties: { $ref: '#/definitions/toolIndex' } },
    digest: { type: 'string', pattern: '^sha256:[0-9a-f]{64}$' },
  },
  required: [
    'format',
    'policy',
    'sources',
    'roles',
    'agents',
    'context',
    'tools',
    'groups',
    'rules',
    'limits',
    'budgets',
    'labels',
    'flows',
    'pre',
    'post',
    'asserts',
    'index',
    'digest',
  ],
  additionalProperties: false,
  definitions: {
    span: obj({ file: str, line: posInt, column: posInt, endLine: posInt, endColumn: posInt }),
    money: obj({ amount: decimal, currency: nonEmpty }),
    type: {
      type: 'object',
      discriminator: { propertyName: 'kind' },
      oneOf: [
        obj({ kind: { const: 'string' } }),
        obj({ kind: { const: 'number' } }),
        obj({ kind: { const: 'integer' } }),
        obj({ kind: { const: 'boolean' } }),
        obj({ kind: { const: 'money' }, currency: nonEmpty }),
        obj({ kind: { const: 'duration' } }),
        obj({ kind: { const: 'enum' }, values: { type: 'array', items: str, minItems: 1 } }),
        obj({ kind: { const: 'list' }, of: { $ref: '#/definitions/type' } }),
        obj({ kind: { const: 'any' } }),
      ],
    },
    field: obj({ type: { $ref: '#/definitions/type' }, optional: { type: 'boolean' }, span }),
    tool: obj(
      {
        params: { type: 'object', additionalProperties: { $ref: '#/definitions/field' } },
        order: strings,
        risk: { enum: ['low', 'medium', 'high', 'critical'] },
        cost: { $ref: '#/definitions/money' },
        disabled: obj({ reason: str, span }),
        span,
      },
      ['params', 'order', 'span'],
    ),
    value: {
      oneOf: [
        obj({ ref: { type: 'array', items: str, minItems: 1 } }),
        obj({
          lit: {
            oneOf: [
              { type: ['string', 'number', 'boolean'] },
              { type: 'array', items: { type: ['string', 'number', 'boolean'] } },
            ],
          },
        }),
      ],
    },
    expr: {
      type: 'object',
      discriminator: { propertyName: 'op' },
      oneOf: [
        obj({ op: { const: 'true' } }),
        obj({ op: { const: 'false' } }),
        obj({ op: { const: 'and' }, args: { type: 'array', items: expr } }),
        obj({ op: { const: 'or' }, args: { type: 'array', items: expr } }),
        obj({ op: { const: 'not' }, arg: expr }),
        obj({
          op: { const: 'cmp' },
          cmp: { enum: ['==', '!=', '<', '<=', '>', '>='] },
          left: value,
          right: value,
          type: { $ref: '#/definitions/type' },
        }),
        obj({ op: { const: 'in' }, value, set: value }),
        obj({ op: { const: 'has_role' }, role: nonEmpty }),
        obj({ op: { const: 'str' }, fn: { enum: ['starts_with', 'ends_with', 'contains'] }, left: value, right: value }),
        obj({ op: { const: 'matches' }, value, pattern: str }),
        obj({ op: { const: 'detect' }, detector, kinds: strings, value }, ['op', 'detector', 'value']),
        obj(
          { op: { const: 'called' }, tools: toolNames, withinMs: nonNegInt, where: expr },
          ['op', 'tools'],
        ),
      ],
    },
    approval: obj({
      role: nonEmpty,
      quorum: posInt,
      withinMs: posInt,
      onTimeout: { enum: ['deny', 'allow'] },
    }),
    rule: obj(
      {
        id: nonEmpty,
        effect: { enum: ['allow', 'deny', 'approve'] },
        tools: toolNames,
        when: expr,
        message: str,
        approval: { $ref: '#/definitions/approval' },
        reads: strings,
        clauses: { type: 'array', items: span },
        span,
      },
      ['id', 'effect', 'tools', 'when', 'message', 'reads', 'span'],
    ),
    limit: obj({
      id: nonEmpty,
      tools: toolNames,
      count: posInt,
      windowMs: posInt,
      scope: { enum: ['agent', 'tenant', 'session', 'global'] },
      span,
    }),
    budget: obj(
      {
        id: nonEmpty,
        scope: { enum: ['agent', 'tenant', 'session'] },
        cost: { $ref: '#/definitions/money' },
        tokens: nonNegInt,
        calls: nonNegInt,
        warn: { type: 'array', items: { type: 'integer', minimum: 1, maximum: 100 } },
        span,
      },
      ['id', 'scope', 'warn', 'span'],
    ),
    labelSource: {
      type: 'object',
      discriminator: { propertyName: 'kind' },
      oneOf: [
        obj({ kind: { const: 'tool_result' }, tool: nonEmpty, path: strings, span }),
        obj({ kind: { const: 'context' }, field: nonEmpty, span }),
        obj({ kind: { const: 'detector' }, detector, kinds: strings, span }, ['kind', 'detector', 'span']),
      ],
    },
    label: obj({ name: nonEmpty, sources: { type: 'array', items: { $ref: '#/definitions/labelSource' } }, span }),
    flow: obj(
      {
        id: nonEmpty,
        label: nonEmpty,
        tools: toolNames,
        param: nonEmpty,
        message: str,
        approval: { $ref: '#/definitions/approval' },
        span,
      },
      ['id', 'label', 'tools', 'param', 'message', 'span'],
    ),
    pre: obj({ id: nonEmpty, tools: toolNames, detector, kinds: strings, span }, ['id', 'tools', 'detector', 'span']),
    post: {
      type: 'object',
      discriminator: { propertyName: 'action' },
      oneOf: [
        obj({
          id: nonEmpty,
          action: { const: 'deny' },
          tools: toolNames,
          when: expr,
          message: str,
          reads: strings,
          span,
        }),
        obj(
          {
            id: nonEmpty,
            action: { const: 'redact' },
            tools: toolNames,
            detector,
            kinds: strings,
            path: strings,
            span,
          },
          ['id', 'action', 'tools', 'detector', 'path', 'span'],
        ),
      ],
    },
    assert: obj({
      id: nonEmpty,
      quantifier: { enum: ['never', 'always'] },
      effect: { enum: ['allow', 'deny', 'pending_approval'] },
      tools: toolNames,
      when: expr,
      text: str,
      span,
    }),
    toolIndex: obj({
      deny: indexList,
      approve: indexList,
      allow: indexList,
      limits: indexList,
      flows: indexList,
      pre: indexList,
      post: indexList,
    }),
  },
} as const;
