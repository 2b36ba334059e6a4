// The TextMate grammar (writ.tmLanguage.json): its assertion tests under grammar/tests/ pass when run by
// vscode-tmgrammar-test, and its keyword rules list exactly the compiler's reserved words.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { KEYWORDS } from '@writ/compiler';
import { describe, expect, it } from 'vitest';

const here = import.meta.dirname;
const grammarFile = path.join(here, 'writ.tmLanguage.json');
const grammar = JSON.parse(readFileSync(grammarFile, 'utf8')) as { scopeName: string; repository: Record<string, { patterns?: Array<{ match?: string }> }> };

describe('grammar/writ.tmLanguage.json', () => {
  it('passes its grammar tests (vscode-tmgrammar-test)', () => {
    const cli = path.join(path.dirname(createRequire(import.meta.url).resolve('vscode-tmgrammar-test/package.json')), 'dist', 'unit.js');
    const tests = readdirSync(path.join(here, 'tests')).filter((f) => f.endsWith('.test.writ'));
    expect(tests.length).toBeGreaterThanOrEqual(3);
    const r = spawnSync(process.execPath, [cli, '--compact', '--grammar', grammarFile, path.join(here, 'tests', '*.test.writ')], { encoding: 'utf8' });
    expect(r.stdout + r.stderr).not.toMatch(/ERROR/);
    expect(r.status).toBe(0);
    for (const t of tests) expect(r.stdout).toContain(`${t} run successfuly`);
  });

  it('has a keyword rule for every reserved word of the compiler, and for no other word', () => {
    const words = new Set<string>();
    for (const p of grammar.repository['keywords']?.patterns ?? []) {
      const inner = p.match?.match(/^\\b\(([^)]*)\)\\b$/)?.[1];
      for (const w of inner?.split('|') ?? []) words.add(w);
    }
    expect([...words].sort()).toEqual([...KEYWORDS].sort());
  });

  it('mentions every reserved word somewhere (keywords are also scoped in declarations)', () => {
    const text = readFileSync(grammarFile, 'utf8');
    for (const k of KEYWORDS) expect(text, k).toMatch(new RegExp(`[(|]${k}[|)]`));
  });

  it('is named source.writ for .writ files', () => {
    expect(grammar.scopeName).toBe('source.writ');
  });
});
