/**
 * The statement checker: validates every rule and control against the symbol table and elaborates it
 * into the artifact's rule records. Errors are diagnostics; a statement with errors is left out, and
 * checking continues with the next one.
 */
import type {
  ApprovalSpec,
  Assertion,
  Budget,
  Expr,
  Flow,
  LabelDecl,
  LabelSource,
  Limit,
  PostRule,
  PreRedact,
  Rule,
  Span,
  ToolDecl,
} from '@writ/runtime';
import { DETECTOR_KINDS } from '@writ/runtime';
import type { DiagnosticBag } from '../diagnostics.js';
import type * as A from '../syntax/ast.js';
import { decimalPlaces, normaliseDecimal } from '../units.js';
import { checkExpr, checkKinds, type ExprEnv } from './check-expr.js';
import { suggest } from './suggest.js';
import { BUILTIN_LABELS, type Symbols } from './symbols.js';

/** Everything the checker produces, ready for the table back end. */
export interface CheckedPolicy {
  tools: Record<string, ToolDecl>;
  rules: Rule[];
  limits: Limit[];
  budgets: Budget[];
  labels: LabelDecl[];
  flows: Flow[];
  pre: PreRedact[];
  post: PostRule[];
  asserts: Assertion[];
}

type Detector = keyof typeof DETECTOR_KINDS;

export class PolicyChecker {
  private readonly ids = new Set<string>();
  /** Tools that some allow or approve rule can let through (for W0002). */
  readonly permitted = new Set<string>();
  readonly usedRoles = new Set<string>();

  constructor(
    private readonly sym: Symbols,
    private readonly diags: DiagnosticBag,
    private readonly sourceText: (span: Span) => string,
  ) {}

  check(files: readonly A.SourceFile[]): CheckedPolicy {
    const out: CheckedPolicy = {
      tools: this.tools(),
      rules: [],
      limits: [],
      budgets: [],
      labels: this.labels(),
      flows: [],
      pre: [],
      post: [],
      asserts: [],
    };
    for (const f of files) {
      for (const s of f.statements) this.statement(s, out);
    }
    this.declareBuiltinLabels(out);
    this.warnUnused(this.permitted, this.usedRoles);
    return out;
  }

  /**
   * For incremental checking: reports the problems of the declarations themselves (risk and cost of tools,
   * label sources), which `check` reports before the statements.
   */
  checkDeclarations(): void {
    this.tools();
    this.labels();
  }

  /**
   * For incremental checking: checks one statement on its own, reporting its diagnostics; returns the tools
   * it permits and the roles it uses (for the unused-declaration warnings). A fresh checker per statement.
   */
  checkStatement(s: A.Statement): { permitted: string[]; usedRoles: string[] } {
    const scratch: CheckedPolicy = { tools: {}, rules: [], limits: [], budgets: [], labels: [], flows: [], pre: [], post: [], asserts: [] };
    this.statement(s, scratch);
    return { permitted: [...this.permitted], usedRoles: [...this.usedRoles] };
  }

  /** W0002 and W0003, given every statement's permitted tools and used roles (agents' roles are added here). */
  warnUnused(permitted: ReadonlySet<string>, usedRoles: ReadonlySet<string>): void {
    const used = new Set(usedRoles);
    for (const a of this.sym.agents.values()) for (const r of a.roles) used.add(r);
    for (const [name, t] of this.sym.tools) {
      if (!permitted.has(name)) {
        this.diags.add('W0002', t.stmt.name.span, `no allow or approve rule covers tool '${name}': every call to it is denied`);
      }
    }
    for (const [name, span] of this.sym.roles) {
      if (!used.has(name)) this.diags.add('W0003', span, `role '${name}' is declared but no rule or agent uses it`);
    }
  }

