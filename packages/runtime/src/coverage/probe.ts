/**
 * Condition coverage for policy tests: how each rule's condition, and each clause inside it, evaluated for a
 * request. Off the hot path: `decide` never calls this. It reuses the runtime's own request validation and
 * expression compiler (`engine/validate.ts`, `eval/compile.ts`), so a clause evaluates here exactly as it
 * does inside a decision.
 *
 * A *clause* is every operand of an `and` / `or` and the operand of a `not`, recursively (the condition
 * itself when it is a single test). The operands of a `called … where` condition are not separate clauses:
 * they are evaluated against earlier calls, not the request.
 *
 * @packageDocumentation
 */
import type { Artifact, Expr, Span } from '../artifact/types.js';
import { DEFAULT_MAX_LIST_LENGTH, DEFAULT_MAX_STRING_LENGTH } from '../artifact/load.js';
import { compileExpr, compileRef, readPath, type CompileEnv, type Getter, type Pred } from '../eval/compile.js';
import { prepare } from '../engine/prepare.js';
import type { CompiledPolicy } from '../engine/plan.js';
import { validateRequest } from '../engine/validate.js';
import { MemoryStateStore } from '../state/memory.js';
import type { StateStore } from '../state/store.js';

/** One clause of a condition: where it sits in the `Expr` tree (argument indices from the root) and the sub-expression. */
export interface Clause {
  /** Indices from the root: `[1, 0]` is the first operand of the second operand. `[]` is the whole condition. */
  path: number[];
  expr: Expr;
}

/**
 * The clauses of a condition, in pre-order. A constant `true`/`false` condition has none (it is not a test
 * a suite can exercise).
 */
export function clausesOf(e: Expr): Clause[] {
  const out: Clause[] = [];
  const visit = (x: Expr, path: number[]): void => {
    if (x.op === 'true' || x.op === 'false') return;
    out.push({ path, expr: x });
    if (x.op === 'and' || x.op === 'or') x.args.forEach((a, i) => visit(a, [...path, i]));
    else if (x.op === 'not') visit(x.arg, [...path, 0]);
  };
  visit(e, []);
  return out;
}

/** Which condition a probe is about: a pre rule (`artifact.rules[index]`) or a post deny rule (`artifact.post[index]`). */
export type ProbeTarget = { kind: 'rule' | 'post'; index: number; id: string; span: Span };

/** How one rule's condition evaluated for one request. */
export interface RuleProbe {
  target: ProbeTarget;
  /**
   * Set when a field the rule reads (`Rule.reads`) is absent from the request: the rule is *errored* (an
   * allow rule does not match; deny, approve and post deny rules do) and its clauses are not evaluated.
   */
  errored?: string;
  /** The condition's value (false when errored). */
  value: boolean;
  /** One outcome per clause of {@link clausesOf} (empty when errored). */
  clauses: boolean[];
}

/** The result of {@link ConditionProbe.probe}: the rules that apply to the request's tool, or why none could be probed. */
export type ProbeResult = { tool: string; rules: RuleProbe[] } | { invalid: string };

/** Options of {@link ConditionProbe.probe}. */
export interface ProbeOptions {
  /** State read by `called` conditions (session history); default: an empty store. Never written. */
  state?: StateStore;
  /** The clock, epoch milliseconds (for `called … within`); default `Date.now()`. */
  now?: number;
  /** With a tool result: probe the tool's post deny rules on it instead of its pre rules. */
  result?: { value: unknown };
}

interface CompiledTarget {
  target: ProbeTarget;
  tools: readonly string[];
  reads: Array<{ name: string; get: Getter }>;
  clauses: Pred[];
  whole: Pred;
}

/**
 * Evaluates rule conditions clause by clause for requests, for `writ test --coverage`.
 *
 * @throws ArtifactError from the constructor if the artifact cannot be prepared (it should already have been
 *   loaded with {@link loadPolicy}, which checks the schema and digest).
 */
export class ConditionProbe {
  readonly #compiled: CompiledPolicy;
  readonly #pre: CompiledTarget[];
  readonly #post: CompiledTarget[];
  readonly #empty = new MemoryStateStore();

  constructor(artifact: Artifact) {
    this.#compiled = prepare(artifact, { maxStringLength: DEFAULT_MAX_STRING_LENGTH, maxListLength: DEFAULT_MAX_LIST_LENGTH });
    const env: CompileEnv = { roles: this.#compiled.roles, tools: new Set(Object.keys(artifact.tools)), usesHistory: false };
    const build = (target: ProbeTarget, tools: readonly string[], when: Expr, reads: readonly string[]): CompiledTarget => {
      const where = `rule ${target.id}`;
      return {
        target,
        tools,
        reads: reads.map((name) => ({ name, get: compileRef(readPath(name), where, env.roles) })),
        clauses: clausesOf(when).map((c) => compileExpr(c.expr, where, env)),
        whole: compileExpr(when, where, env),
      };
    };
    this.#pre = artifact.rules.map((r, index) => build({ kind: 'rule', index, id: r.id, span: r.span }, r.tools, r.when, r.reads));
    this.#post = [];
    artifact.post.forEach((p, index) => {
      if (p.action === 'deny') this.#post.push(build({ kind: 'post', index, id: p.id, span: p.span }, p.tools, p.when, p.reads));
    });
  }

  /**
   * Evaluates every rule that applies to the request's tool. Never throws on bad input: a request the
   * runtime would deny as invalid gives `{ invalid }`. Reads state, never writes it.
   */
  probe(request: unknown, options: ProbeOptions = {}): ProbeResult {
    const now = options.now ?? Date.now();
    const c = validateRequest(this.#compiled, request, now, options.state ?? this.#empty);
    if (typeof c === 'string') return { invalid: c };
    const tool = c.tool.name;
    const targets = options.result === undefined ? this.#pre : this.#post;
    if (options.result !== undefined) c.result = options.result.value;
    const rules: RuleProbe[] = [];
    for (const t of targets) {
      if (!t.tools.includes('*') && !t.tools.includes(tool)) continue;
      const missing = t.reads.find((r) => r.get(c) === undefined);
      if (missing !== undefined) {
        rules.push({ target: t.target, errored: missing.name, value: false, clauses: [] });
        continue;
      }
      rules.push({ target: t.target, value: t.whole(c), clauses: t.clauses.map((p) => p(c)) });
    }
    return { tool, rules };
  }
}
