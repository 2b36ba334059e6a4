// shutdown() must not wait forever for a section that does not end (a Z3 worker that died, a check that ignores
// its timeout): after the grace period it stops Z3 under it, and later queries start on a fresh Z3 that nothing
// from before the shutdown can touch.
import { afterAll, describe, expect, it } from 'vitest';
import { check } from '../../src/smt/solver.js';
import { shutdown, withZ3 } from '../../src/smt/z3.js';

afterAll(() => shutdown());

const SAT = '(declare-const |a| Int)\n(assert (> |a| 41))';

describe('shutdown with a section that does not end', () => {
  it('stops Z3 after the grace period; a later query runs on a fresh Z3', async () => {
    expect((await check(SAT)).model).toEqual(new Map([['a', '42']]));
    let entered = false;
    void withZ3(() => {
      entered = true;
      return new Promise<never>(() => {}); // never ends
    });
    await new Promise((r) => setTimeout(r, 20));
    expect(entered).toBe(true);
    const t0 = performance.now();
    await shutdown(150);
    const waited = performance.now() - t0;
    expect(waited).toBeGreaterThanOrEqual(100);
    expect(waited).toBeLessThan(3000);
    expect((await check(SAT)).model).toEqual(new Map([['a', '42']]));
  });

  it('a section that ends after the grace period leaves the fresh Z3 alone; what waited behind it is refused', async () => {
    let release!: () => void;
    const slow = withZ3(() => new Promise<string>((resolve) => (release = () => resolve('done'))));
    const behind = withZ3(() => 'ran');
    await new Promise((r) => setTimeout(r, 20));
    await shutdown(100);
    // A query after the shutdown loads a fresh Z3 and runs at once, though the old section is still open.
    expect((await check(SAT)).status).toBe('sat');
    release();
    expect(await slow).toBe('done');
    // Queued before the shutdown gave up: refused, not run beside the fresh Z3's sections.
    await expect(behind).rejects.toThrow(/shut down/);
    // The shutdown's own orderly part, queued behind the slow section, did not stop the fresh Z3.
    await new Promise((r) => setTimeout(r, 20));
    expect((await check(SAT)).model).toEqual(new Map([['a', '42']]));
  });
});
