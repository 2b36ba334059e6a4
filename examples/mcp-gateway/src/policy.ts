/**
 * Loads the gateway's policy: `.writ` sources are compiled at start (as `writ decide --policy` does), a
 * `.json` file is a compiled artifact that the runtime schema- and digest-checks.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { compile, type Diagnostic, type Source } from '@writ/compiler';
import { loadPolicy, type Policy } from '@writ/runtime';

/** The policy could not be loaded; `message` is one line per problem, `file:line:column: code: message`. */
export class PolicyLoadError extends Error {}

export interface LoadedPolicy {
  policy: Policy;
  /** Compiler warnings, one line each. */
  warnings: string[];
}

const SKIP_DIRS = new Set(['node_modules', 'dist', '.git']);

function writFiles(dir: string, out: string[]): void {
  for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) {
      if (!SKIP_DIRS.has(e.name) && !e.name.startsWith('.')) writFiles(p, out);
    } else if (e.isFile() && e.name.endsWith('.writ')) out.push(p);
  }
}

function line(root: string, d: Diagnostic): string {
  return `${path.join(root, d.span.file)}:${d.span.line}:${d.span.column}: ${d.severity} ${d.code}: ${d.message}`;
}

/**
 * @param input a `.writ` file, a directory searched recursively for `.writ` files, or an artifact `.json`
 * @throws PolicyLoadError when the path does not exist, the sources have compile errors, or the runtime
 *   refuses the artifact
 */
export function loadGatewayPolicy(input: string): LoadedPolicy {
  let isDir: boolean;
  try {
    isDir = statSync(input).isDirectory();
  } catch {
    throw new PolicyLoadError(`${input}: no such file or directory`);
  }
  if (!isDir && input.endsWith('.json')) {
    try {
      return { policy: loadPolicy(readFileSync(input, 'utf8')), warnings: [] };
    } catch (e) {
      throw new PolicyLoadError(`${input}: ${(e as Error).message}`);
    }
  }
  const root = isDir ? path.resolve(input) : path.dirname(path.resolve(input));
  const files: string[] = [];
  if (isDir) writFiles(root, files);
  else files.push(path.resolve(input));
  if (files.length === 0) throw new PolicyLoadError(`${input}: no .writ files found`);
  // Span file names relative to the root, as `writ compile` does, so the digest does not depend on the
  // directory the gateway runs from.
  const sources: Source[] = files.map((f) => ({ file: path.relative(root, f).split(path.sep).join('/'), text: readFileSync(f, 'utf8') }));
  const result = compile(sources);
  const errors = result.diagnostics.filter((d) => d.severity === 'error');
  if (result.artifact === undefined || errors.length > 0) {
    throw new PolicyLoadError(errors.map((d) => line(root, d)).join('\n') || `${input}: the policy does not compile`);
  }
  return { policy: loadPolicy(result.artifact), warnings: result.diagnostics.map((d) => line(root, d)) };
}
