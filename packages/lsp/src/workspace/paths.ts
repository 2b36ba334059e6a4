/**
 * URIs and paths: the server works with file URIs from the client, and compiles policies whose file names
 * are paths relative to the policy's root directory (as `writ check` does).
 */
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** The file system path of a `file:` URI, or `undefined` for other schemes (untitled buffers…). */
export function uriToPath(uri: string): string | undefined {
  if (!uri.startsWith('file:')) return undefined;
  try {
    return path.resolve(fileURLToPath(uri));
  } catch {
    return undefined;
  }
}

export function pathToUri(p: string): string {
  return pathToFileURL(p).href;
}

/** A file's name relative to a policy root, with forward slashes. */
export function relativeName(root: string, file: string): string {
  return path.relative(root, file).split(path.sep).join('/');
}
