/**
 * The in-process solver: z3-solver (Z3 compiled to WebAssembly), initialised once per process and only when
 * a query first runs, so nothing that does not verify pays for loading it.
 */
import type { Context } from 'z3-solver';

export type SolverStatus = 'sat' | 'unsat' | 'unknown';

export interface QueryResult {
  status: SolverStatus;
  /** With sat: the value of every declared constant, as SMT-LIB text, by unquoted name. */
  model?: Map<string, string>;
  /** With unknown: the solver's reason (e.g. `timeout`). */
  reason?: string;
  ms: number;
}

interface Z3 {
  ctx: Context<'writ'>;
  shutdown: () => Promise<void>;
}

/** The Emscripten thread pool z3-solver runs `check()` on (and Z3's timer threads). */
interface PThreads {
  runningWorkers?: Worker[];
  unusedWorkers?: Worker[];
  terminateAllThreads?: () => void;
}

type Worker = { onmessage?: (e: { data?: { cmd?: string } }) => void };

let instance: Promise<Z3> | undefined;

async function z3(): Promise<Z3> {
  instance ??= (async () => {
    const { init } = await import('z3-solver');
    const api = await init();
    const ctx = api.Context('writ') as unknown as Context<'writ'>;
    const threads = (api as unknown as { em?: { PThread?: PThreads } }).em?.PThread;
    const shutdown = async () => {
      if (!threads?.terminateAllThreads) return;
      const workers = [...(threads.runningWorkers ?? []), ...(threads.unusedWorkers ?? [])];
      threads.terminateAllThreads();
      // A solver thread that has just finished posts "cleanupThread" to hand its worker back; arriving after
      // the worker was terminated, Emscripten prints `received "cleanupThread" command from terminated
      // worker` on stderr. Nothing is left to clean up: drop that one message, report any other.
      for (const w of workers) {
        const report = w.onmessage;
        w.onmessage = (e) => {
          if (e.data?.cmd !== 'cleanupThread') report?.(e);
        };
      }
    };
    return { ctx, shutdown };
  })();
  return instance;
}

/**
 * Checks an SMT-LIB 2 script (declarations and assertions; no `check-sat` needed).
 * @param timeoutMs - per query; on expiry the status is `unknown` with reason `timeout`
 */
export async function check(script: string, timeoutMs = 30_000): Promise<QueryResult> {
  const { ctx } = await z3();
  const solver = new ctx.Solver();
  solver.set('timeout', timeoutMs);
  const t0 = performance.now();
  try {
    solver.fromString(script);
    const status = (await solver.check()) as SolverStatus;
    const ms = performance.now() - t0;
    if (status === 'sat') return { status, model: readModel(solver.model(), readable(ctx, script)), ms };
    if (status === 'unknown') return { status, reason: solver.reasonUnknown(), ms };
    return { status, ms };
  } finally {
    free(solver);
  }
}

/**
 * Frees what a solver holds now, without `release()`: in z3-solver 5.2.0 `Solver.release()` drops the
 * reference but leaves the finalizer registered, which drops it again at garbage collection — a double
 * free in the WebAssembly heap. `reset()` drops the assertions and everything learned (almost all the
 * memory; the wasm heap is invisible to V8's GC, so waiting for finalizers lets it grow without bound and
 * slows every later query), and the finalizer frees the small rest, once.
 */
function free(solver: InstanceType<Ctx['Solver']>): void {
  solver.reset();
}

type Ctx = Context<'writ'>;
type Sort = ReturnType<Ctx['Int']['sort']> | ReturnType<Ctx['String']['sort']> | ReturnType<Ctx['Bool']['sort']>;

/** The `declare-const` constants of a script, name → sort text. */
function declaredConstants(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of text.matchAll(/\(declare-const \|([^|]*)\| (\w+|\(Seq [^\n]*\))\)$/gm)) out.set(m[1] as string, m[2] as string);
  return out;
}

function sortFor(ctx: Ctx, text: string): Sort | undefined {
  switch (text) {
    case 'Bool':
      return ctx.Bool.sort();
    case 'Int':
      return ctx.Int.sort();
    case 'Real':
      return ctx.Real.sort();
    case 'String':
      return ctx.String.sort();
    default: {
      const m = /^\(Seq (.+)\)$/.exec(text);
      const of = m ? sortFor(ctx, m[1] as string) : undefined;
      return of ? (ctx.Seq.sort(of) as unknown as Sort) : undefined;
    }
  }
}

/** Constants to read from models: built once per script. */
type Readable = Array<{ name: string; expr: ReturnType<Ctx['Const']>; text: string }>;

function readable(ctx: Ctx, script: string): Readable {
  const out: Readable = [];
  for (const [name, sortText] of declaredConstants(script)) {
    const sort = sortFor(ctx, sortText);
    if (!sort) continue;
    const expr = ctx.Const(name, sort);
    out.push({ name, expr, text: expr.sexpr() });
  }
  return out;
}

/**
 * The value of every declared constant the model assigns, as SMT-LIB text, by unquoted name. Each constant
 * is evaluated on its own: in incremental mode Z3's models also list every `define-fun` ever parsed in the
 * context, by any solver, with its whole term, so walking a model's declarations costs more with every
 * script parsed (it made a 100-tool verification ten times slower than its checks).
 */
function readModel(m: ReturnType<InstanceType<Ctx['Solver']>['model']>, consts: Readable): Map<string, string> {
  const model = new Map<string, string>();
  for (const c of consts) {
    const v = m.eval(c.expr, false).sexpr();
    if (v !== c.text) model.set(c.name, v); // unassigned: evaluates to itself
  }
  m.release(); // Model.release() does unregister its finalizer
  return model;
}

/** Stops Z3's worker threads so the process can exit. Safe to call when Z3 never started. */
export async function shutdown(): Promise<void> {
  if (!instance) return;
  await (await instance).shutdown();
  instance = undefined;
}

/**
 * An incremental session: a base script (declarations, domain, definitions) parsed once, then many
 * queries, each its own push/pop scope. Much faster than re-parsing the script per query.
 */
export class QuerySession {
  private constructor(
    private readonly solver: InstanceType<Context<'writ'>['Solver']>,
    private readonly timeoutMs: number,
    /** The base's constants, read from models. */
    private readonly consts: Readable,
  ) {}

  static async open(base: string, timeoutMs = 30_000): Promise<QuerySession> {
    const { ctx } = await z3();
    const solver = new ctx.Solver();
    solver.set('timeout', timeoutMs);
    solver.fromString(base);
    return new QuerySession(solver, timeoutMs, readable(ctx, base));
  }

  /**
   * Checks the base plus `asserts`; with sat, the model of every declared constant, unless `model: false`
   * (reading a model back costs more than most checks: skip it when only the status matters).
   */
  async check(asserts: readonly string[], options: { model?: boolean } = {}): Promise<QueryResult> {
    const t0 = performance.now();
    this.solver.push();
    try {
      this.solver.fromString(asserts.map((a) => `(assert ${a})`).join('\n'));
      const status = (await this.solver.check()) as SolverStatus;
      const ms = performance.now() - t0;
      if (status === 'sat' && options.model !== false) return { status, model: readModel(this.solver.model(), this.consts), ms };
      if (status === 'unknown') return { status, reason: this.solver.reasonUnknown(), ms };
      return { status, ms };
    } finally {
      this.solver.pop();
    }
  }

  /** Ends the session and frees the solver's memory (see `free`). */
  close(): void {
    free(this.solver);
  }

  get timeout(): number {
    return this.timeoutMs;
  }
}
