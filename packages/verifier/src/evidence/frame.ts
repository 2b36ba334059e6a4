/**
 * The on-disk record format of the file log, and the scan that finds where the intact log ends.
 *
 * Each entry is one frame, written in log order:
 *
 * | offset   | size | field                                                            |
 * |----------|------|------------------------------------------------------------------|
 * | 0        | 4    | magic `WRL1` (0x57 0x52 0x4c 0x31)                                |
 * | 4        | 4    | payload length L, unsigned big-endian                            |
 * | 8        | 8    | entry index, unsigned big-endian (< 2^53)                        |
 * | 16       | 4    | batch offset: index − index of the first entry of its write batch |
 * | 20       | 4    | header check: first 4 bytes of SHA-256(bytes 0–19)               |
 * | 24       | L    | payload (the entry's bytes)                                      |
 * | 24 + L   | 32   | trailer: leaf hash SHA-256(0x00 ‖ payload) (RFC 9162 §2.1.1)     |
 *
 * The trailer doubles as the payload checksum and as the Merkle leaf hash, so reopening a log recomputes the
 * tree while verifying every record. The header check lets a scan trust a length before reading the payload.
 *
 * Batches are written one at a time, each made durable (fsync) before the next is written. So if a frame with
 * index `j` and batch offset `b` is intact, every entry below `j − b` was acknowledged. {@link scanFrames} uses
 * that to tell a torn write (damage confined to the last batch, which was never acknowledged) from corruption
 * of acknowledged data (damage followed by an intact frame of a later batch).
 *
 * @module
 */
import * as cryptoModule from 'node:crypto';
import { createHash } from 'node:crypto';
import { bytesEqual } from './bytes.js';
import { HASH_SIZE, leafHash, sha256 } from './hash.js';

/** Frame header size in bytes. */
export const FRAME_HEADER_SIZE = 24;
/** Frame trailer size in bytes (the leaf hash). */
export const FRAME_TRAILER_SIZE = HASH_SIZE;
/** Frame magic, `WRL1`. */
export const FRAME_MAGIC = Uint8Array.of(0x57, 0x52, 0x4c, 0x31);

/**
 * RFC 9162 leaf hash `SHA-256(0x00 || payload)` computed with Node's native SHA-256 (`hash.ts`'s `leafHash`
 * when Node has the one-shot `crypto.hash`, else `createHash`); same result as the portable hash.
 *
 * @param payload - entry bytes.
 * @returns the 32-byte leaf hash.
 */
export function frameLeafHash(payload: Uint8Array): Uint8Array {
  if (hasNativeHash) return leafHash(payload); // native one-shot hash (hash.ts)
  const digest = createHash('sha256').update(LEAF_PREFIX).update(payload).digest();
  return new Uint8Array(digest.buffer.slice(digest.byteOffset, digest.byteOffset + digest.length));
}

const LEAF_PREFIX = Uint8Array.of(0x00);
const hasNativeHash = typeof (cryptoModule as { hash?: unknown }).hash === 'function';

/** Decoded frame header fields. */
export interface FrameHeader {
  /** Payload length in bytes. */
  readonly length: number;
  /** Entry index. */
  readonly index: number;
  /** Index minus the index of the first entry of its write batch. */
  readonly batchOffset: number;
}

/**
 * Total size of a frame carrying `payloadLength` bytes.
 *
 * @param payloadLength - payload size in bytes.
 * @returns header + payload + trailer, in bytes.
 */
export function frameSize(payloadLength: number): number {
  return FRAME_HEADER_SIZE + payloadLength + FRAME_TRAILER_SIZE;
}

/**
 * Writes one frame into `out` at `pos`.
 *
 * @param out - destination buffer, with at least `frameSize(payload.length)` bytes from `pos`.
 * @param pos - byte offset in `out`.
 * @param index - entry index (safe integer).
 * @param batchOffset - index minus the first index of the batch (0 ≤ batchOffset ≤ index, < 2^32).
 * @param payload - the entry (< 2^32 bytes).
 * @param hash - the payload's leaf hash (computed if omitted).
 * @returns the offset just after the frame.
 */
