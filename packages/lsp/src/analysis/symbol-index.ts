/**
 * The symbol index: every place a tool, group, parameter, role, agent, label or context field is declared or
 * used, with its span, built from the compiler's AST and binder table. Go to definition, references,
 * rename, hover and semantic tokens all read it.
 */
import type { Ast, CompileResult } from '@writ/compiler';
import type { Span } from '@writ/runtime';

export type SymbolKind = 'tool' | 'group' | 'param' | 'role' | 'agent' | 'label' | 'context';

export interface Occurrence {
  kind: SymbolKind;
  name: string;
  /** For parameters: the tool the parameter belongs to. */
  tool?: string;
  span: Span;
  /** A declaration (the name in `tool X(…)`, `role X`, …) rather than a use. */
  decl: boolean;
  /** Agent ids are string literals: the span includes the quotes. */
  quoted?: boolean;
}

type Symbols = CompileResult['symbols'];

/** A stable key for one symbol: occurrences with the same key are the same thing. */
export function symbolKey(o: Pick<Occurrence, 'kind' | 'name' | 'tool'>): string {
  return o.kind === 'param' ? `param:${o.tool}:${o.name}` : `${o.kind}:${o.name}`;
}

export class SymbolIndex {
  readonly occurrences: Occurrence[] = [];
  private readonly byFile = new Map<string, Occurrence[]>();
  private readonly byKey = new Map<string, Occurrence[]>();

  constructor(
    files: readonly Ast.SourceFile[],
    private readonly sym: Symbols,
  ) {
    for (const f of files) for (const s of f.statements) this.statement(s);
    for (const o of this.occurrences) {
      const list = this.byFile.get(o.span.file) ?? [];
      list.push(o);
      this.byFile.set(o.span.file, list);
      const k = symbolKey(o);
      const same = this.byKey.get(k) ?? [];
      same.push(o);
      this.byKey.set(k, same);
    }
  }

  inFile(file: string): readonly Occurrence[] {
    return this.byFile.get(file) ?? [];
  }

  /** Every occurrence of the symbol, declarations first. */
  all(o: Pick<Occurrence, 'kind' | 'name' | 'tool'>): Occurrence[] {
    return [...(this.byKey.get(symbolKey(o)) ?? [])].sort((a, b) => Number(b.decl) - Number(a.decl));
  }

  declarations(o: Pick<Occurrence, 'kind' | 'name' | 'tool'>): Occurrence[] {
    return this.all(o).filter((x) => x.decl);
  }

  private add(o: Occurrence): void {
    this.occurrences.push(o);
  }

  /** The tools a target names, groups expanded; every tool for `*`. */
  toolsOf(t: Ast.ToolTarget | undefined): string[] {
    if (!t) return [];
    if (t.kind === 'all') return [...this.sym.tools.keys()];
    const out = new Set<string>();
    for (const n of t.names) {
      if (this.sym.tools.has(n.name)) out.add(n.name);
      else for (const m of this.sym.groups.get(n.name)?.members ?? []) out.add(m.name);
    }
    return [...out];
  }

  private target(t: Ast.ToolTarget | undefined): void {
    if (!t || t.kind === 'all') return;
    for (const n of t.names) this.add({ kind: this.sym.groups.has(n.name) ? 'group' : 'tool', name: n.name, span: n.span, decl: false });
  }

  private role(id: Ast.Ident | undefined): void {
    if (id) this.add({ kind: 'role', name: id.name, span: id.span, decl: false });
  }

