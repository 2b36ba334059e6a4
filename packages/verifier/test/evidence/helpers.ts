// Shared test helpers for the evidence tests (not a test file).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

export const VECTORS = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..', 'tests', 'vectors');

/** Every JSON file under `dir` (recursive), sorted, as [path relative to VECTORS, parsed]. */
export function jsonFiles<T>(dir: string): [string, T][] {
  const out: [string, T][] = [];
  const walk = (d: string): void => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (name.endsWith('.json')) out.push([relative(VECTORS, p), JSON.parse(readFileSync(p, 'utf8')) as T]);
    }
  };
  walk(dir);
  return out;
}

/** Flips one bit of a copy of `bytes`. */
export function flipBit(bytes: Uint8Array, bit: number): Uint8Array {
  const out = bytes.slice();
  out[bit >> 3]! ^= 1 << (bit & 7);
  return out;
}

/** Distinct entries for tests: entry i is the UTF-8 of "entry-<i>". */
export function entry(i: number): Uint8Array {
  return new TextEncoder().encode(`entry-${i}`);
}

/** A signed-note example from tests/vectors/checkpoint/examples.md. */
export interface NoteExample {
  readonly heading: string;
  readonly verifierKey: string | undefined;
  readonly note: string;
}

/** Parses examples.md: each `## ` section with one fenced block, and an optional `verifier key:` line. */
export function noteExamples(): NoteExample[] {
  const md = readFileSync(join(VECTORS, 'checkpoint', 'examples.md'), 'utf8');
  const out: NoteExample[] = [];
  for (const section of md.split(/^## /m).slice(1)) {
    const heading = section.slice(0, section.indexOf('\n'));
    const key = /^verifier key: (\S+)$/m.exec(section)?.[1];
    const block = /^```\n([\s\S]*?)^```$/m.exec(section)?.[1];
    if (block !== undefined) out.push({ heading, verifierKey: key, note: block });
  }
  return out;
}
