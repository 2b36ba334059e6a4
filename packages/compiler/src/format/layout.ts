/**
 * The canonical layout of one statement: its tokens exactly as written (so formatting never changes what
 * the parser sees), with canonical spacing between them, and with the places a long statement may break:
 *
 * - before `by …` (an approval) and `because "…"`, indented by 2;
 * - before `and` / `or` in a condition, indented by 4 from the statement (and by 2 more for an `and` inside
 *   a broken `or`, or inside parentheses);
 * - inside the parentheses of a tool's parameters and of `[a, b]` lists, one item per line.
 *
 * Comments inside a statement stay where they were relative to its tokens (a trailing comment stays at the
 * end of its line) and force the enclosing breaks.
 */
import type { CstElement, CstNode, IToken } from 'chevrotain';
import { group, hardline, indent, line, softline, type Doc, type Line } from './doc.js';
import type { Comment } from './trivia.js';

/** Indentation of a statement's clauses (`by …`, `because …`). */
export const CLAUSE_INDENT = 2;
/** Indentation of a condition's continuation lines. */
export const CONDITION_INDENT = 4;
/** Extra indentation of each nesting level inside a condition. */
export const NEST_INDENT = 2;

export function isToken(e: CstElement): e is IToken {
  return (e as IToken).image !== undefined;
}

function startOf(e: CstElement): number {
  return isToken(e) ? e.startOffset : (e.location?.startOffset ?? Number.MAX_SAFE_INTEGER);
}

/** A node's children (tokens and nodes) in source order. */
export function childrenInOrder(n: CstNode): CstElement[] {
  return Object.values(n.children)
    .flat()
    .filter((e): e is CstElement => e !== undefined)
    .sort((a, b) => startOf(a) - startOf(b));
}

/** Token names after which no space is written. */
const NO_SPACE_AFTER = new Set(['LParen', 'LBracket', 'Dot', 'Minus']);
/** Token names before which no space is written. */
const NO_SPACE_BEFORE = new Set(['Comma', 'RParen', 'RBracket', 'Dot', 'Colon', 'Question']);

/** Canonical spacing between two adjacent tokens of a statement. */
export function spaceBetween(prev: IToken, next: IToken): boolean {
  const p = prev.tokenType.name;
  const n = next.tokenType.name;
  if (NO_SPACE_AFTER.has(p) || NO_SPACE_BEFORE.has(n)) return false;
  // A call or a type argument: pii(…), money(USD), tool name(…).
  if (n === 'LParen' && p === 'Identifier') return false;
  return true;
}

type Frame = { kind: 'root'; items: Doc[] } | { kind: 'group'; items: Doc[] } | { kind: 'indent'; by: number; items: Doc[] };

/**
 * Builds a statement's document token by token. Structure is given by opening and closing groups and
 * indents and by asking for a (soft) line before the next token; comments found between two tokens are
 * written where they were.
 */
export class StatementBuilder {
  private readonly frames: Frame[] = [{ kind: 'root', items: [] }];
  private pending: Line | undefined;
  private atLineStart = true;
  private prev: IToken | undefined;
  private ci = 0;

  /** @param comments - the comments strictly inside the statement, in source order */
  constructor(private readonly comments: readonly Comment[]) {}

  private push(d: Doc): void {
    (this.frames[this.frames.length - 1] as Frame).items.push(d);
  }

  openGroup(): void {
    this.frames.push({ kind: 'group', items: [] });
  }

  openIndent(by: number): void {
    this.frames.push({ kind: 'indent', by, items: [] });
  }

  close(): void {
    const f = this.frames.pop();
    if (!f || f.kind === 'root') throw new Error('StatementBuilder: close without open');
    this.push(f.kind === 'group' ? group(f.items) : indent(f.by, f.items));
  }

  /** A space, or a newline if the enclosing group breaks, before the next token. */
  line(): void {
    this.pending = line;
  }

  /** Nothing, or a newline if the enclosing group breaks, before the next token. */
  softline(): void {
    this.pending = softline;
  }

  token(t: IToken): void {
    while (this.ci < this.comments.length && (this.comments[this.ci] as Comment).startOffset < t.startOffset) {
      const c = this.comments[this.ci++] as Comment;
      if (c.trailing && !this.atLineStart) this.push(` ${c.text}`);
      else {
        if (!this.atLineStart) this.push(hardline);
        this.push(c.text);
      }
      this.push(hardline);
      this.atLineStart = true;
    }
    if (!this.atLineStart && this.prev) {
      if (this.pending) this.push(this.pending);
      else if (spaceBetween(this.prev, t)) this.push(' ');
    }
    this.push(t.image);
    this.pending = undefined;
    this.atLineStart = false;
    this.prev = t;
  }

