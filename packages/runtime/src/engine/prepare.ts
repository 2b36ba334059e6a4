/**
 * Prepares a schema-valid artifact for fast decisions: checks internal references, converts constants,
 * compiles conditions and patterns, and builds one {@link ToolPlan} per tool.
 *
 * @packageDocumentation
 */
import type { Artifact, Expr, Rule, Span, ToolIndex } from '../artifact/types.js';
import { ArtifactError } from '../artifact/errors.js';
import { decimalToMicros, formatDuration } from '../artifact/value.js';
import type { Reason, ReasonKind } from '../decision/types.js';
import { FALSE_PRED, TRUE_PRED, compileClauses, compileExpr, compileRef, readPath, type CompileEnv, type Pred } from '../eval/compile.js';
import { HAS_FLOWS, HAS_LIMITS, HAS_PRE, rulesOf } from './plan.js';
import type {
  AgentPlan,
  BudgetPlan,
  CompiledPolicy,
  ContextFieldPlan,
  FlowPlan,
  LabelSourcePlan,
  LimitPlan,
  ParamPlan,
  PostRedactPlan,
  PreRedactPlan,
  ReadPlan,
  RequestLimits,
  RulePlan,
  ToolPlan,
} from './plan.js';
import { RULE_KILL_SWITCH, compareSpans, makeReason, sourceRef } from './reasons.js';
import { buildIndex, conjuncts, type IndexShared, type ResidualCompiler, type RuleIndex } from './ruleindex.js';
import { CHECK_ENUM, CHECK_KIND, checkCode, compileValidator, isReservedContextKey } from './validate.js';

/** A parameter layout: names in slot order, and the compile environment that reads slots. */
interface Layout {
  paramNames: string[];
  slots: Map<string, number>;
  env: CompileEnv;
}

/**
 * A pre rule's condition compiled for one layout: its conjuncts, their conjunction, and residuals by removed
 * set (bit mask); `next` is the same rule compiled for another layout (`RulePlan.compiled` is the list).
 */
interface CompiledCondition {
  layout: Layout;
  parts: Pred[];
  full: Pred;
  residualMask: number;
  residual: Pred | undefined;
  residuals: Map<number, Pred> | undefined;
  next: CompiledCondition | undefined;
}

function fail(message: string): never {
  throw new ArtifactError(message);
}

const KIND_OF_EFFECT: Record<Rule['effect'], ReasonKind> = { allow: 'allow', deny: 'deny', approve: 'approve' };
const READ_ROOTS = new Set(['args', 'context', 'result', 'agent', 'prior']);

type Category = keyof ToolIndex;

interface Item {
  tools: string[];
  span: Span;
  id: string;
}

/**
 * Per tool, the indices of the items that apply to it (`*` = every tool), ascending; only items that `keep`
 * (all when absent). Every tool name must exist.
 */
function expand(
  items: readonly Item[],
  toolNames: readonly string[],
  what: string,
  tools: ReadonlySet<string>,
  keep?: (i: number) => boolean,
): Map<string, number[]> {
  const byTool = new Map<string, number[]>();
  for (const t of toolNames) byTool.set(t, []);
  for (let i = 0; i < items.length; i++) {
    const item = items[i] as Item;
    const names = item.tools;
    let all = false;
    for (let j = 0; j < names.length; j++) {
      const t = names[j] as string;
      if (t === '*') all = true;
      else if (!tools.has(t)) fail(`${what}[${i}] (${item.id}): unknown tool '${t}'`);
    }
    if (keep !== undefined && !keep(i)) continue;
    const targets = all ? toolNames : names;
    for (let j = 0; j < targets.length; j++) {
      const list = byTool.get(targets[j] as string) as number[];
      // Indices arrive in ascending order: a repeated tool name would push `i` twice in a row.
      if (list[list.length - 1] !== i) list.push(i);
    }
  }
  return byTool;
}

