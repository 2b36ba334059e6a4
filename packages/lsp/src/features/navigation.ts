/**
 * Go to definition, find references and rename, for tools, groups, parameters, roles, agents, labels and
 * context fields, across every file of the policy.
 */
import { KEYWORDS } from '@writ/compiler';
import type { Location, Position, Range, TextEdit, WorkspaceEdit } from 'vscode-languageserver';
import { ResponseError } from '../protocol.js';
import type { PolicyAnalysis } from '../analysis/analysis.js';
import { occurrenceAt } from '../analysis/at-position.js';
import type { Occurrence } from '../analysis/symbol-index.js';
import { spanToRange } from '../positions.js';

function location(a: PolicyAnalysis, o: Occurrence): Location | undefined {
  const uri = a.uriOfName(o.span.file);
  return uri ? { uri, range: spanToRange(o.span) } : undefined;
}

/** The declaration(s) of the symbol at the position. */
export function definition(a: PolicyAnalysis, uri: string, p: Position): Location[] {
  const o = occurrenceAt(a, uri, p);
  if (!o) return [];
  return a.index.declarations(o).flatMap((d) => location(a, d) ?? []);
}

/** Every occurrence of the symbol at the position. */
export function references(a: PolicyAnalysis, uri: string, p: Position, includeDeclaration: boolean): Location[] {
  const o = occurrenceAt(a, uri, p);
  if (!o) return [];
  const seen = new Set<string>();
  return a.index
    .all(o)
    .filter((x) => includeDeclaration || !x.decl)
    .flatMap((x) => {
      const k = `${x.span.file}:${x.span.line}:${x.span.column}`;
      if (seen.has(k)) return [];
      seen.add(k);
      return location(a, x) ?? [];
    });
}

/** The range of the name at the position, if it can be renamed. */
export function prepareRename(a: PolicyAnalysis, uri: string, p: Position): { range: Range; placeholder: string } | null {
  const o = occurrenceAt(a, uri, p);
  if (!o) return null;
  if (o.kind === 'label' && !a.symbols.labels.get(o.name)?.stmt) return null; // built-in
  return { range: spanToRange(o.span), placeholder: o.name };
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Renames the symbol at the position everywhere in the policy.
 * @throws ResponseError when the new name is not a valid name for that symbol
 */
export function rename(a: PolicyAnalysis, uri: string, p: Position, newName: string): WorkspaceEdit | null {
  const o = occurrenceAt(a, uri, p);
  if (!o) return null;
  if (o.kind === 'label' && !a.symbols.labels.get(o.name)?.stmt) throw new ResponseError(-32602, `'${o.name}' is a built-in label and cannot be renamed`);
  if (o.kind !== 'agent') {
    if (!NAME.test(newName)) throw new ResponseError(-32602, `'${newName}' is not a valid name`);
    if (o.kind !== 'param' && o.kind !== 'context' && KEYWORDS.includes(newName)) throw new ResponseError(-32602, `'${newName}' is a reserved word`);
  }
  const changes: Record<string, TextEdit[]> = {};
  const seen = new Set<string>();
  for (const x of a.index.all(o)) {
    const target = a.uriOfName(x.span.file);
    const k = `${x.span.file}:${x.span.line}:${x.span.column}`;
    if (!target || seen.has(k)) continue;
    seen.add(k);
    (changes[target] ??= []).push({ range: spanToRange(x.span), newText: x.quoted ? JSON.stringify(newName) : newName });
  }
  return { changes };
}
