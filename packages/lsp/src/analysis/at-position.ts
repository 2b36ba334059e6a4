/**
 * What is under the cursor: a symbol occurrence, the statement, the token.
 */
import { lexTokens, type Ast, type LexedToken } from '@writ/compiler';
import type { Position } from 'vscode-languageserver';
import { spanContains, spanSize } from '../positions.js';
import type { PolicyAnalysis } from './analysis.js';
import type { Occurrence } from './symbol-index.js';

/** The innermost symbol occurrence at the position, if any. */
export function occurrenceAt(a: PolicyAnalysis, uri: string, p: Position): Occurrence | undefined {
  const f = a.fileOfUri(uri);
  if (!f) return undefined;
  let best: Occurrence | undefined;
  for (const o of a.index.inFile(f.name)) if (spanContains(o.span, p) && (!best || spanSize(o.span) < spanSize(best.span))) best = o;
  return best;
}

/** The statement containing the position. */
export function statementAt(a: PolicyAnalysis, uri: string, p: Position): Ast.Statement | undefined {
  const ast = a.ast(uri);
  return ast?.statements.find((s) => spanContains(s.span, p));
}

/** The token at the position (lexing only that line). */
export function tokenAt(text: string, p: Position): LexedToken | undefined {
  let start = 0;
  for (let l = 0; l < p.line; l++) {
    const nl = text.indexOf('\n', start);
    if (nl < 0) return undefined;
    start = nl + 1;
  }
  const end = text.indexOf('\n', start);
  const line = text.slice(start, end < 0 ? text.length : end);
  return lexTokens(line).find((t) => t.start <= p.character && p.character <= t.end && !t.comment);
}
