/**
 * The process's Z3 — z3-solver, Z3 compiled to WebAssembly with pthreads — loaded when a query first runs,
 * the lock every use of it takes, and the contexts queries run in.
 *
 * Threading rule. Z3's `check` runs on an Emscripten pthread while the main thread's event loop goes on, and
 * Z3's term store (ast_manager: hash-consing table, allocator) is not thread-safe: no other Z3 call may run
 * until the check returns. So:
 * - every Z3 call is made inside `withZ3`, whose sections run one at a time, each awaiting its own check;
 * - only the low-level API is used, and every reference taken is given back explicitly. z3-solver's
 *   high-level objects (Expr, Sort, Solver, Model) drop theirs from FinalizationRegistry callbacks, i.e.
 *   whenever V8 collects them — possibly in the middle of a check, which corrupts Z3's heap (seen as wrong
 *   sat/unsat answers, `ASSERTION VIOLATION … ast.cpp`, hangs, `memory access out of bounds`).
 *
 * Context rule. Each query (`check`) and each incremental session runs in a context of its own, deleted when
 * it ends: an answer depends on the script alone, not on what earlier queries left in a shared context (term
 * ids, definitions) — with strings and sequences that history can turn sat into `unknown` — and deleting the
 * context gives all its memory back at once.
 */
import type { Z3Core, Z3_context, Z3_sort } from 'z3-solver';

/** z3-solver's enum values (low-level `types.__GENERATED__`), fixed by Z3's C API. */
export const L_TRUE = 1;
export const L_FALSE = -1;
const OK = 0;
const PRINT_SMTLIB2_COMPLIANT = 2;

export interface Z3 {
  api: Z3Core;
  /** False once `shutdown` ran: the module and everything in it are gone. */
  alive: boolean;
  terminate(): void;
}

/** A Z3 context, made by `openContext` and deleted by `closeContext`, both inside a section. */
export interface Ctx {
  api: Z3Core;
  ctx: Z3_context;
  /** Sorts by SMT-LIB text (`Int`, `(Seq String)`), made once per context. */
  sorts: Map<string, Z3_sort>;
  /** Throws Z3's last error on the context, as the high-level API does after each call; else returns `value`. */
  ok<T>(value: T): T;
}

/** A context as z3-solver's high-level `Context` makes it, without the finalizer that would delete it. */
export function openContext(z3: Z3): Ctx {
  const { api } = z3;
  const cfg = api.mk_config();
  const ctx = api.mk_context_rc(cfg);
  api.set_ast_print_mode(ctx, PRINT_SMTLIB2_COMPLIANT);
  api.del_config(cfg);
  return {
    api,
    ctx,
    sorts: new Map(),
    ok<T>(value: T): T {
      const code = api.get_error_code(ctx);
      if (code !== OK) throw new Error(api.get_error_msg(ctx, code));
      return value;
    },
  };
}

/** Deletes the context and everything still in it. */
export function closeContext(c: Ctx): void {
  c.api.del_context(c.ctx);
}

/** The Emscripten thread pool z3-solver runs `check()` on (and Z3's timer threads). */
interface PThreads {
  runningWorkers?: Worker[];
  unusedWorkers?: Worker[];
  terminateAllThreads?: () => void;
}

type Worker = { onmessage?: (e: { data?: { cmd?: string } }) => void };

let instance: Promise<Z3> | undefined;
/** The end of the queue of sections; never rejects. */
let tail: Promise<void> = Promise.resolve();
/** Bumped when `shutdown` gives up on a section that does not end: sections queued before that never run. */
let epoch = 0;

function load(): Promise<Z3> {
  instance ??= (async () => {
    const { init } = await import('z3-solver');
    const { Z3: api, em } = await init();
    const threads = (em as { PThread?: PThreads } | undefined)?.PThread;
    const z3: Z3 = {
      api,
      alive: true,
      terminate() {
        z3.alive = false;
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
      },
    };
    return z3;
  })();
  return instance;
}

/** Runs `section` after every section queued before it has settled; its result or error is the caller's. */
function serialised<T>(section: () => Promise<T> | T): Promise<T> {
  const queuedIn = epoch;
  const run = tail.then(() => {
    if (queuedIn !== epoch) throw new Error('the solver was shut down while this query waited');
    return section();
  });
  tail = run.then(
    () => undefined,
    () => undefined,
  );
  return run;
}

/**
 * Runs `section` with Z3, alone: no other section starts until its promise settles. Every Z3 call must be
 * made inside a section (see the module comment). Loads Z3 on first use.
 */
export function withZ3<T>(section: (z3: Z3) => Promise<T> | T): Promise<T> {
  return serialised(async () => section(await load()));
}

/**
 * Runs `section` with `z3` alone, as `withZ3`, if that instance is still alive (not shut down); else resolves
 * to `undefined` without running it: what the instance held went with its module.
 */
export function withInstance<T>(z3: Z3, section: (z3: Z3) => Promise<T> | T): Promise<T | undefined> {
  return serialised(() => (z3.alive ? section(z3) : undefined));
}

/** How long `shutdown` waits for the running section before stopping Z3's threads under it. */
export const SHUTDOWN_GRACE_MS = 5_000;

/**
 * Stops Z3's worker threads so the process can exit, once the running section is done — or, if it is not done
 * within `graceMs` (a Z3 worker that died, a check that ignores its timeout), under it: the stuck section and
 * those queued behind it never complete, and later queries start on a fresh Z3. Safe to call when Z3 never
 * started; a later query loads a fresh instance.
 */
export function shutdown(graceMs = SHUTDOWN_GRACE_MS): Promise<void> {
  const orderly = serialised(async () => {
    if (!instance) return;
    const z3 = await instance.catch(() => undefined);
    instance = undefined;
    z3?.terminate();
  });
  const loaded = instance;
  if (loaded === undefined) return orderly;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const forced = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      epoch++; // what waits behind the stuck section, this shutdown's own orderly part included, will not run
      tail = Promise.resolve();
      if (instance === loaded) instance = undefined;
      void loaded.then(
        (z3) => z3.terminate(),
        () => undefined,
      );
      resolve();
    }, graceMs);
  });
  return Promise.race([orderly, forced]).finally(() => clearTimeout(timer));
}
