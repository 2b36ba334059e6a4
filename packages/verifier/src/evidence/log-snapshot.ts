/**
 * A read-only view of a file log's directory (Node only), for auditing and for proofs while another process
 * may be writing: it takes no lock, creates nothing, truncates nothing.
 *
 * Opening reads the stored checkpoints first, then scans the entries file once (checking every frame and its
 * leaf hash, `frame.ts`) and builds the Merkle tree of the intact prefix. Because a writer stores a checkpoint
 * only after the entries it covers are durable, reading the checkpoints before the entries never sees a
 * checkpoint newer than the entries scanned. Damage after the intact prefix is reported in
 * {@link LogSnapshot.damage}, not repaired.
 *
 * Memory: about 44 bytes per entry (offset, leaf hash, and the Merkle cache above level 4).
 *
 * @module
 */
import { readSync } from 'node:fs';
import { open, readFile, stat } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { bytesEqual } from './bytes.js';
import type { BundleSource } from './bundle.js';
import { LOG_FILES, LogError } from './filelog.js';
import { FRAME_HEADER_SIZE, FRAME_TRAILER_SIZE, frameLeafHash, scanFrames } from './frame.js';
import type { FrameDamage } from './frame.js';
import { HASH_SIZE } from './hash.js';
import { MerkleTreeCache } from './merkle-cache.js';

/** A problem found in the checkpoint history file. */
export interface HistoryProblem {
  /** 1-based line number in `checkpoints.jsonl`. */
  readonly line: number;
  readonly reason: string;
}

/**
 * Read-only snapshot of a log directory's committed entries and stored checkpoints (see module comment).
 *
 * @example
 * ```ts
 * const snap = await LogSnapshot.open('/var/lib/writ/log');
 * try {
 *   const proof = snap.inclusionProof(3, snap.size);
 * } finally {
 *   await snap.close();
 * }
 * ```
 */
export class LogSnapshot implements BundleSource {
  /** Absolute path of the log directory. */
  readonly dir: string;
  /** Damage found after the intact entries, if the file continues past them. */
  readonly damage: FrameDamage | undefined;
  /** Size of the entries file when it was scanned. */
  readonly fileSize: number;
  /** Problems in `checkpoints.jsonl` (a torn final line is not one: it is an interrupted, unacknowledged write). */
  readonly historyProblems: readonly HistoryProblem[];

  private readonly fh: FileHandle;
  private readonly offsets: Float64Array;
  private readonly hashes: Uint8Array;
  private readonly count: number;
  private readonly end: number;
  private readonly tree: MerkleTreeCache;
  private readonly latest: string | undefined;
  private readonly history: readonly string[];
  private closed = false;

  private constructor(init: {
    dir: string;
    fh: FileHandle;
    offsets: Float64Array;
    hashes: Uint8Array;
    count: number;
    end: number;
    fileSize: number;
    damage: FrameDamage | undefined;
    latest: string | undefined;
    history: string[];
    historyProblems: HistoryProblem[];
  }) {
    this.dir = init.dir;
    this.fh = init.fh;
    this.offsets = init.offsets;
    this.hashes = init.hashes;
    this.count = init.count;
    this.end = init.end;
    this.fileSize = init.fileSize;
    this.damage = init.damage;
    this.latest = init.latest;
    this.history = init.history;
    this.historyProblems = init.historyProblems;
    const hashes = this.hashes;
    this.tree = new MerkleTreeCache({
      keepLevel: 4,
      readLeafHashes: (start, end) => {
        const out: Uint8Array[] = [];
        for (let i = start; i < end; i++) out.push(hashes.slice(i * HASH_SIZE, (i + 1) * HASH_SIZE));
        return out;
      },
    });
    for (let i = 0; i < this.count; i++) this.tree.append(hashes.subarray(i * HASH_SIZE, (i + 1) * HASH_SIZE));
  }

  /**
   * Opens a snapshot of the log in `dir`.
   *
   * @param dir - log directory.
   * @returns the snapshot (call {@link LogSnapshot.close}).
   * @throws {@link LogError} `not-found` when `dir` holds no log; `fs` errors for I/O failures.
   */
  static async open(dir: string): Promise<LogSnapshot> {
    const abs = resolve(dir);
    const entriesPath = join(abs, LOG_FILES.entries);
    const s = await stat(entriesPath).catch(() => undefined);
    if (s === undefined || !s.isFile()) throw new LogError('not-found', `${dir}: not a Writ log (no ${LOG_FILES.entries})`);
    const latest = await readOptional(join(abs, LOG_FILES.checkpoint));
    const { history, problems } = parseHistory((await readOptional(join(abs, LOG_FILES.history))) ?? '');
    const fh = await open(entriesPath, 'r');
    try {
      const fileSize = (await fh.stat()).size;
      let offsets = new Float64Array(1024);
      let hashes = new Uint8Array(1024 * HASH_SIZE);
      const fd = fh.fd;
      const scan = scanFrames((buf, pos) => readSync(fd, buf, 0, buf.length, pos), fileSize, (i, offset, _len, hash) => {
        if (i === offsets.length) {
          const o = new Float64Array(offsets.length * 2);
          o.set(offsets);
          offsets = o;
          const h = new Uint8Array(hashes.length * 2);
          h.set(hashes);
          hashes = h;
        }
        offsets[i] = offset;
        hashes.set(hash, i * HASH_SIZE);
      });
      return new LogSnapshot({
        dir: abs,
        fh,
        offsets,
        hashes,
        count: scan.count,
        end: scan.end,
        fileSize,
        damage: scan.damage,
        latest,
        history,
        historyProblems: problems,
      });
    } catch (e) {
      await fh.close().catch(() => undefined);
      throw e;
    }
  }

