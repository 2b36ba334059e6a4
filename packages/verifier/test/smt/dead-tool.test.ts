// verify() settles "dead tool" from concrete samples when one can be allowed in some state (sample.ts,
// controlsCanPass) and asks the solver otherwise; its findings must be exactly those of the plain
// `effect = allow` query asked of a fresh solver, tool by tool.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { compile, type Source } from '@writ/compiler';
import type { Artifact } from '@writ/runtime';
import { check, deadToolQuery, encodeTool, script, shutdown, verify } from '@writ/verifier';
import { afterAll, describe, expect, it } from 'vitest';
import { generatePolicy } from '../../../../bench/decide/generate.mjs';

afterAll(() => shutdown());

const repo = path.resolve(import.meta.dirname, '../../../..');

function compileSources(sources: Source[]): Artifact {
  const r = compile(sources);
  expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  return r.artifact!;
}

const compileDir = (dir: string) =>
  compileSources(
    readdirSync(dir)
      .filter((f) => f.endsWith('.writ'))
      .map((f) => ({ file: f, text: readFileSync(path.join(dir, f), 'utf8') })),
  );

async function reference(a: Artifact): Promise<string[]> {
  const dead: string[] = [];
  for (const tool of Object.keys(a.tools)) {
    const enc = encodeTool(a, tool);
    const r = await check(script([enc], deadToolQuery(enc).asserts), 30_000);
    expect(r.status, tool).not.toBe('unknown');
    if (r.status === 'unsat') dead.push(tool);
  }
  return dead.sort();
}

async function verified(a: Artifact): Promise<string[]> {
  const rep = await verify(a);
  expect(rep.results.filter((r) => r.status === 'unknown')).toEqual([]);
  return rep.results
    .filter((r) => r.kind === 'dead_tool' && r.status === 'failed')
    .map((r) => r.id)
    .sort();
}

describe('verify() dead tools equal the plain queries', () => {
  const cases: Array<[string, () => Artifact]> = [
    ...readdirSync(path.join(repo, 'examples'), { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => [`examples/${d.name}`, () => compileDir(path.join(repo, 'examples', d.name))] as [string, () => Artifact]),
    ...['approvals', 'budgets', 'killswitch', 'limits', 'taint', 'errors'].map(
      (c) => [`conformance/${c}`, () => compileDir(path.join(repo, 'tests/conformance', c))] as [string, () => Artifact],
    ),
    ['generated: 60 rules on 6 tools', () => compileSources([{ file: 'g.writ', text: generatePolicy({ rules: 60, ruledTools: 6, seed: 5 }).writText }])],
    [
      // Tools whose only obstacle is a budget, a limit, an approval or a context field.
      'budgets, limits, approvals, context',
      () =>
        compileSources([
          {
            file: 'p.writ',
            text: `policy "p" version "1"
role a
context zone: string
tool pricey(x: integer) cost 2 USD
tool cheap(x: integer) cost 0.5 USD
tool euro(x: integer) cost 9 EUR
tool limited(x: integer)
tool signed(x: integer)
tool zoned(s: string)
tool nozone(s: string)
allow [pricey, cheap, euro, limited]
approve signed when agent has role a by role a within 1h else deny
allow zoned when args.s starts_with context.zone
allow nozone when args.s == "a"
deny nozone when not (args.s == context.zone) or injection(args.s, path_traversal) because "zone"
deny nozone when args.s == "a" and context.zone == "a" because "a"
limit limited 1 per 1m per session
budget per session cost 1 USD
`,
          },
        ]),
    ],
  ];
  for (const [name, make] of cases) {
    it(name, { timeout: 300_000 }, async () => {
      const a = make();
      expect(await verified(a)).toEqual(await reference(a));
    });
  }

  it('finds the dead tools of the budget case (the comparison is not vacuous)', { timeout: 60_000 }, async () => {
    const a = compileSources([
      {
        file: 'p.writ',
        text: `policy "p" version "1"
tool pricey(x: integer) cost 2 USD
tool cheap(x: integer) cost 0.5 USD
allow [pricey, cheap]
budget per session cost 1 USD
`,
      },
    ]);
    expect(await verified(a)).toEqual(['pricey']);
  });
});