  finish(): Doc {
    if (this.frames.length !== 1) throw new Error('StatementBuilder: unclosed group or indent');
    return (this.frames[0] as Frame).items;
  }
}

/** Writes one CST node (a statement or part of one) into the builder. */
export function layoutNode(b: StatementBuilder, n: CstNode): void {
  switch (n.name) {
    case 'accessRule':
    case 'approveRule':
    case 'postRule':
    case 'assertRule':
    case 'flowRule':
      layoutRule(b, n);
      return;
    case 'expr':
      layoutExpr(b, n);
      return;
    case 'primary':
    case 'calledExpr':
      layoutParenthesised(b, n);
      return;
    case 'toolDecl':
      layoutDelimited(b, n, 'LParen', 'RParen');
      return;
    case 'identList':
      layoutDelimited(b, n, 'LBracket', 'RBracket');
      return;
    default:
      layoutChildren(b, n);
  }
}

function layoutElement(b: StatementBuilder, e: CstElement): void {
  if (isToken(e)) b.token(e);
  else layoutNode(b, e);
}

function layoutChildren(b: StatementBuilder, n: CstNode): void {
  for (const e of childrenInOrder(n)) layoutElement(b, e);
}

/** A rule: head, condition (indented continuation), then `by …` and `because …` clauses. */
function layoutRule(b: StatementBuilder, n: CstNode): void {
  b.openGroup();
  for (const e of childrenInOrder(n)) {
    if (isToken(e)) b.token(e);
    else if (e.name === 'expr') {
      b.openIndent(CONDITION_INDENT);
      layoutExpr(b, e);
      b.close();
    } else if (e.name === 'approvalClause' || e.name === 'because') {
      b.openIndent(CLAUSE_INDENT);
      b.line();
      layoutNode(b, e);
      b.close();
    } else layoutNode(b, e);
  }
  b.close();
}

/** `a or b or c`: one group, a line before each `or`. */
function layoutExpr(b: StatementBuilder, n: CstNode): void {
  const elems = childrenInOrder(n);
  const operands = elems.filter((e) => !isToken(e)).length;
  if (operands > 1) b.openGroup();
  for (const e of elems) {
    if (isToken(e)) {
      b.line();
      b.token(e);
    } else layoutAnd(b, e, operands > 1);
  }
  if (operands > 1) b.close();
}

/** `a and b and c`: one group, a line before each `and`; nested one level deeper inside a multi-line `or`. */
function layoutAnd(b: StatementBuilder, n: CstNode, insideOr: boolean): void {
  const elems = childrenInOrder(n);
  const operands = elems.filter((e) => !isToken(e)).length;
  if (operands <= 1) {
    layoutChildren(b, n);
    return;
  }
  if (insideOr) b.openIndent(NEST_INDENT);
  b.openGroup();
  for (const e of elems) {
    if (isToken(e)) {
      b.line();
      b.token(e);
    } else layoutNode(b, e);
  }
  b.close();
  if (insideOr) b.close();
}

/** `( cond )` in a condition or in `called T where ( cond )`: may break inside the parentheses. */
function layoutParenthesised(b: StatementBuilder, n: CstNode): void {
  const elems = childrenInOrder(n);
  let open = false;
  for (const e of elems) {
    if (isToken(e) && e.tokenType.name === 'LParen') {
      b.openGroup();
      b.token(e);
      b.openIndent(NEST_INDENT);
      b.softline();
      open = true;
    } else if (isToken(e) && e.tokenType.name === 'RParen' && open) {
      b.close();
      b.softline();
      b.token(e);
      b.close();
      open = false;
    } else if (!isToken(e) && e.name === 'expr') layoutExpr(b, e);
    else layoutElement(b, e);
  }
  if (open) {
    b.close();
    b.close();
  }
}

/** `name(a, b)` / `[a, b]`: flat if it fits, else one item per line. */
function layoutDelimited(b: StatementBuilder, n: CstNode, openName: string, closeName: string): void {
  const elems = childrenInOrder(n);
  let open = false;
  for (let i = 0; i < elems.length; i++) {
    const e = elems[i] as CstElement;
    const next = elems[i + 1];
    if (isToken(e) && e.tokenType.name === openName && next && !(isToken(next) && next.tokenType.name === closeName)) {
      b.openGroup();
      b.token(e);
      b.openIndent(CLAUSE_INDENT);
      b.softline();
      open = true;
    } else if (isToken(e) && e.tokenType.name === closeName && open) {
      b.close();
      b.softline();
      b.token(e);
      b.close();
      open = false;
    } else if (isToken(e) && e.tokenType.name === 'Comma' && open) {
      b.token(e);
      b.line();
    } else layoutElement(b, e);
  }
  if (open) {
    b.close();
    b.close();
  }
}
