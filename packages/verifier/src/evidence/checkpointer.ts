/**
 * Checkpoint signing policy for a {@link FileLog}: sign and store a new checkpoint when `everyEntries` entries
 * have been appended since the last one, or every `everyMs` milliseconds if the log grew; `flush()` forces one.
 *
 * @module
 */
import { parseCheckpoint, signCheckpoint } from './checkpoint.js';
import type { FileLog } from './filelog.js';
import { parseSignerKey } from './note-key.js';
import type { NoteSignerKey } from './note-key.js';
import { parseNote } from './note.js';

/** Options of {@link Checkpointer}. */
export interface CheckpointerOptions {
  /** Sign after this many new entries. Default 1000; `Infinity` disables. */
  readonly everyEntries?: number;
  /** Sign at this period (ms) if the log grew. Default 1000; `Infinity` or 0 disables. */
  readonly everyMs?: number;
  /** Called with errors of background (policy-triggered) checkpoints. Default: kept in `lastError`. */
  readonly onError?: (error: Error) => void;
}

/**
 * Signs checkpoints of a log with the log's key (whose name is the checkpoint origin) and stores them with
 * `log.writeCheckpoint`.
 *
 * @example
 * ```ts
 * const cp = new Checkpointer(log, signerKey, { everyEntries: 100, everyMs: 500 });
 * await log.append(bytes);
 * const note = await cp.flush(); // a checkpoint covering every acknowledged entry
 * await cp.close();
 * ```
 */
export class Checkpointer {
  /** Last error of a background checkpoint, if any (when no `onError` was given). */
  lastError: Error | undefined;

  private readonly log: FileLog;
  private readonly key: NoteSignerKey;
  private readonly everyEntries: number;
  private readonly onError: (error: Error) => void;
  private readonly unsubscribe: () => void;
  private readonly timer: ReturnType<typeof setInterval> | undefined;
  private signedSize: number;
  /** Size at which the last checkpoint was requested (so a burst of commits requests only one). */
  private requestedSize: number;
  /** Background checkpoints queued or running. */
  private busy = 0;
  private chain: Promise<string | undefined> = Promise.resolve(undefined);
  private closed = false;

  /**
   * Starts the policy (subscribes to the log's commits and starts the timer, which does not keep Node alive).
   *
   * @param log - an open log.
   * @param signerKey - the log's signer key string or parsed key; its name is the origin.
   * @param options - see {@link CheckpointerOptions}.
   * @throws `EvidenceFormatError` for a malformed key; `RangeError` for invalid options.
   */
  constructor(log: FileLog, signerKey: string | NoteSignerKey, options: CheckpointerOptions = {}) {
    this.log = log;
    this.key = typeof signerKey === 'string' ? parseSignerKey(signerKey) : signerKey;
    this.everyEntries = options.everyEntries ?? 1000;
    const everyMs = options.everyMs ?? 1000;
    if (!(this.everyEntries >= 1) || !(everyMs >= 0)) throw new RangeError('everyEntries must be ≥ 1 and everyMs ≥ 0');
    this.onError = options.onError ?? ((e) => (this.lastError = e));
    const latest = log.latestCheckpoint();
    this.signedSize = latest === undefined ? -1 : parseCheckpoint(parseNote(latest).text).size;
    this.requestedSize = Math.max(this.signedSize, 0);
    this.unsubscribe = log.onCommit((size) => {
      if (size - this.requestedSize >= this.everyEntries) this.background(size);
    });
    if (Number.isFinite(everyMs) && everyMs > 0) {
      this.timer = setInterval(() => {
        const size = this.log.size;
        if (this.busy === 0 && size > this.signedSize) this.background(size);
      }, everyMs);
      this.timer.unref();
    }
  }

  /**
   * Signs and stores a checkpoint of the log's current size, unless one of that size is already stored.
   *
   * @returns the latest stored checkpoint note (covering every entry acknowledged before the call).
   * @throws `LogError` from `writeCheckpoint`, or `Error` when the checkpointer is closed.
   */
  flush(): Promise<string> {
    if (this.closed) return Promise.reject(new Error('checkpointer is closed'));
    return this.enqueue().then((t) => t!);
  }

  /** Stops the policy and waits for a checkpoint in progress. Does not sign a final checkpoint (call `flush`). */
  async close(): Promise<void> {
    this.closed = true;
    this.unsubscribe();
    if (this.timer !== undefined) clearInterval(this.timer);
    await this.chain.catch(() => undefined);
  }

  private background(size: number): void {
    if (this.closed) return;
    this.requestedSize = size;
    this.busy++;
    this.enqueue()
      .catch((e: Error) => {
        this.requestedSize = Math.max(this.signedSize, 0); // retry at the next trigger
        this.onError(e);
      })
      .finally(() => this.busy--);
  }

  private enqueue(): Promise<string | undefined> {
    const run = this.chain.catch(() => undefined).then(() => this.signNow());
    this.chain = run;
    return run;
  }

  private async signNow(): Promise<string | undefined> {
    const size = this.log.size;
    const existing = this.log.latestCheckpoint();
    if (size === this.signedSize && existing !== undefined) return existing;
    const note = signCheckpoint({ origin: this.key.name, size, root: this.log.root(size), extensions: [] }, this.key);
    await this.log.writeCheckpoint(note);
    this.signedSize = size;
    return note;
  }
}
