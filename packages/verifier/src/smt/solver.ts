/**
 * The in-process solver: z3-solver (Z3 compiled to WebAssembly), initialised once per process and only when
 * a query first runs, so nothing that does not verify pays for loading it. Every Z3 call runs under the lock
 * of `z3.ts`, every reference is given back explicitly, and each query or session has a context of its own
 * (see `z3.ts` for why).
 */
import type { Z3_ast, Z3_model, Z3_solver, Z3_sort } from 'z3-solver';
import { closeContext, L_FALSE, L_TRUE, openContext, withInstance, withZ3, type Ctx, type Z3 } from './z3.js';

export { shutdown } from './z3.js';

export type SolverStatus = 'sat' | 'unsat' | 'unknown';

export interface QueryResult {
  status: SolverStatus;
  /** With sat: the value of every declared constant, as SMT-LIB text, by unquoted name. */
  model?: Map<string, string>;
  /** With unknown: the solver's reason (e.g. `timeout`). */
  reason?: string;
  ms: number;
}

/**
 * Checks an SMT-LIB 2 script (declarations and assertions; no `check-sat` needed).
 * @param timeoutMs - per query; on expiry the status is `unknown` with reason `timeout`
 * @throws Error with Z3's message when the script does not parse or sort-check
 */
export function check(script: string, timeoutMs = 30_000): Promise<QueryResult> {
  return withZ3(async (z3) => {
    const c = openContext(z3);
    let solver: Z3_solver | undefined;
    let consts: Readable = [];
    try {
      solver = newSolver(c, timeoutMs);
      const t0 = performance.now();
      c.ok(c.api.solver_from_string(c.ctx, solver, script));
      const status = await solve(c, solver);
      const ms = performance.now() - t0;
      if (status === 'sat') {
        consts = readable(c, script);
        return { status, model: readModel(c, solver, consts), ms };
      }
      if (status === 'unknown') return { status, reason: c.api.solver_get_reason_unknown(c.ctx, solver), ms };
      return { status, ms };
    } finally {
      release(c, consts);
      if (solver !== undefined) c.api.solver_dec_ref(c.ctx, solver);
      closeContext(c);
    }
  });
}

/** A solver with the timeout set, referenced once: the caller gives it back with `solver_dec_ref`. */
function newSolver(c: Ctx, timeoutMs: number): Z3_solver {
  const { api, ctx } = c;
  const solver = api.mk_solver(ctx);
  api.solver_inc_ref(ctx, solver);
  const params = api.mk_params(ctx);
  api.params_inc_ref(ctx, params);
  try {
    const key = api.mk_string_symbol(ctx, 'timeout');
    // As z3-solver's `Solver.set`: integers as uint, anything else as double.
    if (Number.isInteger(timeoutMs)) c.ok(api.params_set_uint(ctx, params, key, timeoutMs));
    else c.ok(api.params_set_double(ctx, params, key, timeoutMs));
    api.solver_set_params(ctx, solver, params);
  } catch (e) {
    api.solver_dec_ref(ctx, solver);
    throw e;
  } finally {
    api.params_dec_ref(ctx, params);
  }
  return solver;
}

/** The solver's check, on Z3's thread; the caller holds the lock until it returns. */
async function solve(c: Ctx, solver: Z3_solver): Promise<SolverStatus> {
  const r = c.ok(await c.api.solver_check_assumptions(c.ctx, solver, []));
  return r === L_TRUE ? 'sat' : r === L_FALSE ? 'unsat' : 'unknown';
}

/** The `declare-const` constants of a script, name → sort text. */
function declaredConstants(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of text.matchAll(/\(declare-const \|([^|]*)\| (\w+|\(Seq [^\n]*\))\)$/gm)) out.set(m[1] as string, m[2] as string);
  return out;
}

/** The sort written `text`, made once per context and kept (sorts are few and tiny). */
function sortFor(c: Ctx, text: string): Z3_sort | undefined {
  const known = c.sorts.get(text);
  if (known !== undefined) return known;
  const { api, ctx } = c;
  let sort: Z3_sort | undefined;
  if (text === 'Bool') sort = api.mk_bool_sort(ctx);
  else if (text === 'Int') sort = api.mk_int_sort(ctx);
  else if (text === 'Real') sort = api.mk_real_sort(ctx);
  else if (text === 'String') sort = api.mk_string_sort(ctx);
  else {
    const m = /^\(Seq (.+)\)$/.exec(text);
    const of = m ? sortFor(c, m[1] as string) : undefined;
    if (of !== undefined) sort = api.mk_seq_sort(ctx, of);
  }
  if (sort === undefined) return undefined;
  api.inc_ref(ctx, api.sort_to_ast(ctx, sort));
  c.sorts.set(text, sort);
  return sort;
}

/** Constants to read from models, each referenced once: give them back with `release`. */
type Readable = Array<{ name: string; expr: Z3_ast; text: string }>;

