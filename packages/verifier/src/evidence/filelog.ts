/**
 * An append-only Merkle log stored in a directory: Writ's embedded evidence log (Node only).
 *
 * Files in the directory:
 *
 * - `entries.log`: the entries, one frame each (`frame.ts`: header with length, index and batch, payload,
 *   and the RFC 9162 leaf hash as checksum). The only source of truth for entries.
 * - `checkpoint`: the latest signed checkpoint (C2SP tlog-checkpoint note), replaced atomically.
 * - `checkpoints.jsonl`: every checkpoint stored, one JSON line `{"checkpoint": "<note>"}` each.
 * - `LOCK`: the id of the process that has the log open.
 *
 * **Durability.** `append()` resolves only after the frame is written and `fdatasync` returned. Appends made
 * while a write is in flight are grouped into the next batch (group commit): one write and one fsync per batch.
 * Batches are strictly sequential. In-memory state (size, tree, offsets) advances only after the fsync, so
 * readers never see an unacknowledged entry. If a write or fsync fails, the log stops accepting appends (every
 * pending and later `append()` rejects with code `failed`), because the file's state is then unknown; reopen it.
 *
 * **Recovery on open.** `open()` reads and checks every frame, so the cost is one pass over the file.
 * - Damage confined to the end of the file that can only come from an interrupted, unacknowledged batch (a
 *   torn write: partial frame, or a bad frame with no intact frame of a later batch after it) is truncated away,
 *   and reported in {@link FileLog.recovery}. Pass `recover: false` to get an error instead.
 * - Damage to an acknowledged entry (a bad frame followed by an intact frame of a later batch) is **an error**
 *   (`LogError` code `corrupt`), never truncated: the log refuses to open rather than silently drop entries.
 * - Damage inside the final batch looks exactly like a torn write. As a guard, the latest stored checkpoint
 *   must still be covered after recovery, and its root must equal the recomputed root of that many entries;
 *   otherwise `open()` fails with `corrupt`.
 *
 * **Memory.** 8 bytes per entry (its file offset) plus the Merkle cache: with the default `cacheLevel` 4,
 * about 4 bytes per entry; smaller subtrees are rehashed from leaf hashes read from the file.
 *
 * Reads (`entry`, `leafHash`, `root`, proofs) are synchronous positional reads of committed data.
 *
 * @module
 */
import { readSync } from 'node:fs';
import { mkdir, open, readFile, stat, truncate } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { bytesEqual } from './bytes.js';
import { parseCheckpoint, verifyCheckpoint } from './checkpoint.js';
import type { Checkpoint } from './checkpoint.js';
import {
  FRAME_HEADER_SIZE,
  FRAME_TRAILER_SIZE,
  frameLeafHash,
  frameSize,
  scanFrames,
  writeFrame,
} from './frame.js';
import { acquireLockFile, appendDurably, fsyncDir, releaseLockFile, writeFileAtomic, writeFully } from './fsutil.js';
import { HASH_SIZE } from './hash.js';
import { MerkleTreeCache } from './merkle-cache.js';
import { parseNote } from './note.js';
import type { NoteVerifierKey } from './note-key.js';

/** Stable codes of {@link LogError}. */
export type LogErrorCode =
  /** An acknowledged entry, or the log's agreement with its stored checkpoint, is damaged. */
  | 'corrupt'
  /** The log ends in a torn write and `recover: false` was given. */
  | 'torn-tail'
  /** Another process (or another `FileLog` in this process) has the log open. */
  | 'locked'
  /** The log was closed. */
  | 'closed'
  /** An earlier write or fsync failed; the log accepts no more appends until reopened. */
  | 'failed'
  /** The entry is larger than `maxEntryBytes`. */
  | 'entry-too-large'
  /** A checkpoint given to `writeCheckpoint` does not describe this log. */
  | 'checkpoint-mismatch'
  /** The directory holds no log and `create: false` was given. */
  | 'not-found';

/** Errors of the file log, with a stable `code`. */
export class LogError extends Error {
  /** Stable machine-readable code. */
  readonly code: LogErrorCode;

  /**
   * @param code - stable code.
   * @param message - one readable sentence.
   * @param options - optional `cause`.
   */
  constructor(code: LogErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'LogError';
    this.code = code;
  }
}

