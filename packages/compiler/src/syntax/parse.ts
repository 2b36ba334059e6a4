/**
 * Source text to AST, with every lexical and syntax error as a diagnostic. Never throws on user input.
 *
 * A file is parsed as a sequence of *chunks*, one per top-level statement (a chunk runs from its
 * statement's first token to the next statement's). `syntax/incremental.ts` re-parses only the chunks an
 * edit touches; a whole-file parse is the same code run over one region, the whole text.
 */
import type { CstNode, IToken } from 'chevrotain';
import { DiagnosticBag, type Diagnostic } from '../diagnostics.js';
import type { SourceFile, Span, Statement } from './ast.js';
import { AstBuilder } from './build-ast.js';
import { writLexer } from './lexer.js';
import { parseTokens } from './parser.js';

/** Maximum syntax errors reported per file: after that, recovery mostly produces noise. */
export const MAX_SYNTAX_ERRORS = 25;

/** An error with the offset it was found at (for ordering, de-duplication and assignment to chunks). */
export interface OffsetDiagnostic {
  offset: number;
  diagnostic: Diagnostic;
}

/** One top-level statement's share of a file. */
export interface Chunk {
  /** Offsets [start, end) in the file's text. */
  start: number;
  end: number;
  /** 1-based line and column of `start`, as the lexer counts them. */
  line: number;
  column: number;
  /** The statement beginning this chunk (none for a chunk of leading junk, or a statement recovery dropped). */
  statement: Statement | undefined;
  comments: Array<{ text: string; span: Span }>;
  lexErrors: OffsetDiagnostic[];
  parseErrors: OffsetDiagnostic[];
}

function shiftToken(t: IToken, from: number, line0: number, col0: number): void {
  t.startOffset += from;
  if (t.endOffset !== undefined) t.endOffset += from;
  if (t.startLine === 1 && t.startColumn !== undefined) t.startColumn += col0 - 1;
  if (t.endLine === 1 && t.endColumn !== undefined) t.endColumn += col0 - 1;
  if (t.startLine !== undefined) t.startLine += line0 - 1;
  if (t.endLine !== undefined) t.endLine += line0 - 1;
}

/** What parsing a region gives: its chunks, and the line the lexer is on at the region's end. */
export interface ParsedRegion {
  chunks: Chunk[];
  /** The line of offset `to` (only when the region ends before the text and just after a line break). */
  endLine: number | undefined;
}

/**
 * Parses the region [from, to) of `text`, which must start at a statement boundary at (`line0`, `col0`), into
 * chunks whose spans and offsets are those of the whole file.
 */
