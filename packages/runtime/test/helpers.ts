/**
 * Hand-built artifacts for the runtime's tests (the compiler is not involved).
 */
import {
  ARTIFACT_FORMAT,
  artifactDigest,
  type Artifact,
  type ApprovalSpec,
  type Expr,
  type FieldDecl,
  type Rule,
  type Span,
  type ToolDecl,
  type ToolIndex,
  type WritType,
} from '../src/index.js';

export const FILE = 'policy.writ';

export function span(line: number, column = 1, file = FILE): Span {
  return { file, line, column, endLine: line, endColumn: column + 20 };
}

export const T = {
  string: { kind: 'string' } as WritType,
  number: { kind: 'number' } as WritType,
  integer: { kind: 'integer' } as WritType,
  boolean: { kind: 'boolean' } as WritType,
  usd: { kind: 'money', currency: 'USD' } as WritType,
  duration: { kind: 'duration' } as WritType,
  any: { kind: 'any' } as WritType,
  enum: (...values: string[]): WritType => ({ kind: 'enum', values }),
  list: (of: WritType): WritType => ({ kind: 'list', of }),
};

export function field(type: WritType, optional = false, line = 1): FieldDecl {
  return { type, optional, span: span(line) };
}

/** A tool from `{ name: type }` (suffix a name with `?` for an optional parameter). */
export function tool(params: Record<string, WritType>, extra: Partial<ToolDecl> = {}): ToolDecl {
  const decls: Record<string, FieldDecl> = {};
  const order: string[] = [];
  for (const [raw, type] of Object.entries(params)) {
    const optional = raw.endsWith('?');
    const name = optional ? raw.slice(0, -1) : raw;
    decls[name] = field(type, optional);
    order.push(name);
  }
  return { params: decls, order, span: span(1), ...extra };
}

// Expression shorthands
export const ref = (...path: string[]) => ({ ref: path });
export const lit = (v: string | number | boolean | Array<string | number | boolean>) => ({ lit: v });
export const and = (...args: Expr[]): Expr => ({ op: 'and', args });
export const or = (...args: Expr[]): Expr => ({ op: 'or', args });
export const not = (arg: Expr): Expr => ({ op: 'not', arg });
export const role = (r: string): Expr => ({ op: 'has_role', role: r });
export const TRUE: Expr = { op: 'true' };
export function cmp(path: string[], op: '==' | '!=' | '<' | '<=' | '>' | '>=', value: string | number | boolean, type: WritType = T.usd): Expr {
  return { op: 'cmp', cmp: op, left: ref(...path), right: lit(value), type };
}

let nextLine = 100;

/** A rule; its id is `policy.writ:<line>`. */
export function rule(
  effect: Rule['effect'],
  tools: string[],
  when: Expr,
  extra: Partial<Rule> & { line?: number } = {},
): Rule {
  const line = extra.line ?? nextLine++;
  const { line: _l, ...rest } = extra;
  return {
    id: `${FILE}:${line}`,
    effect,
    tools,
    when,
    message: effect === 'deny' ? `denied by line ${line}` : `${effect} by line ${line}`,
    reads: [],
    span: span(line),
    ...rest,
  };
}

export function approval(role: string, quorum = 1, withinMs = 300_000, onTimeout: 'deny' | 'allow' = 'deny'): ApprovalSpec {
  return { role, quorum, withinMs, onTimeout };
}

function applies(tools: string[], t: string): boolean {
  return tools.includes('*') || tools.includes(t);
}

/** The index the compiler would build: per tool, the ascending indices of what applies to it. */
export function buildIndex(a: Omit<Artifact, 'index' | 'digest'>): Record<string, ToolIndex> {
  const index: Record<string, ToolIndex> = {};
  for (const t of Object.keys(a.tools)) {
    const pick = <X extends { tools: string[] }>(xs: X[], keep: (x: X) => boolean = () => true) =>
      xs.flatMap((x, i) => (applies(x.tools, t) && keep(x) ? [i] : []));
    index[t] = {
      deny: pick(a.rules, (r) => r.effect === 'deny'),
      approve: pick(a.rules, (r) => r.effect === 'approve'),
      allow: pick(a.rules, (r) => r.effect === 'allow'),
      limits: pick(a.limits),
      flows: pick(a.flows),
      pre: pick(a.pre),
      post: pick(a.post),
    };
  }
  return index;
}

/** Fills defaults, builds the index (unless given) and stamps the digest. */
export function makeArtifact(partial: Partial<Artifact> = {}): Artifact {
  const base: Omit<Artifact, 'index' | 'digest'> = {
    format: ARTIFACT_FORMAT,
    policy: { name: 'test-policy', version: '1.0.0' },
    sources: [{ file: FILE, sha256: '0'.repeat(64) }],
    roles: partial.roles ?? ['support', 'billing', 'finance_lead', 'ops'],
    agents: partial.agents ?? {},
    context: partial.context ?? {},
    tools: partial.tools ?? {},
    groups: partial.groups ?? {},
    rules: partial.rules ?? [],
    limits: partial.limits ?? [],
    budgets: partial.budgets ?? [],
    labels: partial.labels ?? [],
    flows: partial.flows ?? [],
    pre: partial.pre ?? [],
    post: partial.post ?? [],
    asserts: partial.asserts ?? [],
  };
  if (partial.policy) base.policy = partial.policy;
  const withIndex = { ...base, index: partial.index ?? buildIndex(base), digest: '' };
  withIndex.digest = artifactDigest(withIndex);
  return withIndex;
}

/** Re-stamps the digest after a test edits an artifact. */
export function restamp(a: Artifact): Artifact {
  return { ...a, digest: artifactDigest(a) };
}

/** The customer-support tools used by most tests. */
export const supportTools = {
  create_support_ticket: tool({ customer_id: T.string, subject: T.string, body: T.string }),
  issue_refund: tool(
    { order_id: T.string, amount: T.usd, reason: T.string, 'note?': T.string },
    { risk: 'high', cost: { amount: '0.02', currency: 'USD' } },
  ),
  send_sms: tool({ to: T.string, body: T.string }),
  web_fetch: tool({ url: T.string }),
  lookup_order: tool({ order_id: T.string }),
};

export function request(toolName: string, args: Record<string, unknown>, extra: { agent?: Record<string, unknown>; context?: Record<string, unknown> } = {}) {
  return {
    agent: extra.agent ?? { id: 'refund-bot', roles: ['billing'] },
    tool: toolName,
    args,
    ...(extra.context === undefined ? {} : { context: extra.context }),
  };
}

export const refund = (amount: number, extra: Parameters<typeof request>[2] = {}) =>
  request('issue_refund', { order_id: 'o-1', amount, reason: 'damaged' }, extra);
