/**
 * The prepared form of an artifact: everything `decide` needs, precomputed once at load.
 *
 * @packageDocumentation
 */
import type {
  ApprovalSpec,
  Budget,
  FieldDecl,
  Flow,
  Limit,
  Rule,
  Span,
  WritType,
} from '../artifact/types.js';
import type { Reason } from '../decision/types.js';
import type { Getter, Pred } from '../eval/compile.js';
import type { EvalCtx } from '../eval/context.js';
import type { RuleIndex } from './ruleindex.js';
import type { Validator } from './validate.js';

export type Detector = 'pii' | 'secret' | 'injection';

/** A field a rule reads: if it is absent from the request the rule is errored. */
export interface ReadPlan {
  name: string;
  get: Getter;
}

/** A pre rule (allow, deny, approve) or a post deny rule, compiled. */
export interface RulePlan {
  id: string;
  effect: Rule['effect'] | 'post';
  reads: ReadPlan[];
  pred: Pred;
  /** For an `or` with clause spans: index of the first true disjunct, or -1. */
  clauses: ((c: EvalCtx) => number) | null;
  /** The reason reported when the rule matches (frozen, shared by every decision). */
  reason: Reason;
  /** One reason per clause (frozen), when `clauses` is set. */
  clauseReasons: Reason[] | null;
  /** The message used when the rule is errored (the missing field is appended). */
  message: string;
  approval: ApprovalSpec | undefined;
  span: Span;
  /** Reasons for the rule errored on a missing field, built on first use. */
  errored: Map<string, Reason> | undefined;
  /** Load-time only: the condition compiled per parameter layout (`prepare.ts`). */
  compiled: unknown;
}

export interface ParamPlan {
  name: string;
  type: WritType;
  optional: boolean;
  validate: Validator;
}

export interface LabelSourcePlan {
  detectors: Array<{ detector: Detector; kinds: string[] | undefined }>;
  contextFields: string[];
}

export interface FlowPlan {
  id: string;
  flow: Flow;
  label: string;
  /** The parameter the flow guards, or null for `*` (every argument). */
  param: string | null;
  sources: LabelSourcePlan | undefined;
  /** Reason when the flow denies or requires approval (frozen). */
  reason: Reason;
  approval: ApprovalSpec | undefined;
  span: Span;
}

export interface LimitPlan {
  limit: Limit;
  /** `rate|<id>|<scope>|` — the scope value is appended. */
  keyPrefix: string;
  exceeded: Reason;
  needsScope: Reason | undefined;
}

export interface BudgetPlan {
  budget: Budget;
  keyPrefix: string;
  currency: string | undefined;
  limitCostMicros: number | undefined;
  needsScope: Reason | undefined;
}

export interface PreRedactPlan {
  id: string;
  detector: Detector;
  kinds: string[] | undefined;
}

export interface PostRedactPlan {
  id: string;
  detector: Detector;
  kinds: string[] | undefined;
  path: string[];
  reason: Reason;
}

/** A tool's deny, allow and approve rules, indexed (`ruleindex.ts`). */
export interface ToolRules {
  /**
   * The deny rules then the allow rules, each in span order, in one index, so that a request's candidates
   * are computed once: positions below `denyEnd` are deny rules.
   */
  rules: RuleIndex;
  denyEnd: number;
  /** Approve rules in span order (every match counts). */
  approve: RuleIndex;
}

/** The tool's rule indexes (`ToolPlan.rules` …), built now if this is the tool's first decision. */
export function rulesOf(tool: ToolPlan): ToolPlan & ToolRules {
  if (tool.rules === null) {
    const built = tool.buildIndexes!();
    tool.approve = built.approve;
    tool.denyEnd = built.denyEnd;
    tool.rules = built.rules;
    tool.buildIndexes = null;
  }
  return tool as ToolPlan & ToolRules;
}

/** {@link ToolPlan.extras} bits: the tool has flows, limits, pre rules. */
export const HAS_FLOWS = 1;
export const HAS_LIMITS = 2;
export const HAS_PRE = 4;

export interface ToolPlan {
  name: string;
  /** Parameters in slot order (declaration order): `EvalCtx.vals[i]` is `params[i]`'s value. */
  params: ParamPlan[];
  paramNames: string[];
  /** Parameter name → slot. */
  slots: Map<string, number>;
  /** One `undefined` per parameter (copied for each request's `vals`). */
  blank: unknown[];
  /** How many parameters are required. */
  required: number;
  /** Per slot: how its value is checked (`validate.ts`, `CHECK_*`), and whether it is optional. */
  check: Uint8Array;
  /** Per slot: an enum's values when checked in place (`CHECK_ENUM`), else null. */
  enums: Array<readonly string[] | null>;
  paramDecls: Record<string, FieldDecl>;
  /**
   * The tool's rule indexes ({@link ToolRules}), built on the tool's first decision (or at load with
   * `index: 'eager'`): null until then; see {@link rulesOf}.
   */
  rules: RuleIndex | null;
  denyEnd: number;
  approve: RuleIndex | null;
  /** Builds the indexes; null once built. */
  buildIndexes: (() => ToolRules) | null;
  /** Which of flows, limits, pre rules the tool has ({@link HAS_FLOWS} …), read without touching the lists. */
  extras: number;
  flows: FlowPlan[];
  limits: LimitPlan[];
  pre: PreRedactPlan[];
  postDeny: RulePlan[];
  postRedact: PostRedactPlan[];
  /** Labels recorded from this tool's results: `label L from tool T.result.path`. */
  resultLabels: Array<{ label: string; path: string[] }>;
  /** The artifact's kill switch for this tool, as a reason; null if not disabled. */
  disabled: Reason | null;
  costMicros: number;
  costCurrency: string | undefined;
  /** Default-deny reasons by agent id, reused between decisions (bounded). */
  defaultDeny: Map<string, Reason>;
}

export interface ContextFieldPlan {
  name: string;
  type: WritType;
  validate: Validator;
}

/** Request-size limits. */
export interface RequestLimits {
  /** Longest string accepted in args and declared context fields, in UTF-16 code units. */
  maxStringLength: number;
  /** Most items accepted in a list-typed value. */
  maxListLength: number;
}

/** An agent the policy declares: its roles are authoritative. */
export interface AgentPlan {
  roles: ReadonlySet<string>;
  /** The same roles as a list (the rule index walks it). */
  roleList: readonly string[];
}

export interface CompiledPolicy {
  tools: Map<string, ToolPlan>;
  agents: Map<string, AgentPlan>;
  roles: ReadonlySet<string>;
  contextFields: ContextFieldPlan[];
  budgets: BudgetPlan[];
  /** `label L from context.F`: recorded into the session taint set when a call is allowed. */
  contextTaint: Array<{ label: string; field: string }>;
  /** True if some condition uses `called`: allowed calls are recorded in the session history. */
  usesHistory: boolean;
  limits: RequestLimits;
}
