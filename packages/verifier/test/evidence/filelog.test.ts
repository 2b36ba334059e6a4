// The append-only file log: round trips, group commit, torn-tail recovery, corruption detection, checkpoint
// storage, the Checkpointer policy, and locking.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { toBase64 } from '../../src/evidence/bytes.js';
import { verifyCheckpointAdvance } from '../../src/evidence/checkpoint-chain.js';
import { parseCheckpoint, signCheckpoint, verifyCheckpoint } from '../../src/evidence/checkpoint.js';
import { Checkpointer } from '../../src/evidence/checkpointer.js';
import { FileLog, LogError } from '../../src/evidence/filelog.js';
import { FRAME_HEADER_SIZE, frameSize } from '../../src/evidence/frame.js';
import { leafHash } from '../../src/evidence/hash.js';
import { rootFromEntries } from '../../src/evidence/merkle.js';
import { verifyConsistency, verifyInclusion } from '../../src/evidence/merkle-verify.js';
import { generateSignerKey } from '../../src/evidence/note-key.js';
import { parseNote } from '../../src/evidence/note.js';
import { entry } from './helpers.js';

const ROOT = mkdtempSync(join(tmpdir(), 'writ-filelog-'));
afterAll(() => rmSync(ROOT, { recursive: true, force: true }));
let dirs = 0;
const freshDir = (): string => join(ROOT, `log-${dirs++}`);
const ENTRIES = 'entries.log';
const KEY = generateSignerKey('writ.example/test-log');

/** Entries of varied sizes, including an empty one. */
const sample = (i: number): Uint8Array => (i === 3 ? new Uint8Array() : new TextEncoder().encode(`cert-${i}-${'x'.repeat(i % 37)}`));

async function expectLogError(p: Promise<unknown>, code: string): Promise<LogError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(LogError);
  expect((e as LogError).code).toBe(code);
  return e as LogError;
}

/** Creates a log with `n` entries appended one at a time (one batch each) and closes it. */
async function makeLog(n: number, dir = freshDir()): Promise<string> {
  const log = await FileLog.open(dir);
  for (let i = 0; i < n; i++) await log.append(sample(i));
  await log.close();
  return dir;
}