  private statement(s: A.Statement, out: CheckedPolicy): void {
    switch (s.kind) {
      case 'agent':
        for (const r of s.roles) if (!this.sym.roles.has(r.name)) this.unknownRole(r);
        return;
      case 'group':
        for (const m of s.members) if (!this.sym.tools.has(m.name)) this.unknownTool(m);
        return;
      case 'rule': {
        const r = this.rule(s);
        if (r) out.rules.push(r);
        return;
      }
      case 'limit': {
        const l = this.limit(s);
        if (l) out.limits.push(l);
        return;
      }
      case 'budget': {
        const b = this.budget(s);
        if (b) out.budgets.push(b);
        return;
      }
      case 'flow': {
        const fl = this.flow(s);
        if (fl) out.flows.push(fl);
        return;
      }
      case 'post_deny':
      case 'post_redact': {
        const p = this.post(s);
        if (p) out.post.push(p);
        return;
      }
      case 'pre_redact': {
        const tools = this.resolveTools(s.tools);
        const det = this.detector(s.detector);
        if (tools && det) out.pre.push({ id: this.id(s.span), tools, detector: det.name, ...(det.kinds.length ? { kinds: det.kinds } : {}), span: s.span });
        return;
      }
      case 'disable': {
        const tools = this.resolveTools(s.tools);
        if (!tools) return;
        const targets = tools[0] === '*' ? Object.keys(out.tools) : tools;
        const reason = s.because?.value ?? 'disabled by the policy (kill switch)';
        for (const t of targets) {
          const decl = out.tools[t];
          if (decl) decl.disabled = { reason, span: s.span };
        }
        return;
      }
      case 'assert': {
        const a = this.assertion(s);
        if (a) out.asserts.push(a);
        return;
      }
      default:
        return;
    }
  }

  /** Stable rule id `file:line`, made unique with `:column` when two statements share a line. */
  private id(span: Span): string {
    let id = `${span.file}:${span.line}`;
    if (this.ids.has(id)) id = `${id}:${span.column}`;
    this.ids.add(id);
    return id;
  }

  private tools(): Record<string, ToolDecl> {
    const out: Record<string, ToolDecl> = {};
    for (const [name, t] of this.sym.tools) {
      const decl: ToolDecl = { params: Object.fromEntries(t.params), order: t.order, span: t.stmt.span };
      const risk = t.stmt.risk;
      if (risk) {
        if (['low', 'medium', 'high', 'critical'].includes(risk.name)) decl.risk = risk.name as ToolDecl['risk'];
        else this.diags.add('E0208', risk.span, `risk is low, medium, high or critical, not '${risk.name}'`);
      }
      const cost = t.stmt.cost;
      if (cost) {
        if (!cost.currency) this.diags.add('E0201', cost.span, 'a cost is a money amount, e.g. `cost 0.02 USD`');
        else if (cost.negative) this.diags.add('E0206', cost.span, 'a cost cannot be negative');
        else if (decimalPlaces(cost.text) > 6) this.diags.add('E0206', cost.span, 'a cost has at most 6 decimal places');
        else decl.cost = { amount: normaliseDecimal(cost.text), currency: cost.currency.name };
      }
      out[name] = decl;
    }
    return out;
  }

  private unknownTool(id: A.Ident): void {
    const s = suggest(id.name, [...this.sym.tools.keys(), ...this.sym.groups.keys()]);
    this.diags.add('E0100', id.span, `unknown tool '${id.name}'`, {
      help: s ? `did you mean '${s}'?` : `declare it with \`tool ${id.name}(…)\``,
    });
  }

  private unknownRole(id: A.Ident): void {
    const s = suggest(id.name, this.sym.roles.keys());
    this.diags.add('E0102', id.span, `unknown role '${id.name}'`, { help: s ? `did you mean '${s}'?` : `declare it with \`role ${id.name}\`` });
  }

  /** Tool names for a target; groups expand; `*` stays `["*"]`. `undefined` if any name is unknown. */
  resolveTools = (t: A.ToolTarget): string[] | undefined => {
    if (t.kind === 'all') return ['*'];
    const out = new Set<string>();
    let ok = true;
    for (const n of t.names) {
      if (this.sym.tools.has(n.name)) out.add(n.name);
      else {
        const g = this.sym.groups.get(n.name);
        if (g) for (const m of g.members) if (this.sym.tools.has(m.name)) out.add(m.name);
        if (!g) {
          this.unknownTool(n);
          ok = false;
        }
      }
    }
    return ok ? [...out] : undefined;
  };

  private env(tools: string[], phase: 'pre' | 'post'): ExprEnv {
    const all = tools[0] === '*';
    return {
      sym: this.sym,
      diags: this.diags,
      tools: all ? [...this.sym.tools.keys()] : tools,
      allTools: all,
      phase,
      reads: new Set(),
      resolveTools: this.resolveTools,
    };
  }

