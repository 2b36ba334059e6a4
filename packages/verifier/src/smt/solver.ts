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
  shutdown: () => void;
}

let instance: Promise<Z3> | undefined;

async function z3(): Promise<Z3> {
  instance ??= (async () => {
    const { init } = await import('z3-solver');
    const api = await init();
    const ctx = api.Context('writ') as unknown as Context<'writ'>;
    const em = (api as unknown as { em?: { PThread?: { terminateAllThreads?: () => void } } }).em;
    return { ctx, shutdown: () => em?.PThread?.terminateAllThreads?.() };
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
    if (status === 'sat') {
      const model = new Map<string, string>();
      const m = solver.model();
      for (const d of m.decls()) {
        if (d.arity() !== 0) continue;
        model.set(String(d.name()), (m.get(d) as { sexpr(): string }).sexpr());
      }
      return { status, model, ms };
    }
    if (status === 'unknown') return { status, reason: solver.reasonUnknown(), ms };
    return { status, ms };
  } finally {
    solver.release?.();
  }
}

/** Stops Z3's worker threads so the process can exit. Safe to call when Z3 never started. */
export async function shutdown(): Promise<void> {
  if (!instance) return;
  (await instance).shutdown();
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
  ) {}

  static async open(base: string, timeoutMs = 30_000): Promise<QuerySession> {
    const { ctx } = await z3();
    const solver = new ctx.Solver();
    solver.set('timeout', timeoutMs);
    solver.fromString(base);
    return new QuerySession(solver, timeoutMs);
  }

  /** Checks the base plus `asserts`; with sat, the model of every declared constant. */
  async check(asserts: readonly string[]): Promise<QueryResult> {
    const t0 = performance.now();
    this.solver.push();
    try {
      this.solver.fromString(asserts.map((a) => `(assert ${a})`).join('\n'));
      const status = (await this.solver.check()) as SolverStatus;
      const ms = performance.now() - t0;
      if (status === 'sat') {
        const model = new Map<string, string>();
        const m = this.solver.model();
        for (const d of m.decls()) if (d.arity() === 0) model.set(String(d.name()), (m.get(d) as { sexpr(): string }).sexpr());
        return { status, model, ms };
      }
      if (status === 'unknown') return { status, reason: this.solver.reasonUnknown(), ms };
      return { status, ms };
    } finally {
      this.solver.pop();
    }
  }

  close(): void {
    this.solver.release?.();
  }

  get timeout(): number {
    return this.timeoutMs;
  }
}
