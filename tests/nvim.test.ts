// One real editor: Neovim, headless, attaches its built-in LSP client to `writ lsp --stdio`, opens a file
// with errors, and we read the diagnostics Neovim received (written to a file by tests/nvim/init.lua).
// `.ci/run` installs Debian's `neovim`; without it the test is skipped outside CI and fails in CI.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const repo = path.resolve(import.meta.dirname, '..');
const hasNvim = spawnSync('nvim', ['--version'], { encoding: 'utf8' }).status === 0;

describe('Neovim as the language client', () => {
  it.skipIf(!hasNvim && !process.env['CI'])('receives the diagnostics of a file with errors', () => {
    expect(hasNvim, 'nvim is not installed (apt-get install -y neovim)').toBe(true);
    const dir = mkdtempSync(path.join(tmpdir(), 'writ-nvim-'));
    const file = path.join(dir, 'policy.writ');
    writeFileSync(
      file,
      [
        'policy "broken" version "1.0.0"',
        'role billing',
        'tool issue_refund(order_id: string, amount: money(USD))',
        'allow issue_refund when args.amount > 5m',
        'deny issue_refnd when args.amount > 500 USD because "too much"',
        'allow issue_refund when agent has',
        '',
      ].join('\n'),
    );
    const out = path.join(dir, 'diagnostics.json');
    const r = spawnSync('nvim', ['--headless', '--noplugin', '-n', '-i', 'NONE', '-u', path.join(repo, 'tests/nvim/init.lua'), file], {
      cwd: dir,
      encoding: 'utf8',
      timeout: 60_000,
      env: { ...process.env, WRIT_NVIM_OUT: out, WRIT_NODE: process.execPath, WRIT_BIN: path.join(repo, 'packages/cli/dist/bin.js') },
    });
    expect(r.error).toBeUndefined();
    const got = JSON.parse(readFileSync(out, 'utf8')) as {
      ok: boolean;
      client: string;
      diagnostics: Array<{ lnum: number; col: number; severity: number; message: string; source: string; code: string }>;
    };
    expect(got.ok).toBe(true);
    expect(got.client).toBe('writ');
    const seen = got.diagnostics.map((d) => `${d.code}@${d.lnum + 1}:${d.col + 1}`).sort();
    expect(seen).toEqual(expect.arrayContaining(['E0201@4:25', 'E0100@5:6', 'E0001@6:34']));
    expect(got.diagnostics.every((d) => d.source === 'writ')).toBe(true);
    expect(got.diagnostics.find((d) => d.code === 'E0201')?.message).toContain('cannot compare money(USD) and duration');
  }, 90_000);
});
