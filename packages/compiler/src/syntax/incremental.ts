/**
 * Incremental parsing: after an edit, only the statements the edit touches are parsed again.
 *
 * A parsed file keeps its chunks (one per top-level statement, see `parse.ts`). For new text, the edit is
 * found as the differing middle between the old and new texts; the chunks it touches, plus one chunk on
 * each side, are re-parsed as one region. The result is accepted only where it cannot differ from a
 * whole-file parse: the chunk before the region parsed without errors (so the parser was at a statement
 * boundary there), and the region's last chunk parsed without errors and ends at a line break (so the
 * next statement starts fresh on its own line), or the region reaches the end of the file. Otherwise the
 * region grows by a chunk and is parsed again. Chunks after the region keep their ASTs, moved by the
 * number of lines the edit added or removed.
 *
 * Equivalence with `parseSource` is a property test (packages/compiler/test/incremental.test.ts).
 */
import type { Diagnostic } from '../diagnostics.js';
import type { SourceFile } from './ast.js';
import { assembleChunks, parseRegion, type Chunk } from './parse.js';

/** A parsed file that can be re-parsed cheaply after an edit. */
export interface IncrementalFile {
  file: string;
  text: string;
  /** The AST (statements and comments, as `parseSource` gives them). */
  sourceFile: SourceFile;
  /** Lexical and syntax errors, as `parseSource` reports them. */
  diagnostics: Diagnostic[];
  /** @internal */
  chunks: Chunk[];
}

/** Parses a whole file. */
export function parseIncremental(file: string, text: string): IncrementalFile {
  const { chunks } = parseRegion(file, text, 0, text.length);
  return { file, text, chunks, ...assemble(file, text, chunks) };
}

function assemble(file: string, text: string, chunks: Chunk[]): Pick<IncrementalFile, 'sourceFile' | 'diagnostics'> {
  const { sourceFile, diagnostics } = assembleChunks(file, text, chunks);
  return { sourceFile, diagnostics };
}

function clean(c: Chunk): boolean {
  return c.lexErrors.length === 0 && c.parseErrors.length === 0;
}

/** Moves every span inside `value` by `lines` lines (each span object once). */
function shiftLines(value: unknown, lines: number, seen: Set<object>): void {
  if (!value || typeof value !== 'object' || seen.has(value)) return;
  seen.add(value);
  if (Array.isArray(value)) {
    for (const v of value) shiftLines(v, lines, seen);
    return;
  }
  const o = value as Record<string, unknown>;
  if (typeof o['line'] === 'number' && typeof o['endLine'] === 'number' && typeof o['file'] === 'string') {
    // Nodes that recovery built without a location carry the placeholder span 1:1-1:1: it stays put.
    if (o['line'] === 1 && o['endLine'] === 1 && o['column'] === 1 && o['endColumn'] === 1) return;
    o['line'] = (o['line'] as number) + lines;
    o['endLine'] = (o['endLine'] as number) + lines;
    return;
  }
  for (const k in o) shiftLines(o[k], lines, seen);
}

/**
 * Parses `text`, the new contents of `old`'s file, re-using every statement the edit did not touch.
 * `old` must not be used afterwards: its unchanged chunks move into the result.
 */
export function reparseIncremental(old: IncrementalFile, text: string): IncrementalFile {
  if (text === old.text) return old;
  const oldText = old.text;
  const chunks = old.chunks;
  if (chunks.length === 0) return parseIncremental(old.file, text);
  // The edit: old [p, oldEnd) became new [p, newEnd).
  let p = 0;
  const max = Math.min(oldText.length, text.length);
  while (p < max && oldText.charCodeAt(p) === text.charCodeAt(p)) p++;
  let s = 0;
  while (s < max - p && oldText.charCodeAt(oldText.length - 1 - s) === text.charCodeAt(text.length - 1 - s)) s++;
  const oldEnd = oldText.length - s;
  const delta = text.length - oldText.length;

  let first = chunks.findIndex((c) => c.end >= p);
  if (first < 0) first = chunks.length - 1;
  let last = first;
  while (last + 1 < chunks.length && (chunks[last + 1] as Chunk).start <= oldEnd) last++;
  let a = Math.max(0, first - 1);
  let b = Math.min(chunks.length - 1, last + 1);

  for (;;) {
    const from = (chunks[a] as Chunk).start;
    const oldTo = (chunks[b] as Chunk).end;
    const atEnd = b === chunks.length - 1;
    const to = atEnd ? text.length : oldTo + delta;
    // The chunk before the region must have left the parser at a statement boundary.
    if (a > 0 && !clean(chunks[a - 1] as Chunk)) {
      a--;
      continue;
    }
    const head = chunks[a] as Chunk;
    const { chunks: region, endLine } = parseRegion(old.file, text, from, to, head.line, head.column);
    const lastNew = region[region.length - 1] as Chunk;
    if (!atEnd && (!clean(lastNew) || endLine === undefined)) {
      b++;
      continue;
    }
    const lines = atEnd ? 0 : (endLine as number) - (chunks[b + 1] as Chunk).line;
    const after = chunks.slice(b + 1);
    if (lines !== 0 || delta !== 0) {
      const seen = new Set<object>();
      for (const c of after) {
        c.start += delta;
        c.end += delta;
        c.line += lines;
        if (lines !== 0) {
          shiftLines(c.statement, lines, seen);
          shiftLines(c.comments, lines, seen);
          for (const e of c.lexErrors) {
            e.offset += delta;
            shiftLines(e.diagnostic, lines, seen);
          }
          for (const e of c.parseErrors) {
            if (e.offset >= 0) e.offset += delta;
            shiftLines(e.diagnostic, lines, seen);
          }
        } else {
          for (const e of c.lexErrors) e.offset += delta;
          for (const e of c.parseErrors) if (e.offset >= 0) e.offset += delta;
        }
      }
    }
    const next = [...chunks.slice(0, a), ...region, ...after];
    return { file: old.file, text, chunks: next, ...assemble(old.file, text, next) };
  }
}
