/**
 * `writ smt`: every query `writ verify` may ask, as self-contained SMT-LIB 2 files that any solver can check,
 * each saying what it means and what answer z3-solver gave; plus `index.json`, the manifest.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { exportQueries, shutdown, type ExportedQuery } from '@writ/verifier';
import { EXIT, UserError } from '../errors.js';
import { encoding, loadVerifyInput, progress } from '../io/verify-input.js';

export interface SmtCommandOptions {
  out: string;
  json?: boolean;
  timeout?: string;
  /** `--no-analyses`: assertions and dead-tool queries only. */
  analyses?: boolean;
}

export async function runSmt(input: string, opts: SmtCommandOptions): Promise<number> {
  let timeoutMs = 30_000;
  if (opts.timeout !== undefined) {
    const s = Number(opts.timeout);
    if (!Number.isFinite(s) || s <= 0) throw new UserError(`--timeout: '${opts.timeout}' is not a positive number of seconds`);
    timeoutMs = Math.round(s * 1000);
  }
  const { artifact } = loadVerifyInput(input);
  const bar = progress('exporting tool');
  let queries: ExportedQuery[];
  try {
    queries = await encoding(input, () => exportQueries(artifact, { timeoutMs, analyses: opts.analyses !== false, onProgress: (i, n, t) => bar.update(i, n, t) }));
  } finally {
    bar.clear();
    await shutdown();
  }
  try {
    mkdirSync(opts.out, { recursive: true });
    for (const q of queries) writeFileSync(path.join(opts.out, q.file), q.text);
  } catch (e) {
    throw new UserError(`${opts.out}: ${(e as Error).message}`);
  }
  const manifest = {
    policy: { name: artifact.policy.name, version: artifact.policy.version, digest: artifact.digest },
    solver: 'z3-solver',
    queries: queries.map((q) => ({
      file: q.file,
      kind: q.query.kind,
      tool: q.query.tool,
      subject: q.query.subject,
      ...(q.query.span ? { span: q.query.span } : {}),
      ...(q.query.other ? { other: q.query.other } : {}),
      question: q.query.meaning,
      sat: q.query.sat,
      unsat: q.query.unsat,
      expect: q.expect,
      ...(q.reason ? { reason: q.reason } : {}),
    })),
  };
  try {
    writeFileSync(path.join(opts.out, 'index.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  } catch (e) {
    throw new UserError(`${opts.out}: ${(e as Error).message}`);
  }
  const count = (st: string) => queries.filter((q) => q.expect === st).length;
  if (opts.json) {
    process.stdout.write(`${JSON.stringify({ out: opts.out, files: queries.length, sat: count('sat'), unsat: count('unsat'), unknown: count('unknown'), manifest: path.join(opts.out, 'index.json') }, null, 2)}\n`);
  } else {
    process.stdout.write(
      `wrote ${queries.length} queries to ${opts.out} (${count('sat')} sat, ${count('unsat')} unsat, ${count('unknown')} unknown); manifest: ${path.join(opts.out, 'index.json')}\n`,
    );
  }
  return EXIT.ok;
}
