/**
 * The conformance corpus (tests/conformance) for the state-store tests, without registering the corpus's
 * own tests.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { compile } from '@writ/compiler';
import type { Artifact, Decision } from '@writ/runtime';

export interface Case {
  name: string;
  request: unknown;
  at?: number;
  expect: { effect: Decision['effect']; denial?: Decision['denial']; rule?: string; kind?: string };
}

export const CORPUS = path.join(import.meta.dirname, '..', 'conformance');
/** The corpus's clock: case `at` is milliseconds after this. */
export const START = Date.parse('2026-01-01T00:00:00Z');

/** The corpus's policy folders, sorted. */
export function corpusDirs(): string[] {
  return readdirSync(CORPUS, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort();
}

/** Compiles a corpus policy; throws with the diagnostics on a compile error. */
export function compileCase(dir: string): Artifact {
  const text = readFileSync(path.join(CORPUS, dir, 'policy.writ'), 'utf8');
  const r = compile([{ file: 'policy.writ', text }]);
  const errors = r.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length > 0 || r.artifact === undefined) {
    throw new Error(`${dir}/policy.writ: ${errors.map((d) => `${d.span.line}:${d.span.column} ${d.message}`).join('; ')}`);
  }
  return r.artifact;
}

export function readCases(dir: string): Case[] {
  return JSON.parse(readFileSync(path.join(CORPUS, dir, 'cases.json'), 'utf8')) as Case[];
}

/** A decision without what differs between two runs of it: approval ids (also inside messages) and record times. */
export function comparable(d: Decision): unknown {
  const approval = d.approval;
  const id = (m: string) => (approval === undefined ? m : m.replaceAll(approval.id, '<id>'));
  return {
    ...d,
    reasons: d.reasons.map((r) => ({ ...r, message: id(r.message) })),
    approval: approval === undefined ? undefined : { ...approval, id: '<id>' },
  };
}