  private condition(e: A.ExprNode | undefined, env: ExprEnv): Expr | undefined {
    if (!e) return { op: 'true' };
    const x = checkExpr(e, env);
    if (x) collectRoles(x, this.usedRoles);
    return x;
  }

  private approval(a: A.ApprovalNode, defaultTimeout: 'deny' | 'allow'): ApprovalSpec | undefined {
    if (!a.role) {
      this.diags.add('E0302', a.span, 'say who approves: `by role R [quorum N] within D`', {
        help: 'e.g. `unless approved by role privacy_officer within 1h`',
      });
      return undefined;
    }
    if (!this.sym.roles.has(a.role.name)) {
      this.unknownRole(a.role);
      return undefined;
    }
    this.usedRoles.add(a.role.name);
    let quorum = 1;
    if (a.quorum) {
      quorum = Number(a.quorum.text);
      if (a.quorum.currency || a.quorum.negative || !Number.isSafeInteger(quorum) || quorum < 1 || quorum > 100) {
        this.diags.add('E0206', a.quorum.span, 'a quorum is a whole number from 1 to 100');
        return undefined;
      }
    }
    const withinMs = a.within?.ms ?? 3_600_000;
    if (withinMs <= 0) {
      this.diags.add('E0206', a.within!.span, 'an approval window must be longer than zero');
      return undefined;
    }
    const onTimeout = (a.onTimeout?.name as 'deny' | 'allow' | undefined) ?? defaultTimeout;
    return { role: a.role.name, quorum, withinMs, onTimeout };
  }

  private rule(s: Extract<A.Statement, { kind: 'rule' }>): Rule | undefined {
    const tools = this.resolveTools(s.tools);
    if (!tools) return undefined;
    const env = this.env(tools, 'pre');
    const when = this.condition(s.when, env);
    let approval: ApprovalSpec | undefined;
    if (s.effect === 'approve') {
      approval = s.approval ? this.approval(s.approval, 'deny') : undefined;
      if (!approval) return undefined;
    }
    if (!when) return undefined;
    if (s.effect === 'deny' && !s.because) {
      this.diags.add('W0001', s.span, 'deny rule without `because`: the decision will quote the rule itself', {
        help: 'add `because "why this is denied"`',
      });
    }
    if (s.effect !== 'deny') for (const t of env.tools) this.permitted.add(t);
    const rule: Rule = {
      id: this.id(s.span),
      effect: s.effect,
      tools,
      when,
      message: s.because?.value ?? collapse(this.sourceText(s.span)),
      reads: [...env.reads].sort(),
      span: s.span,
    };
    if (approval) rule.approval = approval;
    if (s.when?.kind === 'or' && when.op === 'or') rule.clauses = s.when.args.map((a) => a.span);
    return rule;
  }

  private limit(s: Extract<A.Statement, { kind: 'limit' }>): Limit | undefined {
    const tools = this.resolveTools(s.tools);
    const count = Number(s.count.text);
    let ok = !!tools;
    if (!Number.isSafeInteger(count) || count < 1) {
      this.diags.add('E0206', s.count.span, 'a limit is a whole number of calls, at least 1');
      ok = false;
    }
    if (s.window.ms <= 0) {
      this.diags.add('E0206', s.window.span, 'a limit window must be longer than zero');
      ok = false;
    }
    const scope = this.scope(s.scope, ['agent', 'tenant', 'session', 'global']);
    if (!ok || !scope || !tools) return undefined;
    return { id: this.id(s.span), tools, count, windowMs: s.window.ms, scope: scope as Limit['scope'], span: s.span };
  }

  private scope(id: A.Ident, allowed: string[]): string | undefined {
    if (allowed.includes(id.name)) return id.name;
    const sg = suggest(id.name, allowed);
    this.diags.add('E0208', id.span, `scope is one of ${allowed.join(', ')}, not '${id.name}'`, sg ? { help: `did you mean '${sg}'?` } : undefined);
    return undefined;
  }