/** Whether `a` (any order, repeats allowed) holds exactly the ascending, repeat-free `b`. */
function sameSet(a: readonly number[], b: readonly number[]): boolean {
  let ascending = a.length === b.length;
  for (let i = 0; ascending && i < a.length; i++) if (a[i] !== b[i]) ascending = false;
  if (ascending) return true;
  const sa = [...new Set(a)].sort((x, y) => x - y);
  if (sa.length !== b.length) return false;
  for (let i = 0; i < sa.length; i++) if (sa[i] !== b[i]) return false;
  return true;
}

function preview(list: readonly number[]): string {
  return list.length > 10 ? `[${list.slice(0, 10).join(',')},…] (${list.length})` : `[${list.join(',')}]`;
}

/** Builds the compiled policy; throws {@link ArtifactError} on a dangling reference or a bad constant. */
export function prepare(a: Artifact, limits: RequestLimits, eagerIndex = false): CompiledPolicy {
  const roles = new Set(a.roles);
  const toolNames = Object.keys(a.tools);
  const tools = new Set(toolNames);
  if (tools.has('*')) fail(`tools: '*' is not a tool name`);

  // Agents
  const agents = new Map<string, AgentPlan>();
  for (const [id, decl] of Object.entries(a.agents)) {
    for (const r of decl.roles) if (!roles.has(r)) fail(`agents.${id}: undeclared role '${r}'`);
    const set = new Set(decl.roles);
    agents.set(id, { roles: set, roleList: Object.freeze([...set]) });
  }

  // Context fields
  const contextFields: ContextFieldPlan[] = [];
  for (const [name, decl] of Object.entries(a.context)) {
    if (isReservedContextKey(name)) fail(`context.${name}: '${name}' is a reserved context key`);
    contextFields.push({ name, type: decl.type, validate: compileValidator(decl.type, limits) });
  }

  // Index: every entry must point at an item of the right kind that applies to the tool, and every item
  // that applies to a tool must be in its index (the runtime and the verifier read the same table).
  for (const t of Object.keys(a.index)) if (!tools.has(t)) fail(`index: unknown tool '${t}'`);
  const rules = a.rules;
  const byEffect = {
    deny: expand(rules, toolNames, 'rules', tools, (i) => rules[i]!.effect === 'deny'),
    approve: expand(rules, toolNames, 'rules', tools, (i) => rules[i]!.effect === 'approve'),
    allow: expand(rules, toolNames, 'rules', tools, (i) => rules[i]!.effect === 'allow'),
    limits: expand(a.limits, toolNames, 'limits', tools),
    flows: expand(a.flows, toolNames, 'flows', tools),
    pre: expand(a.pre, toolNames, 'pre', tools),
    post: expand(a.post, toolNames, 'post', tools),
  } satisfies Record<Category, Map<string, number[]>>;
  const emptyIndex: ToolIndex = { deny: [], approve: [], allow: [], limits: [], flows: [], pre: [], post: [] };
  for (const t of toolNames) {
    const ix = Object.hasOwn(a.index, t) ? (a.index[t] as ToolIndex) : emptyIndex;
    for (const cat of Object.keys(byEffect) as Category[]) {
      const expected = byEffect[cat].get(t) ?? [];
      if (!sameSet(ix[cat], expected)) {
        fail(`index.${t}.${cat} is ${preview(ix[cat])} but the ${cat} entries that apply to '${t}' are ${preview(expected)}`);
      }
    }
  }

  const env: CompileEnv = { roles, tools, usesHistory: false };

  // Parameter layouts: a tool's parameters in declaration order are its slots (`EvalCtx.vals`). Pre rules
  // are compiled per layout, so that `args.p` reads a slot; tools with the same parameter names share one.
  const layouts = new Map<string, Layout>();
  const layoutOfTool = new Map<string, Layout>();
  for (const name of toolNames) {
    const decl = a.tools[name]!;
    const paramNames = [...new Set([...decl.order, ...Object.keys(decl.params)])];
    const key = JSON.stringify(paramNames);
    let layout = layouts.get(key);
    if (layout === undefined) {
      const slots = new Map(paramNames.map((p, i) => [p, i]));
      layouts.set(key, (layout = { paramNames, slots, env: { roles, tools, usesHistory: false, slots } }));
    }
    layoutOfTool.set(name, layout);
  }

  // Rules, compiled once each (wildcard rules are shared by every tool's plan).
  const compileRule = (
    id: string,
    effect: RulePlan['effect'],
    kind: ReasonKind,
    when: Rule['when'],
    message: string,
    reads: readonly string[],
    clauses: readonly Span[] | undefined,
    span: Span,
    approval: Rule['approval'],
    layout: Layout | undefined,
    parts: readonly Expr[] | undefined,
  ): RulePlan => {
    const where = `rule ${id}`;
    const readPlans: ReadPlan[] = reads.map((name) => {
      const path = readPath(name);
      if (!READ_ROOTS.has(path[0] as string) || (path.length < 2 && path[0] !== 'result')) fail(`${where}: bad reads entry '${name}'`);
      return { name, get: compileRef(path, where, roles) };
    });
    // A pre rule is compiled conjunct by conjunct for the layout of its first tool (see `conditionFor`).
    let pred: Pred;
    let compiled: CompiledCondition | undefined;
    if (layout === undefined || parts === undefined) pred = compileExpr(when, where, env);
    else {
      const ps = parts.map((x) => compileExpr(x, where, layout.env));
      pred = conjunction(ps);
      compiled = { layout, parts: ps, full: pred, residualMask: 0, residual: undefined, residuals: undefined, next: undefined };
    }
    const clauseFn = clauses === undefined ? null : compileClauses(when, clauses.length, where, env);
    const ref = sourceRef(span);
    const plan: RulePlan = {
      id,
      effect,
      reads: readPlans,
      pred,
      clauses: clauseFn,
      reason: makeReason(id, kind, message, ref),
      clauseReasons: clauseFn === null || clauses === undefined ? null : clauses.map((c) => makeReason(id, kind, message, ref, sourceRef(c))),
      message,
      approval,
      span,
      errored: undefined,
      compiled,
    };
    return plan;
  };

  const ruleParts: Expr[][] = a.rules.map((r) => conjuncts(r.when));
  const rulePlans: RulePlan[] = a.rules.map((r, i) => {
    if (r.effect === 'approve') {
      if (r.approval === undefined) fail(`rule ${r.id}: an approve rule needs an approval`);
    }
    if (r.approval !== undefined && !roles.has(r.approval.role)) {
      fail(`rule ${r.id}: approval by undeclared role '${r.approval.role}'`);
    }
    const first = r.tools.includes('*') ? toolNames[0] : r.tools[0];
    const layout = first === undefined ? undefined : layoutOfTool.get(first);
    return compileRule(r.id, r.effect, KIND_OF_EFFECT[r.effect], r.when, r.message, r.reads, r.clauses, r.span, r.effect === 'approve' ? r.approval : undefined, layout, ruleParts[i]);
  });

  /**
   * The condition of a pre rule for one layout, without the conjuncts `removed` (those the rule index
   * enforces): compiled once per rule and layout, combined once per set of removed conjuncts.
   */
  const conditionFor = (layout: Layout, plan: RulePlan, parts: readonly Expr[], removed: number): Pred => {
    let entry = plan.compiled as CompiledCondition | undefined;
    while (entry !== undefined && entry.layout !== layout) entry = entry.next;
    if (entry === undefined) {
      const ps = parts.map((x) => compileExpr(x, `rule ${plan.id}`, layout.env));
      entry = { layout, parts: ps, full: conjunction(ps), residualMask: 0, residual: undefined, residuals: undefined, next: plan.compiled as CompiledCondition | undefined };
      plan.compiled = entry;
    }
    if (removed === 0) return entry.full;
    if (entry.residualMask === removed) return entry.residual!;
    let pred = entry.residuals?.get(removed);
    if (pred === undefined) {
      const kept: Pred[] = [];
      for (let i = 0; i < entry.parts.length; i++) if ((removed & (1 << i)) === 0 || i >= 31) kept.push(entry.parts[i]!);
      pred = conjunction(kept);
      // Usually a rule has one residual (one tool): kept inline; others in a map.
      if (entry.residual === undefined) {
        entry.residualMask = removed;
        entry.residual = pred;
      } else (entry.residuals ??= new Map()).set(removed, pred);
    }
    return pred;
  };

  // Labels
  const labelSources = new Map<string, LabelSourcePlan>();
  const resultLabels = new Map<string, Array<{ label: string; path: string[] }>>();
  const contextTaint: Array<{ label: string; field: string }> = [];
  for (const l of a.labels) {
    const plan = labelSources.get(l.name) ?? { detectors: [], contextFields: [] };
    labelSources.set(l.name, plan);
    for (const s of l.sources) {
      switch (s.kind) {
        case 'tool_result': {
          if (!tools.has(s.tool)) fail(`label ${l.name}: unknown tool '${s.tool}'`);
          const list = resultLabels.get(s.tool) ?? [];
          list.push({ label: l.name, path: s.path });
          resultLabels.set(s.tool, list);
          break;
        }
        case 'context':
          plan.contextFields.push(s.field);
          contextTaint.push({ label: l.name, field: s.field });
          break;
        case 'detector':
          plan.detectors.push({ detector: s.detector, kinds: s.kinds });
          break;
      }
    }
  }

  // Flows
  const flowPlans: FlowPlan[] = a.flows.map((f) => {
    if (f.approval !== undefined && !roles.has(f.approval.role)) fail(`flow ${f.id}: approval by undeclared role '${f.approval.role}'`);
    if (f.param !== '*') {
      const targets = f.tools.includes('*') ? toolNames : f.tools;
      for (const t of targets) {
        if (!Object.hasOwn(a.tools[t]?.params ?? {}, f.param)) fail(`flow ${f.id}: tool '${t}' has no parameter '${f.param}'`);
      }
    }
    return {
      id: f.id,
      flow: f,
      label: f.label,
      param: f.param === '*' ? null : f.param,
      sources: labelSources.get(f.label),
      reason: makeReason(f.id, 'flow', f.message, sourceRef(f.span)),
      approval: f.approval,
      span: f.span,
    };
  });

  // Limits
  const limitPlans: LimitPlan[] = a.limits.map((l) => {
    const per = l.scope === 'global' ? '' : ` per ${l.scope}`;
    return {
      limit: l,
      keyPrefix: `rate|${l.id}|${l.scope}|`,
      exceeded: makeReason(l.id, 'limit', `rate limit: ${l.count} per ${formatDuration(l.windowMs)}${per} exceeded`, sourceRef(l.span)),
      needsScope: scopeReason(l.id, 'limit', 'rate limit', l.scope, l.span),
    };
  });

  // Budgets: every budget applies to every tool; checked in span order.
  const budgetPlans: BudgetPlan[] = [...a.budgets]
    .sort((x, y) => compareSpans(x.span, y.span) || (x.id < y.id ? -1 : x.id > y.id ? 1 : 0))
    .map((b) => {
      let limitCostMicros: number | undefined;
      if (b.cost !== undefined) {
        limitCostMicros = decimalToMicros(b.cost.amount);
        if (limitCostMicros === undefined || limitCostMicros < 0) fail(`budget ${b.id}: bad cost ${b.cost.amount}`);
      }
      return {
        budget: b,
        keyPrefix: `budget|${b.id}|${b.scope}|`,
        currency: b.cost?.currency,
        limitCostMicros,
        needsScope: scopeReason(b.id, 'budget', 'budget', b.scope, b.span),
      };
    });

  const prePlans: PreRedactPlan[] = a.pre.map((p) => ({ id: p.id, detector: p.detector, kinds: p.kinds }));

  // Post rules
  const postDeny = new Map<number, RulePlan>();
  const postRedact = new Map<number, PostRedactPlan>();
  a.post.forEach((p, i) => {
    if (p.action === 'deny') {
      postDeny.set(i, compileRule(p.id, 'post', 'post', p.when, p.message, p.reads, undefined, p.span, undefined, undefined, undefined));
    } else {
      const where = p.path.length === 0 ? 'result' : `result.${p.path.join('.')}`;
      const kinds = p.kinds === undefined ? '' : ` (${p.kinds.join(', ')})`;
      postRedact.set(i, {
        id: p.id,
        detector: p.detector,
        kinds: p.kinds,
        path: p.path,
        reason: makeReason(p.id, 'post', `redact ${p.detector}${kinds} in ${where}`, sourceRef(p.span)),
      });
    }
  });

  // Per tool plans
  const bySpan = <T extends { span: Span; id: string }>(items: readonly T[]) => (x: number, y: number): number => {
    const a1 = items[x] as T;
    const b1 = items[y] as T;
    return compareSpans(a1.span, b1.span) || (a1.id < b1.id ? -1 : a1.id > b1.id ? 1 : 0) || x - y;
  };
  const ordered = <T extends { span: Span; id: string }>(list: readonly number[], items: readonly T[]): number[] => {
    if (list.length === 0) return [];
    let unique = true;
    for (let i = 1; unique && i < list.length; i++) if ((list[i] as number) <= (list[i - 1] as number)) unique = false;
    return (unique ? list.slice() : [...new Set(list)]).sort(bySpan(items));
  };

  const indexShared: IndexShared = { roleIndex: new Map([...roles].map((r, i) => [r, i])), roleNames: [...roles], pool: null };
  const toolPlans = new Map<string, ToolPlan>();
  for (const name of toolNames) {
    const decl = a.tools[name]!;
    const ix = Object.hasOwn(a.index, name) ? (a.index[name] as ToolIndex) : emptyIndex;
    for (const p of decl.order) if (!Object.hasOwn(decl.params, p)) fail(`tools.${name}.order: unknown parameter '${p}'`);
    const layout = layoutOfTool.get(name)!;
    const { paramNames, slots } = layout;
    const params: ParamPlan[] = paramNames.map((p) => {
      const f = decl.params[p]!;
      return { name: p, type: f.type, optional: f.optional, validate: compileValidator(f.type, limits) };
    });
    const residual: ResidualCompiler = (plan, parts, removed) => conditionFor(layout, plan, parts, removed);
    // Deny and approve rules with `reads` match when errored, whatever their condition: no guard.
    const indexOf = (list: readonly number[]): RuleIndex =>
      buildIndex(
        list.map((i) => rulePlans[i]!),
        list.map((i) => ruleParts[i]!),
        list.map((i) => a.rules[i]!.effect !== 'allow' && a.rules[i]!.reads.length > 0),
        decl.params,
        slots,
        residual,
        indexShared,
      );
    const denyList = ordered(ix.deny, a.rules);
    const allowList = ordered(ix.allow, a.rules);
    const approveList = ordered(ix.approve, a.rules);
    let costMicros = 0;
    if (decl.cost !== undefined) {
      const m = decimalToMicros(decl.cost.amount);
      if (m === undefined || m < 0) fail(`tools.${name}: bad cost ${decl.cost.amount}`);
      costMicros = m;
    }
    const postIdx = ordered(ix.post, a.post);
    // Fields a decision reads come first: a gateway cycles through many tools, and an object's first
    // fields share a cache line.
    const disabled =
      decl.disabled === undefined
        ? null
        : makeReason(RULE_KILL_SWITCH, 'disabled', `tool '${name}' is disabled: ${decl.disabled.reason}`, sourceRef(decl.disabled.span));
    toolPlans.set(name, {
      paramNames,
      check: Uint8Array.from(params, (x) => checkCode(x.type, x.optional)),
      enums: params.map((x) => (x.type.kind === 'enum' && (checkCode(x.type, false) & CHECK_KIND) === CHECK_ENUM ? [...new Set(x.type.values)] : null)),
      blank: paramNames.map(() => undefined),
      required: params.filter((x) => !x.optional).length,
      disabled,
      rules: null,
      denyEnd: 0,
      approve: null,
      extras: (ix.flows.length > 0 ? HAS_FLOWS : 0) | (ix.limits.length > 0 ? HAS_LIMITS : 0) | (ix.pre.length > 0 ? HAS_PRE : 0),
      name,
      slots,
      params,
      paramDecls: decl.params,
      buildIndexes: () => ({
        rules: indexOf([...denyList, ...allowList]),
        denyEnd: denyList.length,
        approve: indexOf(approveList),
      }),
      flows: ordered(ix.flows, a.flows).map((i) => flowPlans[i]!),
      limits: ordered(ix.limits, a.limits).map((i) => limitPlans[i]!),
      pre: ordered(ix.pre, a.pre).map((i) => prePlans[i]!),
      postDeny: postIdx.filter((i) => postDeny.has(i)).map((i) => postDeny.get(i)!),
      postRedact: postIdx.filter((i) => postRedact.has(i)).map((i) => postRedact.get(i)!),
      resultLabels: resultLabels.get(name) ?? [],
      costMicros,
      costCurrency: decl.cost?.currency,
      defaultDeny: new Map(),
    });
  }

  // Budget warn levels must ascend.
  for (const b of a.budgets) {
    for (let i = 1; i < b.warn.length; i++) {
      if ((b.warn[i] as number) <= (b.warn[i - 1] as number)) fail(`budget ${b.id}: warn levels must ascend`);
    }
  }

  // Rule indexes are built on each tool's first decision unless asked for now.
  if (eagerIndex) for (const t of toolPlans.values()) rulesOf(t);

  return {
    tools: toolPlans,
    agents,
    roles,
    contextFields,
    budgets: budgetPlans,
    contextTaint,
    usesHistory: env.usesHistory || [...layouts.values()].some((l) => l.env.usesHistory),
    limits,
  };
}

