/**
 * Prepares a schema-valid artifact for fast decisions: checks internal references, converts constants,
 * compiles conditions and patterns, and builds one {@link ToolPlan} per tool.
 *
 * @packageDocumentation
 */
import type { Artifact, Rule, Span, ToolIndex } from '../artifact/types.js';
import { ArtifactError } from '../artifact/errors.js';
import { decimalToMicros, formatDuration } from '../artifact/value.js';
import type { Reason, ReasonKind } from '../decision/types.js';
import { compileClauses, compileExpr, compileRef, readPath, type CompileEnv } from '../eval/compile.js';
import type {
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
import { compileValidator, isReservedContextKey } from './validate.js';

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

/** Per tool, the indices of the items that apply to it (`*` = every tool), ascending. */
function expand(items: readonly Item[], toolNames: readonly string[], what: string, tools: ReadonlySet<string>): Map<string, number[]> {
  const byTool = new Map<string, number[]>();
  for (const t of toolNames) byTool.set(t, []);
  for (let i = 0; i < items.length; i++) {
    const item = items[i] as Item;
    const targets = item.tools.includes('*') ? toolNames : item.tools;
    for (const t of item.tools) {
      if (t !== '*' && !tools.has(t)) fail(`${what}[${i}] (${item.id}): unknown tool '${t}'`);
    }
    const seen = new Set<string>();
    for (const t of targets) {
      if (seen.has(t)) continue;
      seen.add(t);
      byTool.get(t)?.push(i);
    }
  }
  return byTool;
}

function sameSet(a: readonly number[], b: readonly number[]): boolean {
  const sa = [...new Set(a)].sort((x, y) => x - y);
  if (sa.length !== b.length) return false;
  for (let i = 0; i < sa.length; i++) if (sa[i] !== b[i]) return false;
  return true;
}

function preview(list: readonly number[]): string {
  return list.length > 10 ? `[${list.slice(0, 10).join(',')},…] (${list.length})` : `[${list.join(',')}]`;
}

/** Builds the compiled policy; throws {@link ArtifactError} on a dangling reference or a bad constant. */
export function prepare(a: Artifact, limits: RequestLimits): CompiledPolicy {
  const roles = new Set(a.roles);
  const toolNames = Object.keys(a.tools);
  const tools = new Set(toolNames);
  if (tools.has('*')) fail(`tools: '*' is not a tool name`);

  // Agents
  const agents = new Map<string, ReadonlySet<string>>();
  for (const [id, decl] of Object.entries(a.agents)) {
    for (const r of decl.roles) if (!roles.has(r)) fail(`agents.${id}: undeclared role '${r}'`);
    agents.set(id, new Set(decl.roles));
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
  const ruleItems = a.rules.map((r) => ({ tools: r.tools, span: r.span, id: r.id }));
  const byEffect = {
    deny: expand(ruleItems.map((r, i) => (a.rules[i]?.effect === 'deny' ? r : { ...r, tools: [] })), toolNames, 'rules', tools),
    approve: expand(ruleItems.map((r, i) => (a.rules[i]?.effect === 'approve' ? r : { ...r, tools: [] })), toolNames, 'rules', tools),
    allow: expand(ruleItems.map((r, i) => (a.rules[i]?.effect === 'allow' ? r : { ...r, tools: [] })), toolNames, 'rules', tools),
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
  ): RulePlan => {
    const where = `rule ${id}`;
    const readPlans: ReadPlan[] = reads.map((name) => {
      const path = readPath(name);
      if (!READ_ROOTS.has(path[0] as string) || (path.length < 2 && path[0] !== 'result')) fail(`${where}: bad reads entry '${name}'`);
      return { name, get: compileRef(path, where, roles) };
    });
    const pred = compileExpr(when, where, env);
    const clauseFn = clauses === undefined ? null : compileClauses(when, clauses.length, where, env);
    const ref = sourceRef(span);
    return {
      id,
      effect,
      reads: readPlans,
      pred,
      clauses: clauseFn,
      reason: makeReason(id, kind, message, ref),
      clauseReasons: clauseFn === null || clauses === undefined ? null : clauses.map((c) => makeReason(id, kind, message, ref, sourceRef(c))),
      message,
      approval,
    };
  };

  const rulePlans: RulePlan[] = a.rules.map((r) => {
    if (r.effect === 'approve') {
      if (r.approval === undefined) fail(`rule ${r.id}: an approve rule needs an approval`);
    }
    if (r.approval !== undefined && !roles.has(r.approval.role)) {
      fail(`rule ${r.id}: approval by undeclared role '${r.approval.role}'`);
    }
    return compileRule(r.id, r.effect, KIND_OF_EFFECT[r.effect], r.when, r.message, r.reads, r.clauses, r.span, r.effect === 'approve' ? r.approval : undefined);
  });

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
      postDeny.set(i, compileRule(p.id, 'post', 'post', p.when, p.message, p.reads, undefined, p.span, undefined));
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
  const ordered = <T extends { span: Span; id: string }>(list: readonly number[], items: readonly T[]): number[] =>
    [...new Set(list)].sort(bySpan(items));

  const toolPlans = new Map<string, ToolPlan>();
  for (const name of toolNames) {
    const decl = a.tools[name]!;
    const ix = Object.hasOwn(a.index, name) ? (a.index[name] as ToolIndex) : emptyIndex;
    for (const p of decl.order) if (!Object.hasOwn(decl.params, p)) fail(`tools.${name}.order: unknown parameter '${p}'`);
    const paramNames = [...decl.order, ...Object.keys(decl.params).filter((p) => !decl.order.includes(p))];
    const params: ParamPlan[] = paramNames.map((p) => {
      const f = decl.params[p]!;
      return { name: p, type: f.type, optional: f.optional, validate: compileValidator(f.type, limits) };
    });
    let costMicros = 0;
    if (decl.cost !== undefined) {
      const m = decimalToMicros(decl.cost.amount);
      if (m === undefined || m < 0) fail(`tools.${name}: bad cost ${decl.cost.amount}`);
      costMicros = m;
    }
    const postIdx = ordered(ix.post, a.post);
    toolPlans.set(name, {
      name,
      params,
      paramDecls: decl.params,
      deny: ordered(ix.deny, a.rules).map((i) => rulePlans[i]!),
      approve: ordered(ix.approve, a.rules).map((i) => rulePlans[i]!),
      allow: ordered(ix.allow, a.rules).map((i) => rulePlans[i]!),
      flows: ordered(ix.flows, a.flows).map((i) => flowPlans[i]!),
      limits: ordered(ix.limits, a.limits).map((i) => limitPlans[i]!),
      pre: ordered(ix.pre, a.pre).map((i) => prePlans[i]!),
      postDeny: postIdx.filter((i) => postDeny.has(i)).map((i) => postDeny.get(i)!),
      postRedact: postIdx.filter((i) => postRedact.has(i)).map((i) => postRedact.get(i)!),
      resultLabels: resultLabels.get(name) ?? [],
      disabled:
        decl.disabled === undefined
          ? null
          : makeReason(RULE_KILL_SWITCH, 'disabled', `tool '${name}' is disabled: ${decl.disabled.reason}`, sourceRef(decl.disabled.span)),
      costMicros,
      costCurrency: decl.cost?.currency,
    });
  }

  // Budget warn levels must ascend.
  for (const b of a.budgets) {
    for (let i = 1; i < b.warn.length; i++) {
      if ((b.warn[i] as number) <= (b.warn[i - 1] as number)) fail(`budget ${b.id}: warn levels must ascend`);
    }
  }

  return {
    tools: toolPlans,
    agents,
    roles,
    contextFields,
    budgets: budgetPlans,
    contextTaint,
    usesHistory: env.usesHistory,
    limits,
  };
}

/** The fail-closed reason for a per-tenant or per-session control when the request lacks that scope. */
function scopeReason(id: string, kind: 'limit' | 'budget', what: string, scope: string, span: Span): Reason | undefined {
  const field = scope === 'tenant' ? 'agent.tenant' : scope === 'session' ? 'context.session' : undefined;
  return field === undefined ? undefined : makeReason(id, kind, `a per-${scope} ${what} applies, but the request has no ${field}`, sourceRef(span));
}