  private statement(s: Ast.Statement): void {
    switch (s.kind) {
      case 'role':
        for (const n of s.names) this.add({ kind: 'role', name: n.name, span: n.span, decl: true });
        return;
      case 'agent':
        this.add({ kind: 'agent', name: s.id.value, span: s.id.span, decl: true, quoted: true });
        for (const r of s.roles) this.role(r);
        return;
      case 'tool':
        this.add({ kind: 'tool', name: s.name.name, span: s.name.span, decl: true });
        for (const p of s.params) this.add({ kind: 'param', name: p.name.name, tool: s.name.name, span: p.name.span, decl: true });
        return;
      case 'group':
        this.add({ kind: 'group', name: s.name.name, span: s.name.span, decl: true });
        for (const m of s.members) this.add({ kind: 'tool', name: m.name, span: m.span, decl: false });
        return;
      case 'context':
        this.add({ kind: 'context', name: s.name.name, span: s.name.span, decl: true });
        return;
      case 'label':
        this.add({ kind: 'label', name: s.name.name, span: s.name.span, decl: true });
        for (const src of s.sources) {
          if (src.kind === 'tool_result') this.add({ kind: 'tool', name: src.tool.name, span: src.tool.span, decl: false });
          else if (src.kind === 'context') this.add({ kind: 'context', name: src.field.name, span: src.field.span, decl: false });
        }
        return;
      case 'rule':
        this.target(s.tools);
        if (s.when) this.expr(s.when, this.toolsOf(s.tools), undefined);
        this.role(s.approval?.role);
        return;
      case 'limit':
      case 'pre_redact':
      case 'disable':
      case 'post_redact':
        this.target(s.tools);
        return;
      case 'post_deny':
        this.target(s.tools);
        if (s.when) this.expr(s.when, this.toolsOf(s.tools), undefined);
        return;
      case 'assert':
        this.target(s.tools);
        if (s.when) this.expr(s.when, this.toolsOf(s.tools), undefined);
        return;
      case 'flow': {
        this.add({ kind: 'label', name: s.label.name, span: s.label.span, decl: false });
        this.target(s.tools);
        if (s.param.name !== '*') for (const t of this.toolsOf(s.tools)) this.add({ kind: 'param', name: s.param.name, tool: t, span: s.param.span, decl: false });
        this.role(s.approval?.role);
        return;
      }
      default:
        return;
    }
  }

  private expr(e: Ast.ExprNode, tools: string[], prior: string[] | undefined): void {
    switch (e.kind) {
      case 'and':
      case 'or':
        for (const a of e.args) this.expr(a, tools, prior);
        return;
      case 'not':
        this.expr(e.arg, tools, prior);
        return;
      case 'has_role':
        this.role(e.role);
        return;
      case 'cmp':
        this.value(e.left, tools, prior);
        this.value(e.right, tools, prior);
        this.agentIds(e.left, e.right);
        this.agentIds(e.right, e.left);
        return;
      case 'in':
        this.value(e.value, tools, prior);
        this.value(e.set, tools, prior);
        this.agentIds(e.value, e.set);
        return;
      case 'str':
        this.value(e.left, tools, prior);
        this.value(e.right, tools, prior);
        return;
      case 'matches':
        this.value(e.value, tools, prior);
        return;
      case 'call':
        if (e.arg) this.value(e.arg, tools, prior);
        return;
      case 'called': {
        this.target(e.tools);
        if (e.where) this.expr(e.where, tools, this.toolsOf(e.tools));
        return;
      }
      case 'value':
        this.value(e.value, tools, prior);
        return;
    }
  }

  /** `agent.id == "x"` and `agent.id in ["x", "y"]` name agents. */
  private agentIds(path: Ast.ValueNode, other: Ast.ValueNode): void {
    if (path.kind !== 'path' || path.root.name !== 'agent' || path.segments[0]?.name !== 'id') return;
    const strings = other.kind === 'string' ? [other] : other.kind === 'list' ? other.items.filter((i) => i.kind === 'string') : [];
    for (const s of strings) if (s.kind === 'string') this.add({ kind: 'agent', name: s.value, span: s.span, decl: false, quoted: true });
  }

  private value(v: Ast.ValueNode, tools: string[], prior: string[] | undefined): void {
    if (v.kind === 'list') {
      for (const i of v.items) this.value(i, tools, prior);
      return;
    }
    if (v.kind !== 'path') return;
    const seg = v.segments[0];
    if (!seg) return;
    const root = v.root.name;
    const owners = root === 'args' ? tools : root === 'prior' ? (prior ?? []) : undefined;
    if (owners) {
      for (const t of owners) if (this.sym.tools.get(t)?.params.has(seg.name)) this.add({ kind: 'param', name: seg.name, tool: t, span: seg.span, decl: false });
    } else if (root === 'context') this.add({ kind: 'context', name: seg.name, span: seg.span, decl: false });
  }
}
