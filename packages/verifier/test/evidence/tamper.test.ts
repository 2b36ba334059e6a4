// Tamper properties (DESIGN.md §8): changing any byte of a bundle, of the certificate inside it, or of its
// checkpoint makes verification fail; a wrong key fails; a reordered or truncated log fails verification.
import { cpSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canonicalJson } from '@writ/runtime';
import { utf8 } from '../../src/evidence/bytes.js';
import { bundleJson, makeBundle, verifyBundle } from '../../src/evidence/bundle.js';
import type { Bundle } from '../../src/evidence/bundle.js';
import { certificateBytes, makeCertificate } from '../../src/evidence/certificate.js';
import { Checkpointer } from '../../src/evidence/checkpointer.js';
import { FileLog, LOG_FILES } from '../../src/evidence/filelog.js';
import { frameSize, writeFrame } from '../../src/evidence/frame.js';
import { LogSnapshot } from '../../src/evidence/log-snapshot.js';
import { verifyLog } from '../../src/evidence/log-verify.js';
import { generateSignerKey } from '../../src/evidence/note-key.js';
import { DECISIONS, REFUND, decisionArb, requestArb } from './decisions.js';

const ROOT = mkdtempSync(join(tmpdir(), 'writ-tamper-'));
const ORIGIN = 'writ.example/tamper';
const KEY = generateSignerKey(ORIGIN);
const names = Object.keys(DECISIONS);
const cert = (i: number, decision = DECISIONS[names[i % names.length]!]!, request: unknown = { ...REFUND, i }): Uint8Array =>
  certificateBytes(makeCertificate(request, decision, { time: Date.UTC(2025, 0, 1, 0, 0, i % 60) }));

const N = 24;
const ENTRIES = Array.from({ length: N }, (_, i) => cert(i));
const BASE = join(ROOT, 'base');
let BUNDLES: Bundle[] = [];

beforeAll(async () => {
  const log = await FileLog.open(BASE);
  const cp = new Checkpointer(log, KEY.signerKey, { everyEntries: Infinity, everyMs: Infinity });
  for (const [i, e] of ENTRIES.entries()) {
    await log.append(e);
    if (i % 5 === 4) await cp.flush();
  }
  await cp.flush();
  await cp.close();
  BUNDLES = Array.from({ length: N }, (_, i) => makeBundle(log, i));
  await log.close();
});
afterAll(() => rmSync(ROOT, { recursive: true, force: true }));

/** `bytes` with byte `pos` replaced by `value` (which differs from the original). */
function mutate(bytes: Uint8Array, pos: number, delta: number): Uint8Array {
  const out = bytes.slice();
  out[pos] = (out[pos]! + delta) & 0xff;
  return out;
}
const delta = fc.integer({ min: 1, max: 255 });

/** What a bundle proves (its required fields; the certificate by its canonical form), or undefined if it does not parse. */
function meaning(bytes: Uint8Array): string | undefined {
  try {
    const b = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes)) as Bundle;
    return canonicalJson([b.certificate, b.leaf_index, b.tree_size, b.inclusion_proof, b.checkpoint]);
  } catch {
    return undefined;
  }
}

