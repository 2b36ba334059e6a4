/**
 * Encodes one tool's decision, as the runtime makes it (packages/runtime/SEMANTICS.md), in SMT-LIB 2 over
 * a symbolic request and a symbolic state. The input is the decision-table artifact — the bytes the runtime
 * loads — never the source.
 *
 * Request: each parameter and declared context field is a constant of its type's sort (strings in the
 * Unicode Strings theory, money and numbers as exact Reals, integers and durations as Ints), with a
 * presence flag when it may be absent; the agent's id, tenant and effective roles; the reported usage.
 * State: whether the session called a tool (with that call's arguments), taint per label and parameter,
 * whether each rate-limit window is full, each budget's usage, and the approval status of this exact
 * request. All state is free, so a proof holds for every state. Detectors are uninterpreted predicates.
 */
import { DETECTOR_KINDS, type Artifact, type Expr, type FieldDecl, type Rule, type Value, type WritType } from '@writ/runtime';
import { translateRegex } from './regex.js';
import { and, implies, int, not, or, real, str, sym } from './sexpr.js';
import { sortOf, VarTable, type VarInfo } from './vars.js';

/** Thrown for a construct the encoder cannot express exactly; the message names it. */
export class EncodingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EncodingError';
  }
}

/** Approval status values of the symbolic approval record for this request. */
export const APPROVAL_STATUS = { none: 0, pending: 1, granted: 2, rejected: 3, expired: 4 } as const;

/** One tool's encoding: declarations, domain, named terms. */
export interface ToolEncoding {
  tool: string;
  vars: VarTable;
  /** `define-fun` lines for named terms, in dependency order. */
  definitions: string[];
  /** Symbols of the three effects (exactly one is true in every model of the domain). */
  effect: { allow: string; deny: string; pending: string };
  /** Symbol of each rule's match term (errored semantics included), by rule id. */
  match: Map<string, string>;
  /** Symbol of "some deny rule, flow or kill switch denies". */
  denied: string;
  /** Symbol of "some approve rule or approval-requiring flow asks for an approval". */
  needsApproval: string;
  /** Things the reader must know: patterns encoded as uninterpreted predicates. */
  notes: string[];
  /** Encodes a further condition over this request (for assertions): fields it reads must be present. */
  condition(e: Expr): string;
}

export interface EncodeOptions {
  /** Prefix for named terms, so two encodings (a diff) can share one request and state. */
  prefix?: string;
  /** Further conditions that will be passed to `condition()` (their `called` atoms size the history). */
  extraConditions?: Expr[];
  /** At least this many history entries (a diff gives both sides the larger count). */
  minHistory?: number;
}

interface Scope {
  /** Inside `called … where`: the history entry whose args `prior.x` names. */
  priorEntry?: number;
  priorTools?: string[];
}

/** Exact integer micro-units of a decimal string (at most 6 decimal places, checked by the compiler). */
export function decimalMicros(d: string): string {
  const neg = d.startsWith('-');
  const [i = '0', f = ''] = (neg ? d.slice(1) : d).split('.');
  const digits = `${i}${f.padEnd(6, '0').slice(0, 6)}`.replace(/^0+(?=\d)/, '');
  return neg && digits !== '0' ? `-${digits}` : digits;
}

class ToolEncoder {
  readonly vars = new VarTable();
  readonly definitions: string[] = [];
  readonly notes: string[] = [];
  private readonly decl;
  private readonly p: string;
  private defCount = 0;
  /** Number of symbolic history entries: the distinct `called` atoms of this tool's rules and assertions. */
  private readonly historySize: number;

  constructor(
    private readonly a: Artifact,
    readonly tool: string,
    options: EncodeOptions,
  ) {
    const d = a.tools[tool];
    if (!d) throw new EncodingError(`unknown tool '${tool}'`);
    this.decl = d;
    this.p = options.prefix ?? '';
    const ix = a.index[tool];
    const exprs = [
      ...(ix ? [...ix.deny, ...ix.approve, ...ix.allow].map((i) => a.rules[i]!.when) : []),
      ...a.asserts.filter((x) => x.tools[0] === '*' || x.tools.includes(tool)).map((x) => x.when),
      ...(options.extraConditions ?? []),
    ];
    const atoms = new Set<string>();
    for (const e of exprs) collectCalled(e, atoms);
    this.historySize = Math.max(atoms.size, options.minHistory ?? 0);
  }