function readable(c: Ctx, script: string): Readable {
  const { api, ctx } = c;
  const out: Readable = [];
  for (const [name, sortText] of declaredConstants(script)) {
    const sort = sortFor(c, sortText);
    if (sort === undefined) continue;
    const expr = api.mk_const(ctx, api.mk_string_symbol(ctx, name), sort);
    api.inc_ref(ctx, expr);
    out.push({ name, expr, text: api.ast_to_string(ctx, expr) });
  }
  return out;
}

function release(c: Ctx, consts: Readable): void {
  for (const k of consts) c.api.dec_ref(c.ctx, k.expr);
}

/**
 * The value of every declared constant the solver's model assigns, as SMT-LIB text, by unquoted name. Each
 * constant is evaluated on its own: in incremental mode Z3's models also list every `define-fun` ever parsed
 * in the context, by any solver, with its whole term, so walking a model's declarations costs more with
 * every script parsed (it made a 100-tool verification ten times slower than its checks).
 * @throws Error when Z3 cannot evaluate a constant in the model
 */
function readModel(c: Ctx, solver: Z3_solver, consts: Readable): Map<string, string> {
  const { api, ctx } = c;
  const m: Z3_model = c.ok(api.solver_get_model(ctx, solver));
  api.model_inc_ref(ctx, m);
  try {
    const model = new Map<string, string>();
    for (const k of consts) {
      const v = c.ok(api.model_eval(ctx, m, k.expr, false));
      if (v === null) throw new Error('Failed to evaluate expression in the model');
      api.inc_ref(ctx, v);
      const text = api.ast_to_string(ctx, v);
      api.dec_ref(ctx, v);
      if (text !== k.text) model.set(k.name, text); // unassigned: evaluates to itself
    }
    return model;
  } finally {
    api.model_dec_ref(ctx, m);
  }
}

/** What a session holds in Z3, freed by `close` — or, if it never is, after the session is collected. */
interface Held {
  z3: Z3;
  c: Ctx;
  solver: Z3_solver;
  consts: Readable;
}

function free(h: Held): Promise<void> {
  return withInstance(h.z3, () => {
    release(h.c, h.consts);
    h.c.api.solver_dec_ref(h.c.ctx, h.solver);
    closeContext(h.c);
  }).then(() => undefined);
}

/** Frees unclosed sessions: the callback only queues `free`, which runs under the lock like any Z3 call. */
// A failure to free (Z3 aborted by an earlier trap) must not surface as an unhandled rejection, at whatever
// moment garbage collection ran: the memory went with the failed module.
const unclosed = new FinalizationRegistry<Held>((h) => void free(h).catch(() => undefined));

/**
 * An incremental session: a base script (declarations, domain, definitions) parsed once, then many
 * queries, each its own push/pop scope. Much faster than re-parsing the script per query. Sessions may be
 * used concurrently with each other and with `check`: their Z3 calls take turns.
 */
export class QuerySession {
  private closed = false;

  private constructor(
    private readonly held: Held,
    private readonly timeoutMs: number,
  ) {
    unclosed.register(this, held, this);
  }

  /** @throws Error with Z3's message when `base` does not parse or sort-check */
  static open(base: string, timeoutMs = 30_000): Promise<QuerySession> {
    return withZ3((z3) => {
      const c = openContext(z3);
      try {
        const solver = newSolver(c, timeoutMs);
        c.ok(c.api.solver_from_string(c.ctx, solver, base));
        return new QuerySession({ z3, c, solver, consts: readable(c, base) }, timeoutMs);
      } catch (e) {
        closeContext(c);
        throw e;
      }
    });
  }

  /**
   * Checks the base plus `asserts`; with sat, the model of every declared constant, unless `model: false`
   * (reading a model back costs more than most checks: skip it when only the status matters).
   * @throws Error when the session was closed or the solver shut down, or Z3's message for a bad assertion
   */
  async check(asserts: readonly string[], options: { model?: boolean } = {}): Promise<QueryResult> {
    const { z3, c, solver, consts } = this.held;
    const r = await withInstance(z3, async () => {
      if (this.closed) return undefined;
      const { api, ctx } = c;
      const t0 = performance.now();
      api.solver_push(ctx, solver);
      try {
        c.ok(api.solver_from_string(ctx, solver, asserts.map((a) => `(assert ${a})`).join('\n')));
        const status = await solve(c, solver);
        const ms = performance.now() - t0;
        if (status === 'sat' && options.model !== false) return { status, model: readModel(c, solver, consts), ms };
        if (status === 'unknown') return { status, reason: api.solver_get_reason_unknown(ctx, solver), ms };
        return { status, ms };
      } finally {
        api.solver_pop(ctx, solver, 1);
      }
    });
    if (!r) throw new Error('the query session is closed, or the solver was shut down');
    return r;
  }

  /** Ends the session and frees its context, once no query is running. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    unclosed.unregister(this);
    void free(this.held).catch(() => undefined); // as for `unclosed`
  }

  get timeout(): number {
    return this.timeoutMs;
  }
}
