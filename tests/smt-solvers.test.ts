// Every SMT-LIB query `writ smt` exports — for every example, every conformance policy and a policy that
// uses every construct the encoder emits — run through the z3 and cvc5 command-line solvers (Debian packages
// `z3` and `cvc5`, installed by .ci/run): each must answer what z3-solver answered (the file's `expect` line).
//
// cvc5 needs --strings-exp for the extended string functions (str.contains, str.prefixof, str.suffixof,
// seq.contains), which the SMT-LIB Unicode Strings theory defines but cvc5 1.0 leaves off by default.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { compile } from '@writ/compiler';
import { readPolicySources } from '@writ/cli';
import { exportQueries, shutdown, type ExportedQuery } from '@writ/verifier';
import { afterAll, describe, expect, it } from 'vitest';

const repo = path.resolve(import.meta.dirname, '..');
const tmp = mkdtempSync(path.join(tmpdir(), 'writ-smt-'));

afterAll(() => shutdown());

const SOLVERS = {
  z3: (file: string) => ['z3', ['-smt2', '-T:60', file]] as const,
  cvc5: (file: string) => ['cvc5', ['--lang', 'smt2', '--strings-exp', '--tlimit=60000', file]] as const,
};

/** The binary's version line, or a clear failure: this test must not be skipped in CI. */
function requireBinary(name: string): string {
  const r = spawnSync(name, ['--version'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) {
    throw new Error(
      `the '${name}' command-line solver is not installed (${r.error?.message ?? `exit ${r.status}`}). ` +
        `Install it: apt-get install -y z3 cvc5 (.ci/run does this in CI).`,
    );
  }
  return r.stdout.split('\n')[0] ?? '';
}

function run(cmd: string, args: readonly string[]): Promise<string> {
  return new Promise((resolve) => {
    const p = spawn(cmd, args);
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (out += d.toString()));
    p.on('close', () => resolve(out.trim()));
  });
}

/** Runs `f` over `items`, `n` at a time. */
async function pool<T, R>(items: readonly T[], n: number, f: (x: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: n }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await f(items[i]!);
      }
    }),
  );
  return out;
}

const examples = readdirSync(path.join(repo, 'examples'), { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => ({ name: `examples/${d.name}`, dir: path.join(repo, 'examples', d.name), analyses: true }));
const conformance = readdirSync(path.join(repo, 'tests/conformance'), { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => ({ name: `conformance/${d.name}`, dir: path.join(repo, 'tests/conformance', d.name), analyses: true }));
// Regex-heavy: its assertion and dead-tool queries carry every construct (the encoding is in every script).
const constructs = { name: 'smt/constructs.writ', dir: path.join(repo, 'tests/smt/constructs.writ'), analyses: false };

describe('SMT-LIB export agrees across solvers', () => {
  const versions: Record<string, string> = {};

  it('the z3 and cvc5 command-line solvers are installed', () => {
    for (const name of Object.keys(SOLVERS)) versions[name] = requireBinary(name);
  });

  for (const policy of [...examples, ...conformance, constructs]) {
    it(`${policy.name}: z3 and cvc5 give every query the answer z3-solver gave`, { timeout: 600_000 }, async () => {
      for (const name of Object.keys(SOLVERS)) requireBinary(name);
      const { sources } = readPolicySources([policy.dir]);
      const result = compile(sources);
      expect(result.artifact, JSON.stringify(result.diagnostics)).toBeDefined();
      const queries: ExportedQuery[] = await exportQueries(result.artifact!, { analyses: policy.analyses });
      expect(queries.length).toBeGreaterThan(0);
      const dir = mkdtempSync(path.join(tmp, `${path.basename(policy.dir, '.writ')}-`));
      for (const q of queries) writeFileSync(path.join(dir, q.file), q.text);
      const answers = await pool(queries, 4, async (q) => {
        const file = path.join(dir, q.file);
        const got: Record<string, string> = {};
        for (const [name, argv] of Object.entries(SOLVERS)) {
          const [cmd, args] = argv(file);
          got[name] = await run(cmd, args);
        }
        return { file: q.file, expect: q.expect, ...got };
      });
      expect(queries.filter((q) => q.expect === 'unknown').map((q) => q.file)).toEqual([]);
      const wrong = answers.filter((a) => a['z3'] !== a.expect || a['cvc5'] !== a.expect);
      expect(wrong, `solver answers differ from z3-solver's (files in ${dir})`).toEqual([]);
    });
  }
});
