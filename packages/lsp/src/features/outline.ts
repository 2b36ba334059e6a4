/**
 * The document outline (document symbols) and folding ranges.
 */
import type { Ast } from '@writ/compiler';
import type { DocumentSymbol, FoldingRange } from 'vscode-languageserver';
import { FoldingRangeKind, SymbolKind } from '../protocol.js';
import { spanToRange } from '../positions.js';

function target(t: Ast.ToolTarget): string {
  return t.kind === 'all' ? '*' : t.names.length === 1 ? (t.names[0]?.name ?? '') : `[${t.names.map((n) => n.name).join(', ')}]`;
}

function symbol(name: string, detail: string, kind: SymbolKind, s: Ast.Statement, sel: Ast.Span, children?: DocumentSymbol[]): DocumentSymbol {
  return { name: name || '?', detail, kind, range: spanToRange(s.span), selectionRange: spanToRange(sel), ...(children ? { children } : {}) };
}

/** One entry per statement (a tool with its parameters as children; one per role of `role a, b`). */
export function documentSymbols(file: Ast.SourceFile): DocumentSymbol[] {
  const out: DocumentSymbol[] = [];
  for (const s of file.statements) {
    switch (s.kind) {
      case 'policy':
        out.push(symbol(`policy "${s.name.value}"`, `version ${s.version.value}`, SymbolKind.Module, s, s.name.span));
        break;
      case 'role':
        for (const n of s.names) out.push(symbol(n.name, 'role', SymbolKind.Class, s, n.span));
        break;
      case 'agent':
        out.push(symbol(s.id.value, `agent roles [${s.roles.map((r) => r.name).join(', ')}]`, SymbolKind.Object, s, s.id.span));
        break;
      case 'tool':
        out.push(
          symbol(s.name.name, `tool${s.risk ? ` risk ${s.risk.name}` : ''}`, SymbolKind.Function, s, s.name.span,
            s.params.map((p) => ({ name: p.name.name, detail: p.type ? p.type.name.name : '', kind: SymbolKind.Field, range: spanToRange(p.span), selectionRange: spanToRange(p.name.span) })),
          ),
        );
        break;
      case 'group':
        out.push(symbol(s.name.name, `group of ${s.members.length}`, SymbolKind.Namespace, s, s.name.span));
        break;
      case 'context':
        out.push(symbol(`context.${s.name.name}`, 'context field', SymbolKind.Property, s, s.name.span));
        break;
      case 'label':
        out.push(symbol(s.name.name, 'label', SymbolKind.EnumMember, s, s.name.span));
        break;
      case 'rule':
        out.push(symbol(`${s.effect} ${target(s.tools)}`, s.because?.value ?? '', SymbolKind.Event, s, s.tools.span));
        break;
      case 'limit':
        out.push(symbol(`limit ${target(s.tools)}`, `${s.count.text} per ${s.window.text} per ${s.scope.name}`, SymbolKind.Event, s, s.tools.span));
        break;
      case 'budget':
        out.push(symbol(`budget per ${s.scope.name}`, '', SymbolKind.Event, s, s.scope.span));
        break;
      case 'flow':
        out.push(symbol(`deny flow ${s.label.name} -> ${s.tools.kind === 'all' ? '*' : (s.tools.names[0]?.name ?? '')}.${s.param.name}`, s.because?.value ?? '', SymbolKind.Event, s, s.label.span));
        break;
      case 'post_deny':
      case 'post_redact':
        out.push(symbol(`post ${target(s.tools)} ${s.kind === 'post_deny' ? 'deny' : 'redact'}`, '', SymbolKind.Event, s, s.tools.span));
        break;
      case 'pre_redact':
        out.push(symbol(`pre ${target(s.tools)} redact`, '', SymbolKind.Event, s, s.tools.span));
        break;
      case 'disable':
        out.push(symbol(`disable ${target(s.tools)}`, s.because?.value ?? '', SymbolKind.Event, s, s.tools.span));
        break;
      case 'assert':
        out.push(symbol(`assert ${s.quantifier} ${s.effect.name} ${target(s.tools)}`, '', SymbolKind.Boolean, s, s.tools.span));
        break;
    }
  }
  return out;
}

/** Multi-line statements, and runs of two or more comment lines. */
export function foldingRanges(file: Ast.SourceFile | undefined, text: string): FoldingRange[] {
  const out: FoldingRange[] = [];
  for (const s of file?.statements ?? []) if (s.span.endLine > s.span.line) out.push({ startLine: s.span.line - 1, endLine: s.span.endLine - 1 });
  let runStart = -1;
  let runEnd = -1;
  const lines = text.split('\n');
  const flush = (): void => {
    if (runStart >= 0 && runEnd > runStart) out.push({ startLine: runStart, endLine: runEnd, kind: FoldingRangeKind.Comment });
    runStart = -1;
  };
  lines.forEach((l, i) => {
    if (/^\s*#/.test(l)) {
      if (runStart < 0) runStart = i;
      runEnd = i;
    } else flush();
  });
  flush();
  return out;
}
