/**
 * Conversions between the compiler's spans (1-based lines and columns, end exclusive) and LSP ranges
 * (0-based, UTF-16 code units, end exclusive). Writ's lexer counts columns in UTF-16 code units too, since it
 * works on JavaScript strings, so only the base changes.
 */
import type { Span } from '@writ/runtime';
import type { Position, Range } from 'vscode-languageserver';

export function spanToRange(s: Span): Range {
  return {
    start: { line: Math.max(0, s.line - 1), character: Math.max(0, s.column - 1) },
    end: { line: Math.max(0, s.endLine - 1), character: Math.max(0, s.endColumn - 1) },
  };
}

/** Whether an LSP position lies inside a span (end inclusive, so a cursor just after a name still counts). */
export function spanContains(s: Span, p: Position): boolean {
  const line = p.line + 1;
  const col = p.character + 1;
  if (line < s.line || line > s.endLine) return false;
  if (line === s.line && col < s.column) return false;
  if (line === s.endLine && col > s.endColumn) return false;
  return true;
}

/** Orders spans by size, smallest first, for "the innermost thing under the cursor". */
export function spanSize(s: Span): number {
  return (s.endLine - s.line) * 10_000 + (s.endColumn - s.column);
}

/** Offset of an LSP position in `text`. */
export function offsetAt(text: string, p: Position): number {
  let offset = 0;
  for (let line = 0; line < p.line; line++) {
    const nl = text.indexOf('\n', offset);
    if (nl < 0) return text.length;
    offset = nl + 1;
  }
  const end = text.indexOf('\n', offset);
  return Math.min(offset + p.character, end < 0 ? text.length : end);
}

/** LSP position of an offset in `text`. */
export function positionAt(text: string, offset: number): Position {
  let line = 0;
  let start = 0;
  for (let i = text.indexOf('\n'); i >= 0 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++;
    start = i + 1;
  }
  return { line, character: offset - start };
}
