/**
 * Lowers chevrotain's concrete syntax tree to the AST. Recovery can leave rules half-built; every accessor
 * here tolerates missing children and the caller drops statements that lack their essential parts (the
 * syntax error is already reported).
 */
import type { CstElement, CstNode, IToken } from 'chevrotain';
import type * as A from './ast.js';
import { parseDuration } from '../units.js';

type Children = Record<string, CstElement[] | undefined>;

function isToken(e: CstElement | undefined): e is IToken {
  return e !== undefined && (e as IToken).image !== undefined;
}

function isNode(e: CstElement | undefined): e is CstNode {
  return e !== undefined && (e as CstNode).children !== undefined;
}

export class AstBuilder {
  constructor(private readonly fileName: string) {}

  tokenSpan(t: IToken): A.Span {
    const line = Number.isFinite(t.startLine) ? (t.startLine as number) : 1;
    const column = Number.isFinite(t.startColumn) ? (t.startColumn as number) : 1;
    const endLine = Number.isFinite(t.endLine) ? (t.endLine as number) : line;
    const endColumn = Number.isFinite(t.endColumn) ? (t.endColumn as number) + 1 : column;
    return { file: this.fileName, line, column, endLine, endColumn };
  }

  nodeSpan(n: CstNode): A.Span {
    const l = n.location;
    if (l && Number.isFinite(l.startLine) && Number.isFinite(l.startColumn)) {
      return {
        file: this.fileName,
        line: l.startLine as number,
        column: l.startColumn as number,
        endLine: Number.isFinite(l.endLine) ? (l.endLine as number) : (l.startLine as number),
        endColumn: Number.isFinite(l.endColumn) ? (l.endColumn as number) + 1 : (l.startColumn as number),
      };
    }
    return { file: this.fileName, line: 1, column: 1, endLine: 1, endColumn: 1 };
  }

  private tok(c: Children, key: string, i = 0): IToken | undefined {
    const e = c[key]?.[i];
    return isToken(e) && !e.isInsertedInRecovery ? e : undefined;
  }

  private toks(c: Children, key: string): IToken[] {
    return (c[key] ?? []).filter((e): e is IToken => isToken(e) && !e.isInsertedInRecovery);
  }

  private node(c: Children, key: string, i = 0): CstNode | undefined {
    const e = c[key]?.[i];
    return isNode(e) ? e : undefined;
  }

  private nodes(c: Children, key: string): CstNode[] {
    return (c[key] ?? []).filter(isNode);
  }

  private ident(t: IToken | undefined): A.Ident | undefined {
    return t ? { name: t.image, span: this.tokenSpan(t) } : undefined;
  }

  private str(t: IToken | undefined): A.Str | undefined {
    return t ? { value: unquote(t.image), span: this.tokenSpan(t) } : undefined;
  }

  file(cst: CstNode): A.Statement[] {
    const out: A.Statement[] = [];
    for (const s of this.nodes(cst.children, 'statement')) {
      const st = this.statementOf(s);
      if (st) out.push(st);
    }
    return out;
  }

  /** The AST of one `statement` CST node; `undefined` when recovery left it without its essential parts. */
  statementOf(s: CstNode): A.Statement | undefined {
    const inner = Object.values(s.children).flat()[0];
    return isNode(inner) ? this.statement(inner) : undefined;
  }