  private budget(s: Extract<A.Statement, { kind: 'budget' }>): Budget | undefined {
    const scope = this.scope(s.scope, ['agent', 'tenant', 'session']);
    let ok = !!scope;
    const whole = (n: A.NumberNode | undefined, what: string): number | undefined => {
      if (!n) return undefined;
      const v = Number(n.text);
      if (n.currency || n.negative || !Number.isSafeInteger(v) || n.text.includes('.')) {
        this.diags.add('E0206', n.span, `${what} is a whole number`);
        ok = false;
        return undefined;
      }
      return v;
    };
    const tokens = whole(s.tokens, 'a token budget');
    const calls = whole(s.calls, 'a call budget');
    let cost: Budget['cost'];
    if (s.cost) {
      if (!s.cost.currency) {
        this.diags.add('E0201', s.cost.span, 'a cost budget is a money amount, e.g. `cost 10 USD`');
        ok = false;
      } else if (s.cost.negative || decimalPlaces(s.cost.text) > 6) {
        this.diags.add('E0206', s.cost.span, 'a cost budget is a non-negative amount with at most 6 decimal places');
        ok = false;
      } else cost = { amount: normaliseDecimal(s.cost.text), currency: s.cost.currency.name };
    }
    const warn: number[] = [];
    for (const w of s.warn) {
      if (!Number.isInteger(w.value) || w.value < 1 || w.value > 100) {
        this.diags.add('E0206', w.span, 'a warn level is a whole percentage from 1% to 100%');
        ok = false;
      } else warn.push(w.value);
    }
    if (!ok || !scope) return undefined;
    return {
      id: this.id(s.span),
      scope: scope as Budget['scope'],
      ...(cost ? { cost } : {}),
      ...(tokens !== undefined ? { tokens } : {}),
      ...(calls !== undefined ? { calls } : {}),
      warn: [...new Set(warn)].sort((a, b) => a - b),
      span: s.span,
    };
  }

  private detector(d: A.DetectorSpec): { name: Detector; kinds: string[] } | undefined {
    if (!(d.name.name in DETECTOR_KINDS)) {
      const sg = suggest(d.name.name, Object.keys(DETECTOR_KINDS));
      this.diags.add('E0205', d.name.span, `unknown detector '${d.name.name}'`, {
        help: `detectors are ${Object.keys(DETECTOR_KINDS).join(', ')}${sg ? `; did you mean '${sg}'?` : ''}`,
      });
      return undefined;
    }
    const name = d.name.name as Detector;
    const kinds = checkKinds(name, d.kinds, { diags: this.diags });
    return kinds ? { name, kinds } : undefined;
  }

  private labels(): LabelDecl[] {
    const out: LabelDecl[] = [];
    for (const [name, l] of this.sym.labels) {
      if (!l.stmt) continue;
      const sources: LabelDecl['sources'] = [];
      for (const src of l.stmt.sources) {
        if (src.kind === 'tool_result') {
          if (!this.sym.tools.has(src.tool.name)) {
            this.unknownTool(src.tool);
            continue;
          }
          if (src.path[0]?.name !== 'result') {
            this.diags.add('E0208', src.path[0]?.span ?? src.span, 'a tool label source is `tool NAME.result` or `tool NAME.result.field`');
            continue;
          }
          sources.push({ kind: 'tool_result', tool: src.tool.name, path: src.path.slice(1).map((p) => p.name), span: src.span });
        } else if (src.kind === 'context') {
          if (!this.sym.context.has(src.field.name)) {
            this.diags.add('E0108', src.field.span, `unknown context field '${src.field.name}'`, {
              help: `declare it with \`context ${src.field.name}: string\``,
            });
            continue;
          }
          sources.push({ kind: 'context', field: src.field.name, span: src.span });
        } else {
          const d = this.detector(src.detector);
          if (d) sources.push({ kind: 'detector', detector: d.name, ...(d.kinds.length ? { kinds: d.kinds } : {}), span: src.span } as LabelSource & { span: Span });
        }
      }
      out.push({ name, sources, span: l.stmt.span });
    }
    return out;
  }

  /** A built-in label (`pii`, `secret`, `injection`) used by a flow is declared as sourced by its detector. */
  private declareBuiltinLabels(out: CheckedPolicy): void {
    for (const f of out.flows) {
      if (out.labels.some((l) => l.name === f.label)) continue;
      if ((BUILTIN_LABELS as readonly string[]).includes(f.label)) {
        const detector = f.label as Detector;
        out.labels.push({ name: f.label, sources: [{ kind: 'detector', detector, span: f.span }], span: f.span });
      }
    }
  }

