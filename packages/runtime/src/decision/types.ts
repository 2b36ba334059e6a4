/**
 * Request and Decision shapes shared by the runtime, the verifier's replay and the evidence code
 * (DESIGN.md §4).
 *
 * @packageDocumentation
 */

/**
 * A tool-call request as a gateway receives it. The runtime accepts `unknown` and validates: a request
 * that does not fit this shape, or whose args do not fit the tool's signature, is denied with
 * `denial: "invalid_request"`, never thrown.
 */
export interface Request {
  agent: { id: string; roles?: string[]; tenant?: string; attrs?: Record<string, unknown> };
  tool: string;
  args: Record<string, unknown>;
  context?: RequestContext;
}

/**
 * Request context. `session`, `time`, `labels` and `usage` are reserved; every other key is a context field
 * that the policy declares with `context NAME: TYPE`.
 */
export interface RequestContext {
  /** Session id: scopes sequences, taint, session limits and budgets. */
  session?: string;
  /** RFC 3339 time of the request, informational; the runtime's clock decides windows and expiry. */
  time?: string;
  /** Caller-asserted taint labels per argument name (`"*"` = every argument), e.g. `{ "amount": ["untrusted"] }`. */
  labels?: Record<string, string[]>;
  /** Resources this call consumes beyond the tool's declared cost: LLM tokens, and extra cost in the budget's currency. */
  usage?: { tokens?: number; cost?: number };
  [field: string]: unknown;
}

/** A source position as reported in reasons: 1-based line and column. */
export interface SourceRef {
  file: string;
  line: number;
  column: number;
}

/** What kind of control produced a reason. */
export type ReasonKind =
  | 'allow'
  | 'approve'
  | 'deny'
  | 'default'
  | 'disabled'
  | 'limit'
  | 'budget'
  | 'flow'
  | 'approval'
  | 'invalid'
  | 'post'
  /** The shared state store could not serve a stateful decision (fail closed): `writ:state-store`. */
  | 'state';

export interface Reason {
  /** Rule or control id (`file:line`), or `writ:<name>` for built-in reasons such as `writ:default-deny`. */
  rule: string;
  kind: ReasonKind;
  message: string;
  span?: SourceRef;
  /** For a rule whose condition is an `or`, the disjunct that matched. */
  clause?: SourceRef;
}

/** Something the gateway must do along with the effect. */
export type Obligation =
  | {
      type: 'redact';
      /** `args` for pre rules (forward `value` instead of the original args), `result` for post rules. */
      target: 'args' | 'result';
      rule: string;
      value: unknown;
      tokens: Array<{ token: string; kind: string; path: string }>;
    }
  | {
      type: 'warn';
      rule: string;
      dimension: 'cost' | 'tokens' | 'calls';
      /** The highest warn level (percent) reached. */
      level: number;
      used: number;
      limit: number;
      message: string;
    };

/** The approval a pending decision waits for, or that an allowed decision used. */
export interface ApprovalRecord {
  id: string;
  /** `sha256:<hex>` of the RFC 8785 form of `{ tool, args, agent, session }`: an approval binds exactly these. */
  args_digest: string;
  tool: string;
  agent: string;
  session?: string;
  requirements: Array<{ rule: string; role: string; quorum: number }>;
  approvals: Array<{ approver: string; role: string; time: string }>;
  rejections: Array<{ approver: string; role: string; time: string; reason?: string }>;
  status: 'pending' | 'granted' | 'rejected' | 'expired' | 'used';
  created_at: string;
  /** RFC 3339. */
  expires_at: string;
  on_timeout: 'deny' | 'allow';
}

export type Effect = 'allow' | 'deny' | 'pending_approval';

export interface Decision {
  effect: Effect;
  /**
   * For a deny: `forbidden` (a deny rule, flow, limit, budget or kill switch matched), `not_permitted`
   * (no allow or approve rule matched: default deny), or `invalid_request` (the request was malformed).
   */
  denial?: 'forbidden' | 'not_permitted' | 'invalid_request';
  /**
   * Why. An allow or a deny by rules names the deciding rule only: the first matching allow rule, or the
   * first matching (or errored) deny rule or labeled flow, in source order (file, line, column). A pending
   * approval lists every requirement (approve rules and flows) sorted by source position. Other denials
   * name the control that said no (kill switch, limit, budget, approval, default deny, invalid request).
   * Never empty.
   */
  reasons: Reason[];
  obligations: Obligation[];
  /**
   * The approval record: the one a `pending_approval` decision waits for, the one an allowed decision used,
   * or the one (rejected or expired) that made a deny.
   */
  approval?: ApprovalRecord;
  policy: { name: string; version: string; digest: string };
}

/** The outcome of `checkResult`: the post rules' effect on a tool result. */
export interface ResultCheck {
  effect: 'allow' | 'deny';
  reasons: Reason[];
  /** The result to hand to the agent: redacted where post rules say so. Absent on deny. */
  result?: unknown;
  obligations: Obligation[];
  policy: { name: string; version: string; digest: string };
}
