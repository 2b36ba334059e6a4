// `writ fmt` as a user runs it: in place, --check, --json, standard input, files with syntax errors.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const repo = path.resolve(import.meta.dirname, '..');
const bin = path.join(repo, 'packages/cli/dist/bin.js');

function writ(args: string[], input?: string) {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: repo, input, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('writ fmt', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'writ-fmt-'));
  const messy = path.join(dir, 'a.writ');
  const clean = path.join(dir, 'sub', 'b.writ');
  mkdirSync(path.dirname(clean));
  writeFileSync(messy, 'policy  "p" version "1"\nrole   a,b # roles\n\n\n\nallow t when agent has role a\n');
  writeFileSync(clean, 'role c\n');

  it('--check lists the files that would change and exits 1, changing nothing', () => {
    const r = writ(['fmt', '--check', dir]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`would reformat ${messy}`);
    expect(r.stdout).not.toContain('b.writ');
    expect(readFileSync(messy, 'utf8')).toContain('role   a,b');
  });

  it('--json reports each file', () => {
    const r = writ(['fmt', '--check', '--json', dir]);
    const out = JSON.parse(r.stdout) as { ok: boolean; files: Array<{ file: string; changed: boolean }> };
    expect(out.ok).toBe(false);
    expect(out.files).toEqual([
      { file: messy, changed: true },
      { file: clean, changed: false },
    ]);
  });

  it('rewrites files in place, then --check passes', () => {
    const r = writ(['fmt', dir]);
    expect(r.code).toBe(0);
    expect(readFileSync(messy, 'utf8')).toBe('policy "p" version "1"\nrole a, b # roles\n\nallow t when agent has role a\n');
    expect(writ(['fmt', '--check', dir]).code).toBe(0);
  });

  it("formats standard input with '-'", () => {
    const r = writ(['fmt', '-'], 'role   x\n');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('role x\n');
  });

  it('leaves a file with syntax errors alone, reports them with file:line:column, exits 1', () => {
    const bad = path.join(dir, 'bad.writ');
    writeFileSync(bad, 'role   a\nallow x when\n');
    const r = writ(['fmt', bad]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/error\[E0001\]/);
    expect(r.stderr).toContain('bad.writ:2:13');
    expect(readFileSync(bad, 'utf8')).toBe('role   a\nallow x when\n');
  });

  it('is listed in writ --help, with lsp', () => {
    const r = writ(['--help']);
    expect(r.stdout).toMatch(/fmt \[options\] <paths\.\.\.>/);
    expect(r.stdout).toMatch(/lsp \[options\]/);
  });
});
