import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { compile } from '@writ/compiler';
import { loadPolicy, type Decision } from '@writ/runtime';
import { describe, expect, it } from 'vitest';

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

describe('conformance corpus (runtime)', () => {
  it('has cases', () => expect(dirs.length).toBeGreaterThanOrEqual(10));
  for (const dir of dirs) {
    it(dir, () => {
      const policy = loadPolicy(compileCase(dir));
      for (const c of readCases(dir)) {
        const d = policy.decide(c.request, { now: START + (c.at ?? 0) });
        const got = {
          effect: d.effect,
          ...(c.expect.denial ? { denial: d.denial } : {}),
          ...(c.expect.rule ? { rule: d.reasons[0]?.span ? `${d.reasons[0].span.file}:${d.reasons[0].span.line}` : d.reasons[0]?.rule } : {}),
          ...(c.expect.kind ? { kind: d.reasons[0]?.kind } : {}),
        };
        expect(got, `${dir}: ${c.name}\n${JSON.stringify(d.reasons)}`).toEqual(c.expect);
        expect(d.reasons.length, `${dir}: ${c.name}: reasons never empty`).toBeGreaterThan(0);
        expect(d.policy.digest).toBe(policy.digest);
      }
    });
  }
});