  /** Names a term with a define-fun and returns its symbol. */
  define(name: string, sort: string, term: string): string {
    const s = sym(`${this.p}${name}`);
    this.definitions.push(`(define-fun ${s} () ${sort} ${term})`);
    this.defCount++;
    return s;
  }

  // ---- request ---------------------------------------------------------------------------------------

  declareRequest(): void {
    for (const name of this.decl.order) {
      const f = this.decl.params[name] as FieldDecl;
      if (!this.vars.field(`arg.${name}`, f, { kind: 'arg', param: name, type: f.type })) {
        // A parameter of a type without an exact encoding is fine as long as no rule reads it.
        continue;
      }
      if (f.optional) this.vars.constant(`has.arg.${name}`, 'Bool', { kind: 'has_arg', param: name });
    }
    this.vars.constant('agent.id', 'String', { kind: 'agent_id' }, (s) => [`(<= 1 (str.len ${s}) ${this.vars.maxString})`]);
    for (const r of this.a.roles) this.vars.constant(`role.${r}`, 'Bool', { kind: 'role', role: r });
    // A declared agent has exactly its declared roles; other agents may hold any declared roles.
    for (const [id, agent] of Object.entries(this.a.agents)) {
      const fixed = this.a.roles.map((r) => (agent.roles.includes(r) ? sym(`role.${r}`) : not(sym(`role.${r}`))));
      if (fixed.length) this.vars.domain.push(implies(`(= ${sym('agent.id')} ${str(id)})`, and(fixed)));
    }
  }

  argRef(name: string): string {
    const f = this.decl.params[name];
    if (!f) throw new EncodingError(`tool '${this.tool}' has no parameter '${name}'`);
    const s = this.vars.field(`arg.${name}`, f, { kind: 'arg', param: name, type: f.type });
    if (!s) throw new EncodingError(`args.${name} has type ${f.type.kind}, which has no exact SMT encoding`);
    return s;
  }

  ctxRef(name: string): string {
    const f = this.a.context[name];
    if (!f) throw new EncodingError(`unknown context field '${name}'`);
    const s = this.vars.field(`ctx.${name}`, f, { kind: 'ctx', field: name, type: f.type });
    if (!s) throw new EncodingError(`context.${name} has type ${f.type.kind}, which has no exact SMT encoding`);
    this.vars.constant(`has.ctx.${name}`, 'Bool', { kind: 'has_ctx', field: name });
    return s;
  }

  /** The presence term of a `reads` entry (`context.x`, `args.y`, `agent.tenant`). */
  present(read: string): string {
    const [root, name] = [read.slice(0, read.indexOf('.')), read.slice(read.indexOf('.') + 1)];
    if (root === 'context') {
      this.ctxRef(name);
      return sym(`has.ctx.${name}`);
    }
    if (root === 'args') {
      const f = this.decl.params[name];
      if (!f?.optional) return 'true';
      this.argRef(name);
      return this.vars.constant(`has.arg.${name}`, 'Bool', { kind: 'has_arg', param: name });
    }
    if (read === 'agent.tenant') {
      this.tenant();
      return sym('has.tenant');
    }
    throw new EncodingError(`cannot encode a rule that reads ${read} (post-rule results are not encoded)`);
  }

  tenant(): string {
    this.vars.constant('has.tenant', 'Bool', { kind: 'has_tenant' });
    return this.vars.constant('agent.tenant', 'String', { kind: 'tenant' }, (s) => [`(<= (str.len ${s}) ${this.vars.maxString})`]);
  }

  // ---- values and conditions -------------------------------------------------------------------------

