/**
 * Loads a policy for the verifier commands (`verify`, `diff`, `smt`): `.writ` files and directories are
 * compiled; a `.json` file is a compiled artifact, checked by the runtime. Keeps the source texts (or reads
 * them beside an artifact, when they are there) for excerpts.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { compile } from '@writ/compiler';
import type { Artifact } from '@writ/runtime';
import { EncodingError } from '@writ/verifier';
import { EXIT, UserError } from '../errors.js';
import { loadPolicyFrom, PolicyCompileError } from './load-policy.js';
import { readPolicySources } from './policy-files.js';

export interface VerifyInput {
  artifact: Artifact;
  /** Directory that span file names are relative to. */
  root: string;
  /** Source text per span file name, for excerpts (only the files that could be read). */
  texts: Map<string, string>;
}

/**
 * @throws PolicyCompileError (exit 3) for compile errors, UserError (exit 3) for a refused artifact
 */
export function loadVerifyInput(input: string): VerifyInput {
  if (input.endsWith('.json')) {
    const loaded = loadPolicyFrom(input);
    const texts = new Map<string, string>();
    for (const file of new Set(loaded.policy.artifact.rules.map((r) => r.span.file))) {
      try {
        texts.set(file, readFileSync(path.resolve(loaded.root, file), 'utf8'));
      } catch {
        // The sources are not beside the artifact: no excerpts.
      }
    }
    return { artifact: loaded.policy.artifact, root: loaded.root, texts };
  }
  const { root, sources } = readPolicySources([input]);
  const result = compile(sources);
  const texts = new Map(sources.map((s) => [s.file, s.text]));
  if (!result.artifact) throw new PolicyCompileError(result.diagnostics, root, texts);
  return { artifact: result.artifact, root, texts };
}

/** Runs verifier work, turning an EncodingError (a construct without an exact encoding) into exit 3. */
export async function encoding<T>(what: string, f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (e) {
    if (e instanceof EncodingError) throw new UserError(`${what}: cannot encode the policy exactly: ${e.message}`, EXIT.policy);
    throw e;
  }
}

/** Progress on standard error, only when it is a terminal: `label i/n: item`, overwritten in place. */
export function progress(label: string): { update: (done: number, total: number, item: string) => void; clear: () => void } {
  const tty = !!process.stderr.isTTY;
  let shown = false;
  return {
    update(done, total, item) {
      if (!tty) return;
      const line = `${label} ${done}/${total}: ${item}`;
      process.stderr.write(`\r\x1b[2K${line.length > 100 ? `${line.slice(0, 97)}...` : line}`);
      shown = true;
    },
    clear() {
      if (tty && shown) process.stderr.write('\r\x1b[2K');
      shown = false;
    },
  };
}
