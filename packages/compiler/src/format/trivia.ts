/**
 * Comments and blank lines, the only source text the parser does not keep. Each comment is either
 * *trailing* (on the same line as the token before it) or *own-line*; the formatter keeps that distinction,
 * so formatting its own output finds the same comments in the same places.
 */
import type { IToken } from 'chevrotain';

export interface Comment {
  /** The comment's text from `#`, trailing white space removed. */
  text: string;
  startOffset: number;
  endOffset: number;
  /** On the same line as the preceding token. */
  trailing: boolean;
}

/** Classifies `comments` (in source order) against the file's `tokens` (in source order). */
export function classifyComments(text: string, tokens: readonly IToken[], comments: readonly IToken[]): Comment[] {
  const out: Comment[] = [];
  let ti = 0;
  for (const c of comments) {
    while (ti < tokens.length && (tokens[ti] as IToken).startOffset < c.startOffset) ti++;
    const prev = ti > 0 ? tokens[ti - 1] : undefined;
    const trailing = prev !== undefined && !text.slice((prev.endOffset ?? prev.startOffset) + 1, c.startOffset).includes('\n');
    out.push({ text: c.image.replace(/\s+$/, ''), startOffset: c.startOffset, endOffset: c.startOffset + c.image.length - 1, trailing });
  }
  return out;
}

/** Whether the source between two offsets (exclusive) contains a blank line, i.e. at least two newlines. */
export function hasBlankLine(text: string, fromOffset: number, toOffset: number): boolean {
  const first = text.indexOf('\n', fromOffset);
  if (first < 0 || first >= toOffset) return false;
  const second = text.indexOf('\n', first + 1);
  return second >= 0 && second < toOffset;
}