  private flow(s: Extract<A.Statement, { kind: 'flow' }>): Flow | undefined {
    if (!this.sym.labels.has(s.label.name)) {
      const sg = suggest(s.label.name, this.sym.labels.keys());
      this.diags.add('E0106', s.label.span, `unknown label '${s.label.name}'`, {
        help: sg ? `did you mean '${sg}'?` : `declare it with \`label ${s.label.name} from …\``,
      });
      return undefined;
    }
    const tools = this.resolveTools(s.tools);
    if (!tools) return undefined;
    const param = s.param.name;
    if (param !== '*') {
      const targets = tools[0] === '*' ? [...this.sym.tools.keys()] : tools;
      for (const t of targets) {
        const decl = this.sym.tools.get(t);
        if (decl && !decl.params.has(param)) {
          const sg = suggest(param, decl.params.keys());
          this.diags.add('E0104', s.param.span, `unknown parameter '${param}' in tool '${t}'`, sg ? { help: `did you mean '${sg}'?` } : undefined);
          return undefined;
        }
      }
    }
    let approval: ApprovalSpec | undefined;
    if (s.approval) {
      approval = this.approval(s.approval, 'deny');
      if (!approval) return undefined;
    }
    return {
      id: this.id(s.span),
      label: s.label.name,
      tools,
      param,
      message: s.because?.value ?? `data labelled '${s.label.name}' may not flow into ${tools[0] === '*' ? '*' : tools.join('|')}.${param}`,
      ...(approval ? { approval } : {}),
      span: s.span,
    };
  }

  private post(s: Extract<A.Statement, { kind: 'post_deny' } | { kind: 'post_redact' }>): PostRule | undefined {
    const tools = this.resolveTools(s.tools);
    if (!tools) return undefined;
    if (s.kind === 'post_deny') {
      const env = this.env(tools, 'post');
      const when = this.condition(s.when, env);
      if (!when) return undefined;
      return {
        id: this.id(s.span),
        action: 'deny',
        tools,
        when,
        message: s.because?.value ?? collapse(this.sourceText(s.span)),
        reads: [...env.reads].sort(),
        span: s.span,
      };
    }
    const det = this.detector(s.detector);
    if (!det) return undefined;
    if (s.path.length && s.path[0]!.name !== 'result') {
      this.diags.add('E0208', s.path[0]!.span, 'post rules redact `in result` or `in result.field`');
      return undefined;
    }
    return {
      id: this.id(s.span),
      action: 'redact',
      tools,
      detector: det.name,
      ...(det.kinds.length ? { kinds: det.kinds } : {}),
      path: s.path.slice(1).map((p) => p.name),
      span: s.span,
    };
  }

  private assertion(s: Extract<A.Statement, { kind: 'assert' }>): Assertion | undefined {
    const effects = ['allow', 'deny', 'pending_approval'];
    if (!effects.includes(s.effect.name)) {
      this.diags.add('E0208', s.effect.span, `an assertion is about allow, deny or pending_approval, not '${s.effect.name}'`);
      return undefined;
    }
    const tools = this.resolveTools(s.tools);
    if (!tools) return undefined;
    const env = this.env(tools, 'pre');
    const when = this.condition(s.when, env);
    if (!when) return undefined;
    return {
      id: this.id(s.span),
      quantifier: s.quantifier,
      effect: s.effect.name as Assertion['effect'],
      tools,
      when,
      text: collapse(this.sourceText(s.span)),
      span: s.span,
    };
  }

}

function collectRoles(e: Expr, into: Set<string>): void {
  switch (e.op) {
    case 'has_role':
      into.add(e.role);
      return;
    case 'and':
    case 'or':
      for (const a of e.args) collectRoles(a, into);
      return;
    case 'not':
      collectRoles(e.arg, into);
      return;
    case 'called':
      if (e.where) collectRoles(e.where, into);
      return;
    default:
      return;
  }
}

/** Source text on one line with single spaces, for generated rule messages. */
function collapse(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}
