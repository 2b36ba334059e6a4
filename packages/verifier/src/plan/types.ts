/**
 * Plans: an agent's intended sequence of tool calls, checked before any of them runs.
 *
 * A plan file (JSON):
 *
 * ```json
 * {
 *   "agent": { "id": "refund-agent" },
 *   "context": { "session": "s-1" },                  // optional; declared context fields, session, labels
 *   "time": "2026-01-01T12:00:00Z",                   // optional: when the plan runs (windows, approvals)
 *   "state": {                                        // optional: the session's state before the first step
 *     "history": [{ "tool": "lookup_order", "args": { … }, "age": "5m" }],
 *     "budgets": { "<budget id>": { "cost": 1.5, "tokens": 100, "calls": 3 } },
 *     "rate": { "<limit id>": 4 }
 *   },
 *   "steps": [
 *     { "tool": "web_fetch", "args": { "url": "https://example.com" } },
 *     { "tool": "issue_refund",
 *       "args": { "order_id": { "$unknown": "string" }, "amount": { "$ref": "steps[0].result.amount" }, "reason": "…" },
 *       "usage": { "tokens": 500 } }
 *   ]
 * }
 * ```
 *
 * @module
 */
import type { Decision } from '@writ/runtime';

/** One argument of a step, after parsing. */
export type PlanArg =
  | { kind: 'value'; value: unknown }
  /** Not known until run time: any value of the parameter's type. */
  | { kind: 'unknown'; type: string }
  /** The result (or a part of it) of an earlier step: unknown, carrying that step's result labels. */
  | { kind: 'ref'; step: number; path: string[]; text: string };

export interface PlanStep {
  tool: string;
  args: Record<string, PlanArg>;
  /** Resources the call consumes beyond the tool's declared cost (as `context.usage`). */
  usage?: { tokens?: number; cost?: number };
}

/** The session's state before the first step. */
export interface PlanInitialState {
  /** Earlier allowed calls, `ageMs` before the plan's time. */
  history: Array<{ tool: string; args: Record<string, unknown>; ageMs: number }>;
  /** Usage already charged, per budget id (cost in currency units). */
  budgets: Record<string, { cost: number; tokens: number; calls: number }>;
  /** Hits already in each rate limit's current window, per limit id. */
  rate: Record<string, number>;
}

export interface Plan {
  agent: { id: string; roles?: string[]; tenant?: string };
  /** Request context shared by every step; `session` is always set (default {@link DEFAULT_PLAN_SESSION}). */
  context: Record<string, unknown> & { session: string };
  /** Epoch milliseconds at which every step is decided. */
  now: number;
  state: PlanInitialState;
  steps: PlanStep[];
}

/** The session a plan runs in when it names none: sequences, taint and session budgets need one. */
export const DEFAULT_PLAN_SESSION = 'plan';
/** The time a plan is checked at when it names none (fixed, so that checks are reproducible). */
export const DEFAULT_PLAN_TIME = '2026-01-01T12:00:00.000Z';

/**
 * A step's verdict: `allow`, `deny` or `pending_approval` for every value of its unknown arguments, of
 * what earlier steps' results hold, and of the values earlier unknowns run with; `depends` when some of
 * these are denied and others are not (a counterexample shows a denied one, and what it assumes); `unknown`
 * when the solver gave no answer in time.
 */
export type StepVerdict = 'allow' | 'deny' | 'pending_approval' | 'depends' | 'unknown';

/** What a step leaves for the later ones. */
export type StepAssumption =
  /** It ran: history, rate-limit hits, budget charges and taint were recorded as the runtime records them. */
  | 'ran'
  /** It needed an approval, assumed granted; then it ran. */
  | 'ran_after_approval'
  /** It cannot run (denied for every value, or no answer): it leaves no state. */
  | 'not_run';

export interface StepCounterexample {
  /** Values of the step's unknown (and `$ref`) arguments that make the runtime deny it. */
  args: Record<string, unknown>;
  /** The runtime's decision of the step with those values, in the plan's state at that step. */
  decision: Decision;
  /** False when the runtime and the SMT encoding disagree: an internal error in Writ. */
  agrees: boolean;
  /**
   * False when no concrete strings were found for the detector behaviour the solver assumed, or when the
   * earlier-step values it assumes are ones that step is not allowed with.
   */
  confirmed: boolean;
  /**
   * What the denial assumes beyond the unknowns' values, one sentence each: that an argument came from a
   * labelled tool result of an earlier step, or that an earlier step ran with other values of its unknowns.
   */
  assumes?: string[];
  /** Labels the denial assumes the arguments carry (from results), as `context.labels` claims its replay made. */
  labels?: Record<string, string[]>;
}

export interface StepReport {
  index: number;
  tool: string;
  verdict: StepVerdict;
  /** `runtime` when every argument was concrete; `smt` otherwise. */
  method: 'runtime' | 'smt';
  /** Parameters whose value is not known before the plan runs (`$unknown` and `$ref`). */
  unknowns: string[];
  /** Labels carried into arguments by `$ref`s, per parameter. */
  labels: Record<string, string[]>;
  /**
   * The runtime's decision: of the step itself (runtime), of a counterexample (depends, deny) or of a witness
   * (allow, pending_approval for every value).
   */
  decision?: Decision;
  counterexample?: StepCounterexample;
  leaves: StepAssumption;
  /**
   * With unknowns, when the step is assumed to run: the values of the unknowns it is assumed to run with (a
   * witness the runtime allows, after its approval if it asks for one). The plan's store records these
   * values; a later `called … where prior.x` is checked for every value this step is allowed with.
   */
  witness?: Record<string, unknown>;
  /** With `unknown`: which query and why. */
  reason?: string;
  /** Patterns encoded as uninterpreted predicates, and the like: what the reader should know. */
  notes: string[];
}

export type PlanVerdict = 'admissible' | 'inadmissible' | 'depends' | 'unknown';

export interface PlanReport {
  verdict: PlanVerdict;
  /** Steps that need an approval before they run (admissible after these approvals). */
  approvals: number[];
  /** With inadmissible: the first step denied for every value; with depends: the first step that depends. */
  at?: number;
  /** One sentence: why the plan has its verdict. */
  reason: string;
  steps: StepReport[];
  policy: { name: string; version: string; digest: string };
  /** Runtime and SMT disagreements found (each a bug in Writ); empty when all is well. */
  internalErrors: string[];
  stats: PlanStats;
}

/** Where the time went (milliseconds, wall clock), for benchmarks. */
export interface PlanStats {
  /** Solver queries asked by the plan checker itself (the full counterexample search counts apart). */
  solverQueries: number;
  /** Time inside those queries. */
  solverMs: number;
  /** Opening each step's session and asking whether it can be denied, run, or need an approval. */
  verdictMs: number;
  /** Finding and replaying counterexamples. */
  counterexampleMs: number;
  /** Finding values that let a step run, and running it. */
  witnessMs: number;
}