  private statement(n: CstNode): A.Statement | undefined {
    const c = n.children;
    const span = this.nodeSpan(n);
    switch (n.name) {
      case 'policyDecl': {
        const name = this.str(this.tok(c, 'name'));
        const version = this.str(this.tok(c, 'version'));
        return name && version ? { kind: 'policy', name, version, span } : undefined;
      }
      case 'roleDecl': {
        const names = this.toks(c, 'Identifier').map((t) => this.ident(t)!);
        return names.length ? { kind: 'role', names, span } : undefined;
      }
      case 'agentDecl': {
        const id = this.str(this.tok(c, 'id'));
        if (!id) return undefined;
        const list = this.node(c, 'identList');
        const roles = list ? this.identList(list) : [];
        const tenant = this.str(this.tok(c, 'tenant'));
        return { kind: 'agent', id, roles, ...(tenant ? { tenant } : {}), span };
      }
      case 'toolDecl': {
        const name = this.ident(this.tok(c, 'Identifier'));
        if (!name) return undefined;
        const params = this.nodes(c, 'param').flatMap((p) => this.param(p) ?? []);
        const risk = this.ident(this.tok(c, 'risk'));
        const costNode = this.node(c, 'cost');
        const cost = costNode ? this.numberLit(costNode) : undefined;
        return { kind: 'tool', name, params, ...(risk ? { risk } : {}), ...(cost ? { cost } : {}), span };
      }
      case 'groupDecl': {
        const name = this.ident(this.tok(c, 'Identifier'));
        const list = this.node(c, 'identList');
        return name ? { kind: 'group', name, members: list ? this.identList(list) : [], span } : undefined;
      }
      case 'contextDecl': {
        const name = this.ident(this.tok(c, 'Name'));
        const typeNode = this.node(c, 'typeRef');
        return name
          ? { kind: 'context', name, optional: !!this.tok(c, 'Question'), type: typeNode ? this.typeRef(typeNode) : undefined, span }
          : undefined;
      }
      case 'accessRule':
      case 'approveRule': {
        const effect = n.name === 'approveRule' ? 'approve' : this.tok(c, 'Kw_allow') ? 'allow' : 'deny';
        const tools = this.toolTarget(this.node(c, 'toolTarget'));
        if (!tools) return undefined;
        const exprNode = this.node(c, 'expr');
        const when = exprNode ? this.expr(exprNode) : undefined;
        const because = this.because(this.node(c, 'because'));
        const ap = this.node(c, 'approvalClause');
        const approval = ap ? this.approval(ap) : undefined;
        if (effect === 'approve' && !approval) return undefined;
        return {
          kind: 'rule',
          effect,
          tools,
          ...(when ? { when } : {}),
          ...(because ? { because } : {}),
          ...(approval ? { approval } : {}),
          span,
        };
      }
      case 'limitRule': {
        const tools = this.toolTarget(this.node(c, 'toolTarget'));
        const countTok = this.tok(c, 'NumberLit');
        const win = this.durationTok(this.tok(c, 'DurationLit'));
        const scope = this.scope(this.node(c, 'scope'));
        if (!tools || !countTok || !win || !scope) return undefined;
        const count: A.NumberNode = { kind: 'number', text: countTok.image, negative: false, span: this.tokenSpan(countTok) };
        return { kind: 'limit', tools, count, window: win, scope, span };
      }
      case 'budgetRule': {
        const scope = this.scope(this.node(c, 'scope'));
        if (!scope) return undefined;
        const num = (k: string) => {
          const x = this.node(c, k);
          return x ? this.numberLit(x) : undefined;
        };
        const cost = num('cost');
        const tokens = num('tokens');
        const calls = num('calls');
        const warn = this.toks(c, 'PercentLit').map((t) => ({
          text: t.image,
          value: Number(t.image.slice(0, -1)),
          span: this.tokenSpan(t),
        }));
        return {
          kind: 'budget',
          scope,
          ...(cost ? { cost } : {}),
          ...(tokens ? { tokens } : {}),
          ...(calls ? { calls } : {}),
          warn,
          span,
        };
      }
      case 'labelDecl': {
        const name = this.ident(this.tok(c, 'Identifier'));
        if (!name) return undefined;
        const sources = this.nodes(c, 'labelSource').flatMap((s) => this.labelSource(s) ?? []);
        return { kind: 'label', name, sources, span };
      }
      case 'flowRule': {
        const label = this.ident(this.tok(c, 'label'));
        const allTools = this.tok(c, 'allTools');
        const toolTok = this.tok(c, 'tool');
        const allParams = this.tok(c, 'allParams');
        const paramTok = this.tok(c, 'param');
        if (!label || (!allTools && !toolTok) || (!allParams && !paramTok)) return undefined;
        const tools: A.ToolTarget = allTools
          ? { kind: 'all', span: this.tokenSpan(allTools) }
          : { kind: 'names', names: [this.ident(toolTok)!], span: this.tokenSpan(toolTok!) };
        const param = allParams ? { name: '*' as const, span: this.tokenSpan(allParams) } : this.ident(paramTok)!;
        const ap = this.node(c, 'approvalClause');
        const unless = this.tok(c, 'Kw_unless');
        const approval = ap ? this.approval(ap) : unless ? { role: undefined, span: this.tokenSpan(unless) } : undefined;
        const because = this.because(this.node(c, 'because'));
        return {
          kind: 'flow',
          label,
          tools,
          param,
          ...(approval ? { approval } : {}),
          ...(because ? { because } : {}),
          span,
        };
      }
      case 'postRule': {
        const tools = this.toolTarget(this.node(c, 'toolTarget'));
        if (!tools) return undefined;
        if (c['Kw_deny']) {
          const exprNode = this.node(c, 'expr');
          const because = this.because(this.node(c, 'because'));
          return { kind: 'post_deny', tools, when: exprNode ? this.expr(exprNode) : undefined, ...(because ? { because } : {}), span };
        }
        const det = this.detectorSpec(this.node(c, 'detectorSpec'));
        if (!det) return undefined;
        const root = this.ident(this.tok(c, 'root'));
        const path = this.toks(c, 'path').map((t) => this.ident(t)!);
        return { kind: 'post_redact', tools, detector: det, path: root ? [root, ...path] : [], span };
      }
      case 'preRule': {
        const tools = this.toolTarget(this.node(c, 'toolTarget'));
        const det = this.detectorSpec(this.node(c, 'detectorSpec'));
        return tools && det ? { kind: 'pre_redact', tools, detector: det, span } : undefined;
      }
      case 'disableRule': {
        const tools = this.toolTarget(this.node(c, 'toolTarget'));
        const because = this.because(this.node(c, 'because'));
        return tools ? { kind: 'disable', tools, ...(because ? { because } : {}), span } : undefined;
      }
      case 'assertRule': {
        const effect = this.ident(this.tok(c, 'effect'));
        const tools = this.toolTarget(this.node(c, 'toolTarget'));
        if (!effect || !tools) return undefined;
        const exprNode = this.node(c, 'expr');
        const when = exprNode ? this.expr(exprNode) : undefined;
        return { kind: 'assert', quantifier: c['Kw_always'] ? 'always' : 'never', effect, tools, ...(when ? { when } : {}), span };
      }
      default:
        return undefined;
    }
  }

