// The solver under garbage collection and concurrent callers. Z3's check runs on a WebAssembly pthread; a Z3
// reference freed from the main thread meanwhile (z3-solver's high-level objects free theirs from
// FinalizationRegistry callbacks, run whenever V8 collects them) or any other Z3 call made then corrupts Z3's
// heap. Before solver.ts kept every Z3 call under one lock with explicit references, this stress gave wrong
// statuses (unsat for a satisfiable script), `memory access out of bounds`, sort errors on valid scripts and
// hangs, in about three runs of four.
import v8 from 'node:v8';
import vm from 'node:vm';
import { check, QuerySession, shutdown, type QueryResult } from '@writ/verifier';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

afterAll(() => shutdown());

let gc: () => void;
beforeAll(() => {
  v8.setFlagsFromString('--expose-gc');
  gc = vm.runInNewContext('gc') as () => void;
});

/** Collects garbage on every turn of the event loop (so finalizers run during checks) until stopped. */
function collectContinuously(): { stop: () => number } {
  let running = true;
  let count = 0;
  const turn = () => {
    if (!running) return;
    gc();
    count++;
    setImmediate(turn);
  };
  setImmediate(turn);
  return {
    stop: () => {
      running = false;
      return count;
    },
  };
}

const EXTRA = 30; // constants beyond the core ones: more model values read, more references per query

/** Declarations and constraints whose models are checkable: y = 3x, |s| = n over [a-f]+, c_e = x + e, w_e = s ++ e. */
function base(i: number): { text: string; k: number; n: number } {
  const k = (i * 37) % 1000;
  const n = 3 + (i % 7);
  const lines = [
    '(declare-const |x| Int)',
    '(declare-const |y| Int)',
    '(declare-const |s| String)',
    '(declare-const |t| String)',
    '(declare-const |b| Bool)',
    '(declare-const |q| (Seq String))',
    `(assert (> |x| ${k}))`,
    '(assert (= |y| (* 3 |x|)))',
    `(assert (= (str.len |s|) ${n}))`,
    '(assert (str.in_re |s| (re.+ (re.range "a" "f"))))',
    '(assert (str.prefixof |s| |t|))',
    '(assert (= |q| (seq.++ (seq.unit |s|) (seq.unit |t|))))',
  ];
  for (let e = 0; e < EXTRA; e++) {
    lines.push(`(declare-const |c${e}| Int)`, `(declare-const |w${e}| String)`);
    lines.push(`(assert (= |c${e}| (+ |x| ${e})))`, `(assert (= |w${e}| (str.++ |s| "${e}")))`);
  }
  return { text: lines.join('\n'), k, n };
}

/** What is wrong with a sat result for `base(i)` plus `x > min`, or undefined. */
function wrongModel(r: QueryResult, k: number, n: number, min = k): string | undefined {
  if (r.status !== 'sat') return `status ${r.status} (${r.reason ?? ''}), expected sat`;
  const m = r.model!;
  const x = BigInt(m.get('x') ?? 'NaN');
  const s = m.get('s') ?? '';
  if (x <= BigInt(Math.max(k, min))) return `x = ${x}, not above ${Math.max(k, min)}`;
  if (m.get('y') !== String(3n * x)) return `y = ${m.get('y')} for x = ${x}`;
  if (!/^"[a-f]+"$/.test(s) || s.length - 2 !== n) return `s = ${s}, expected ${n} letters a-f`;
  for (let e = 0; e < EXTRA; e++) {
    if (m.get(`c${e}`) !== String(x + BigInt(e))) return `c${e} = ${m.get(`c${e}`)} for x = ${x}`;
    if (m.get(`w${e}`) !== `${s.slice(0, -1)}${e}"`) return `w${e} = ${m.get(`w${e}`)} for s = ${s}`;
  }
  return undefined;
}

/** One-shot checks, every third unsatisfiable (y < 3k contradicts y = 3x, x > k); returns what went wrong. */
async function oneShot(from: number, count: number): Promise<string[]> {
  const wrong: string[] = [];
  for (let i = from; i < from + count; i++) {
    const { text, k, n } = base(i);
    const unsat = i % 3 === 2;
    const r = await check(`${text}\n(assert (${unsat ? `< |y| ${3 * k}` : `=> |b| (< |x| ${k + 5})`}))`, 10_000);
    const why = unsat ? (r.status === 'unsat' ? undefined : `status ${r.status}, expected unsat`) : wrongModel(r, k, n);
    if (why) wrong.push(`check ${i}: ${why}`);
  }
  return wrong;
}

/** Incremental sessions: per session, sat queries with models and unsat queries in their own scopes. */
async function sessions(from: number, count: number, queries: number): Promise<string[]> {
  const wrong: string[] = [];
  for (let i = from; i < from + count; i++) {
    const { text, k, n } = base(i);
    const session = await QuerySession.open(text, 10_000);
    try {
      for (let q = 0; q < queries; q++) {
        const min = 2000 + 1000 * q;
        const sat = await session.check([`(> |x| ${min})`]);
        const why = wrongModel(sat, k, n, min);
        if (why) wrong.push(`session ${i} query ${q}: ${why}`);
        const unsat = await session.check(['(< |y| (* 3 |x|))']);
        if (unsat.status !== 'unsat') wrong.push(`session ${i} query ${q}: status ${unsat.status}, expected unsat`);
      }
    } finally {
      session.close();
    }
  }
  return wrong;
}

describe('solver under garbage collection', () => {
  it('answers every query right while finalizers run during checks and callers interleave', { timeout: 60_000 }, async () => {
    const gcs = collectContinuously();
    let wrong: string[];
    try {
      // Two callers at once: their Z3 calls must take turns, not overlap each other's checks.
      wrong = (await Promise.all([oneShot(0, 60), sessions(100, 6, 5)])).flat();
    } finally {
      expect(gcs.stop()).toBeGreaterThan(100);
    }
    expect(wrong).toEqual([]);
  });
});

describe('query sessions', () => {
  it('a session closed while another query runs is freed after it; its later queries are refused', async () => {
    const { text, k, n } = base(1);
    const session = await QuerySession.open(text);
    const running = check(`${text}\n(assert (> |x| 5000))`);
    session.close();
    session.close(); // idempotent
    expect(wrongModel(await running, k, n, 5000)).toBeUndefined();
    await expect(session.check(['(> |x| 1)'])).rejects.toThrow(/closed/);
  });

  it('reports a script Z3 cannot parse as an error, and goes on answering', async () => {
    await expect(check('(assert (> |nope| 1))')).rejects.toThrow(/unknown constant/);
    await expect(QuerySession.open('(declare-const |a| Int)\n(assert (> |a| "s"))')).rejects.toThrow();
    expect((await check('(declare-const |a| Int)\n(assert (> |a| 1))')).model).toEqual(new Map([['a', '2']]));
  });

  it('shutdown waits for a running check; a later query starts a fresh solver', async () => {
    const { text, k, n } = base(2);
    const session = await QuerySession.open(text);
    const running = check(`${text}\n(assert (> |x| 7000))`);
    await shutdown();
    expect(wrongModel(await running, k, n, 7000)).toBeUndefined();
    await expect(session.check(['(> |x| 1)'])).rejects.toThrow(/shut down/);
    session.close(); // nothing left to free
    expect((await check('(declare-const |a| Int)\n(assert (> |a| 41))')).model).toEqual(new Map([['a', '42']]));
  });
});