export function writeFrame(
  out: Uint8Array,
  pos: number,
  index: number,
  batchOffset: number,
  payload: Uint8Array,
  hash: Uint8Array = frameLeafHash(payload),
): number {
  out.set(FRAME_MAGIC, pos);
  putUint32(out, pos + 4, payload.length);
  putUint32(out, pos + 8, Math.floor(index / 2 ** 32));
  putUint32(out, pos + 12, index % 2 ** 32);
  putUint32(out, pos + 16, batchOffset);
  const check = sha256(out.subarray(pos, pos + 20));
  for (let i = 0; i < 4; i++) out[pos + 20 + i] = check[i]!;
  out.set(payload, pos + FRAME_HEADER_SIZE);
  out.set(hash, pos + FRAME_HEADER_SIZE + payload.length);
  return pos + frameSize(payload.length);
}

/** Writes `n` (0 ≤ n < 2^32) big-endian at `pos`. */
function putUint32(out: Uint8Array, pos: number, n: number): void {
  out[pos] = n >>> 24;
  out[pos + 1] = (n >>> 16) & 0xff;
  out[pos + 2] = (n >>> 8) & 0xff;
  out[pos + 3] = n & 0xff;
}

/**
 * Decodes and checks a frame header (magic and header check).
 *
 * @param header - at least {@link FRAME_HEADER_SIZE} bytes.
 * @returns the fields, or `undefined` when the magic or the header check is wrong or the fields are
 *   inconsistent (index ≥ 2^53, batch offset > index).
 */
export function readFrameHeader(header: Uint8Array): FrameHeader | undefined {
  if (header.length < FRAME_HEADER_SIZE) return undefined;
  for (let i = 0; i < 4; i++) if (header[i] !== FRAME_MAGIC[i]) return undefined;
  if (!bytesEqual(sha256(header.subarray(0, 20)).subarray(0, 4), header.subarray(20, 24))) return undefined;
  const view = new DataView(header.buffer, header.byteOffset, FRAME_HEADER_SIZE);
  const hi = view.getUint32(8);
  const index = hi * 2 ** 32 + view.getUint32(12);
  const batchOffset = view.getUint32(16);
  if (!Number.isSafeInteger(index) || batchOffset > index) return undefined;
  return { length: view.getUint32(4), index, batchOffset };
}

/** Synchronous positional reader over a file: fills `buf` from `position`, returns bytes read (0 at EOF). */
export type ReadAt = (buf: Uint8Array, position: number) => number;

/** Where and why the intact part of a log ends before the end of the file. */
export interface FrameDamage {
  /**
   * `torn`: the damage can only be an interrupted, unacknowledged write (no intact frame of a later batch
   * follows); truncating at `offset` is safe. `corrupt`: an intact frame of a later batch follows, so an
   * acknowledged entry is damaged.
   */
  readonly kind: 'torn' | 'corrupt';
  /** Byte offset of the first damaged frame (= end of the intact prefix). */
  readonly offset: number;
  /** Index the damaged frame should have had. */
  readonly index: number;
  /** What is wrong, in words. */
  readonly reason: string;
}

/** Result of {@link scanFrames}. */
export interface ScanResult {
  /** Number of intact frames from the start. */
  readonly count: number;
  /** Byte offset just after the last intact frame. */
  readonly end: number;
  /** Set when the file continues past `end`. */
  readonly damage?: FrameDamage;
}

/**
 * Reads frames from offset 0, checking each (magic, header check, expected index, complete, trailer = leaf hash
 * of payload), and classifies any damage (see module comment).
 *
 * @param readAt - positional reader of the log file.
 * @param fileSize - file size in bytes.
 * @param onFrame - called for each intact frame, in order, with its index, offset, payload length, and leaf hash.
 * @returns the intact prefix and, if the file holds more, the damage found.
 */
export function scanFrames(
  readAt: ReadAt,
  fileSize: number,
  onFrame: (index: number, offset: number, length: number, leafHash: Uint8Array) => void,
): ScanResult {
  const reader = new ChunkReader(readAt, fileSize);
  let offset = 0;
  let index = 0;
  while (offset < fileSize) {
    const frame = checkFrameAt(reader, offset, fileSize);
    let problem: string | undefined;
    if (typeof frame === 'string') problem = frame;
    else if (frame.header.index !== index) problem = `frame holds index ${frame.header.index}, expected ${index}`;
    if (problem !== undefined) {
      return { count: index, end: offset, damage: classify(reader, offset, index, fileSize, problem) };
    }
    const f = frame as IntactFrame;
    onFrame(index, offset, f.header.length, f.leafHash);
    offset += frameSize(f.header.length);
    index++;
  }
  return { count: index, end: offset };
}