  private identList(n: CstNode): A.Ident[] {
    return this.toks(n.children, 'Identifier').map((t) => this.ident(t)!);
  }

  private param(n: CstNode): A.Param | undefined {
    const name = this.ident(this.tok(n.children, 'Name'));
    const typeNode = this.node(n.children, 'typeRef');
    if (!name) return undefined;
    return { name, optional: !!this.tok(n.children, 'Question'), type: typeNode ? this.typeRef(typeNode) : undefined, span: this.nodeSpan(n) };
  }

  private typeRef(n: CstNode): A.TypeNode | undefined {
    const c = n.children;
    const name = this.ident(this.tok(c, 'name'));
    if (!name) return undefined;
    const t: A.TypeNode = { name, span: this.nodeSpan(n) };
    const values = this.toks(c, 'StringLit').map((x) => this.str(x)!);
    if (values.length) t.values = values;
    const of = this.node(c, 'of');
    if (of) {
      const inner = this.typeRef(of);
      // `money(USD)`: a bare three-letter code in argument position is a currency, not a type.
      if (inner && !inner.of && !inner.values && /^[A-Z]{3}$/.test(inner.name.name)) t.currency = inner.name;
      else if (inner) t.of = inner;
    }
    return t;
  }

  private toolTarget(n: CstNode | undefined): A.ToolTarget | undefined {
    if (!n) return undefined;
    const c = n.children;
    const star = this.tok(c, 'Star');
    if (star) return { kind: 'all', span: this.tokenSpan(star) };
    const id = this.tok(c, 'Identifier');
    if (id) return { kind: 'names', names: [this.ident(id)!], span: this.tokenSpan(id) };
    const list = this.node(c, 'identList');
    if (list) return { kind: 'names', names: this.identList(list), span: this.nodeSpan(list) };
    return undefined;
  }

