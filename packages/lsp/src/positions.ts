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

/** Offsets at which each line starts; lines end at `\n`, `\r\n` or a lone `\r`, as in LSP and the lexer. */
export function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (ch === 13 /* \r */) {
      if (text.charCodeAt(i + 1) === 10) i++;
      starts.push(i + 1);
    } else if (ch === 10) starts.push(i + 1);
  }
  return starts;
}

/** Offset of an LSP position in `text` (clamped to the line's end). */
export function offsetAt(text: string, p: Position): number {
  const starts = lineStarts(text);
  if (p.line >= starts.length) return text.length;
  const start = starts[p.line] as number;
  let end = p.line + 1 < starts.length ? (starts[p.line + 1] as number) : text.length;
  while (end > start && (text[end - 1] === '\n' || text[end - 1] === '\r')) end--;
  return Math.min(start + Math.max(0, p.character), end);
}

/** LSP position of an offset in `text`. */
export function positionAt(text: string, offset: number): Position {
  const starts = lineStarts(text);
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if ((starts[mid] as number) <= offset) lo = mid;
    else hi = mid - 1;
  }
  return { line: lo, character: offset - (starts[lo] as number) };
}