describe('bundle tamper properties', () => {
  const withoutLeafHash = (b: Bundle): Bundle => {
    const { leaf_hash: _l, ...rest } = b;
    return rest;
  };

  it('every single-byte change anywhere in a bundle is rejected (exhaustive over two bundles)', () => {
    for (const b of [BUNDLES[3]!, BUNDLES[N - 1]!]) {
      const bytes = utf8(bundleJson(withoutLeafHash(b)));
      expect(verifyBundle(bytes, KEY.verifierKey).ok).toBe(true);
      for (let pos = 0; pos < bytes.length; pos++) {
        for (const d of [1, 0x80, 0xff]) {
          const r = verifyBundle(mutate(bytes, pos, d), KEY.verifierKey);
          if (r.ok) throw new Error(`byte ${pos} (+${d}) of the bundle changed and it still verifies`);
        }
      }
    }
  }, 120_000);

  it('with the optional leaf_hash, the only accepted change renames that member, which proves the same thing', () => {
    // An unknown member is allowed and ignored, so "leaf_hash" misspelt is simply an extra field.
    const bytes = utf8(bundleJson(BUNDLES[5]!));
    const name = utf8(bundleJson(BUNDLES[5]!).slice(0, bundleJson(BUNDLES[5]!).indexOf('"leaf_hash"'))).length;
    for (let pos = 0; pos < bytes.length; pos++) {
      for (const d of [1, 0x80, 0xff]) {
        const bad = mutate(bytes, pos, d);
        if (!verifyBundle(bad, KEY.verifierKey).ok) continue;
        expect(pos).toBeGreaterThan(name);
        expect(pos).toBeLessThan(name + '"leaf_hash"'.length - 1);
        expect(meaning(bad)).toBe(meaning(bytes));
      }
    }
  }, 120_000);

  it('any byte change of a bundle of any decision fails, unless it left the proven content unchanged (property)', () => {
    // With arbitrary strings, "\u001f" could become "\u001F" and mean the same: hence the escape hatch.
    fc.assert(
      fc.property(fc.nat(N - 1), fc.nat(), delta, fc.boolean(), (i, p, d, keep) => {
        const b = keep ? BUNDLES[i]! : withoutLeafHash(BUNDLES[i]!);
        const bytes = utf8(bundleJson(b));
        const bad = mutate(bytes, p % bytes.length, d);
        if (verifyBundle(bad, KEY.verifierKey).ok) expect(meaning(bad)).toBe(meaning(bytes));
      }),
      { numRuns: 2000 },
    );
  });

  it('any byte change inside the certificate fails, with or without leaf_hash (property)', () => {
    fc.assert(
      fc.property(fc.nat(N - 1), fc.nat(), delta, fc.boolean(), (i, p, d, keepLeafHash) => {
        const { leaf_hash: lh, ...rest } = BUNDLES[i]!;
        const b = keepLeafHash ? { ...rest, leaf_hash: lh } : rest;
        const text = bundleJson(b as Bundle);
        const certText = canonicalJson(b.certificate);
        const start = utf8(text.slice(0, text.indexOf(certText))).length;
        const bytes = utf8(text);
        const bad = mutate(bytes, start + (p % utf8(certText).length), d);
        const r = verifyBundle(bad, KEY.verifierKey);
        expect(r.ok).toBe(false);
      }),
      { numRuns: 1000 },
    );
  });

  it('any byte change of the checkpoint text fails (property)', () => {
    fc.assert(
      fc.property(fc.nat(N - 1), fc.nat(), delta, (i, p, d) => {
        const b = BUNDLES[i]!;
        const note = utf8(b.checkpoint);
        const bad = new TextDecoder().decode(mutate(note, p % note.length, d)); // invalid UTF-8 becomes U+FFFD
        const r = verifyBundle({ ...b, checkpoint: bad }, KEY.verifierKey);
        expect(r.ok).toBe(false);
      }),
      { numRuns: 1000 },
    );
  });

  it('a bundle of any certificate verifies with its key and fails with any other key (property)', async () => {
    const dir = join(ROOT, 'any');
    const log = await FileLog.open(dir);
    const cp = new Checkpointer(log, KEY.signerKey, { everyEntries: Infinity, everyMs: Infinity });
    await fc.assert(
      fc.asyncProperty(requestArb, decisionArb, fc.constantFrom(ORIGIN, 'writ.example/other'), async (request, decision, name) => {
        const { index } = await log.append(certificateBytes(makeCertificate(request, decision, { time: 0 })));
        const bundle = bundleJson(makeBundle(log, index, await cp.flush()));
        expect(verifyBundle(bundle, KEY.verifierKey).ok).toBe(true);
        expect(verifyBundle(bundle, generateSignerKey(name).verifierKey)).toMatchObject({ ok: false, code: 'wrong-key' });
      }),
      { numRuns: 60 },
    );
    await cp.close();
    await log.close();
  });
});

describe('log tamper properties', () => {
  let dirs = 0;
  const entriesFile = (dir: string): string => join(dir, LOG_FILES.entries);
  const offsetOf = (i: number): number => ENTRIES.slice(0, i).reduce((n, e) => n + frameSize(e.length), 0);
  async function audit(dir: string): Promise<boolean> {
    const snap = await LogSnapshot.open(dir);
    try {
      return verifyLog(snap, KEY.verifierKey).ok;
    } finally {
      await snap.close();
    }
  }
  function copy(): string {
    const dir = join(ROOT, `copy-${dirs++}`);
    cpSync(BASE, dir, { recursive: true });
    return dir;
  }
  /** Rewrites the entries file with well-formed frames holding `entries` in this order. */
  function reframe(dir: string, entries: readonly Uint8Array[]): void {
    const buf = new Uint8Array(entries.reduce((n, e) => n + frameSize(e.length), 0));
    let pos = 0;
    entries.forEach((e, i) => (pos = writeFrame(buf, pos, i, 0, e)));
    writeFileSync(entriesFile(dir), buf);
  }

  it('the untouched log verifies', async () => {
    expect(await audit(BASE)).toBe(true);
  });

  it('truncating the entries file anywhere inside the signed entries is detected (property)', async () => {
    const end = offsetOf(N);
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: end - 1 }), async (cut) => {
        const dir = copy();
        truncateSync(entriesFile(dir), cut);
        expect(await audit(dir)).toBe(false);
      }),
      { numRuns: 40 },
    );
  });

  it('swapping two entries\' frames, or reordering entries in well-formed frames, is detected (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat(N - 1), fc.nat(N - 1), fc.boolean(), async (a, b, raw) => {
        fc.pre(a !== b);
        const [i, j] = a < b ? [a, b] : [b, a];
        const dir = copy();
        if (raw) {
          const bytes = readFileSync(entriesFile(dir));
          const frame = (k: number) => bytes.subarray(offsetOf(k), offsetOf(k + 1));
          const out = Buffer.concat([bytes.subarray(0, offsetOf(i)), frame(j), bytes.subarray(offsetOf(i + 1), offsetOf(j)), frame(i), bytes.subarray(offsetOf(j + 1))]);
          writeFileSync(entriesFile(dir), out);
        } else {
          const order = ENTRIES.slice();
          [order[i], order[j]] = [order[j]!, order[i]!];
          reframe(dir, order);
        }
        expect(await audit(dir)).toBe(false);
      }),
      { numRuns: 40 },
    );
  });

  it('dropping, duplicating or replacing one entry in well-formed frames is detected (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat(N - 1), fc.constantFrom('drop', 'duplicate', 'replace'), async (k, op) => {
        const dir = copy();
        const entries = ENTRIES.slice();
        if (op === 'drop') entries.splice(k, 1);
        else if (op === 'duplicate') entries.splice(k, 0, entries[(k + 1) % N]!); // never a plain append
        else entries[k] = cert(k + 1000);
        reframe(dir, entries);
        expect(await audit(dir)).toBe(false);
      }),
      { numRuns: 30 },
    );
  });
});
