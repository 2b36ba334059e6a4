/**
 * What is before the cursor: the tokens of the statement being written, up to the word under the cursor.
 * Works on text that does not parse (half-typed rules), by lexing only the current statement: it starts
 * at the nearest line, at or above the cursor, that begins in column 1 with a statement keyword.
 */
import { lexTokens, type LexedToken } from '@writ/compiler';

export const STATEMENT_KEYWORDS = [
  'policy', 'role', 'agent', 'tool', 'group', 'context', 'allow', 'deny', 'approve', 'limit', 'budget', 'label', 'post', 'pre', 'disable', 'assert',
] as const;

const STARTS = new RegExp(`^(?:${STATEMENT_KEYWORDS.join('|')})(?![A-Za-z0-9_])`);
const MAX_LINES_BACK = 60;

export interface CursorContext {
  /** Tokens of the current statement before the word being typed (comments dropped). */
  before: LexedToken[];
  /** The partial word under the cursor (letters, digits, `_`), possibly empty. */
  prefix: string;
  /** Offset where `prefix` starts. */
  prefixStart: number;
  /** Whether there is white space between the last token and the prefix. */
  spaced: boolean;
  /** Offset of the statement's start. */
  statementStart: number;
}

export function cursorContext(text: string, offset: number): CursorContext {
  let start = text.lastIndexOf('\n', offset - 1) + 1;
  for (let n = 0; n < MAX_LINES_BACK && start > 0; n++) {
    if (STARTS.test(text.slice(start, start + 12))) break;
    start = text.lastIndexOf('\n', start - 2) + 1;
  }
  if (!STARTS.test(text.slice(start, start + 12))) start = Math.max(0, text.lastIndexOf('\n', offset - 1) + 1);
  let prefixStart = offset;
  while (prefixStart > start && /[A-Za-z0-9_]/.test(text[prefixStart - 1] as string)) prefixStart--;
  const prefix = text.slice(prefixStart, offset);
  const before = lexTokens(text.slice(start, prefixStart))
    .filter((t) => !t.comment)
    .map((t) => ({ ...t, start: t.start + start, end: t.end + start }));
  const last = before[before.length - 1];
  const spaced = !last || last.end < prefixStart;
  return { before, prefix, prefixStart, spaced, statementStart: start };
}