  private because(n: CstNode | undefined): A.Str | undefined {
    return n ? this.str(this.tok(n.children, 'StringLit')) : undefined;
  }

  private approval(n: CstNode): A.ApprovalNode {
    const c = n.children;
    const role = this.ident(this.tok(c, 'role'));
    const q = this.node(c, 'quorum');
    const quorum = q ? this.numberLit(q) : undefined;
    const within = this.durationTok(this.tok(c, 'DurationLit'));
    const elseTok = this.tok(c, 'Kw_deny') ?? this.tok(c, 'Kw_allow');
    return {
      role,
      ...(quorum ? { quorum } : {}),
      ...(within ? { within } : {}),
      ...(elseTok ? { onTimeout: this.ident(elseTok)! } : {}),
      span: this.nodeSpan(n),
    };
  }

  private scope(n: CstNode | undefined): A.Ident | undefined {
    if (!n) return undefined;
    const t = this.tok(n.children, 'Kw_agent') ?? this.tok(n.children, 'Kw_tenant') ?? this.tok(n.children, 'Identifier');
    return this.ident(t);
  }

  private labelSource(n: CstNode): A.LabelSourceNode | undefined {
    const c = n.children;
    const span = this.nodeSpan(n);
    if (c['Kw_tool']) {
      const tool = this.ident(this.tok(c, 'tool'));
      const result = this.tok(c, 'result');
      if (!tool || !result) return undefined;
      return { kind: 'tool_result', tool, path: [this.ident(result)!, ...this.toks(c, 'path').map((t) => this.ident(t)!)], span };
    }
    if (c['Kw_context']) {
      const field = this.ident(this.tok(c, 'field'));
      return field ? { kind: 'context', field, span } : undefined;
    }
    const det = this.detectorSpec(this.node(c, 'detectorSpec'));
    return det ? { kind: 'detector', detector: det, span } : undefined;
  }

  private detectorSpec(n: CstNode | undefined): A.DetectorSpec | undefined {
    if (!n) return undefined;
    const name = this.ident(this.tok(n.children, 'name'));
    if (!name) return undefined;
    return { name, kinds: this.toks(n.children, 'kind').map((t) => this.ident(t)!), span: this.nodeSpan(n) };
  }

  private durationTok(t: IToken | undefined): A.DurationNode | undefined {
    if (!t) return undefined;
    return { kind: 'duration', text: t.image, ms: parseDuration(t.image) ?? 0, span: this.tokenSpan(t) };
  }

  numberLit(n: CstNode): A.NumberNode | undefined {
    const c = n.children;
    const t = this.tok(c, 'NumberLit');
    if (!t) return undefined;
    const currency = this.ident(this.tok(c, 'currency'));
    return { kind: 'number', text: t.image, negative: !!this.tok(c, 'Minus'), ...(currency ? { currency } : {}), span: this.nodeSpan(n) };
  }

  // ---- expressions -------------------------------------------------------------------------------------

  expr(n: CstNode): A.ExprNode | undefined {
    const parts = this.nodes(n.children, 'andExpr').flatMap((x) => this.andExpr(x) ?? []);
    if (parts.length === 0) return undefined;
    return parts.length === 1 ? parts[0] : { kind: 'or', args: parts, span: this.nodeSpan(n) };
  }

  private andExpr(n: CstNode): A.ExprNode | undefined {
    const parts = this.nodes(n.children, 'notExpr').flatMap((x) => this.notExpr(x) ?? []);
    if (parts.length === 0) return undefined;
    return parts.length === 1 ? parts[0] : { kind: 'and', args: parts, span: this.nodeSpan(n) };
  }

  private notExpr(n: CstNode): A.ExprNode | undefined {
    const inner = this.node(n.children, 'notExpr');
    if (inner) {
      const arg = this.notExpr(inner);
      return arg ? { kind: 'not', arg, span: this.nodeSpan(n) } : undefined;
    }
    const p = this.node(n.children, 'primary');
    return p ? this.primary(p) : undefined;
  }

