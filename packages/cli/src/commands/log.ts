/**
 * `writ log verify | checkpoint | prove | consistency`: audit a decision log and produce proofs from it. All
 * of them read the log without locking it, so they work while `writ decide --log` (or a gateway) writes.
 */
import { parseBundle, parseCheckpoint, parseNote, toBase64, verifyLog } from '@writ/verifier';
import type { LogSnapshot } from '@writ/verifier';
import { EXIT, UserError } from '../errors.js';
import { openSnapshot, readTextFile, readVerifierKeyFile } from '../io/evidence.js';
import { styler, colorEnabled } from '../render/style.js';

export interface LogVerifyOptions {
  pubkey: string;
  trusted?: string[];
  json?: boolean;
}

/** Parses a non-negative integer option strictly. */
export function parseCount(value: string, option: string): number {
  if (!/^(0|[1-9][0-9]*)$/.test(value) || !Number.isSafeInteger(Number(value))) {
    throw new UserError(`${option} '${value}': expected a non-negative integer`);
  }
  return Number(value);
}

async function withSnapshot<T>(dir: string, f: (snap: LogSnapshot) => T): Promise<T> {
  const snap = await openSnapshot(dir);
  try {
    return f(snap);
  } finally {
    await snap.close();
  }
}

/** A trusted checkpoint from a file: a checkpoint note, or a bundle JSON (its checkpoint). */
function readTrusted(file: string): string {
  const text = readTextFile(file);
  if (text.trimStart().startsWith('{')) {
    try {
      return parseBundle(text).bundle.checkpoint;
    } catch (e) {
      throw new UserError(`${file}: not a bundle: ${(e as Error).message}`);
    }
  }
  return text;
}

/** Size of the latest checkpoint, or undefined if the log has none (parsed, not verified). */
function checkpointSize(snap: LogSnapshot): number | undefined {
  const note = snap.latestCheckpoint();
  if (note === undefined) return undefined;
  try {
    return parseCheckpoint(parseNote(note).text).size;
  } catch {
    return undefined;
  }
}

export async function runLogVerify(dir: string, opts: LogVerifyOptions): Promise<number> {
  const key = readVerifierKeyFile(opts.pubkey);
  const trusted = (opts.trusted ?? []).map(readTrusted);
  const progress = !opts.json && process.stderr.isTTY;
  const r = await withSnapshot(dir, (snap) =>
    verifyLog(snap, key, {
      trusted,
      ...(progress ? { onProgress: (done: number, total: number) => process.stderr.write(`\rchecking entries: ${done}/${total}`) } : {}),
    }),
  );
  if (progress) process.stderr.write('\r\x1b[K');
  if (opts.json) {
    const out = r.ok
      ? {
          ok: true,
          log: dir,
          entries: r.size,
          checkpoint: r.checkpoint && { origin: r.checkpoint.origin, tree_size: r.checkpoint.size, root: toBase64(r.checkpoint.root) },
          signed_by: r.signedBy,
          checkpoints: r.checkpoints,
          uncovered: r.uncovered,
          trusted: r.trusted,
          warnings: r.warnings,
        }
      : { ok: false, log: dir, code: r.code, reason: r.reason };
    process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
    return r.ok ? EXIT.ok : EXIT.failed;
  }
  const s = styler(colorEnabled());
  if (!r.ok) {
    process.stdout.write(`${s(['bold', 'red'], 'invalid')}: log ${dir}: ${r.reason}\n`);
    return EXIT.failed;
  }
  const lines = [`${s(['bold', 'green'], 'ok')}: log ${dir} verified`];
  lines.push(`  entries      ${r.size} (every leaf hash recomputed; every entry a canonical decision certificate)`);
  if (r.checkpoint) {
    lines.push(`  checkpoint   tree size ${r.checkpoint.size}, root ${toBase64(r.checkpoint.root)}`);
    lines.push(`  signed by    ${r.signedBy}`);
  } else {
    lines.push('  checkpoint   none (the log is empty)');
  }
  lines.push(`  history      ${r.checkpoints} stored checkpoint${r.checkpoints === 1 ? '' : 's'}, each extending the one before (consistency proofs)`);
  if (r.trusted > 0) lines.push(`  trusted      the log extends the ${r.trusted} checkpoint${r.trusted === 1 ? '' : 's'} given with --trusted`);
  for (const w of r.warnings) lines.push(`  ${s('yellow', 'warning')}: ${w}`);
  process.stdout.write(`${lines.join('\n')}\n`);
  return EXIT.ok;
}

export async function runLogCheckpoint(dir: string, opts: { json?: boolean }): Promise<number> {
  const note = await withSnapshot(dir, (snap) => snap.latestCheckpoint());
  if (note === undefined) throw new UserError(`${dir}: the log has no checkpoint yet`, EXIT.failed);
  if (!opts.json) {
    process.stdout.write(note);
    return EXIT.ok;
  }
  let cp;
  try {
    cp = parseCheckpoint(parseNote(note).text);
  } catch (e) {
    throw new UserError(`${dir}: the stored checkpoint is malformed: ${(e as Error).message}`, EXIT.failed);
  }
  process.stdout.write(`${JSON.stringify({ origin: cp.origin, tree_size: cp.size, root: toBase64(cp.root), checkpoint: note }, null, 2)}\n`);
  return EXIT.ok;
}

export async function runLogProve(dir: string, opts: { index: string; size?: string }): Promise<number> {
  const index = parseCount(opts.index, '--index');
  const out = await withSnapshot(dir, (snap) => {
    const signed = checkpointSize(snap);
    const size = opts.size !== undefined ? parseCount(opts.size, '--size') : signed ?? snap.size;
    if (size > snap.size) throw new UserError(`--size ${size}: the log holds ${snap.size} entries`);
    if (index >= size) {
      const which = opts.size !== undefined ? `tree size ${size}` : signed !== undefined ? `the latest checkpoint (tree size ${size})` : `the log (${size} entries)`;
      throw new UserError(`--index ${index}: not covered by ${which}${opts.size === undefined && index < snap.size ? '; pass --size to prove against the unsigned tree' : ''}`);
    }
    return {
      leaf_index: index,
      tree_size: size,
      leaf_hash: toBase64(snap.leafHash(index)),
      root: toBase64(snap.root(size)),
      inclusion_proof: snap.inclusionProof(index, size).map(toBase64),
      ...(size === signed ? { checkpoint: snap.latestCheckpoint() } : {}),
    };
  });
  process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
  return EXIT.ok;
}

export async function runLogConsistency(dir: string, opts: { from: string; to?: string }): Promise<number> {
  const from = parseCount(opts.from, '--from');
  const out = await withSnapshot(dir, (snap) => {
    const signed = checkpointSize(snap);
    const to = opts.to !== undefined ? parseCount(opts.to, '--to') : signed ?? snap.size;
    if (to > snap.size) throw new UserError(`--to ${to}: the log holds ${snap.size} entries`);
    if (from === 0) throw new UserError('--from 0: there is no consistency proof from the empty tree (every log extends it)');
    if (from > to) throw new UserError(`--from ${from} is larger than ${opts.to !== undefined ? '--to' : 'the latest checkpoint\'s tree size'} ${to}`);
    return {
      from,
      to,
      root_from: toBase64(snap.root(from)),
      root_to: toBase64(snap.root(to)),
      consistency_proof: snap.consistencyProof(from, to).map(toBase64),
      ...(to === signed ? { checkpoint: snap.latestCheckpoint() } : {}),
    };
  });
  process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
  return EXIT.ok;
}