/** Options of {@link FileLog.open}. */
export interface FileLogOptions {
  /** Create the directory and an empty log if missing. Default `true`. */
  readonly create?: boolean;
  /** Truncate a torn final write on open (else throw `torn-tail`). Default `true`. */
  readonly recover?: boolean;
  /** Largest entry accepted by `append`, in bytes. Default 16 MiB; at most 2^32 − 1. */
  readonly maxEntryBytes?: number;
  /** Merkle cache level (see `MerkleTreeCache` `keepLevel`): 0 keeps all leaf hashes in memory. Default 4. */
  readonly cacheLevel?: number;
  /** Most entries written in one batch. Default 1024. */
  readonly maxBatchEntries?: number;
  /**
   * The log's verifier key. When given, the stored checkpoint's signature is checked on open and
   * `writeCheckpoint` accepts only checkpoints signed by it.
   */
  readonly verifierKey?: string | NoteVerifierKey;
}

/** What `open()` removed from the end of the file. */
export interface RecoveryReport {
  /** Byte offset the file was truncated to. */
  readonly offset: number;
  /** Bytes removed. */
  readonly bytesRemoved: number;
  /** Entry count after recovery. */
  readonly size: number;
  /** Why (the damage found). */
  readonly reason: string;
}

interface PendingAppend {
  readonly bytes: Uint8Array;
  readonly resolve: (r: { index: number }) => void;
  readonly reject: (e: Error) => void;
}

const ENTRIES = 'entries.log';
const CHECKPOINT = 'checkpoint';
const HISTORY = 'checkpoints.jsonl';
const LOCK = 'LOCK';
/** Names of the files in a log directory (see the module comment). */
export const LOG_FILES = { entries: ENTRIES, checkpoint: CHECKPOINT, history: HISTORY, lock: LOCK } as const;
const MAX_BATCH_BYTES = 8 * 1024 * 1024;
const COPY_BLOCK = 256 * 1024;
const openDirs = new Set<string>();

/** Growable array of non-negative safe integers. */
class OffsetArray {
  private buf = new Float64Array(1024);
  length = 0;
  push(n: number): void {
    if (this.length === this.buf.length) {
      const next = new Float64Array(this.buf.length * 2);
      next.set(this.buf);
      this.buf = next;
    }
    this.buf[this.length++] = n;
  }
  get(i: number): number {
    return this.buf[i]!;
  }
}

/**
 * An append-only, crash-safe Merkle log in a directory (see module comment).
 *
 * @example
 * ```ts
 * const log = await FileLog.open('/var/lib/writ/log');
 * const { index } = await log.append(certificateBytes);
 * const proof = log.inclusionProof(index, log.size);
 * await log.close();
 * ```
 */
export class FileLog {
  /** Absolute path of the log directory. */
  readonly dir: string;

  private readonly fh: FileHandle;
  private readonly opts: Required<Pick<FileLogOptions, 'maxEntryBytes' | 'maxBatchEntries'>> & FileLogOptions;
  private readonly offsets = new OffsetArray();
  private readonly tree: MerkleTreeCache;
  private count = 0;
  private end = 0;
  private queue: PendingAppend[] = [];
  private writer: Promise<void> | undefined;
  private failure: Error | undefined;
  private closed = false;
  /** False once the file is closed: reads would otherwise hit a reused descriptor. */
  private readable = true;
  private latest: { text: string; checkpoint: Checkpoint } | undefined;
  private checkpointWrites: Promise<unknown> = Promise.resolve();
  private readonly listeners = new Set<(size: number) => void>();
  private recovered: RecoveryReport | undefined;
  /** The block queued entries are copied into, and the next free byte (see `copyOf`). */
  private copyBlock = new Uint8Array(0);
  private copyPos = 0;
  /** Read buffer of `readLeafHashes` (frames are read whole, only their trailers kept). */
  private scratch = new Uint8Array(16 * 1024);

