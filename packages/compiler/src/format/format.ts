/**
 * The formatter: one canonical layout for `.writ` source, shared by `writ fmt` and the language server.
 *
 * It re-prints the file's own tokens — never rebuilt from the AST — so the token sequence, and therefore
 * everything the compiler sees, is unchanged: only white space moves. Every comment is kept, trailing
 * comments stay trailing, runs of blank lines between statements become one blank line, leading and
 * trailing blank lines go, and the file ends with one newline.
 */
import type { CstElement, CstNode, IToken } from 'chevrotain';
import { DiagnosticBag, sortDiagnostics, type Diagnostic } from '../diagnostics.js';
import { writLexer } from '../syntax/lexer.js';
import { parseSource } from '../syntax/parse.js';
import { parseTokens } from '../syntax/parser.js';
import { printDoc } from './doc.js';
import { layoutNode, StatementBuilder } from './layout.js';
import { classifyComments, hasBlankLine, type Comment } from './trivia.js';

/** Default maximum line width; a single token longer than this stays on its line. */
export const DEFAULT_WIDTH = 100;

export interface FormatOptions {
  /** File name used in diagnostics (default `<input>`). */
  file?: string;
  /** Maximum line width (default {@link DEFAULT_WIDTH}). */
  width?: number;
}

export interface FormatResult {
  /** The formatted text; absent when the source has syntax errors. */
  text?: string;
  /** Whether `text` differs from the input. */
  changed: boolean;
  /** Syntax errors (E0001, E0002) that prevented formatting; empty on success. */
  diagnostics: Diagnostic[];
}

interface Item {
  kind: 'statement' | 'comment';
  start: number;
  /** Offset just past the item (including a statement's trailing comment). */
  end: number;
  render: () => string;
}

/**
 * Formats one `.writ` file. A file with syntax errors is returned unformatted, with the errors.
 * Never throws on user input.
 * @param text - the file's contents
 */
export function formatSource(text: string, options: FormatOptions = {}): FormatResult {
  const file = options.file ?? '<input>';
  const width = options.width ?? DEFAULT_WIDTH;
  const lexed = writLexer.tokenize(text);
  const { cst, errors } = lexed.errors.length === 0 ? parseTokens(lexed.tokens) : { cst: undefined, errors: [] };
  if (!cst || errors.length > 0) {
    const bag = new DiagnosticBag();
    parseSource(file, text, bag);
    return { changed: false, diagnostics: sortDiagnostics(bag.items) };
  }
  const tokens = lexed.tokens;
  const comments = classifyComments(text, tokens, lexed.groups['comments'] ?? []);
  const statements = (cst.children['statement'] ?? []).filter((e): e is CstNode => !isTokenElement(e));

  const items: Item[] = [];
  let ci = 0;
  const takeCommentsBefore = (offset: number): void => {
    while (ci < comments.length && (comments[ci] as Comment).startOffset < offset) {
      const c = comments[ci++] as Comment;
      items.push({ kind: 'comment', start: c.startOffset, end: c.endOffset + 1, render: () => c.text });
    }
  };
  for (const s of statements) {
    const first = firstToken(s);
    const last = lastToken(s);
    if (!first || !last) continue;
    takeCommentsBefore(first.startOffset);
    const inner: Comment[] = [];
    while (ci < comments.length && (comments[ci] as Comment).startOffset < (last.endOffset ?? last.startOffset)) inner.push(comments[ci++] as Comment);
    const next = comments[ci];
    const trailing = next && next.trailing && !text.slice(last.startOffset, next.startOffset).includes('\n') ? next : undefined;
    if (trailing) ci++;
    items.push({
      kind: 'statement',
      start: first.startOffset,
      end: trailing ? trailing.endOffset + 1 : (last.endOffset ?? last.startOffset) + 1,
      render: () => {
        const b = new StatementBuilder(inner);
        layoutNode(b, s);
        const body = printDoc(b.finish(), width);
        return trailing ? `${body} ${trailing.text}` : body;
      },
    });
  }
  takeCommentsBefore(Number.MAX_SAFE_INTEGER);

  const out: string[] = [];
  let prevEnd = -1;
  for (const item of items) {
    if (prevEnd >= 0) out.push(hasBlankLine(text, prevEnd, item.start) ? '\n\n' : '\n');
    out.push(item.render());
    prevEnd = item.end;
  }
  if (out.length > 0) out.push('\n');
  const formatted = out.join('');
  return { text: formatted, changed: formatted !== text, diagnostics: [] };
}

function isTokenElement(e: CstElement): e is IToken {
  return (e as IToken).image !== undefined;
}

function firstToken(n: CstNode): IToken | undefined {
  let best: IToken | undefined;
  for (const e of Object.values(n.children).flat()) {
    if (!e) continue;
    const t = isTokenElement(e) ? e : firstToken(e);
    if (t && (!best || t.startOffset < best.startOffset)) best = t;
  }
  return best;
}

function lastToken(n: CstNode): IToken | undefined {
  let best: IToken | undefined;
  for (const e of Object.values(n.children).flat()) {
    if (!e) continue;
    const t = isTokenElement(e) ? e : lastToken(e);
    if (t && (!best || t.startOffset > best.startOffset)) best = t;
  }
  return best;
}