describe('FileLog basics', () => {
  it('appends, reads back, proves, and survives a reopen', async () => {
    const dir = freshDir();
    const log = await FileLog.open(dir);
    expect(log.size).toBe(0);
    expect(log.root()).toEqual(rootFromEntries([]));
    const all: Uint8Array[] = [];
    for (let i = 0; i < 40; i++) {
      const bytes = sample(i);
      all.push(bytes);
      expect((await log.append(bytes)).index).toBe(i);
    }
    expect(log.size).toBe(40);
    expect(log.root()).toEqual(rootFromEntries(all));
    for (let i = 0; i < 40; i++) {
      expect(log.entry(i)).toEqual(all[i]);
      expect(log.leafHash(i)).toEqual(leafHash(all[i]!));
    }
    await log.close();

    const again = await FileLog.open(dir);
    expect(again.recovery).toBeUndefined();
    expect(again.size).toBe(40);
    expect(again.root()).toEqual(rootFromEntries(all));
    for (let i = 0; i < 40; i++) expect(again.entry(i)).toEqual(all[i]);
    for (const size of [1, 7, 16, 33, 40]) {
      expect(again.root(size)).toEqual(rootFromEntries(all.slice(0, size)));
      for (let i = 0; i < size; i += 3) {
        expect(verifyInclusion(leafHash(all[i]!), i, size, again.inclusionProof(i, size), again.root(size)).ok).toBe(true);
      }
      expect(verifyConsistency(size, 40, again.consistencyProof(size, 40), again.root(size), again.root()).ok).toBe(true);
    }
    expect((await again.append(entry(99))).index).toBe(40);
    expect(again.entry(40)).toEqual(entry(99));
    await again.close();
  });

  it('group-commits concurrent appends in call order, and gives the same tree at any cache level', async () => {
    const dir = freshDir();
    const log = await FileLog.open(dir, { cacheLevel: 0 });
    const results = await Promise.all(Array.from({ length: 300 }, (_, i) => log.append(entry(i))));
    expect(results.map((r) => r.index)).toEqual(Array.from({ length: 300 }, (_, i) => i));
    const root = log.root();
    const proof = log.inclusionProof(123, 300);
    await log.close();
    const tiered = await FileLog.open(dir, { cacheLevel: 5 });
    expect(tiered.root()).toEqual(root);
    expect(tiered.inclusionProof(123, 300)).toEqual(proof);
    expect(tiered.root()).toEqual(rootFromEntries(Array.from({ length: 300 }, (_, i) => entry(i))));
    await tiered.close();
  });

  it('rejects bad appends and use after close', async () => {
    const log = await FileLog.open(freshDir(), { maxEntryBytes: 10 });
    await expectLogError(log.append(new Uint8Array(11)), 'entry-too-large');
    await expect(log.append('text' as unknown as Uint8Array)).rejects.toThrow(TypeError);
    const pending = log.append(entry(1)); // queued before close: still committed
    await log.close();
    expect(await pending).toEqual({ index: 0 });
    await expectLogError(log.append(entry(2)), 'closed');
    expect(() => log.entry(0)).toThrow(LogError);
    expect(() => log.root()).toThrow(LogError);
  });

  it('stops accepting appends after a failed write (state unknown: reopen)', async () => {
    const dir = await makeLog(2);
    const log = await FileLog.open(dir);
    const fh = (log as unknown as { fh: { close(): Promise<void> } }).fh;
    await fh.close(); // make the next write fail (EBADF)
    await expectLogError(log.append(entry(1)), 'failed');
    await expectLogError(log.append(entry(2)), 'failed');
    expect(log.size).toBe(2);
    await log.close().catch(() => undefined);
    const again = await FileLog.open(dir);
    expect(again.size).toBe(2);
    await again.close();
  });

  it('copies entries at call time', async () => {
    const log = await FileLog.open(freshDir());
    const bytes = entry(5);
    const p = log.append(bytes);
    bytes[0] = 0;
    await p;
    expect(log.entry(0)).toEqual(entry(5));
    await log.close();
  });

  it('refuses a second open of the same directory, and a live lock holder; takes over a stale lock', async () => {
    const dir = await makeLog(2);
    const log = await FileLog.open(dir);
    await expectLogError(FileLog.open(dir), 'locked');
    await log.close();
    writeFileSync(join(dir, 'LOCK'), `${process.ppid}\n`); // a live process that is not us
    await expectLogError(FileLog.open(dir), 'locked');
    writeFileSync(join(dir, 'LOCK'), `${process.pid}\n`); // this process, through another path
    await expectLogError(FileLog.open(dir), 'locked');
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();
    writeFileSync(join(dir, 'LOCK'), `${dead}\n`); // a process that has exited
    const reopened = await FileLog.open(dir);
    expect(reopened.size).toBe(2);
    await reopened.close();
  });

  it('refuses a second open through a symlink to the same directory', async () => {
    const dir = await makeLog(1);
    const link = `${dir}-link`;
    symlinkSync(dir, link);
    const log = await FileLog.open(dir);
    await expectLogError(FileLog.open(link), 'locked');
    await log.close();
    const viaLink = await FileLog.open(link);
    expect(viaLink.size).toBe(1);
    await viaLink.close();
  });

  it('with create: false, refuses a directory without a log', async () => {
    await expectLogError(FileLog.open(freshDir(), { create: false }), 'not-found');
  });
});