  private constructor(dir: string, fh: FileHandle, opts: FileLogOptions) {
    this.dir = dir;
    this.fh = fh;
    this.opts = { maxEntryBytes: 16 * 1024 * 1024, maxBatchEntries: 1024, ...opts };
    const cacheLevel = opts.cacheLevel ?? 4;
    this.tree = new MerkleTreeCache({
      keepLevel: cacheLevel,
      readLeafHashes: (start, end) => {
        const out: Uint8Array[] = [];
        const from = this.offsets.get(start);
        const span = this.frameEnd(end - 1) - from;
        if (span <= 1 << 20) {
          // One read for the (fewer than 2^cacheLevel) consecutive frames, into a reused buffer, then copy out
          // their trailers.
          if (this.scratch.length < span) this.scratch = new Uint8Array(Math.max(span, 2 * this.scratch.length));
          const frames = this.readRange(from, span, this.scratch);
          for (let i = start; i < end; i++) {
            const at = this.frameEnd(i) - from - FRAME_TRAILER_SIZE;
            out.push(frames.slice(at, at + HASH_SIZE));
          }
          return out;
        }
        for (let i = start; i < end; i++) out.push(this.readRange(this.frameEnd(i) - FRAME_TRAILER_SIZE, HASH_SIZE));
        return out;
      },
    });
  }

  /**
   * Opens (by default creating) the log in `dir`: takes the lock, checks every frame, recovers a torn final
   * write, and checks the stored checkpoint against the recomputed tree.
   *
   * @param dir - log directory.
   * @param options - see {@link FileLogOptions}.
   * @returns the open log.
   * @throws {@link LogError} `locked`, `corrupt`, `torn-tail` (with `recover: false`), `not-found`
   *   (with `create: false`); `fs` errors for I/O failures.
   */
  static async open(dir: string, options: FileLogOptions = {}): Promise<FileLog> {
    const abs = resolve(dir);
    if (openDirs.has(abs)) throw new LogError('locked', `log ${abs} is already open in this process`);
    const create = options.create ?? true;
    if (create) {
      const made = await mkdir(abs, { recursive: true });
      if (made !== undefined) await fsyncDir(dirname(made));
    } else {
      const s = await stat(join(abs, ENTRIES)).catch(() => undefined);
      if (s === undefined) throw new LogError('not-found', `no log in ${abs}`);
    }
    const lockPath = join(abs, LOCK);
    const holder = await acquireLockFile(lockPath);
    if (holder !== undefined) {
      const who = holder === process.pid ? 'this process (another path to it is open)' : `process ${holder}`;
      throw new LogError('locked', `log ${abs} is locked by ${who}; if no such process uses it, delete ${lockPath}`);
    }
    openDirs.add(abs);
    let fh: FileHandle | undefined;
    try {
      fh = await openEntriesFile(abs);
      return await FileLog.load(abs, fh, options);
    } catch (e) {
      await fh?.close().catch(() => undefined);
      openDirs.delete(abs);
      await releaseLockFile(lockPath);
      throw e;
    }
  }

  private static async load(dir: string, fh: FileHandle, options: FileLogOptions): Promise<FileLog> {
    const fileSize = (await fh.stat()).size;
    const latest = await readLatestCheckpoint(dir, options.verifierKey);
    const log = new FileLog(dir, fh, options);
    const fd = fh.fd;
    const scan = scanFrames((buf, pos) => readSync(fd, buf, 0, buf.length, pos), fileSize, (_i, offset, _len, hash) => {
      log.offsets.push(offset);
      log.tree.append(hash);
    });
    log.count = scan.count;
    log.end = scan.end;
    if (scan.damage !== undefined) {
      const d = scan.damage;
      if (d.kind === 'corrupt') throw new LogError('corrupt', `log ${dir}: ${d.reason}`);
      if (options.recover === false) throw new LogError('torn-tail', `log ${dir}: ${d.reason}`);
      if (latest !== undefined && latest.checkpoint.size > scan.count) {
        throw new LogError(
          'corrupt',
          `log ${dir}: ${d.reason}; recovering would leave ${scan.count} entries but the stored checkpoint covers ${latest.checkpoint.size}`,
        );
      }
      await fh.truncate(scan.end);
      await fh.datasync();
      log.recovered = { offset: scan.end, bytesRemoved: fileSize - scan.end, size: scan.count, reason: d.reason };
    }
    if (latest !== undefined) {
      const cp = latest.checkpoint;
      if (cp.size > log.count) {
        throw new LogError('corrupt', `log ${dir}: stored checkpoint covers ${cp.size} entries but the log holds ${log.count}`);
      }
      if (!bytesEqual(log.root(cp.size), cp.root)) {
        throw new LogError('corrupt', `log ${dir}: the root of the first ${cp.size} entries differs from the stored checkpoint's`);
      }
      log.latest = latest;
    }
    await repairHistory(dir);
    return log;
  }

