/**
 * The decision-table artifact: the JSON the compiler emits, the runtime loads and the verifier encodes.
 *
 * One artifact is one policy (possibly from several `.writ` files). It is identified by
 * `sha256:<hex>` of its RFC 8785 canonical form with the `digest` field removed. Every rule keeps the
 * source span it came from so that decisions, diagnostics and counterexamples point at the source.
 *
 * Numbers: constants that must be exact (money, decimals) are decimal strings (`"100"`, `"0.02"`), never
 * JSON floats; durations are integer milliseconds. The compiler only emits decimals with at most 15
 * significant digits, so a runtime comparison of an IEEE double against the constant's double agrees with
 * the exact decimal comparison of the request number's shortest representation (see `value.ts`).
 *
 * @packageDocumentation
 */

/** Artifact format identifier; bumped on any incompatible change. */
export const ARTIFACT_FORMAT = 'writ.decision-table/v0' as const;

/** A position in a `.writ` source file. `line` and `column` are 1-based; `column` counts UTF-16 units. */
export interface Span {
  file: string;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
}

/** Value types of tool parameters, context fields and expressions. */
export type WritType =
  | { kind: 'string' }
  | { kind: 'number' }
  | { kind: 'integer' }
  | { kind: 'boolean' }
  | { kind: 'money'; currency: string }
  | { kind: 'duration' }
  | { kind: 'enum'; values: string[] }
  | { kind: 'list'; of: WritType }
  | { kind: 'any' };

/** A type as written in `.writ` and in messages: `money(USD)`, `enum("a", "b")`, `list(string)`. */
export function typeName(t: WritType): string {
  switch (t.kind) {
    case 'money':
      return `money(${t.currency})`;
    case 'enum':
      return `enum(${t.values.map((v) => JSON.stringify(v)).join(', ')})`;
    case 'list':
      return `list(${typeName(t.of)})`;
    default:
      return t.kind;
  }
}

/** A declared field: a tool parameter or a context field. */
export interface FieldDecl {
  type: WritType;
  /** Absent fields make every rule that references them "errored" (fail closed). */
  optional: boolean;
  span: Span;
}

export type Risk = 'low' | 'medium' | 'high' | 'critical';

/** A money amount as an exact decimal string, e.g. `{ amount: "0.02", currency: "USD" }`. */
export interface Money {
  amount: string;
  currency: string;
}

export interface ToolDecl {
  params: Record<string, FieldDecl>;
  /** Parameter names in declaration order. */
  order: string[];
  risk?: Risk;
  cost?: Money;
  /** Set by `disable tool X` in the policy (kill switch). */
  disabled?: { reason: string; span: Span };
  span: Span;
}

// ---------------------------------------------------------------------------------------------------------
// Expressions

/**
 * A value reference. `path[0]` is the root:
 * - `args`: the request's arguments (`["args", "amount"]`, or `["args"]` for the whole object);
 * - `context`: a declared context field (`["context", "env"]`);
 * - `agent`: `["agent", "id"]` or `["agent", "tenant"]`;
 * - `result`: a tool result in post rules (`["result"]`, `["result", "status"]`);
 * - `prior`: inside a `called … where` condition, the earlier call's args (`["prior", "customer_id"]`).
 */
export interface Ref {
  ref: string[];
}

/** A literal. Money and decimals are decimal strings; durations are integer milliseconds. */
export interface Lit {
  lit: string | number | boolean | Array<string | number | boolean>;
}

export type Value = Ref | Lit;

export type CmpOp = '==' | '!=' | '<' | '<=' | '>' | '>=';

/**
 * A condition. Conditions are pure over the request and a read-only view of state; evaluation is total:
 * a reference to an absent optional field or context value makes the whole rule *errored*, which
 * the engine treats as "not matched" for allow rules and "matched" for deny and approve rules.
 */
export type Expr =
  | { op: 'true' }
  | { op: 'false' }
  | { op: 'and'; args: Expr[] }
  | { op: 'or'; args: Expr[] }
  | { op: 'not'; arg: Expr }
  /**
   * Comparison. `type` is the operands' checked type; `number`, `integer` and `money` compare
   * numerically (money operands share one currency), `duration` compares milliseconds, strings and enums
   * compare by code units and only with `==`/`!=`.
   */
  | { op: 'cmp'; cmp: CmpOp; left: Value; right: Value; type: WritType }
  /** Membership: `value in [a, b]` (literal list) or `value in args.tags` (a list-typed field). */
  | { op: 'in'; value: Value; set: Value }
  /** `agent has role R`. */
  | { op: 'has_role'; role: string }
  /** String tests on code units. */
  | { op: 'str'; fn: 'starts_with' | 'ends_with' | 'contains'; left: Value; right: Value }
  /** `value matches "pattern"`: RE2 syntax, evaluated with a linear-time engine; unanchored search. */
  | { op: 'matches'; value: Value; pattern: string }
  /** A detector over a value (every string inside it). `kinds` absent means all kinds of that detector. */
  | { op: 'detect'; detector: 'pii' | 'secret' | 'injection'; kinds?: string[]; value: Value }
  /**
   * Sequence: the session earlier made an allowed call to one of `tools` (optionally within the last
   * `withinMs` milliseconds, optionally one whose args satisfy `where`, where `prior.*` names that call's args).
   */
  | { op: 'called'; tools: string[]; withinMs?: number; where?: Expr };