  /** Number of intact entries. */
  get size(): number {
    return this.count;
  }

  /**
   * Reads entry `index`, checking it against its leaf hash.
   *
   * @param index - `0 ≤ index < size`.
   * @returns the entry's bytes.
   * @throws `RangeError` when out of range; {@link LogError} `corrupt` when the file changed since the scan.
   */
  entry(index: number): Uint8Array {
    this.checkIndex(index);
    const start = this.offsets[index]! + FRAME_HEADER_SIZE;
    const end = (index + 1 < this.count ? this.offsets[index + 1]! : this.end) - FRAME_TRAILER_SIZE;
    const bytes = new Uint8Array(end - start);
    let got = 0;
    while (got < bytes.length) {
      const r = readSync(this.fh.fd, bytes, got, bytes.length - got, start + got);
      if (r <= 0) throw new LogError('corrupt', `entries file ended early at byte ${start + got}`);
      got += r;
    }
    if (!bytesEqual(frameLeafHash(bytes), this.leafHash(index))) throw new LogError('corrupt', `entry ${index} changed since the log was scanned`);
    return bytes;
  }

  /**
   * RFC 9162 leaf hash of entry `index`.
   *
   * @param index - `0 ≤ index < size`.
   * @returns 32 bytes.
   * @throws `RangeError` when out of range.
   */
  leafHash(index: number): Uint8Array {
    this.checkIndex(index);
    return this.hashes.slice(index * HASH_SIZE, (index + 1) * HASH_SIZE);
  }

  /**
   * RFC 9162 root of the first `size` entries.
   *
   * @param size - default: all intact entries.
   * @returns 32 bytes.
   * @throws `RangeError` when `size` exceeds the snapshot.
   */
  root(size: number = this.count): Uint8Array {
    return this.tree.root(size);
  }

  /**
   * RFC 9162 inclusion proof of entry `index` in the tree of `size` entries.
   *
   * @param index - `0 ≤ index < size`.
   * @param size - default: all intact entries.
   * @returns the proof, leaf's sibling first.
   * @throws `RangeError` when out of range.
   */
  inclusionProof(index: number, size: number = this.count): Uint8Array[] {
    return this.tree.inclusionProof(index, size);
  }

  /**
   * RFC 9162 consistency proof from `size1` to `size2` entries.
   *
   * @param size1 - `1 ≤ size1 ≤ size2`.
   * @param size2 - default: all intact entries.
   * @returns the proof.
   * @throws `RangeError` when out of range.
   */
  consistencyProof(size1: number, size2: number = this.count): Uint8Array[] {
    return this.tree.consistencyProof(size1, size2);
  }

  /** The text of the `checkpoint` file (the latest signed checkpoint), if any. Not verified. */
  latestCheckpoint(): string | undefined {
    return this.latest;
  }

  /** The checkpoints stored in `checkpoints.jsonl`, oldest first. Not verified. */
  checkpointHistory(): readonly string[] {
    return this.history;
  }

  /** Closes the entries file. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.fh.close();
  }

  private checkIndex(index: number): void {
    if (this.closed) throw new LogError('closed', 'log snapshot is closed');
    if (!Number.isSafeInteger(index) || index < 0 || index >= this.count) {
      throw new RangeError(`entry index ${index} is not below log size ${this.count}`);
    }
  }
}

async function readOptional(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

function parseHistory(text: string): { history: string[]; problems: HistoryProblem[] } {
  const history: string[] = [];
  const problems: HistoryProblem[] = [];
  const lines = text.split('\n');
  lines.pop(); // text after the last newline: empty, or a torn (unacknowledged) final line
  lines.forEach((line, i) => {
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      problems.push({ line: i + 1, reason: 'not JSON' });
      return;
    }
    const cp = (value as { checkpoint?: unknown } | null)?.checkpoint;
    if (typeof cp !== 'string') problems.push({ line: i + 1, reason: 'no "checkpoint" string' });
    else history.push(cp);
  });
  return { history, problems };
}
