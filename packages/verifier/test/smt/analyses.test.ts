// verify() settles the rule analyses from concrete samples, models and batched queries; its answers must be
// exactly those of the plain pairwise queries that `writ smt` exports (toolQueries), each asked of a fresh
// solver and aggregated over a rule's tools as checks.ts documents.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { compile, type Source } from '@writ/compiler';
import type { Artifact, Span } from '@writ/runtime';
import { check, encodeTool, script, shutdown, toolQueries, verify } from '@writ/verifier';
import { afterAll, describe, expect, it } from 'vitest';
import { generatePolicy } from '../../../../bench/decide/generate.mjs';

afterAll(() => shutdown());

const repo = path.resolve(import.meta.dirname, '../../../..');

function compileDir(dir: string): Artifact {
  const sources: Source[] = readdirSync(dir)
    .filter((f) => f.endsWith('.writ'))
    .map((f) => ({ file: f, text: readFileSyncUtf8(path.join(dir, f)) }));
  return compileSources(sources);
}

function compileSources(sources: Source[]): Artifact {
  const r = compile(sources);
  expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  return r.artifact!;
}

const readFileSyncUtf8 = (f: string) => readFileSync(f, 'utf8');

const before = (a: Span, b: Span) => a.file < b.file || (a.file === b.file && (a.line < b.line || (a.line === b.line && a.column < b.column)));

/** The analyses' findings from the plain pairwise queries, one fresh solver each. */
async function reference(a: Artifact): Promise<Record<'vacuous' | 'shadowed' | 'redundant', string[]>> {
  const can = new Map<string, boolean>();
  const free = new Map<string, boolean>();
  const by = new Map<string, Set<string> | undefined>();
  for (const tool of Object.keys(a.tools)) {
    const enc = encodeTool(a, tool);
    const sat = new Map<string, string>();
    for (const q of toolQueries(a, enc)) {
      if (q.kind === 'assertion' || q.kind === 'dead_tool') continue;
      const r = await check(script([enc], q.asserts), 30_000);
      expect(r.status, `${tool} ${q.kind} ${q.subject} ${q.other ?? ''}`).not.toBe('unknown');
      sat.set(`${q.kind}|${q.subject}|${q.other ?? ''}`, r.status);
    }
    const ix = a.index[tool]!;
    const rules = [...ix.deny, ...ix.approve, ...ix.allow].map((i) => a.rules[i]!);
    for (const r of rules) {
      const m = sat.get(`vacuous|${r.id}|`) === 'sat';
      can.set(r.id, (can.get(r.id) ?? false) || m);
      if (m && r.effect !== 'deny') free.set(r.id, (free.get(r.id) ?? false) || sat.get(`shadowed|${r.id}|`) === 'sat');
      const here = new Set<string>();
      for (const c of rules) {
        if (c.id === r.id || c.effect !== r.effect || sat.get(`redundant|${r.id}|${c.id}`) !== 'unsat') continue;
        if (sat.get(`redundant|${c.id}|${r.id}`) === 'unsat' && before(r.span, c.span)) continue;
        here.add(c.id);
      }
      const prev = by.get(r.id);
      by.set(r.id, prev === undefined ? here : new Set([...prev].filter((x) => here.has(x))));
    }
  }
  const out = { vacuous: [] as string[], shadowed: [] as string[], redundant: [] as string[] };
  for (const r of a.rules) {
    if (can.has(r.id) && !can.get(r.id)) out.vacuous.push(r.id);
    else if (free.has(r.id) && !free.get(r.id)) out.shadowed.push(r.id);
    else if ((by.get(r.id)?.size ?? 0) > 0) out.redundant.push(r.id);
  }
  return out;
}

async function verified(a: Artifact): Promise<Record<'vacuous' | 'shadowed' | 'redundant', string[]>> {
  const rep = await verify(a);
  const ids = (kind: string) => rep.results.filter((r) => r.kind === kind && r.status === 'failed').map((r) => r.id);
  expect(rep.results.filter((r) => r.status === 'unknown')).toEqual([]);
  return { vacuous: ids('vacuous'), shadowed: ids('shadowed'), redundant: ids('redundant') };
}

const sortAll = (x: Record<string, string[]>) => Object.fromEntries(Object.entries(x).map(([k, v]) => [k, [...v].sort()]));

describe('verify() analyses equal the pairwise queries', () => {
  const cases: Array<[string, () => Artifact]> = [
    ...readdirSync(path.join(repo, 'examples'), { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => [`examples/${d.name}`, () => compileDir(path.join(repo, 'examples', d.name))] as [string, () => Artifact]),
    ...['combination', 'errors', 'roles', 'strings', 'sequences', 'taint'].map(
      (c) => [`conformance/${c}`, () => compileDir(path.join(repo, 'tests/conformance', c))] as [string, () => Artifact],
    ),
    ['generated: 60 rules on 6 tools', () => compileSources([{ file: 'g.writ', text: generatePolicy({ rules: 60, ruledTools: 6, seed: 5 }).writText }])],
    ['generated: 24 rules on one tool', () => compileSources([{ file: 'g.writ', text: generatePolicy({ rules: 24, singleTool: true, seed: 9 }).writText }])],
    [
      'wildcards, duplicates, equivalents, errored rules',
      () =>
        compileSources([
          {
            file: 'p.writ',
            text: `policy "p" version "1"
role a, b
context tier?: enum("gold", "basic")
tool t(x: integer, s: string, note?: string)
tool u(x: integer, s: string, note?: string)
allow * when agent has role a
allow t when agent has role a and args.x > 3
allow t when args.x > 3 and agent has role a
allow u when args.x >= 10 or args.x > 9
allow u when args.x > 9
allow t when context.tier == "gold"
allow t when args.note == "ok"
deny * when args.s starts_with "tmp_" because "temporary"
deny t when args.s starts_with "tmp_x" because "temporary x"
deny t when args.note != "" because "notes"
approve u when agent has role b by role a within 1h
allow u when args.s matches "^[a-z]+$" and args.x < 0
allow u when args.s matches "^[a-c]+$" and args.x < -5
`,
          },
        ]),
    ],
    [
      // Samples read detectors as all-false and as all-true, and give context fields values: a detector on
      // a number is 'false' in the encoding except for pii, on a boolean always false.
      'detectors on every sort, context fields compared with parameters',
      () =>
        compileSources([
          {
            file: 'd.writ',
            text: `policy "d" version "1"
role a
context root: string
context level?: integer
tool t(n: integer, b: boolean, s: string, tags: list(string))
tool u(n: number, s: string)
deny t when secret(args.n) because "never: no secret scan on numbers"
deny t when pii(args.n) because "pii scans numbers"
deny t when injection(args.b) because "never: booleans are not scanned"
deny t when secret(args.b) or injection(args.tags) because "lists are scanned"
deny u when injection(args) because "whole arguments"
deny u when pii(args) and not (args.s starts_with context.root) because "pii outside root"
allow t when agent has role a and not (args.s == context.root)
allow t when secret(args.n) and args.n > 3
allow u when args.s starts_with context.root and context.level > 2
allow u when args.s starts_with context.root and context.level > 5
allow u when secret(args) and args.n > 1
`,
          },
        ]),
    ],
  ];
  for (const [name, make] of cases) {
    it(name, { timeout: 300_000 }, async () => {
      const a = make();
      expect(sortAll(await verified(a))).toEqual(sortAll(await reference(a)));
    });
  }
});
