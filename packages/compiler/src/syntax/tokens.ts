/**
 * The token stream as plain data, comments included, for tools that work below the AST: the language
 * server (completion context, semantic tokens) and the formatter's tests.
 */
import { writLexer } from './lexer.js';

export interface LexedToken {
  /** The lexer's token name: `Identifier`, `StringLit`, `NumberLit`, `DurationLit`, `PercentLit`, `Comment`, `Kw_allow`, `LParen`, … */
  type: string;
  image: string;
  /** Offset of the first character. */
  start: number;
  /** Offset just past the last character. */
  end: number;
  /** 1-based line and column of the first character. */
  line: number;
  column: number;
  keyword: boolean;
  comment: boolean;
}

/**
 * Every token of `text` in source order, comments included; characters the lexer rejects are skipped.
 * Never throws.
 */
export function lexTokens(text: string): LexedToken[] {
  const r = writLexer.tokenize(text);
  const all = [...r.tokens, ...(r.groups['comments'] ?? [])].sort((a, b) => a.startOffset - b.startOffset);
  return all.map((t) => ({
    type: t.tokenType.name,
    image: t.image,
    start: t.startOffset,
    end: t.startOffset + t.image.length,
    line: t.startLine ?? 1,
    column: t.startColumn ?? 1,
    keyword: t.tokenType.name.startsWith('Kw_'),
    comment: t.tokenType.name === 'Comment',
  }));
}
