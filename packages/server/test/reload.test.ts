// The reloader watches a file (saved in place or by rename, as editors do) or a directory, swaps a policy
// that loads, refuses one that does not (the old one keeps serving), and ignores saves that change nothing.
import { mkdirSync, mkdtempSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { PolicyReloader, PolicySlot, ServerMetrics, type ReloadOutcome } from '../src/index.js';
import { POLICY, policyFrom } from './helpers.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'writ-reload-'));
let reloader: PolicyReloader | undefined;
afterEach(() => reloader?.close());

function setup(target: string, read: () => string) {
  const slot = new PolicySlot(policyFrom(read()));
  const outcomes: ReloadOutcome[] = [];
  const waiters: Array<(r: ReloadOutcome) => void> = [];
  const metrics = new ServerMetrics({ processMetrics: false });
  reloader = new PolicyReloader(slot, {
    load: () => policyFrom(read()),
    metrics,
    debounceMs: 30,
    onReload: (r) => {
      outcomes.push(r);
      waiters.shift()?.(r);
    },
  });
  reloader.watch(target);
  const next = () =>
    new Promise<ReloadOutcome>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no reload; so far ${JSON.stringify(outcomes)}`)), 5000);
      waiters.push((r) => (clearTimeout(t), resolve(r)));
    });
  return { slot, outcomes, next, metrics };
}

const v = (n: number) => POLICY.replace('version "1.0.0"', `version "1.0.${n}"`);

describe('PolicyReloader', () => {
  it('a file saved in place or replaced by rename is reloaded; a broken one refused', async () => {
    const file = path.join(tmp, 'a.writ');
    writeFileSync(file, v(0));
    const { slot, next, metrics } = setup(file, () => readFileSync(file, 'utf8'));
    const d0 = slot.current.digest;

    let r = next();
    writeFileSync(file, v(1));
    expect(await r).toMatchObject({ outcome: 'swapped' });
    expect(slot.current.policy.version).toBe('1.0.1');

    r = next();
    writeFileSync(path.join(tmp, 'a.writ.tmp'), v(2));
    renameSync(path.join(tmp, 'a.writ.tmp'), file);
    expect(await r).toMatchObject({ outcome: 'swapped' });
    expect(slot.current.policy.version).toBe('1.0.2');
    const d2 = slot.current.digest;
    expect(d2).not.toBe(d0);

    r = next();
    writeFileSync(file, `${v(3)}\nallow no_such_tool when true\n`);
    const refused = await r;
    expect(refused.outcome).toBe('refused');
    expect(String((refused as { error: Error }).error.message)).toMatch(/no_such_tool|unknown/i);
    expect(slot.current.digest).toBe(d2);

    r = next();
    writeFileSync(file, v(2)); // saved again without a change
    expect(await r).toMatchObject({ outcome: 'unchanged', digest: d2 });
    expect(await metrics.text()).toMatch(/writ_policy_reloads_total\{outcome="refused"\} 1/);
  });

  it('a directory is watched recursively for .writ files; other files are ignored', async () => {
    const dir = path.join(tmp, 'dir');
    mkdirSync(path.join(dir, 'sub'), { recursive: true });
    writeFileSync(path.join(dir, 'sub', 'p.writ'), v(0));
    const { slot, next, outcomes } = setup(dir, () => readFileSync(path.join(dir, 'sub', 'p.writ'), 'utf8'));
    writeFileSync(path.join(dir, 'notes.txt'), 'hello');
    await new Promise((r) => setTimeout(r, 200));
    expect(outcomes).toEqual([]);
    const r = next();
    writeFileSync(path.join(dir, 'sub', 'p.writ'), v(5));
    expect(await r).toMatchObject({ outcome: 'swapped' });
    expect(slot.current.policy.version).toBe('1.0.5');
  });
});