  /** Set when `open()` truncated a torn final write: what was removed and why. */
  get recovery(): RecoveryReport | undefined {
    return this.recovered;
  }

  /** Number of acknowledged (durable) entries. */
  get size(): number {
    return this.count;
  }

  /**
   * Appends one entry durably. Resolves after the batch holding it has been written and fsynced.
   *
   * @param entry - the entry's bytes (copied at call time), at most `maxEntryBytes`.
   * @returns a promise of the entry's index.
   * @throws (rejects) {@link LogError} `closed`, `failed`, `entry-too-large`; `TypeError` for a non-bytes entry.
   */
  append(entry: Uint8Array): Promise<{ index: number }> {
    if (!(entry instanceof Uint8Array)) return Promise.reject(new TypeError('entry must be a Uint8Array'));
    if (this.closed) return Promise.reject(new LogError('closed', 'log is closed'));
    if (this.failure !== undefined) return Promise.reject(this.failedError());
    if (entry.length > this.opts.maxEntryBytes || entry.length > 0xffffffff) {
      return Promise.reject(new LogError('entry-too-large', `entry of ${entry.length} bytes exceeds ${this.opts.maxEntryBytes}`));
    }
    return new Promise((resolvePromise, reject) => {
      this.queue.push({ bytes: this.copyOf(entry), resolve: resolvePromise, reject });
      if (this.writer === undefined) this.writer = this.writeBatches();
    });
  }

