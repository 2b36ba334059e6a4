// Auditing a log directory with only the public key: LogSnapshot (read-only, lock-free) and verifyLog.
import { appendFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { utf8 } from '../../src/evidence/bytes.js';
import { bundleJson, makeBundle, verifyBundle } from '../../src/evidence/bundle.js';
import { certificateBytes, makeCertificate } from '../../src/evidence/certificate.js';
import { Checkpointer } from '../../src/evidence/checkpointer.js';
import { FileLog, LOG_FILES, LogError } from '../../src/evidence/filelog.js';
import { frameSize } from '../../src/evidence/frame.js';
import { LogSnapshot } from '../../src/evidence/log-snapshot.js';
import { verifyLog } from '../../src/evidence/log-verify.js';
import type { VerifyLogOptions } from '../../src/evidence/log-verify.js';
import { generateSignerKey } from '../../src/evidence/note-key.js';
import { DECISIONS, REFUND } from './decisions.js';

const ROOT = mkdtempSync(join(tmpdir(), 'writ-logverify-'));
const ORIGIN = 'writ.example/audit';
const KEY = generateSignerKey(ORIGIN);
const BASE = join(ROOT, 'base');
const names = Object.keys(DECISIONS);
const cert = (i: number): Uint8Array =>
  certificateBytes(makeCertificate({ ...REFUND, i }, DECISIONS[names[i % names.length]!]!, { time: Date.UTC(2025, 0, 1, 0, 0, i) }));
const ENTRIES = Array.from({ length: 20 }, (_, i) => cert(i));
/** Byte offset where entry i's frame starts (every entry is its own batch in BASE). */
const offsetOf = (i: number): number => ENTRIES.slice(0, i).reduce((n, e) => n + frameSize(e.length), 0);
let checkpoints: string[] = [];
let dirs = 0;

beforeAll(async () => {
  const log = await FileLog.open(BASE);
  const cp = new Checkpointer(log, KEY.signerKey, { everyEntries: Infinity, everyMs: Infinity });
  for (const [i, e] of ENTRIES.entries()) {
    await log.append(e);
    if (i === 0 || i === 6 || i === 13 || i === 19) checkpoints.push(await cp.flush());
  }
  await cp.close();
  await log.close();
});
afterAll(() => rmSync(ROOT, { recursive: true, force: true }));

/** A copy of the base log to damage. */
function copy(): string {
  const dir = join(ROOT, `copy-${dirs++}`);
  cpSync(BASE, dir, { recursive: true });
  return dir;
}

async function audit(dir: string, options: VerifyLogOptions = {}, key = KEY.verifierKey) {
  const snap = await LogSnapshot.open(dir);
  try {
    return verifyLog(snap, key, options);
  } finally {
    await snap.close();
  }
}

async function expectFail(dir: string, code: string, reason: RegExp, options: VerifyLogOptions = {}, key?: string): Promise<void> {
  const r = await audit(dir, options, key);
  expect(r).toMatchObject({ ok: false, code });
  expect(!r.ok && r.reason).toMatch(reason);
}

describe('verifyLog', () => {
  it('accepts an intact log: every entry, the latest checkpoint and the chain of stored checkpoints', async () => {
    const progress: number[] = [];
    const r = await audit(BASE, { trusted: checkpoints.slice(0, 2), onProgress: (d) => progress.push(d) });
    expect(r).toMatchObject({ ok: true, size: 20, checkpoints: 4, uncovered: 0, trusted: 2, warnings: [] });
    expect(r.ok && r.checkpoint?.size).toBe(20);
    expect(progress.at(-1)).toBe(20);
  });

  it('accepts an empty log, and reports unsigned entries and a torn tail as warnings', async () => {
    const empty = join(ROOT, 'empty');
    await (await FileLog.open(empty)).close();
    expect(await audit(empty)).toMatchObject({ ok: true, size: 0, checkpoints: 0 });
    const dir = copy();
    const log = await FileLog.open(dir);
    await log.append(cert(20));
    await log.close();
    appendFileSync(join(dir, LOG_FILES.entries), Uint8Array.of(0x57, 0x52, 0x4c));
    const r = await audit(dir);
    expect(r).toMatchObject({ ok: true, size: 21, uncovered: 1 });
    expect(r.ok && r.warnings.join('\n')).toMatch(/1 entries after the latest checkpoint are not signed yet/);
    expect(r.ok && r.warnings.join('\n')).toMatch(/3 bytes of an interrupted, unacknowledged append/);
  });

  it('detects an altered acknowledged entry', async () => {
    const dir = copy();
    const path = join(dir, LOG_FILES.entries);
    const bytes = readFileSync(path);
    bytes[offsetOf(5) + 40]! ^= 1;
    writeFileSync(path, bytes);
    await expectFail(dir, 'corrupt-log', /entry 5 at byte \d+ is damaged/);
  });

  it('detects a truncated log, and a damaged last entry', async () => {
    const dir = copy();
    truncateSync(join(dir, LOG_FILES.entries), offsetOf(17));
    await expectFail(dir, 'log-mismatch', /signs 20 entries but the log holds only 17/);
    const dir2 = copy();
    const path = join(dir2, LOG_FILES.entries);
    const bytes = readFileSync(path);
    bytes[offsetOf(19) + 30]! ^= 1;
    writeFileSync(path, bytes);
    await expectFail(dir2, 'log-mismatch', /holds only 19/);
  });

  it('detects a checkpoint by another key, a forged history, and a checkpoint missing from the history', async () => {
    await expectFail(BASE, 'wrong-key', /latest checkpoint: the checkpoint is not signed by writ\.example\/x/, {}, generateSignerKey('writ.example/x').verifierKey);
    const dir = copy();
    const hist = join(dir, LOG_FILES.history);
    const lines = readFileSync(hist, 'utf8').split('\n');
    writeFileSync(hist, [lines[0], lines[2], lines[1], lines[3], ''].join('\n'));
    await expectFail(dir, 'checkpoint-shrank', /stored checkpoint 3 \(tree size 7\)/);
    writeFileSync(hist, [lines[0], lines[1], lines[2], ''].join('\n'));
    await expectFail(dir, 'log-mismatch', /not the last one in the checkpoint history/);
    writeFileSync(hist, [lines[0], '{"checkpoint": 1}', ''].join('\n'));
    await expectFail(dir, 'corrupt-log', /checkpoint history, line 2: no "checkpoint" string/);
    const other = generateSignerKey(ORIGIN);
    const log = await FileLog.open(join(ROOT, 'other'));
    for (const e of ENTRIES.slice(0, 7)) await log.append(e);
    const cp = new Checkpointer(log, other.signerKey, { everyEntries: Infinity, everyMs: Infinity });
    const foreign = await cp.flush();
    await cp.close();
    await log.close();
    writeFileSync(hist, [lines[0], JSON.stringify({ checkpoint: foreign }), lines[2], lines[3], ''].join('\n'));
    await expectFail(dir, 'wrong-key', /stored checkpoint 2: the checkpoint is signed by a different key named writ\.example\/audit/);
  });

  it('requires every entry to be a canonical certificate unless told otherwise', async () => {
    const dir = join(ROOT, 'raw');
    const log = await FileLog.open(dir);
    await log.append(ENTRIES[0]!);
    await log.append(utf8('{"hello":"world"}'));
    const cp = new Checkpointer(log, KEY.signerKey, { everyEntries: Infinity, everyMs: Infinity });
    await cp.flush();
    await cp.close();
    await log.close();
    await expectFail(dir, 'corrupt-log', /entry 1 is not a canonical decision certificate: certificate has no/);
    expect((await audit(dir, { entries: 'any' })).ok).toBe(true);
  });

  it('a rollback of entries and stored checkpoints together is caught only against a checkpoint seen before', async () => {
    const dir = copy();
    truncateSync(join(dir, LOG_FILES.entries), offsetOf(14));
    writeFileSync(join(dir, LOG_FILES.checkpoint), checkpoints[2]!);
    const hist = join(dir, LOG_FILES.history);
    writeFileSync(hist, readFileSync(hist, 'utf8').split('\n').slice(0, 3).join('\n') + '\n');
    expect((await audit(dir)).ok).toBe(true); // self-consistent: the log alone cannot tell
    await expectFail(dir, 'log-mismatch', /trusted checkpoint signs 20 entries but the log holds only 14: the log was truncated/, { trusted: [checkpoints[3]!] });
    // An auditor's bundle from before the rollback carries a newer checkpoint: that is enough.
    const bundle = await makeBundleFromBase();
    expect(verifyBundle(bundle, KEY.verifierKey).ok).toBe(true);
    const trusted = (JSON.parse(bundle) as { checkpoint: string }).checkpoint;
    await expectFail(dir, 'log-mismatch', /the log was truncated/, { trusted: [trusted] });
  });

  it('a log rewritten from some entry on does not extend a trusted checkpoint', async () => {
    const dir = join(ROOT, 'fork');
    const log = await FileLog.open(dir);
    for (const e of ENTRIES.slice(0, 10)) await log.append(e);
    for (let i = 100; i < 110; i++) await log.append(cert(i));
    const cp = new Checkpointer(log, KEY.signerKey, { everyEntries: Infinity, everyMs: Infinity });
    await cp.flush();
    await cp.close();
    await log.close();
    expect((await audit(dir)).ok).toBe(true);
    await expectFail(dir, 'log-mismatch', /does not extend the trusted checkpoint of tree size 14/, { trusted: [checkpoints[2]!] });
    await expectFail(dir, 'log-mismatch', /does not extend the trusted checkpoint of tree size 20/, { trusted: [checkpoints[3]!] });
  });
});

async function makeBundleFromBase(): Promise<string> {
  const snap = await LogSnapshot.open(BASE);
  try {
    return bundleJson(makeBundle(snap, 3));
  } finally {
    await snap.close();
  }
}

describe('LogSnapshot', () => {
  it('reads a log that a writer holds open, without taking its lock', async () => {
    const dir = copy();
    const log = await FileLog.open(dir);
    await log.append(cert(20));
    const snap = await LogSnapshot.open(dir);
    expect(snap.size).toBe(21);
    expect(snap.root()).toEqual(log.root());
    expect(snap.inclusionProof(4, 21)).toEqual(log.inclusionProof(4, 21));
    expect(snap.consistencyProof(7, 21)).toEqual(log.consistencyProof(7, 21));
    expect(snap.entry(20)).toEqual(cert(20));
    expect(snap.latestCheckpoint()).toBe(checkpoints[3]);
    expect(snap.checkpointHistory()).toEqual(checkpoints);
    expect(() => snap.entry(21)).toThrow(RangeError);
    await snap.close();
    await snap.close();
    expect(() => snap.entry(0)).toThrow(LogError);
    await log.close();
  });

  it('says when a directory is not a log', async () => {
    const dir = join(ROOT, 'not-a-log');
    mkdirSync(dir);
    await expect(LogSnapshot.open(dir)).rejects.toMatchObject({ code: 'not-found', message: expect.stringMatching(/not a Writ log/) });
    await expect(LogSnapshot.open(join(ROOT, 'missing'))).rejects.toMatchObject({ code: 'not-found' });
  });
});