  /** The term and type of a reference. */
  ref(path: string[], scope: Scope): { term: string; type: WritType } {
    const [root, name] = path;
    if (root === 'args' && name !== undefined && path.length === 2) {
      return { term: this.argRef(name), type: (this.decl.params[name] as FieldDecl).type };
    }
    if (root === 'context' && name !== undefined && path.length === 2) {
      return { term: this.ctxRef(name), type: (this.a.context[name] as FieldDecl).type };
    }
    if (root === 'agent' && name === 'id') return { term: sym('agent.id'), type: { kind: 'string' } };
    if (root === 'agent' && name === 'tenant') return { term: this.tenant(), type: { kind: 'string' } };
    if (root === 'prior' && name !== undefined && scope.priorEntry !== undefined) {
      const t = this.priorType(name, scope.priorTools ?? []);
      const s = sortOf(t);
      if (!s) throw new EncodingError(`prior.${name} has no exact SMT encoding`);
      const k = scope.priorEntry;
      const term = this.vars.constant(`hist.${k}.arg.${name}.${s}`, s, { kind: 'hist_arg', entry: k, param: name, type: t }, (x) =>
        this.vars.typeDomain(t, x),
      );
      return { term, type: t };
    }
    throw new EncodingError(`cannot encode the reference ${path.join('.')}`);
  }

  private priorType(name: string, tools: string[]): WritType {
    for (const t of tools) {
      const f = this.a.tools[t]?.params[name];
      if (f) return f.type;
    }
    throw new EncodingError(`prior.${name}: no called tool has that parameter`);
  }

  /** A value as a term of the sort the comparison type needs. */
  value(v: Value, want: WritType, scope: Scope): string {
    if ('lit' in v) return this.literal(v.lit, want);
    const r = this.ref(v.ref, scope);
    return coerce(r.term, r.type, want);
  }

  literal(lit: string | number | boolean | Array<string | number | boolean>, want: WritType): string {
    if (Array.isArray(lit)) throw new EncodingError('a list literal outside `in`');
    switch (want.kind) {
      case 'number':
      case 'money':
        return real(String(lit));
      case 'integer':
      case 'duration':
        return int(String(lit));
      case 'boolean':
        return lit ? 'true' : 'false';
      case 'string':
      case 'enum':
        return str(String(lit));
      default:
        throw new EncodingError(`a literal of type ${want.kind}`);
    }
  }

  expr(e: Expr, scope: Scope = {}): string {
    switch (e.op) {
      case 'true':
        return 'true';
      case 'false':
        return 'false';
      case 'and':
        return and(e.args.map((x) => this.expr(x, scope)));
      case 'or':
        return or(e.args.map((x) => this.expr(x, scope)));
      case 'not':
        return not(this.expr(e.arg, scope));
      case 'has_role':
        return this.vars.constant(`role.${e.role}`, 'Bool', { kind: 'role', role: e.role });
      case 'cmp': {
        const l = this.value(e.left, e.type, scope);
        const r = this.value(e.right, e.type, scope);
        switch (e.cmp) {
          case '==':
            return `(= ${l} ${r})`;
          case '!=':
            return `(not (= ${l} ${r}))`;
          default:
            return `(${e.cmp} ${l} ${r})`;
        }
      }
      case 'in':
        return this.member(e, scope);
      case 'str': {
        const l = this.value(e.left, { kind: 'string' }, scope);
        const r = this.value(e.right, { kind: 'string' }, scope);
        if (e.fn === 'starts_with') return `(str.prefixof ${r} ${l})`;
        if (e.fn === 'ends_with') return `(str.suffixof ${r} ${l})`;
        return `(str.contains ${l} ${r})`;
      }
      case 'matches': {
        const v = this.value(e.value, { kind: 'string' }, scope);
        const t = translateRegex(e.pattern);
        if ('regex' in t && !t.wellFormed) return `(str.in_re ${v} ${t.regex})`;
        const f = this.vars.fn(`matches.${e.pattern}`, 'String', 'Bool', { kind: 'matches', pattern: e.pattern });
        // Exact on strings without lone surrogates; on the others RE2's `.` and negated classes match a lone
        // surrogate, which the regex cannot say: there the uninterpreted predicate stands for RE2.
        if ('regex' in t) return `(ite (str.in_re ${v} ${t.wellFormed}) (str.in_re ${v} ${t.regex}) (${f} ${v}))`;
        const note = `pattern ${JSON.stringify(e.pattern)} is an uninterpreted predicate (${t.unsupported} has no exact SMT regex)`;
        if (!this.notes.includes(note)) this.notes.push(note);
        return `(${f} ${v})`;
      }
      case 'detect':
        return this.detect(e.detector, e.kinds, e.value, scope);
      case 'called':
        return this.called(e, scope);
    }
  }