  /**
   * Registers a listener called (in a microtask) with the new size after each durable batch.
   *
   * @param listener - receives the new size; must not throw.
   * @returns a function that unregisters the listener.
   */
  onCommit(listener: (size: number) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Reads entry `index` and checks it against its stored leaf hash.
   *
   * @param index - `0 ≤ index < size`.
   * @returns a copy of the entry's bytes.
   * @throws `RangeError` when out of range; {@link LogError} `corrupt` when the bytes no longer match.
   */
  entry(index: number): Uint8Array {
    this.checkIndex(index);
    const start = this.offsets.get(index) + FRAME_HEADER_SIZE;
    const end = this.frameEnd(index) - FRAME_TRAILER_SIZE;
    const bytes = this.readRange(start, end - start);
    const stored = this.readRange(end, HASH_SIZE);
    if (!bytesEqual(frameLeafHash(bytes), stored)) throw new LogError('corrupt', `entry ${index} no longer matches its checksum`);
    return bytes;
  }

  /**
   * RFC 9162 leaf hash of entry `index`.
   *
   * @param index - `0 ≤ index < size`.
   * @returns 32-byte hash.
   * @throws `RangeError` when out of range.
   */
  leafHash(index: number): Uint8Array {
    this.checkIndex(index);
    return this.tree.leafHash(index);
  }

  /**
   * RFC 9162 root of the first `size` entries.
   *
   * @param size - default the current size; 0 gives `SHA-256("")`.
   * @returns 32-byte root.
   * @throws `RangeError` when `size` exceeds the log size.
   */
  root(size: number = this.count): Uint8Array {
    this.assertReadable();
    return this.tree.root(size);
  }

  /**
   * RFC 9162 §2.1.3.1 inclusion proof of entry `index` in the tree of `size` entries.
   *
   * @param index - `0 ≤ index < size`.
   * @param size - tree size, default the current size.
   * @returns the proof, leaf's sibling first.
   * @throws `RangeError` when out of range.
   */
  inclusionProof(index: number, size: number = this.count): Uint8Array[] {
    this.assertReadable();
    return this.tree.inclusionProof(index, size);
  }

  /**
   * RFC 9162 §2.1.4.1 consistency proof from `size1` to `size2` entries.
   *
   * @param size1 - `1 ≤ size1 ≤ size2`.
   * @param size2 - default the current size.
   * @returns the proof.
   * @throws `RangeError` when out of range.
   */
  consistencyProof(size1: number, size2: number = this.count): Uint8Array[] {
    this.assertReadable();
    return this.tree.consistencyProof(size1, size2);
  }

  /** The latest stored signed checkpoint note, if any. */
  latestCheckpoint(): string | undefined {
    return this.latest?.text;
  }

  /**
   * Stores a signed checkpoint of this log: appended durably to `checkpoints.jsonl`, then written atomically to
   * `checkpoint`. Calls are serialised.
   *
   * @param note - signed checkpoint note whose size is ≤ the log size and whose root is this log's root at that
   *   size; not smaller than the latest stored checkpoint and with the same origin.
   * @throws {@link LogError} `checkpoint-mismatch` when it does not describe this log (or, with `verifierKey`,
   *   is not validly signed); `closed`; `fs` errors.
   */
  writeCheckpoint(note: string): Promise<void> {
    const run = this.checkpointWrites.then(() => this.storeCheckpoint(note));
    this.checkpointWrites = run.catch(() => undefined);
    return run;
  }

  /**
   * Reads every stored checkpoint, oldest first.
   *
   * @returns the signed checkpoint notes.
   * @throws `fs` errors other than a missing file.
   */
  async checkpointHistory(): Promise<string[]> {
    const text = await readFile(join(this.dir, HISTORY), 'utf8').catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') return '';
      throw e;
    });
    return text
      .split('\n')
      .filter((l) => l.length > 0)
      .map((l) => (JSON.parse(l) as { checkpoint: string }).checkpoint);
  }

  /**
   * Waits for pending appends and checkpoint writes, then closes the file and releases the lock. Appends made
   * after `close()` is called reject with `closed`. Idempotent.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      while (this.writer !== undefined) await this.writer;
      await this.checkpointWrites;
      this.readable = false;
      await this.fh.close();
    } finally {
      openDirs.delete(this.dir);
      await releaseLockFile(join(this.dir, LOCK));
    }
  }

  /**
   * A copy of an entry to queue. Small entries are copied into a shared block (one allocation per 256 KiB
   * instead of one per entry); queued copies live only until their batch is written.
   */
  private copyOf(entry: Uint8Array): Uint8Array {
    const n = entry.length;
    if (n > COPY_BLOCK / 16) return entry.slice();
    if (this.copyBlock.length - this.copyPos < n) {
      this.copyBlock = new Uint8Array(COPY_BLOCK);
      this.copyPos = 0;
    }
    const copy = this.copyBlock.subarray(this.copyPos, this.copyPos + n);
    copy.set(entry);
    this.copyPos += n;
    return copy;
  }

  /** How many queued appends go into the next batch: ≤ maxBatchEntries and about ≤ 8 MiB (at least one). */
  private batchLength(): number {
    let n = 0;
    let bytes = 0;
    for (const p of this.queue) {
      if (n >= this.opts.maxBatchEntries || (n > 0 && bytes + p.bytes.length > MAX_BATCH_BYTES)) break;
      bytes += p.bytes.length;
      n++;
    }
    return n;
  }

  private async storeCheckpoint(note: string): Promise<void> {
    if (this.closed) throw new LogError('closed', 'log is closed');
    let cp: Checkpoint;
    try {
      if (this.opts.verifierKey !== undefined) {
        const v = verifyCheckpoint(note, this.opts.verifierKey);
        if (!v.ok) throw new Error(v.reason);
        cp = v.checkpoint;
      } else {
        cp = parseCheckpoint(parseNote(note).text);
      }
    } catch (e) {
      throw new LogError('checkpoint-mismatch', `not a valid checkpoint of this log: ${(e as Error).message}`);
    }
    if (cp.size > this.count) throw new LogError('checkpoint-mismatch', `checkpoint size ${cp.size} exceeds log size ${this.count}`);
    if (!bytesEqual(cp.root, this.root(cp.size))) {
      throw new LogError('checkpoint-mismatch', `checkpoint root differs from this log's root at size ${cp.size}`);
    }
    const prev = this.latest?.checkpoint;
    if (prev !== undefined && (prev.origin !== cp.origin || cp.size < prev.size)) {
      throw new LogError('checkpoint-mismatch', `checkpoint (${cp.origin}, ${cp.size}) does not follow (${prev.origin}, ${prev.size})`);
    }
    await appendDurably(this.dir, join(this.dir, HISTORY), JSON.stringify({ checkpoint: note }) + '\n');
    await writeFileAtomic(this.dir, join(this.dir, CHECKPOINT), note);
    this.latest = { text: note, checkpoint: cp };
  }

  /** The group-commit loop: runs while appends are queued; one write + one fdatasync per batch. */
  private async writeBatches(): Promise<void> {
    await Promise.resolve(); // let appends made in the same tick join the first batch
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, this.batchLength());
        if (this.failure !== undefined) {
          for (const p of batch) p.reject(this.failedError());
          continue;
        }
        const first = this.count;
        const n = batch.length;
        const hashes = new Array<Uint8Array>(n);
        let total = 0;
        for (let k = 0; k < n; k++) {
          const bytes = batch[k]!.bytes;
          hashes[k] = frameLeafHash(bytes);
          total += frameSize(bytes.length);
        }
        const buf = new Uint8Array(total);
        let pos = 0;
        const starts = new Float64Array(n);
        for (let k = 0; k < n; k++) {
          starts[k] = this.end + pos;
          pos = writeFrame(buf, pos, first + k, k, batch[k]!.bytes, hashes[k]);
        }
        try {
          await writeFully(this.fh, buf, this.end);
          await this.fh.datasync();
        } catch (e) {
          this.failure = e as Error;
          for (const p of batch) p.reject(this.failedError());
          continue;
        }
        for (let k = 0; k < n; k++) {
          this.offsets.push(starts[k]!);
          this.tree.append(hashes[k]!);
        }
        this.end += total;
        this.count += n;
        for (let k = 0; k < n; k++) batch[k]!.resolve({ index: first + k });
        const size = this.count;
        for (const l of this.listeners) queueMicrotask(() => l(size));
      }
    } finally {
      this.writer = undefined;
    }
  }

  private failedError(): LogError {
    return new LogError('failed', `an earlier write to the log failed (${this.failure?.message}); reopen it`, {
      cause: this.failure,
    });
  }

  private checkIndex(index: number): void {
    this.assertReadable();
    if (!Number.isSafeInteger(index) || index < 0 || index >= this.count) {
      throw new RangeError(`entry index ${index} is not below log size ${this.count}`);
    }
  }

  private assertReadable(): void {
    if (!this.readable) throw new LogError('closed', 'log is closed');
  }

  private frameEnd(index: number): number {
    return index + 1 < this.count ? this.offsets.get(index + 1) : this.end;
  }

  private readRange(position: number, length: number, into?: Uint8Array): Uint8Array {
    const out = into ?? new Uint8Array(length);
    let got = 0;
    while (got < length) {
      const r = readSync(this.fh.fd, out, got, length - got, position + got);
      if (r <= 0) throw new LogError('corrupt', `log file ended early at byte ${position + got}`);
      got += r;
    }
    return out;
  }
}