export function parseRegion(file: string, text: string, from: number, to: number, line0 = 1, col0 = 1): ParsedRegion {
  const whole = from === 0 && to === text.length;
  // After a line break, a sentinel token tells which line the lexer counts at `to`.
  const sentinel = !whole && to < text.length && (text[to - 1] === '\n' || text[to - 1] === '\r');
  const lexed = writLexer.tokenize(whole ? text : `${text.slice(from, to)}${sentinel ? 'x' : ''}`);
  let endLine: number | undefined;
  if (sentinel) {
    const last = lexed.tokens[lexed.tokens.length - 1];
    if (last && last.image === 'x' && last.startOffset === to - from) {
      lexed.tokens.pop();
      endLine = (last.startLine ?? 1) + line0 - 1;
    }
  }
  if (!whole || line0 !== 1 || col0 !== 1) {
    for (const t of lexed.tokens) shiftToken(t, from, line0, col0);
    for (const t of lexed.groups['comments'] ?? []) shiftToken(t, from, line0, col0);
  }
  const builder = new AstBuilder(file);
  // Each statement is lowered to the AST as soon as it is parsed and its CST children dropped (its location
  // stays): the CST of a large file is never whole in memory, so the young generation stays small.
  const lowered = new Map<CstNode, Statement | undefined>();
  const { cst, errors } = parseTokens(lexed.tokens, (s) => {
    lowered.set(s, builder.statementOf(s));
    (s as { children: CstNode['children'] }).children = {};
  });
  const statements = (cst.children['statement'] ?? []).filter((e): e is CstNode => 'children' in e);

  // Chunk boundaries: the region's start and each statement's first token.
  const chunks: Chunk[] = [];
  const open = (start: number, line: number, column: number, statement: Statement | undefined): void => {
    const prev = chunks[chunks.length - 1];
    if (prev) prev.end = start;
    chunks.push({ start, end: to, line, column, statement, comments: [], lexErrors: [], parseErrors: [] });
  };
  for (const s of statements) {
    const loc = s.location;
    const start = loc?.startOffset;
    const stmt = lowered.has(s) ? lowered.get(s) : builder.statementOf(s);
    if (start === undefined || !Number.isFinite(start)) continue;
    if (chunks.length === 0 && start > from) open(from, line0, col0, undefined);
    if (chunks.length > 0 && (chunks[chunks.length - 1] as Chunk).start === start) (chunks[chunks.length - 1] as Chunk).statement = stmt;
    else open(start, loc?.startLine ?? line0, loc?.startColumn ?? col0, stmt);
  }
  if (chunks.length === 0) open(from, line0, col0, undefined);
  const indexAt = (offset: number): number => {
    let lo = 0;
    let hi = chunks.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((chunks[mid] as Chunk).start <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  };
  const chunkAt = (offset: number): Chunk => chunks[indexAt(offset)] as Chunk;
  // A syntax error found at a statement's first token belongs to the statement before it, which that token
  // ended too early (a statement never fails on the token that started it).
  const errorChunkAt = (offset: number): Chunk => {
    const i = indexAt(offset);
    return (i > 0 && (chunks[i] as Chunk).start === offset ? chunks[i - 1] : chunks[i]) as Chunk;
  };

  for (const e of lexed.errors) {
    const line = e.line ?? 1;
    const absLine = line + line0 - 1;
    const column = (e.column ?? 1) + (line === 1 ? col0 - 1 : 0);
    const offset = e.offset + from;
    const span: Span = { file, line: absLine, column, endLine: absLine, endColumn: column + e.length };
    const ch = text.slice(offset, offset + Math.min(e.length, 20));
    chunkAt(offset).lexErrors.push({ offset, diagnostic: diagnostic('E0002', span, `unexpected character${e.length > 1 ? 's' : ''} '${ch}'`) });
  }
  for (const e of errors) {
    const t: IToken = e.token;
    let offset: number;
    let span: Span;
    if (Number.isFinite(t.startLine)) {
      offset = Number.isFinite(t.startOffset) ? t.startOffset : -1;
      span = builder.tokenSpan(t);
    } else {
      // End of input: point just past the last token.
      offset = -1;
      const last = lexed.tokens[lexed.tokens.length - 1];
      span = last ? { ...builder.tokenSpan(last), line: last.endLine ?? 1, column: (last.endColumn ?? 0) + 1 } : { file, line: 1, column: 1, endLine: 1, endColumn: 1 };
      span.endLine = span.line;
      span.endColumn = span.column;
    }
    (offset >= 0 ? errorChunkAt(offset) : (chunks[chunks.length - 1] as Chunk)).parseErrors.push({ offset, diagnostic: diagnostic('E0001', span, e.message) });
  }
  for (const c of lexed.groups['comments'] ?? []) chunkAt(c.startOffset).comments.push({ text: c.image, span: builder.tokenSpan(c) });
  return { chunks, endLine };
}

function diagnostic(code: Diagnostic['code'], span: Span, message: string): Diagnostic {
  const bag = new DiagnosticBag();
  bag.add(code, span, message);
  return bag.items[0] as Diagnostic;
}

/** The file's statements and comments, and its syntax errors (capped and de-duplicated as one parse would). */
export function assembleChunks(file: string, text: string, chunks: readonly Chunk[]): { sourceFile: SourceFile; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  let lexCount = 0;
  for (const c of chunks) {
    for (const e of c.lexErrors) {
      if (lexCount++ >= MAX_SYNTAX_ERRORS) break;
      diagnostics.push(e.diagnostic);
    }
  }
  const seen = new Set<number>();
  outer: for (const c of chunks) {
    for (const e of c.parseErrors) {
      if (seen.size >= MAX_SYNTAX_ERRORS) break outer;
      if (seen.has(e.offset)) continue; // recovery can report one position twice
      seen.add(e.offset);
      diagnostics.push(e.diagnostic);
    }
  }
  const statements: Statement[] = [];
  const comments: SourceFile['comments'] = [];
  for (const c of chunks) {
    if (c.statement) statements.push(c.statement);
    for (const k of c.comments) comments.push(k);
  }
  return { sourceFile: { file, text, statements, comments }, diagnostics };
}

/**
 * Parses one `.writ` file.
 * @param file - the name used in spans (a path relative to the policy root, by convention)
 * @param text - the file's contents
 * @param diagnostics - where lexical (E0002) and syntax (E0001) errors are added
 * @returns the AST; statements that recovery could not complete are left out.
 */
export function parseSource(file: string, text: string, diagnostics: DiagnosticBag): SourceFile {
  const { sourceFile, diagnostics: ds } = assembleChunks(file, text, parseRegion(file, text, 0, text.length).chunks);
  diagnostics.items.push(...ds);
  return sourceFile;
}