/** The conjunction of compiled conjuncts (as `compileExpr` builds an `and`). */
function conjunction(parts: readonly Pred[]): Pred {
  let count = 0;
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i] as Pred;
    if (p === FALSE_PRED) return FALSE_PRED;
    if (p !== TRUE_PRED) count++;
  }
  if (count === parts.length) {
    switch (count) {
      case 1:
        return parts[0] as Pred;
      case 2: {
        const x = parts[0] as Pred;
        const y = parts[1] as Pred;
        return (c) => x(c) && y(c);
      }
      case 3: {
        const x = parts[0] as Pred;
        const y = parts[1] as Pred;
        const z = parts[2] as Pred;
        return (c) => x(c) && y(c) && z(c);
      }
    }
  }
  const ps = parts.filter((p) => p !== TRUE_PRED);
  if (ps.length === 0) return TRUE_PRED;
  if (ps.length < parts.length) return conjunction(ps);
  return (c) => {
    for (let i = 0; i < ps.length; i++) if (!(ps[i] as Pred)(c)) return false;
    return true;
  };
}

/** The fail-closed reason for a per-tenant or per-session control when the request lacks that scope. */
function scopeReason(id: string, kind: 'limit' | 'budget', what: string, scope: string, span: Span): Reason | undefined {
  const field = scope === 'tenant' ? 'agent.tenant' : scope === 'session' ? 'context.session' : undefined;
  return field === undefined ? undefined : makeReason(id, kind, `a per-${scope} ${what} applies, but the request has no ${field}`, sourceRef(span));
}