  private member(e: Extract<Expr, { op: 'in' }>, scope: Scope): string {
    if ('lit' in e.set) {
      const items = e.set.lit;
      if (!Array.isArray(items)) throw new EncodingError('`in` needs a list');
      const vt = 'ref' in e.value ? this.ref(e.value.ref, scope).type : literalType(items[0]);
      return or(items.map((i) => `(= ${this.value(e.value, vt, scope)} ${this.literal(i, vt)})`));
    }
    const set = this.ref(e.set.ref, scope);
    if (set.type.kind !== 'list') throw new EncodingError('`in` over a value that is not a list');
    const item = this.value(e.value, set.type.of, scope);
    return `(seq.contains ${set.term} (seq.unit ${item}))`;
  }

  /** Detector `d` (kinds, or all) on a value: an uninterpreted predicate per kind and value sort. */
  detect(detector: 'pii' | 'secret' | 'injection', kinds: string[] | undefined, v: Value, scope: Scope): string {
    const all = DETECTOR_KINDS[detector] as readonly string[];
    const ks = kinds?.length ? kinds : [...all];
    if ('lit' in v) throw new EncodingError('a detector applied to a literal');
    if (v.ref.length === 1 && v.ref[0] === 'args') {
      // Every string inside the arguments: the disjunction over the (present) parameters.
      return or(
        this.decl.order.map((p) => {
          const f = this.decl.params[p] as FieldDecl;
          if (!sortOf(f.type)) throw new EncodingError(`detector over args: args.${p} has no exact SMT encoding`);
          const term = this.detectOn(detector, ks, this.argRef(p), f.type);
          return f.optional ? and([sym(`has.arg.${p}`), term]) : term;
        }),
      );
    }
    const r = this.ref(v.ref, scope);
    return this.detectOn(detector, ks, r.term, r.type);
  }

  detectOn(detector: string, kinds: readonly string[], term: string, type: WritType): string {
    let on: 'string' | 'number' | 'list';
    let argSort: string;
    if (type.kind === 'string' || type.kind === 'enum') {
      on = 'string';
      argSort = 'String';
    } else if (type.kind === 'number' || type.kind === 'money' || type.kind === 'integer' || type.kind === 'duration') {
      // The runtime scans numbers (as their decimal text) for personal data only.
      if (detector !== 'pii') return 'false';
      on = 'number';
      argSort = type.kind === 'integer' || type.kind === 'duration' ? 'Int' : 'Real';
    } else if (type.kind === 'list') {
      on = 'list';
      argSort = sortOf(type) as string;
    } else if (type.kind === 'boolean') return 'false';
    else throw new EncodingError(`detector over a value of type ${type.kind}`);
    return or(
      kinds.map((k) => {
        const f = this.vars.fn(`det.${detector}.${k}.${on}${on === 'string' ? '' : `.${argSort}`}`, argSort, 'Bool', {
          kind: 'detector',
          detector,
          detectorKind: k,
          on,
        });
        return `(${f} ${term})`;
      }),
    );
  }

