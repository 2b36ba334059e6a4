/**
 * Finds a policy's `.writ` files on disk. Spans and rule ids use paths relative to the policy root (the
 * directory given, or the file's directory), so an artifact's digest does not depend on where it was
 * compiled from; `displayPath` maps them back to paths the user can open.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Source } from '@writ/compiler';
import { UserError } from '../errors.js';

export interface PolicySources {
  /** Directory that span file names are relative to. */
  root: string;
  sources: Source[];
}

const SKIP_DIRS = new Set(['node_modules', '.git', 'dist']);

function walk(dir: string, out: string[]): void {
  for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) {
      if (!SKIP_DIRS.has(e.name) && !e.name.startsWith('.')) walk(p, out);
    } else if (e.isFile() && e.name.endsWith('.writ')) out.push(p);
  }
}

/**
 * Reads the `.writ` files named by `inputs` (files, or directories searched recursively).
 * @throws UserError when a path does not exist or no `.writ` file is found
 */
export function readPolicySources(inputs: readonly string[]): PolicySources {
  if (inputs.length === 0) throw new UserError('no policy given: pass a .writ file or a directory');
  const files = listWritFiles(inputs);
  // Span file names are relative to the first input: the directory itself, or a file's directory.
  const first = path.resolve(inputs[0] as string);
  const root = statSync(first).isDirectory() ? first : path.dirname(first);
  if (files.length === 0) throw new UserError(`${inputs.join(', ')}: no .writ files found`);
  const base = root;
  const sources = [...new Set(files.map((f) => path.resolve(f)))].map((abs) => {
    let text: string;
    try {
      text = readFileSync(abs, 'utf8');
    } catch (e) {
      throw new UserError(`${abs}: ${(e as Error).message}`);
    }
    return { file: path.relative(base, abs).split(path.sep).join('/'), text };
  });
  return { root: base, sources };
}

/**
 * The `.writ` files named by `inputs`: files as given, directories searched recursively (sorted, skipping
 * `node_modules`, `dist` and dot-directories). Paths are returned as given, not resolved.
 * @throws UserError when a path does not exist
 */
export function listWritFiles(inputs: readonly string[]): string[] {
  const files: string[] = [];
  for (const input of inputs) {
    let st;
    try {
      st = statSync(input);
    } catch {
      throw new UserError(`${input}: no such file or directory`);
    }
    if (st.isDirectory()) walk(input, files);
    else files.push(input);
  }
  return [...new Set(files)];
}

/** The path to show for a span's file: relative to the current directory when that is shorter. */
export function displayPath(root: string, file: string): string {
  const abs = path.resolve(root, file);
  const rel = path.relative(process.cwd(), abs);
  return rel.startsWith('..') && rel.length > abs.length ? abs : rel;
}