interface IntactFrame {
  readonly header: FrameHeader;
  readonly leafHash: Uint8Array;
}

/** Returns the frame at `offset` if intact, else a description of what is wrong. */
function checkFrameAt(reader: ChunkReader, offset: number, fileSize: number): IntactFrame | string {
  if (fileSize - offset < FRAME_HEADER_SIZE) return 'incomplete frame header';
  const header = readFrameHeader(reader.get(offset, FRAME_HEADER_SIZE));
  if (header === undefined) return 'bad frame header (magic or header check)';
  const end = offset + frameSize(header.length);
  if (end > fileSize) return `incomplete frame: ${header.length}-byte entry runs past the end of the file`;
  const payloadAndTrailer = reader.get(offset + FRAME_HEADER_SIZE, header.length + FRAME_TRAILER_SIZE);
  const computed = frameLeafHash(payloadAndTrailer.subarray(0, header.length));
  const stored = payloadAndTrailer.subarray(header.length);
  if (!bytesEqual(computed, stored)) return 'entry bytes do not match their checksum (leaf hash)';
  return { header, leafHash: computed };
}

/**
 * Decides whether damage at `offset` (where entry `index` should start) is a torn final write or corruption:
 * searches the rest of the file for an intact frame of a batch that started after `index`.
 */
function classify(reader: ChunkReader, offset: number, index: number, fileSize: number, problem: string): FrameDamage {
  // Start at `offset` itself: an intact frame there with the wrong index is judged like any later one.
  for (let p = reader.find(FRAME_MAGIC, offset); p >= 0; p = reader.find(FRAME_MAGIC, p + 1)) {
    const frame = checkFrameAt(reader, p, fileSize);
    if (typeof frame === 'string') continue;
    const batchStart = frame.header.index - frame.header.batchOffset;
    if (batchStart > index || frame.header.index <= index) {
      return {
        kind: 'corrupt',
        offset,
        index,
        reason: `entry ${index} at byte ${offset} is damaged (${problem}) but intact entry ${frame.header.index} follows at byte ${p}`,
      };
    }
  }
  return { kind: 'torn', offset, index, reason: `torn final write at byte ${offset}: ${problem}` };
}

/** Buffered positional reads (1 MiB chunks) so that scanning does one system call per chunk, not per field. */
class ChunkReader {
  private buf = new Uint8Array(1 << 20);
  private start = 0;
  private len = 0;

  constructor(
    private readonly readAt: ReadAt,
    private readonly fileSize: number,
  ) {}

  /** Bytes [pos, pos + n), which must lie inside the file. The view is valid until the next call. */
  get(pos: number, n: number): Uint8Array {
    if (pos >= this.start && pos + n <= this.start + this.len) return this.buf.subarray(pos - this.start, pos - this.start + n);
    if (n > this.buf.length) this.buf = new Uint8Array(n);
    const want = Math.min(this.buf.length, this.fileSize - pos);
    let got = 0;
    while (got < want) {
      const r = this.readAt(this.buf.subarray(got, want), pos + got);
      if (r <= 0) break;
      got += r;
    }
    if (got < n) throw new Error(`short read at byte ${pos}: file changed during scan`);
    this.start = pos;
    this.len = got;
    return this.buf.subarray(0, n);
  }

  /** Offset of the first occurrence of `needle` at or after `from`, or −1. */
  find(needle: Uint8Array, from: number): number {
    const step = 1 << 20;
    for (let pos = from; pos + needle.length <= this.fileSize; pos += step - needle.length + 1) {
      const n = Math.min(step, this.fileSize - pos);
      const chunk = this.get(pos, n);
      const i = indexOf(chunk, needle);
      if (i >= 0) return pos + i;
      if (pos + n >= this.fileSize) break;
    }
    return -1;
  }
}

function indexOf(hay: Uint8Array, needle: Uint8Array): number {
  const first = needle[0]!;
  for (let i = hay.indexOf(first); i >= 0 && i + needle.length <= hay.length; i = hay.indexOf(first, i + 1)) {
    let j = 1;
    while (j < needle.length && hay[i + j] === needle[j]) j++;
    if (j === needle.length) return i;
  }
  return -1;
}