async function openEntriesFile(dir: string): Promise<FileHandle> {
  const path = join(dir, ENTRIES);
  try {
    return await open(path, 'r+');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  const fh = await open(path, 'wx+');
  await fsyncDir(dir);
  return fh;
}

async function readLatestCheckpoint(
  dir: string,
  verifierKey: string | NoteVerifierKey | undefined,
): Promise<{ text: string; checkpoint: Checkpoint } | undefined> {
  let text: string;
  try {
    text = await readFile(join(dir, CHECKPOINT), 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  try {
    if (verifierKey !== undefined) {
      const v = verifyCheckpoint(text, verifierKey);
      if (!v.ok) throw new Error(v.reason);
      return { text, checkpoint: v.checkpoint };
    }
    return { text, checkpoint: parseCheckpoint(parseNote(text).text) };
  } catch (e) {
    throw new LogError('corrupt', `log ${dir}: stored checkpoint is invalid: ${(e as Error).message}`);
  }
}

/** Drops a torn final line of the checkpoint history (an interrupted, unacknowledged append). */
async function repairHistory(dir: string): Promise<void> {
  const path = join(dir, HISTORY);
  let data: Buffer;
  try {
    data = await readFile(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw e;
  }
  if (data.length === 0 || data[data.length - 1] === 0x0a) return;
  await truncate(path, data.lastIndexOf(0x0a) + 1);
}
