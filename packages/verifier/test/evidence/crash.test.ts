// Crash test: a child process appends in a loop and is SIGKILLed at random moments; after each kill the log
// reopens, every acknowledged entry is present with identical bytes, and the whole tree recomputes.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { FileLog } from '../../src/evidence/filelog.js';
import { leafHash } from '../../src/evidence/hash.js';
import { rootFromLeafHashes } from '../../src/evidence/merkle.js';
import { verifyInclusion } from '../../src/evidence/merkle-verify.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const CHILD = join(HERE, 'crash-child.mjs');
const PKG = join(HERE, '..', '..');
const ROOT = mkdtempSync(join(tmpdir(), 'writ-crash-'));
afterAll(() => rmSync(ROOT, { recursive: true, force: true }));

/**
 * The child runs the built dist (as users do); fail clearly if it is missing. (`npm test` builds first; an
 * mtime comparison is not usable because `tsc -b` does not rewrite outputs whose content is unchanged.)
 */
function assertBuilt(): void {
  const src = join(PKG, 'src', 'evidence');
  for (const f of readdirSync(src).filter((n) => n.endsWith('.ts'))) {
    const out = join(PKG, 'dist', 'evidence', f.replace(/\.ts$/, '.js'));
    if (!existsSync(out)) throw new Error(`${out} is missing: run \`npx tsc -b\` before the crash test`);
  }
}

interface Run {
  readonly opened: number;
  readonly acks: [number, string][];
}

/** Starts the child, lets it append for `ms` after it opened the log, SIGKILLs it, and collects its acks. */
function runAndKill(dir: string, ms: number): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CHILD, dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let opened = -1;
    let timer: NodeJS.Timeout | undefined;
    const guard = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      if (opened < 0) {
        const m = /^open (\d+)\n/.exec(out);
        if (m) {
          opened = Number(m[1]);
          timer = setTimeout(() => child.kill('SIGKILL'), ms);
        }
      }
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    child.on('error', reject);
    child.on('exit', (_code, signal) => {
      clearTimeout(guard);
      if (timer) clearTimeout(timer);
      if (signal !== 'SIGKILL' || opened < 0) {
        reject(new Error(`child ended without being killed (signal ${signal}): ${err}`));
        return;
      }
      // Only complete lines count: a line is printed after its append was acknowledged.
      const lines = out.split('\n').slice(0, -1);
      const acks = lines
        .filter((l) => l.startsWith('ack '))
        .map((l) => {
          const [, idx, b64] = l.split(' ');
          return [Number(idx), b64!] as [number, string];
        });
      resolve({ opened, acks });
    });
  });
}

describe('FileLog crash safety (SIGKILL)', () => {
  it('keeps every acknowledged entry across 5 random kills', async () => {
    assertBuilt();
    const dir = join(ROOT, 'log');
    const acked = new Map<number, string>();
    let totalAcks = 0;
    for (let round = 0; round < 5; round++) {
      const run = await runAndKill(dir, 50 + Math.floor(Math.random() * 350));
      totalAcks += run.acks.length;
      for (const [index, b64] of run.acks) {
        const prev = acked.get(index);
        if (prev !== undefined && prev !== b64) throw new Error(`index ${index} acknowledged twice with different bytes`);
        acked.set(index, b64);
      }
      const log = await FileLog.open(dir);
      try {
        expect(log.size).toBeGreaterThanOrEqual(run.opened);
        for (const [index, b64] of acked) {
          expect(index).toBeLessThan(log.size);
          expect(Buffer.from(log.entry(index)).toString('base64')).toBe(b64);
        }
        const hashes = Array.from({ length: log.size }, (_, i) => leafHash(log.entry(i)));
        expect(log.root()).toEqual(rootFromLeafHashes(hashes));
        for (const i of [0, Math.floor(log.size / 2), log.size - 1]) {
          if (log.size === 0) break;
          expect(verifyInclusion(hashes[i]!, i, log.size, log.inclusionProof(i), log.root()).ok).toBe(true);
        }
      } finally {
        await log.close();
      }
    }
    expect(totalAcks).toBeGreaterThan(0);
  }, 30_000);
});