/** Byte offsets at which each frame starts, for a log made by makeLog. */
function frameOffsets(n: number): number[] {
  const out: number[] = [];
  let pos = 0;
  for (let i = 0; i < n; i++) {
    out.push(pos);
    pos += frameSize(sample(i).length);
  }
  out.push(pos);
  return out;
}

describe('FileLog recovery', () => {
  it('recovers from a torn final frame cut at every byte offset, without error', async () => {
    const n = 6;
    const dir = await makeLog(n);
    const file = join(dir, ENTRIES);
    const original = readFileSync(file);
    const offsets = frameOffsets(n);
    expect(original.length).toBe(offsets[n]);
    const lastStart = offsets[n - 1]!;
    for (let cut = lastStart; cut < original.length; cut++) {
      writeFileSync(file, original.subarray(0, cut));
      const log = await FileLog.open(dir);
      expect(log.size, `cut at ${cut}`).toBe(n - 1);
      if (cut > lastStart) expect(log.recovery).toMatchObject({ offset: lastStart, bytesRemoved: cut - lastStart, size: n - 1 });
      else expect(log.recovery).toBeUndefined();
      expect(statSync(file).size).toBe(lastStart);
      expect(log.entry(n - 2)).toEqual(sample(n - 2));
      expect(log.root()).toEqual(rootFromEntries(Array.from({ length: n - 1 }, (_, i) => sample(i))));
      await log.close();
    }
    // After recovery the log is appendable again at the recovered size.
    const log = await FileLog.open(dir);
    expect((await log.append(sample(n - 1))).index).toBe(n - 1);
    await log.close();
    expect(readFileSync(file)).toEqual(original);
  });

  it('recovers from a zero-filled or garbage tail (file extended but data not written)', async () => {
    const dir = await makeLog(4);
    const file = join(dir, ENTRIES);
    const original = readFileSync(file);
    writeFileSync(file, Buffer.concat([original, Buffer.alloc(4096)]));
    let log = await FileLog.open(dir);
    expect(log.size).toBe(4);
    expect(log.recovery?.bytesRemoved).toBe(4096);
    await log.close();
    writeFileSync(file, Buffer.concat([original, Buffer.from('WRL1 partial garbage')]));
    log = await FileLog.open(dir);
    expect(log.size).toBe(4);
    await log.close();
    expect(readFileSync(file)).toEqual(original);
  });

  it('with recover: false, reports a torn tail instead of truncating', async () => {
    const dir = await makeLog(3);
    const file = join(dir, ENTRIES);
    const size = statSync(file).size;
    truncateSync(file, size - 5);
    await expectLogError(FileLog.open(dir, { recover: false }), 'torn-tail');
    expect(statSync(file).size).toBe(size - 5);
  });

  it('treats damage to an earlier, acknowledged record as corruption: open() fails, nothing is truncated', async () => {
    const n = 8;
    const offsets = frameOffsets(n);
    // Damage entry 2 in several places; entries 3–7 (later batches) follow intact.
    for (const [what, at] of [
      ['a middle payload byte', Math.floor((offsets[2]! + FRAME_HEADER_SIZE + offsets[3]! - 32) / 2)],
      ['the length field', offsets[2]! + 6],
      ['the magic', offsets[2]!],
      ['the index field', offsets[2]! + 15],
      ['the checksum trailer', offsets[3]! - 1],
    ] as [string, number][]) {
      const dir = await makeLog(n);
      const file = join(dir, ENTRIES);
      const bytes = readFileSync(file);
      bytes[at]! ^= 0x10;
      writeFileSync(file, bytes);
      const e = await expectLogError(FileLog.open(dir), 'corrupt');
      expect(e.message, what).toMatch(/entry 2 .*damaged/);
      expect(statSync(file).size, what).toBe(bytes.length);
      expect(readFileSync(file)).toEqual(bytes);
    }
  });

  it('treats a missing record (later frames shifted into its place) as corruption', async () => {
    const n = 5;
    const offsets = frameOffsets(n);
    const dir = await makeLog(n);
    const file = join(dir, ENTRIES);
    const bytes = readFileSync(file);
    // Cut out entry 3 entirely: entry 4 (a later batch) now sits where entry 3 should be, and is the last frame.
    const spliced = Buffer.concat([bytes.subarray(0, offsets[3]), bytes.subarray(offsets[4])]);
    writeFileSync(file, spliced);
    const e = await expectLogError(FileLog.open(dir), 'corrupt');
    expect(e.message).toMatch(/expected 3/);
  });

  it('detects damage of the last record only through a checkpoint covering it (documented limit)', async () => {
    const n = 5;
    const offsets = frameOffsets(n);
    const at = offsets[n - 1]! + FRAME_HEADER_SIZE + 2;
    // Without a checkpoint, damage in the final batch is indistinguishable from a torn write: truncated.
    const plain = await makeLog(n);
    const plainFile = join(plain, ENTRIES);
    const b1 = readFileSync(plainFile);
    b1[at]! ^= 1;
    writeFileSync(plainFile, b1);
    const log = await FileLog.open(plain);
    expect(log.size).toBe(n - 1);
    expect(log.recovery?.reason).toMatch(/checksum/);
    await log.close();
    // With a stored checkpoint covering it, the same damage is reported as corruption.
    const dir = await makeLog(n);
    const withCp = await FileLog.open(dir);
    await withCp.writeCheckpoint(signCheckpoint({ origin: 'writ.example/test-log', size: n, root: withCp.root(), extensions: [] }, KEY.signerKey));
    await withCp.close();
    const file = join(dir, ENTRIES);
    const b2 = readFileSync(file);
    b2[at]! ^= 1;
    writeFileSync(file, b2);
    await expectLogError(FileLog.open(dir), 'corrupt');
    expect(readFileSync(file)).toEqual(b2);
  });

  it('keeps the intact prefix of a torn multi-entry batch', async () => {
    const dir = freshDir();
    const log = await FileLog.open(dir);
    await log.append(entry(0));
    await Promise.all([1, 2, 3, 4].map((i) => log.append(entry(i)))); // one batch of four
    await log.close();
    const file = join(dir, ENTRIES);
    const bytes = readFileSync(file);
    const f = frameSize(entry(0).length);
    // Damage entry 2 (third frame; second of the batch), leave entries 3 and 4 of the same batch intact.
    bytes[2 * f + FRAME_HEADER_SIZE]! ^= 0xff;
    writeFileSync(file, bytes);
    const reopened = await FileLog.open(dir);
    expect(reopened.size).toBe(2);
    expect(reopened.recovery?.offset).toBe(2 * f);
    await reopened.close();
  });

  it('detects a record changed on disk while the log is open', async () => {
    const dir = await makeLog(4);
    const log = await FileLog.open(dir);
    const file = join(dir, ENTRIES);
    const bytes = readFileSync(file);
    bytes[FRAME_HEADER_SIZE + 1]! ^= 1;
    writeFileSync(file, bytes);
    expect(() => log.entry(0)).toThrow(LogError);
    await log.close();
  });
});