// ---------------------------------------------------------------------------------------------------------
// Rules and controls

/** Who may approve, and how many distinct approvers are needed. */
export interface ApprovalSpec {
  role: string;
  quorum: number;
  /** How long the request may wait, in milliseconds. */
  withinMs: number;
  /** What happens when the approval window passes without enough approvals. */
  onTimeout: 'deny' | 'allow';
}

/** A pre rule: decided before the tool runs. */
export interface Rule {
  /** Stable id: `<file>:<line>` of the rule's first token. */
  id: string;
  effect: 'allow' | 'deny' | 'approve';
  /** Tool names this rule applies to, after expanding groups; `["*"]` means every tool. */
  tools: string[];
  when: Expr;
  /** Deny rules: the `because` text. Allow and approve rules: a generated one-sentence description. */
  message: string;
  approval?: ApprovalSpec;
  /** Context fields and optional params the condition reads, as `context.x` / `args.y`; if any is absent
   * from the request the rule is errored. Sorted, unique. */
  reads: string[];
  /** When `when` is an `or`, the span of each disjunct, so a decision can name the clause that matched. */
  clauses?: Span[];
  span: Span;
}

/** `limit TOOL N per DURATION per agent|tenant|session`: sliding-window rate limit. */
export interface Limit {
  id: string;
  tools: string[];
  count: number;
  windowMs: number;
  scope: 'agent' | 'tenant' | 'session' | 'global';
  span: Span;
}

/** `budget per SCOPE cost … tokens … calls … warn 80% 90%`. */
export interface Budget {
  id: string;
  scope: 'agent' | 'tenant' | 'session';
  /** Exact decimal string limit per currency unit, e.g. `{ amount: "10", currency: "USD" }`. */
  cost?: Money;
  tokens?: number;
  calls?: number;
  /** Warn levels as integer percentages, ascending. */
  warn: number[];
  span: Span;
}

/** `label L from …`: where a taint label comes from. */
export type LabelSource =
  | { kind: 'tool_result'; tool: string; path: string[] }
  | { kind: 'context'; field: string }
  | { kind: 'detector'; detector: 'pii' | 'secret' | 'injection'; kinds?: string[] };

export interface LabelDecl {
  name: string;
  sources: Array<LabelSource & { span: Span }>;
  span: Span;
}

/** `deny flow L -> tool.param [unless approved by role R …] [because "…"]`. */
export interface Flow {
  id: string;
  label: string;
  tools: string[];
  /** Parameter name, or `*` for any argument. */
  param: string;
  message: string;
  /** With `unless approved …`: the flow needs an approval instead of being denied outright. */
  approval?: ApprovalSpec;
  span: Span;
}

/** A pre-call obligation rule: `pre TOOL redact DETECTOR in args`. */
export interface PreRedact {
  id: string;
  tools: string[];
  detector: 'pii' | 'secret' | 'injection';
  kinds?: string[];
  span: Span;
}

/** A post rule on a tool's result. */
export type PostRule =
  | { id: string; action: 'deny'; tools: string[]; when: Expr; message: string; reads: string[]; span: Span }
  | {
      id: string;
      action: 'redact';
      tools: string[];
      detector: 'pii' | 'secret' | 'injection';
      kinds?: string[];
      /** Path under `result` to redact in; `[]` = the whole result. */
      path: string[];
      span: Span;
    };

/** `assert never|always EFFECT TOOLS [when COND]`, kept for the verifier. */
export interface Assertion {
  id: string;
  quantifier: 'never' | 'always';
  effect: 'allow' | 'deny' | 'pending_approval';
  tools: string[];
  when: Expr;
  text: string;
  span: Span;
}

/**
 * Per-tool index into the rule arrays, so deciding a call touches only the rules for its tool
 * (wildcard rules are copied into every tool's lists at compile time). Lists hold indices, ascending.
 */
export interface ToolIndex {
  deny: number[];
  approve: number[];
  allow: number[];
  limits: number[];
  flows: number[];
  pre: number[];
  post: number[];
}

/** The compiled policy. */
export interface Artifact {
  format: typeof ARTIFACT_FORMAT;
  policy: { name: string; version: string };
  /** Source files with the SHA-256 of their bytes, for provenance. */
  sources: Array<{ file: string; sha256: string }>;
  roles: string[];
  /** Agents declared in the policy; their roles are authoritative over roles a request claims. */
  agents: Record<string, { roles: string[] }>;
  context: Record<string, FieldDecl>;
  tools: Record<string, ToolDecl>;
  /** Named tool groups, kept for tooling; rules already list expanded tool names. */
  groups: Record<string, string[]>;
  rules: Rule[];
  limits: Limit[];
  budgets: Budget[];
  labels: LabelDecl[];
  flows: Flow[];
  pre: PreRedact[];
  post: PostRule[];
  asserts: Assertion[];
  index: Record<string, ToolIndex>;
  /** `sha256:<hex>` of the canonical form of this object without `digest`. */
  digest: string;
}