  /**
   * `called T [within D] [where (…)]`: some entry of the session's history is a call to one of T, recent
   * enough, whose args satisfy the condition. The history is K symbolic entries, K = the number of distinct
   * `called` atoms of the tool: one witness per true atom suffices, and dropping entries never makes a false
   * atom true, so every pattern of truth values a real history gives is covered, and only those.
   */
  private called(e: Extract<Expr, { op: 'called' }>, scope: Scope): string {
    const session = this.vars.constant('has.session', 'Bool', { kind: 'has_session' });
    const entries: string[] = [];
    for (let k = 0; k < this.historySize; k++) {
      const present = this.vars.constant(`hist.${k}.present`, 'Bool', { kind: 'hist_present', entry: k });
      const tool = this.vars.constant(`hist.${k}.tool`, 'String', { kind: 'hist_tool', entry: k }, (x) => [
        `(or ${Object.keys(this.a.tools).map((t) => `(= ${x} ${str(t)})`).join(' ')})`,
      ]);
      const age = this.vars.constant(`hist.${k}.age_ms`, 'Int', { kind: 'hist_age', entry: k }, (x) => [`(<= 0 ${x} ${MAX_SAFE_INT})`]);
      const parts = [present, or(e.tools.map((t) => `(= ${tool} ${str(t)})`))];
      if (e.withinMs !== undefined) parts.push(`(<= ${age} ${e.withinMs})`);
      if (e.where) parts.push(this.expr(e.where, { ...scope, priorEntry: k, priorTools: e.tools }));
      entries.push(and(parts));
    }
    return and([session, or(entries)]);
  }

  // ---- the decision ----------------------------------------------------------------------------------

  /** A rule's match term: errored semantics first (absent fields make allow fail, deny/approve match). */
  rule(r: Rule): string {
    const errored = or(r.reads.map((x) => not(this.present(x))));
    const when = this.expr(r.when);
    const term = r.effect === 'allow' ? and([not(errored), when]) : or([errored, when]);
    return this.define(`match.${r.id}`, 'Bool', term);
  }

  /** True when the argument `param` carries `label` in this request and state. */
  labeled(label: string, param: string): string {
    const f = this.decl.params[param] as FieldDecl;
    const free = this.vars.constant(`taint.${label}.${param}`, 'Bool', { kind: 'taint', label, param });
    const decl = this.a.labels.find((l) => l.name === label);
    const fromDetectors = (decl?.sources ?? [])
      .filter((s): s is Extract<typeof s, { kind: 'detector' }> => s.kind === 'detector')
      .map((s) => this.detectOn(s.detector, s.kinds?.length ? s.kinds : DETECTOR_KINDS[s.detector], this.argRef(param), f.type));
    const fromContext = (decl?.sources ?? [])
      .filter((s): s is Extract<typeof s, { kind: 'context' }> => s.kind === 'context')
      .map((s) => this.taintedByContext(param, f.type, s.field));
    const term = or([free, ...fromDetectors, ...fromContext]);
    return f.optional ? and([sym(`has.arg.${param}`), term]) : term;
  }

  /**
   * The runtime's context-source taint: the argument equals the context field's value (strings of length
   * at least 3), or contains it (both strings of length at least 8); numbers by equality.
   */
  private taintedByContext(param: string, argType: WritType, field: string): string {
    const ctxType = this.a.context[field]?.type;
    if (!ctxType) throw new EncodingError(`label source context.${field} is not declared`);
    const a = this.argRef(param);
    const c = this.ctxRef(field);
    const has = sym(`has.ctx.${field}`);
    const stringy = (t: WritType) => t.kind === 'string' || t.kind === 'enum';
    const numeric = (t: WritType) => ['number', 'money', 'integer', 'duration'].includes(t.kind);
    if (stringy(argType) && stringy(ctxType)) {
      return and([has, or([and([`(>= (str.len ${c}) 3)`, `(= ${a} ${c})`]), and([`(>= (str.len ${c}) 8)`, `(>= (str.len ${a}) 8)`, `(str.contains ${a} ${c})`])])]);
    }
    if (numeric(argType) && numeric(ctxType)) {
      return and([has, `(= ${coerce(a, argType, { kind: 'number' })} ${coerce(c, ctxType, { kind: 'number' })})`]);
    }
    if ((stringy(argType) && numeric(ctxType)) || (numeric(argType) && stringy(ctxType)) || argType.kind === 'boolean' || ctxType.kind === 'boolean') {
      return 'false';
    }
    throw new EncodingError(`taint from context.${field} (${ctxType.kind}) into args.${param} (${argType.kind}) has no exact encoding`);
  }

