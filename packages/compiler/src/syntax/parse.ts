/**
 * Source text to AST, with every lexical and syntax error as a diagnostic. Never throws on user input.
 */
import type { IToken } from 'chevrotain';
import { DiagnosticBag } from '../diagnostics.js';
import type { SourceFile, Span } from './ast.js';
import { AstBuilder } from './build-ast.js';
import { writLexer } from './lexer.js';
import { parseTokens } from './parser.js';

/** Maximum syntax errors reported per file: after that, recovery mostly produces noise. */
const MAX_SYNTAX_ERRORS = 25;

/**
 * Parses one `.writ` file.
 * @param file - the name used in spans (a path relative to the policy root, by convention)
 * @param text - the file's contents
 * @param diagnostics - where lexical (E0002) and syntax (E0001) errors are added
 * @returns the AST; statements that recovery could not complete are left out.
 */
export function parseSource(file: string, text: string, diagnostics: DiagnosticBag): SourceFile {
  const lexed = writLexer.tokenize(text);
  for (const e of lexed.errors.slice(0, MAX_SYNTAX_ERRORS)) {
    const span: Span = { file, line: e.line ?? 1, column: e.column ?? 1, endLine: e.line ?? 1, endColumn: (e.column ?? 1) + e.length };
    const ch = text.slice(e.offset, e.offset + Math.min(e.length, 20));
    diagnostics.add('E0002', span, `unexpected character${e.length > 1 ? 's' : ''} '${ch}'`);
  }
  const { cst, errors } = parseTokens(lexed.tokens);
  const builder = new AstBuilder(file);
  const seen = new Set<number>();
  for (const e of errors) {
    if (seen.size >= MAX_SYNTAX_ERRORS) break;
    const t: IToken = e.token;
    const offset = Number.isFinite(t.startOffset) ? t.startOffset : -1;
    if (seen.has(offset)) continue; // recovery can report one position twice
    seen.add(offset);
    let span: Span;
    if (Number.isFinite(t.startLine)) span = builder.tokenSpan(t);
    else {
      // End of file: point just past the last token.
      const last = lexed.tokens[lexed.tokens.length - 1];
      span = last ? { ...builder.tokenSpan(last), line: last.endLine ?? 1, column: (last.endColumn ?? 0) + 1 } : { file, line: 1, column: 1, endLine: 1, endColumn: 1 };
      span.endLine = span.line;
      span.endColumn = span.column;
    }
    diagnostics.add('E0001', span, e.message);
  }
  const comments = (lexed.groups['comments'] ?? []).map((t) => ({ text: t.image, span: builder.tokenSpan(t) }));
  return { file, text, statements: builder.file(cst), comments };
}