describe('checkpoint storage and Checkpointer', () => {
  const origin = 'writ.example/test-log';
  const sign = (log: FileLog, size = log.size): string =>
    signCheckpoint({ origin, size, root: log.root(size), extensions: [] }, KEY.signerKey);

  it('stores checkpoints atomically with history, and checks them on reopen', async () => {
    const dir = await makeLog(10);
    const log = await FileLog.open(dir, { verifierKey: KEY.verifierKey });
    expect(log.latestCheckpoint()).toBeUndefined();
    const c5 = sign(log, 5);
    const c10 = sign(log, 10);
    await log.writeCheckpoint(c5);
    await log.writeCheckpoint(c10);
    expect(log.latestCheckpoint()).toBe(c10);
    expect(await log.checkpointHistory()).toEqual([c5, c10]);
    expect(readFileSync(join(dir, 'checkpoint'), 'utf8')).toBe(c10);
    // Refused: smaller than the latest, a root that is not this log's, beyond the log, not signed by the key.
    await expectLogError(log.writeCheckpoint(c5), 'checkpoint-mismatch');
    const foreign = signCheckpoint({ origin, size: 10, root: leafHash(entry(1)), extensions: [] }, KEY.signerKey);
    await expectLogError(log.writeCheckpoint(foreign), 'checkpoint-mismatch');
    await expectLogError(log.writeCheckpoint(sign(log).replace('\n10\n', '\n11\n')), 'checkpoint-mismatch');
    const other = generateSignerKey(origin);
    await expectLogError(
      log.writeCheckpoint(signCheckpoint({ origin, size: 10, root: log.root(), extensions: [] }, other.signerKey)),
      'checkpoint-mismatch',
    );
    await log.close();

    const again = await FileLog.open(dir, { verifierKey: KEY.verifierKey });
    expect(again.latestCheckpoint()).toBe(c10);
    await again.close();
    // A torn final history line (interrupted append) is dropped on open.
    writeFileSync(join(dir, 'checkpoints.jsonl'), readFileSync(join(dir, 'checkpoints.jsonl'), 'utf8') + '{"checkp');
    const repaired = await FileLog.open(dir);
    expect(await repaired.checkpointHistory()).toEqual([c5, c10]);
    await repaired.close();
    // Entries lost below the stored checkpoint (file truncated) is corruption, not recovery.
    truncateSync(join(dir, ENTRIES), frameOffsets(10)[8]!);
    await expectLogError(FileLog.open(dir), 'corrupt');
  });

  it('signs every N entries and on flush(); consecutive checkpoints are consistent', async () => {
    const dir = freshDir();
    const log = await FileLog.open(dir);
    const cp = new Checkpointer(log, KEY.signerKey, { everyEntries: 10, everyMs: Infinity });
    for (let i = 0; i < 25; i++) await log.append(entry(i));
    const note = await cp.flush();
    const v = verifyCheckpoint(note, KEY.verifierKey);
    expect(v.ok && v.checkpoint.size).toBe(25);
    expect(await cp.flush()).toBe(note); // nothing new: no new checkpoint
    await cp.close();
    const history = (await log.checkpointHistory()).map((t) => parseCheckpoint(parseNote(t).text));
    // A checkpoint is requested at 10 and 20 entries; each signs the size current when it runs (≥ requested).
    const sizes = history.map((c) => c.size);
    expect(sizes[0]).toBeGreaterThanOrEqual(10);
    expect(sizes[1]).toBeGreaterThanOrEqual(20);
    expect(sizes.at(-1)).toBe(25);
    expect(sizes.length).toBeLessThanOrEqual(3);
    for (let k = 1; k < history.length; k++) {
      const a = history[k - 1]!;
      const b = history[k]!;
      expect(verifyCheckpointAdvance(a, b, log.consistencyProof(a.size, b.size)).ok).toBe(true);
    }
    await log.close();
  });

  it('signs on a timer when the log grew', async () => {
    const log = await FileLog.open(freshDir());
    const errors: Error[] = [];
    const cp = new Checkpointer(log, KEY.signerKey, { everyEntries: Infinity, everyMs: 20, onError: (e) => errors.push(e) });
    await log.append(entry(1));
    await log.append(entry(2));
    const deadline = Date.now() + 3000;
    while (log.latestCheckpoint() === undefined && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    await cp.close();
    expect(errors).toEqual([]);
    const v = verifyCheckpoint(log.latestCheckpoint()!, KEY.verifierKey);
    expect(v.ok && v.checkpoint.size).toBe(2);
    expect(toBase64(v.ok ? v.checkpoint.root : new Uint8Array())).toBe(toBase64(log.root(2)));
    await log.close();
  });
});