  encode(): ToolEncoding {
    this.declareRequest();
    const ix = this.a.index[this.tool];
    if (!ix) throw new EncodingError(`tool '${this.tool}' has no index entry`);
    const match = new Map<string, string>();
    const rules = (ids: number[]) => ids.map((i) => this.a.rules[i] as Rule);
    for (const r of [...rules(ix.deny), ...rules(ix.approve), ...rules(ix.allow)]) match.set(r.id, this.rule(r));

    const flowDeny: string[] = [];
    const flowApprove: Array<{ term: string; onTimeout: 'deny' | 'allow' }> = [];
    for (const i of ix.flows) {
      const fl = this.a.flows[i]!;
      const params = fl.param === '*' ? this.decl.order : [fl.param];
      const term = this.define(`flow.${fl.id}`, 'Bool', or(params.map((p) => this.labeled(fl.label, p))));
      match.set(fl.id, term);
      if (fl.approval) flowApprove.push({ term, onTimeout: fl.approval.onTimeout });
      else flowDeny.push(term);
    }

    const disabled = this.decl.disabled ? 'true' : 'false';
    const denied = this.define('denied', 'Bool', or([disabled, ...rules(ix.deny).map((r) => match.get(r.id)!), ...flowDeny]));
    const approveRules = rules(ix.approve);
    const approveAny = or(approveRules.map((r) => match.get(r.id)!));
    const allowAny = or(rules(ix.allow).map((r) => match.get(r.id)!));
    const permitted = this.define('permitted', 'Bool', or([approveAny, allowAny]));
    const needsApproval = this.define('needs_approval', 'Bool', or([approveAny, ...flowApprove.map((f) => f.term)]));
    const timeoutDeny = or([
      ...approveRules.filter((r) => r.approval?.onTimeout !== 'allow').map((r) => match.get(r.id)!),
      ...flowApprove.filter((f) => f.onTimeout === 'deny').map((f) => f.term),
    ]);
    const status = this.vars.constant('approval.status', 'Int', { kind: 'approval_status' }, (s) => [`(<= 0 ${s} 4)`]);
    const waiting = this.define('approval_waiting', 'Bool', and([needsApproval, `(<= ${status} ${APPROVAL_STATUS.pending})`]));
    const approvalDenies = this.define(
      'approval_denies',
      'Bool',
      and([needsApproval, or([`(= ${status} ${APPROVAL_STATUS.rejected})`, and([`(= ${status} ${APPROVAL_STATUS.expired})`, timeoutDeny])])]),
    );
    const controls = this.define('controls_deny', 'Bool', or([...this.limits(ix.limits), ...this.budgets()]));
    const deny = this.define('effect.deny', 'Bool', or([denied, not(permitted), approvalDenies, and([not(waiting), controls])]));
    const pending = this.define('effect.pending', 'Bool', and([not(denied), permitted, waiting]));
    const allow = this.define('effect.allow', 'Bool', and([not(deny), not(pending)]));
    return {
      tool: this.tool,
      vars: this.vars,
      definitions: this.definitions,
      effect: { allow, deny, pending },
      match,
      denied,
      needsApproval,
      notes: this.notes,
      condition: (e: Expr) => and([...collectReads(e, this.decl.params).map((x) => this.present(x)), this.expr(e)]),
    };
  }

  private scopePresent(scope: string): string {
    if (scope === 'session') return this.vars.constant('has.session', 'Bool', { kind: 'has_session' });
    if (scope === 'tenant') {
      this.tenant();
      return sym('has.tenant');
    }
    return 'true';
  }

  private limits(ids: number[]): string[] {
    return ids.map((i) => {
      const l = this.a.limits[i]!;
      const full = this.vars.constant(`limit.full.${l.id}`, 'Bool', { kind: 'limit_full', id: l.id });
      return or([not(this.scopePresent(l.scope)), full]);
    });
  }

