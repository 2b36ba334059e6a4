/**
 * The abstract syntax tree. Every node carries the span of the source it came from; nodes produced by
 * parser recovery may be incomplete (`undefined` children), and later phases must tolerate that.
 */
import type { Span } from '@writ/runtime';

export type { Span };

export interface Ident {
  name: string;
  span: Span;
}

export interface Str {
  value: string;
  span: Span;
}

/** The tools a statement is about: `*`, one name, or `[a, b]` (names may be groups). */
export type ToolTarget = { kind: 'all'; span: Span } | { kind: 'names'; names: Ident[]; span: Span };

/** A type as written: `string`, `money(USD)`, `enum("a", "b")`, `list(string)`. */
export interface TypeNode {
  name: Ident;
  currency?: Ident;
  values?: Str[];
  of?: TypeNode;
  span: Span;
}

export interface Param {
  name: Ident;
  optional: boolean;
  type: TypeNode | undefined;
  span: Span;
}

/** A number literal with its exact source text, optionally followed by a currency code (`100 USD`). */
export interface NumberNode {
  kind: 'number';
  text: string;
  negative: boolean;
  currency?: Ident;
  span: Span;
}

export interface DurationNode {
  kind: 'duration';
  text: string;
  ms: number;
  span: Span;
}

export type ValueNode =
  | { kind: 'path'; root: Ident; segments: Ident[]; span: Span }
  | { kind: 'string'; value: string; span: Span }
  | NumberNode
  | DurationNode
  | { kind: 'bool'; value: boolean; span: Span }
  | { kind: 'list'; items: ValueNode[]; span: Span };

export type CmpOpText = '==' | '!=' | '<' | '<=' | '>' | '>=';

export type ExprNode =
  | { kind: 'and' | 'or'; args: ExprNode[]; span: Span }
  | { kind: 'not'; arg: ExprNode; span: Span }
  | { kind: 'cmp'; op: CmpOpText; left: ValueNode; right: ValueNode; span: Span }
  | { kind: 'in'; negated: boolean; value: ValueNode; set: ValueNode; span: Span }
  | { kind: 'str'; fn: 'starts_with' | 'ends_with' | 'contains'; left: ValueNode; right: ValueNode; span: Span }
  | { kind: 'matches'; value: ValueNode; pattern: Str; span: Span }
  | { kind: 'has_role'; role: Ident; span: Span }
  | { kind: 'call'; name: Ident; arg: ValueNode | undefined; kinds: Ident[]; span: Span }
  | { kind: 'called'; tools: ToolTarget; where?: ExprNode; within?: DurationNode; span: Span }
  | { kind: 'value'; value: ValueNode; span: Span };

/** `detector(kind, kind)` as written after `redact` or `from detector`. */
export interface DetectorSpec {
  name: Ident;
  kinds: Ident[];
  span: Span;
}

export interface ApprovalNode {
  role: Ident | undefined;
  quorum?: NumberNode;
  within?: DurationNode;
  onTimeout?: Ident;
  span: Span;
}

export type LabelSourceNode =
  | { kind: 'tool_result'; tool: Ident; path: Ident[]; span: Span }
  | { kind: 'context'; field: Ident; span: Span }
  | { kind: 'detector'; detector: DetectorSpec; span: Span };

export type Statement =
  | { kind: 'policy'; name: Str; version: Str; span: Span }
  | { kind: 'role'; names: Ident[]; span: Span }
  | { kind: 'agent'; id: Str; roles: Ident[]; tenant?: Str; span: Span }
  | { kind: 'tool'; name: Ident; params: Param[]; risk?: Ident; cost?: NumberNode; span: Span }
  | { kind: 'group'; name: Ident; members: Ident[]; span: Span }
  | { kind: 'context'; name: Ident; optional: boolean; type: TypeNode | undefined; span: Span }
  | {
      kind: 'rule';
      effect: 'allow' | 'deny' | 'approve';
      tools: ToolTarget;
      when?: ExprNode;
      because?: Str;
      approval?: ApprovalNode;
      span: Span;
    }
  | { kind: 'limit'; tools: ToolTarget; count: NumberNode; window: DurationNode; scope: Ident; span: Span }
  | {
      kind: 'budget';
      scope: Ident;
      cost?: NumberNode;
      tokens?: NumberNode;
      calls?: NumberNode;
      warn: Array<{ text: string; value: number; span: Span }>;
      span: Span;
    }
  | { kind: 'label'; name: Ident; sources: LabelSourceNode[]; span: Span }
  | {
      kind: 'flow';
      label: Ident;
      tools: ToolTarget;
      param: Ident | { name: '*'; span: Span };
      approval?: ApprovalNode;
      because?: Str;
      span: Span;
    }
  | { kind: 'post_deny'; tools: ToolTarget; when: ExprNode | undefined; because?: Str; span: Span }
  | { kind: 'post_redact'; tools: ToolTarget; detector: DetectorSpec; path: Ident[]; span: Span }
  | { kind: 'pre_redact'; tools: ToolTarget; detector: DetectorSpec; span: Span }
  | { kind: 'disable'; tools: ToolTarget; because?: Str; span: Span }
  | {
      kind: 'assert';
      quantifier: 'never' | 'always';
      effect: Ident;
      tools: ToolTarget;
      when?: ExprNode;
      span: Span;
    };

/** One parsed `.writ` file. */
export interface SourceFile {
  file: string;
  text: string;
  statements: Statement[];
  /** Comments with their spans, for the formatter. */
  comments: Array<{ text: string; span: Span }>;
}
