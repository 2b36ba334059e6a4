/**
 * Quick fixes for the common diagnostics: declare a missing tool or role, take the suggested name, fix a
 * unit (add the currency, convert a duration, change the currency), add `because` to a deny.
 */
import type { Ast } from '@writ/compiler';
import { lexTokens } from '@writ/compiler';
import type { CodeAction, Diagnostic, Range, TextEdit } from 'vscode-languageserver';
import { CodeActionKind } from '../protocol.js';
import type { PolicyAnalysis } from '../analysis/analysis.js';
import { offsetAt, positionAt } from '../positions.js';

function insertAfterLast(ast: Ast.SourceFile | undefined, text: string, kind: Ast.Statement['kind'], line: string): TextEdit {
  const last = [...(ast?.statements ?? [])].reverse().find((s) => s.kind === kind);
  if (last) return { range: { start: { line: last.span.endLine, character: 0 }, end: { line: last.span.endLine, character: 0 } }, newText: `${line}\n` };
  const header = ast?.statements.find((s) => s.kind === 'policy');
  if (header) return { range: { start: { line: header.span.endLine, character: 0 }, end: { line: header.span.endLine, character: 0 } }, newText: `${line}\n` };
  const end = positionAt(text, text.length);
  return { range: { start: end, end }, newText: `${text.endsWith('\n') || text === '' ? '' : '\n'}${line}\n` };
}

function fix(title: string, uri: string, d: Diagnostic, edits: TextEdit[], preferred = false): CodeAction {
  return { title, kind: CodeActionKind.QuickFix, diagnostics: [d], isPreferred: preferred, edit: { changes: { [uri]: edits } } };
}

/** Literal tokens inside a range, with their document ranges. */
function literals(text: string, r: Range): Array<{ type: string; image: string; range: Range; next?: { type: string; image: string; range: Range } }> {
  const from = offsetAt(text, r.start);
  const to = offsetAt(text, r.end);
  const toks = lexTokens(text.slice(from, to)).filter((t) => !t.comment);
  const rng = (t: { start: number; end: number }): Range => ({ start: positionAt(text, from + t.start), end: positionAt(text, from + t.end) });
  return toks.map((t, i) => {
    const n = toks[i + 1];
    return { type: t.type, image: t.image, range: rng(t), ...(n ? { next: { type: n.type, image: n.image, range: rng(n) } } : {}) };
  });
}

function messageOf(d: Diagnostic): string {
  return typeof d.message === 'string' ? d.message : (d.message as { value: string }).value;
}

function unitFixes(uri: string, text: string, d: Diagnostic): CodeAction[] {
  const out: CodeAction[] = [];
  const msg = messageOf(d);
  const money = msg.match(/money\(([A-Z]{3})\)/g)?.map((m) => m.slice(6, 9)) ?? [];
  const lits = literals(text, d.range);
  if (d.code === 'E0201') {
    const cur = money[0];
    for (const l of lits) {
      if (cur && l.type === 'NumberLit' && !(l.next?.type === 'Identifier' && /^[A-Z]{3}$/.test(l.next.image))) {
        out.push(fix(`Write ${l.image} as ${l.image} ${cur}`, uri, d, [{ range: { start: l.range.end, end: l.range.end }, newText: ` ${cur}` }], true));
      } else if (cur && l.type === 'DurationLit') {
        const n = l.image.match(/^\d+/)?.[0] ?? '0';
        out.push(fix(`Write ${l.image} as ${n} ${cur}`, uri, d, [{ range: l.range, newText: `${n} ${cur}` }], true));
      } else if (!cur && /duration/.test(msg) && l.type === 'NumberLit') {
        for (const u of ['s', 'm', 'h']) out.push(fix(`Write ${l.image} as ${l.image}${u}`, uri, d, [{ range: l.range, newText: `${l.image}${u}` }], u === 's'));
      }
    }
  } else if (d.code === 'E0202' && money.length === 2) {
    for (const l of lits) {
      if (l.type === 'NumberLit' && l.next && /^[A-Z]{3}$/.test(l.next.image)) {
        const want = money.find((c) => c !== l.next!.image);
        if (want) out.push(fix(`Change ${l.next.image} to ${want}`, uri, d, [{ range: l.next.range, newText: want }], true));
      }
    }
  }
  return out;
}

/** Code actions for the diagnostics the client sends with the request. */
export function codeActions(a: PolicyAnalysis | undefined, uri: string, text: string, diagnostics: Diagnostic[]): CodeAction[] {
  const out: CodeAction[] = [];
  const ast = a?.ast(uri);
  for (const d of diagnostics) {
    if (d.source !== 'writ') continue;
    const help = (d.data as { help?: string } | undefined)?.help ?? messageOf(d).split('\nhelp: ')[1] ?? '';
    const name = messageOf(d).match(/'([A-Za-z_][A-Za-z0-9_]*)'/)?.[1];
    const suggestion = help.match(/did you mean '([^']+)'\?/)?.[1] ?? help.match(/did you mean ("[^"]*")\?/)?.[1];
    if (suggestion) out.push(fix(`Change to ${suggestion}`, uri, d, [{ range: d.range, newText: suggestion }], true));
    if (d.code === 'E0100' && name) out.push(fix(`Declare tool ${name}`, uri, d, [insertAfterLast(ast, text, 'tool', `tool ${name}()`)]));
    if (d.code === 'E0102' && name) out.push(fix(`Declare role ${name}`, uri, d, [insertAfterLast(ast, text, 'role', `role ${name}`)]));
    if (d.code === 'E0201' || d.code === 'E0202') out.push(...unitFixes(uri, text, d));
    if (d.code === 'W0001') out.push(fix('Add `because "…"` to this deny', uri, d, [{ range: { start: d.range.end, end: d.range.end }, newText: ' because "TODO: say why this is denied"' }], true));
  }
  return out;
}