  private budgets(): string[] {
    return this.a.budgets.map((b) => {
      const over: string[] = [];
      if (b.cost) {
        const used = this.vars.constant(`budget.${b.id}.cost_micros`, 'Int', { kind: 'budget_used', id: b.id, dimension: 'cost_micros' }, (s) => [`(<= 0 ${s})`]);
        const extra = this.vars.constant('usage.cost_micros', 'Int', { kind: 'usage_cost_micros' }, (s) => [`(<= 0 ${s} ${MAX_USAGE_MICROS})`]);
        const toolCost = this.decl.cost && this.decl.cost.currency === b.cost.currency ? decimalMicros(this.decl.cost.amount) : '0';
        over.push(`(> (+ ${used} ${toolCost} ${extra}) ${decimalMicros(b.cost.amount)})`);
      }
      if (b.tokens !== undefined) {
        const used = this.vars.constant(`budget.${b.id}.tokens`, 'Int', { kind: 'budget_used', id: b.id, dimension: 'tokens' }, (s) => [`(<= 0 ${s})`]);
        const t = this.vars.constant('usage.tokens', 'Int', { kind: 'usage_tokens' }, (s) => [`(<= 0 ${s} ${MAX_SAFE_INT})`]);
        over.push(`(> (+ ${used} ${t}) ${b.tokens})`);
      }
      if (b.calls !== undefined) {
        const used = this.vars.constant(`budget.${b.id}.calls`, 'Int', { kind: 'budget_used', id: b.id, dimension: 'calls' }, (s) => [`(<= 0 ${s})`]);
        over.push(`(> (+ ${used} 1) ${b.calls})`);
      }
      return or([not(this.scopePresent(b.scope)), ...over]);
    });
  }
}

const MAX_SAFE_INT = '9007199254740991';
/** Reported usage cost is at most 2^53 - 1 micro-units (the runtime rounds to micro-units). */
const MAX_USAGE_MICROS = MAX_SAFE_INT;

function literalType(x: string | number | boolean | undefined): WritType {
  if (typeof x === 'boolean') return { kind: 'boolean' };
  if (typeof x === 'number') return Number.isInteger(x) ? { kind: 'integer' } : { kind: 'number' };
  return { kind: 'string' };
}

/** Int values compared as Reals are converted; every other pairing is already one sort. */
function coerce(term: string, from: WritType, want: WritType): string {
  const fromInt = from.kind === 'integer' || from.kind === 'duration';
  const wantReal = want.kind === 'number' || want.kind === 'money';
  return fromInt && wantReal ? `(to_real ${term})` : term;
}

/** Fields an expression reads that may be absent (as the compiler's `reads`), for assertion conditions. */
export function collectReads(e: Expr, params: Record<string, FieldDecl>): string[] {
  const out = new Set<string>();
  const value = (v: Value) => {
    if (!('ref' in v)) return;
    const [root, name] = v.ref;
    if (root === 'context' && name) out.add(`context.${name}`);
    if (root === 'args' && name && params[name]?.optional) out.add(`args.${name}`);
    if (root === 'agent' && name === 'tenant') out.add('agent.tenant');
  };
  const walk = (x: Expr): void => {
    switch (x.op) {
      case 'and':
      case 'or':
        x.args.forEach(walk);
        return;
      case 'not':
        walk(x.arg);
        return;
      case 'cmp':
      case 'str':
        value(x.left);
        value(x.right);
        return;
      case 'in':
        value(x.value);
        value(x.set);
        return;
      case 'matches':
      case 'detect':
        value(x.value);
        return;
      case 'called':
        if (x.where) walk(x.where);
        return;
      default:
        return;
    }
  };
  walk(e);
  return [...out].sort();
}

/** Adds the distinct `called` atoms of `e` (as JSON) to `into`. */
export function collectCalled(e: Expr, into: Set<string>): void {
  switch (e.op) {
    case 'and':
    case 'or':
      for (const x of e.args) collectCalled(x, into);
      return;
    case 'not':
      collectCalled(e.arg, into);
      return;
    case 'called':
      into.add(JSON.stringify(e));
      if (e.where) collectCalled(e.where, into);
      return;
    default:
      return;
  }
}

/**
 * Encodes the decision of `tool` under `artifact`.
 * @throws EncodingError for a construct without an exact encoding (the message names it)
 */
export function encodeTool(artifact: Artifact, tool: string, options: EncodeOptions = {}): ToolEncoding {
  return new ToolEncoder(artifact, tool, options).encode();
}

export type { VarInfo };
