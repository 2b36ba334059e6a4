import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { compile } from '@writ/compiler';
import { MemoryStateStore, loadPolicy, toAsyncStore, type AsyncStateStore, type Decision } from '@writ/runtime';
import { RedisStateStore } from '@writ/state-redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisServer } from './helpers/redis.js';
import { comparable } from './helpers/redis-corpus.js';

interface Case {
  name: string;
  request: unknown;
  at?: number;
  expect: { effect: Decision['effect']; denial?: Decision['denial']; rule?: string; kind?: string };
}

const root = path.join(import.meta.dirname, 'conformance');
const START = Date.parse('2026-01-01T00:00:00Z');

/** Compiles a conformance policy; fails the test on any compile error. */
export function compileCase(dir: string) {
  const text = readFileSync(path.join(root, dir, 'policy.writ'), 'utf8');
  const r = compile([{ file: 'policy.writ', text }]);
  const errors = r.diagnostics.filter((d) => d.severity === 'error');
  expect(errors.map((d) => `${d.span.line}:${d.span.column} ${d.message}`)).toEqual([]);
  return r.artifact!;
}

export function readCases(dir: string): Case[] {
  return JSON.parse(readFileSync(path.join(root, dir, 'cases.json'), 'utf8')) as Case[];
}

const dirs = readdirSync(root, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort();

function check(dir: string, c: Case, d: Decision, digest: string): void {
  const got = {
    effect: d.effect,
    ...(c.expect.denial ? { denial: d.denial } : {}),
    ...(c.expect.rule ? { rule: d.reasons[0]?.span ? `${d.reasons[0].span.file}:${d.reasons[0].span.line}` : d.reasons[0]?.rule } : {}),
    ...(c.expect.kind ? { kind: d.reasons[0]?.kind } : {}),
  };
  expect(got, `${dir}: ${c.name}\n${JSON.stringify(d.reasons)}`).toEqual(c.expect);
  expect(d.reasons.length, `${dir}: ${c.name}: reasons never empty`).toBeGreaterThan(0);
  expect(d.policy.digest).toBe(digest);
}

describe('conformance corpus (runtime)', () => {
  it('has cases', () => expect(dirs.length).toBeGreaterThanOrEqual(10));
  for (const dir of dirs) {
    it(dir, () => {
      const policy = loadPolicy(compileCase(dir));
      for (const c of readCases(dir)) check(dir, c, policy.decide(c.request, { now: START + (c.at ?? 0) }), policy.digest);
    });
  }
});

/**
 * The same corpus through `decideAsync` on an asynchronous store: each case must get the expected decision
 * and the very decision the synchronous engine gives on its own in-memory store.
 */
function asyncCorpus(name: string, storeFor: (dir: string) => AsyncStateStore): void {
  describe(`conformance corpus (decideAsync, ${name})`, () => {
    for (const dir of dirs) {
      it(dir, async () => {
        const artifact = compileCase(dir);
        const policy = loadPolicy(artifact);
        const reference = loadPolicy(artifact);
        const state = storeFor(dir);
        for (const c of readCases(dir)) {
          const now = START + (c.at ?? 0);
          const d = await policy.decideAsync(c.request, { state, now });
          check(dir, c, d, policy.digest);
          expect(comparable(d), `${dir}: ${c.name}`).toEqual(comparable(reference.decide(c.request, { now })));
        }
      });
    }
  });
}

asyncCorpus('memory store through toAsyncStore', () => toAsyncStore(new MemoryStateStore()));

describe('with redis-server', () => {
  let server: RedisServer;
  const stores: RedisStateStore[] = [];
  beforeAll(async () => {
    server = await RedisServer.start();
  });
  afterAll(async () => {
    await Promise.all(stores.map((s) => s.close()));
    await server?.dispose();
  });
  asyncCorpus('RedisStateStore', (dir) => {
    const s = new RedisStateStore({ url: server.url, prefix: `conformance:${dir}:` });
    stores.push(s);
    return s;
  });
});