  private primary(n: CstNode): A.ExprNode | undefined {
    const c = n.children;
    const span = this.nodeSpan(n);
    const e = this.node(c, 'expr');
    if (e) return this.expr(e);
    if (c['Kw_has']) {
      const role = this.ident(this.tok(c, 'role'));
      return role ? { kind: 'has_role', role, span } : undefined;
    }
    const called = this.node(c, 'calledExpr');
    if (called) {
      const cc = called.children;
      const tools = this.toolTarget(this.node(cc, 'toolTarget'));
      if (!tools) return undefined;
      const w = this.node(cc, 'expr');
      const where = w ? this.expr(w) : undefined;
      const within = this.durationTok(this.tok(cc, 'DurationLit'));
      return { kind: 'called', tools, ...(where ? { where } : {}), ...(within ? { within } : {}), span: this.nodeSpan(called) };
    }
    const call = this.node(c, 'detectorCall');
    if (call) {
      const cc = call.children;
      const name = this.ident(this.tok(cc, 'name'));
      if (!name) return undefined;
      const v = this.node(cc, 'value');
      return {
        kind: 'call',
        name,
        arg: v ? this.value(v) : undefined,
        kinds: this.toks(cc, 'kind').map((t) => this.ident(t)!),
        span: this.nodeSpan(call),
      };
    }
    const cmp = this.node(c, 'comparison');
    return cmp ? this.comparison(cmp) : undefined;
  }

  private comparison(n: CstNode): A.ExprNode | undefined {
    const c = n.children;
    const span = this.nodeSpan(n);
    const leftNode = this.node(c, 'left');
    const left = leftNode ? this.value(leftNode) : undefined;
    if (!left) return undefined;
    const rightNode = this.node(c, 'right');
    const right = rightNode ? this.value(rightNode) : undefined;
    const opNode = this.node(c, 'cmpOp');
    if (opNode) {
      const opTok = Object.values(opNode.children).flat()[0];
      if (!right || !isToken(opTok)) return undefined;
      return { kind: 'cmp', op: opTok.image as A.CmpOpText, left, right, span };
    }
    if (c['Kw_in']) return right ? { kind: 'in', negated: !!c['Kw_not'], value: left, set: right, span } : undefined;
    const fn = this.tok(c, 'strFn');
    if (fn) return right ? { kind: 'str', fn: fn.image as 'starts_with' | 'ends_with' | 'contains', left, right, span } : undefined;
    if (c['Kw_matches']) {
      const pattern = this.str(this.tok(c, 'pattern'));
      return pattern ? { kind: 'matches', value: left, pattern, span } : undefined;
    }
    return { kind: 'value', value: left, span };
  }

  value(n: CstNode): A.ValueNode | undefined {
    const c = n.children;
    const span = this.nodeSpan(n);
    const p = this.node(c, 'path');
    if (p) {
      const root = this.ident(this.tok(p.children, 'root'));
      if (!root) return undefined;
      return { kind: 'path', root, segments: this.toks(p.children, 'segment').map((t) => this.ident(t)!), span: this.nodeSpan(p) };
    }
    const s = this.tok(c, 'StringLit');
    if (s) return { kind: 'string', value: unquote(s.image), span };
    const num = this.node(c, 'numberLit');
    if (num) return this.numberLit(num);
    const d = this.durationTok(this.tok(c, 'DurationLit'));
    if (d) return d;
    if (c['Kw_true']) return { kind: 'bool', value: true, span };
    if (c['Kw_false']) return { kind: 'bool', value: false, span };
    if (c['LBracket']) {
      return { kind: 'list', items: this.nodes(c, 'item').flatMap((x) => this.value(x) ?? []), span };
    }
    return undefined;
  }
}

/** Decodes a string literal's JSON-style escapes. */
export function unquote(image: string): string {
  try {
    return JSON.parse(image) as string;
  } catch {
    return image.slice(1, -1);
  }
}
