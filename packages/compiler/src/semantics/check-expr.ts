/**
 * The type checker for conditions, which also elaborates them into the artifact's typed IR (`Expr`).
 * Types and units must agree: money only with money of the same currency, durations only with durations,
 * strings and enums only with `==`/`!=` and the string tests. Every error is a diagnostic; an ill-typed
 * condition elaborates to `undefined` and the rule is left out of the artifact.
 */
import { DETECTOR_KINDS, typeName, type Expr, type Value, type WritType } from '@writ/runtime';

export { typeName };
import { RE2JS } from 're2js';
import type { DiagnosticBag } from '../diagnostics.js';
import type * as A from '../syntax/ast.js';
import { decimalPlaces, normaliseDecimal, significantDigits } from '../units.js';
import { suggest } from './suggest.js';
import type { Symbols } from './symbols.js';

/** Where a condition appears, which decides what it may reference. */
export interface ExprEnv {
  sym: Symbols;
  diags: DiagnosticBag;
  /** The concrete tools the rule covers (`*` already expanded). */
  tools: string[];
  /** True when the rule is written for `*`. */
  allTools: boolean;
  phase: 'pre' | 'post';
  /** Inside `called T where (…)`: the tools whose args `prior.x` refers to. */
  priorTools?: string[];
  /** Collects fields that may be absent at run time (`context.x`, `agent.tenant`, optional `args.x`). */
  reads: Set<string>;
  /** Resolves a tool target to tool names (reports unknown names). */
  resolveTools(t: A.ToolTarget): string[] | undefined;
}

interface Typed {
  value: Value;
  type: WritType;
  /** Literal values keep their node, for enum membership and precision checks. */
  lit?: A.ValueNode;
}

const MAX_SIG_DIGITS = 15;

const isNumeric = (t: WritType): boolean => t.kind === 'number' || t.kind === 'integer';
const isStringy = (t: WritType): boolean => t.kind === 'string' || t.kind === 'enum';

/** Elaborates a condition; `undefined` when it has errors (already reported). */
export function checkExpr(e: A.ExprNode, env: ExprEnv): Expr | undefined {
  switch (e.kind) {
    case 'and':
    case 'or': {
      const args = e.args.map((a) => checkExpr(a, env));
      if (args.some((a) => a === undefined)) return undefined;
      return { op: e.kind, args: args as Expr[] };
    }
    case 'not': {
      const arg = checkExpr(e.arg, env);
      return arg && { op: 'not', arg };
    }
    case 'has_role':
      if (!env.sym.roles.has(e.role.name)) {
        unknown(env, 'E0102', 'role', e.role, env.sym.roles.keys());
        return undefined;
      }
      return { op: 'has_role', role: e.role.name };
    case 'cmp':
      return checkCmp(e, env);
    case 'in': {
      const r = checkIn(e.value, e.set, env, e.span);
      return r && (e.negated ? { op: 'not', arg: r } : r);
    }
    case 'str':
      return checkStr(e, env);
    case 'matches': {
      const v = checkValue(e.value, env);
      if (!v) return undefined;
      if (!isStringy(v.type) && v.type.kind !== 'any') {
        env.diags.add('E0200', e.value.span, `matches needs a string, but this is ${typeName(v.type)}`);
        return undefined;
      }
      try {
        RE2JS.compile(e.pattern.value);
      } catch (err) {
        env.diags.add('E0204', e.pattern.span, `invalid regular expression: ${(err as Error).message}`, {
          help: 'patterns use RE2 syntax (no backreferences or lookaround), matched in linear time',
        });
        return undefined;
      }
      return { op: 'matches', value: v.value, pattern: e.pattern.value };
    }
    case 'call':
      return checkDetector(e, env);
    case 'called': {
      const tools = env.resolveTools(e.tools);
      if (!tools) return undefined;
      const out: Extract<Expr, { op: 'called' }> = { op: 'called', tools };
      if (e.within) out.withinMs = e.within.ms;
      if (e.where) {
        const where = checkExpr(e.where, { ...env, priorTools: tools });
        if (!where) return undefined;
        out.where = where;
      }
      return out;
    }
    case 'value': {
      if (e.value.kind === 'bool') return { op: e.value.value ? 'true' : 'false' };
      const v = checkValue(e.value, env);
      if (!v) return undefined;
      if (v.type.kind !== 'boolean') {
        env.diags.add('E0200', e.span, `a condition must be true or false, but this is ${typeName(v.type)}`, {
          help: 'compare it, e.g. `args.x == "value"`',
        });
        return undefined;
      }
      return { op: 'cmp', cmp: '==', left: v.value, right: { lit: true }, type: { kind: 'boolean' } };
    }
  }
}

function unknown(
  env: ExprEnv,
  code: 'E0102' | 'E0104' | 'E0108' | 'E0100',
  what: string,
  id: { name: string; span: A.Span },
  candidates: Iterable<string>,
  extra = '',
): void {
  const s = suggest(id.name, candidates);
  env.diags.add(code, id.span, `unknown ${what} '${id.name}'${extra}`, s ? { help: `did you mean '${s}'?` } : undefined);
}

/** Types and elaborates a value: a reference or a literal. */
export function checkValue(v: A.ValueNode, env: ExprEnv): Typed | undefined {
  switch (v.kind) {
    case 'string':
      return { value: { lit: v.value }, type: { kind: 'string' }, lit: v };
    case 'bool':
      return { value: { lit: v.value }, type: { kind: 'boolean' }, lit: v };
    case 'duration':
      return { value: { lit: v.ms }, type: { kind: 'duration' }, lit: v };
    case 'number': {
      if (!checkPrecision(v, env)) return undefined;
      const text = normaliseDecimal(v.text, v.negative);
      if (v.currency) return { value: { lit: text }, type: { kind: 'money', currency: v.currency.name }, lit: v };
      return { value: { lit: text }, type: { kind: v.text.includes('.') ? 'number' : 'integer' }, lit: v };
    }
    case 'list': {
      const items = v.items.map((i) => checkValue(i, env));
      if (items.some((i) => !i)) return undefined;
      const typed = items as Typed[];
      if (typed.some((i) => !('lit' in i.value) || Array.isArray(i.value.lit))) {
        env.diags.add('E0208', v.span, 'a list literal holds literal values only (strings, numbers, booleans)');
        return undefined;
      }
      let of: WritType = typed[0]?.type ?? { kind: 'any' };
      for (const i of typed.slice(1)) {
        const u = unify(of, i.type);
        if (!u) {
          env.diags.add('E0200', i.lit?.span ?? v.span, `list items must have one type: ${typeName(of)} and ${typeName(i.type)} differ`);
          return undefined;
        }
        of = u;
      }
      const lit = typed.map((i) => (i.value as { lit: string | number | boolean }).lit);
      return { value: { lit }, type: { kind: 'list', of }, lit: v };
    }
    case 'path':
      return checkPath(v, env);
  }
}

function checkPrecision(v: A.NumberNode, env: ExprEnv): boolean {
  if (significantDigits(v.text) > MAX_SIG_DIGITS) {
    env.diags.add('E0206', v.span, `number ${v.text} has more than ${MAX_SIG_DIGITS} significant digits`, {
      help: 'numbers are compared exactly; longer constants cannot be represented in requests',
    });
    return false;
  }
  if (v.currency && decimalPlaces(v.text) > 6) {
    env.diags.add('E0206', v.span, `amount ${v.text} ${v.currency.name} has more than 6 decimal places`);
    return false;
  }
  return true;
}

function checkPath(v: Extract<A.ValueNode, { kind: 'path' }>, env: ExprEnv): Typed | undefined {
  const root = v.root.name;
  const segs = v.segments;
  const extraSegments = (n: number, what: string): boolean => {
    if (segs.length > n) {
      env.diags.add('E0208', segs[n]!.span, `${what} has no fields`);
      return true;
    }
    return false;
  };
  switch (root) {
    case 'args': {
      if (segs.length === 0) return { value: { ref: ['args'] }, type: { kind: 'any' } };
      const name = segs[0]!;
      const t = paramType(name, env.tools, env, env.allTools);
      if (!t) return undefined;
      if (t.optional) env.reads.add(`args.${name.name}`);
      if (t.type.kind !== 'any' && extraSegments(1, `args.${name.name} (${typeName(t.type)})`)) return undefined;
      return { value: { ref: ['args', ...segs.map((s) => s.name)] }, type: segs.length > 1 ? { kind: 'any' } : t.type };
    }
    case 'prior': {
      if (!env.priorTools) {
        env.diags.add('E0111', v.root.span, '`prior` is only defined inside `called TOOL where (…)`');
        return undefined;
      }
      const name = segs[0];
      if (!name) {
        env.diags.add('E0208', v.span, 'write prior.PARAM, a parameter of the earlier call');
        return undefined;
      }
      const t = paramType(name, env.priorTools, env, false);
      if (!t || extraSegments(1, `prior.${name.name}`)) return undefined;
      return { value: { ref: ['prior', name.name] }, type: t.type };
    }
    case 'context': {
      const name = segs[0];
      if (!name) {
        env.diags.add('E0208', v.span, 'write context.FIELD');
        return undefined;
      }
      const f = env.sym.context.get(name.name);
      if (!f) {
        unknown(env, 'E0108', 'context field', name, env.sym.context.keys());
        const last = env.diags.items[env.diags.items.length - 1]!;
        last.help = `${last.help ? `${last.help}; ` : ''}declare it with \`context ${name.name}: string\``;
        return undefined;
      }
      env.reads.add(`context.${name.name}`);
      if (f.type.kind !== 'any' && extraSegments(1, `context.${name.name}`)) return undefined;
      return { value: { ref: ['context', ...segs.map((s) => s.name)] }, type: segs.length > 1 ? { kind: 'any' } : f.type };
    }
    case 'agent': {
      const name = segs[0]?.name;
      if (name === 'id' || name === 'tenant') {
        if (extraSegments(1, `agent.${name}`)) return undefined;
        if (name === 'tenant') env.reads.add('agent.tenant');
        return { value: { ref: ['agent', name] }, type: { kind: 'string' } };
      }
      env.diags.add('E0208', segs[0]?.span ?? v.span, 'an agent has `id` and `tenant`; test roles with `agent has role R`');
      return undefined;
    }
    case 'result':
      if (env.phase !== 'post') {
        env.diags.add('E0111', v.root.span, '`result` is only defined in post rules');
        return undefined;
      }
      for (const s of segs) env.reads.add(`result.${segs.slice(0, segs.indexOf(s) + 1).map((x) => x.name).join('.')}`);
      return { value: { ref: ['result', ...segs.map((s) => s.name)] }, type: { kind: 'any' } };
    default: {
      const s = suggest(root, ['args', 'context', 'agent', 'result', 'prior']);
      env.diags.add('E0111', v.root.span, `unknown name '${root}'`, {
        help: s ? `did you mean '${s}'?` : 'values start with args., context., agent., result. or prior.',
      });
      return undefined;
    }
  }
}

/** The type of a parameter across every tool a rule covers; it must exist in each, with one type. */
function paramType(
  name: A.Ident,
  tools: string[],
  env: ExprEnv,
  allTools: boolean,
): { type: WritType; optional: boolean } | undefined {
  let found: { type: WritType; optional: boolean; tool: string } | undefined;
  for (const tool of tools) {
    const t = env.sym.tools.get(tool);
    if (!t) continue;
    const p = t.params.get(name.name);
    if (!p) {
      const where = allTools ? 'every tool (this rule is for *)' : `tool '${tool}'`;
      unknown(env, 'E0104', 'parameter', name, t.params.keys(), ` in ${where}`);
      return undefined;
    }
    if (found && !sameType(found.type, p.type)) {
      env.diags.add('E0200', name.span, `args.${name.name} is ${typeName(found.type)} in '${found.tool}' but ${typeName(p.type)} in '${tool}'`);
      return undefined;
    }
    found = { type: p.type, optional: (found?.optional ?? false) || p.optional, tool };
  }
  if (!found) {
    env.diags.add('E0104', name.span, `no tool of this rule has a parameter '${name.name}'`);
    return undefined;
  }
  return found;
}

function sameType(a: WritType, b: WritType): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** The common type of two comparable operands, or `undefined` if they do not mix. */
function unify(a: WritType, b: WritType): WritType | undefined {
  if (a.kind === 'any') return b;
  if (b.kind === 'any') return a;
  if (isNumeric(a) && isNumeric(b)) return a.kind === 'integer' && b.kind === 'integer' ? a : { kind: 'number' };
  if (a.kind === 'money' && b.kind === 'money') return a.currency === b.currency ? a : undefined;
  if (a.kind === 'enum' && b.kind === 'enum') return sameType(a, b) ? a : { kind: 'string' };
  if (isStringy(a) && isStringy(b)) return a.kind === 'enum' ? a : b;
  if (a.kind === b.kind && a.kind !== 'list') return a;
  return undefined;
}

function mismatch(env: ExprEnv, span: A.Span, a: WritType, b: WritType, what: string): void {
  const units = new Set(['money', 'duration', 'number', 'integer']);
  if (a.kind === 'money' && b.kind === 'money') {
    env.diags.add('E0202', span, `cannot ${what} ${typeName(a)} and ${typeName(b)}: currencies differ`);
  } else if (units.has(a.kind) && units.has(b.kind)) {
    const money = a.kind === 'money' ? a : b.kind === 'money' ? b : undefined;
    env.diags.add('E0201', span, `cannot ${what} ${typeName(a)} and ${typeName(b)}`, {
      help: money
        ? `write the amount with its currency, e.g. 100 ${(money as { currency: string }).currency}`
        : a.kind === 'duration' || b.kind === 'duration'
          ? 'write durations with a unit, e.g. 5m, 1h, 30s'
          : undefined,
    } as { help?: string });
  } else {
    env.diags.add('E0200', span, `cannot ${what} ${typeName(a)} and ${typeName(b)}`);
  }
}

/** Enum literals must be members: `args.env == "prodd"` is a typo, not a rule that never matches. */
function checkEnumLiteral(t: WritType, other: Typed, env: ExprEnv): boolean {
  if (t.kind !== 'enum' || !other.lit) return true;
  const lits = other.lit.kind === 'list' ? other.lit.items : [other.lit];
  for (const l of lits) {
    if (l.kind === 'string' && !t.values.includes(l.value)) {
      const s = suggest(l.value, t.values);
      env.diags.add('E0203', l.span, `"${l.value}" is not one of ${t.values.map((v) => `"${v}"`).join(', ')}`, s ? { help: `did you mean "${s}"?` } : undefined);
      return false;
    }
  }
  return true;
}

function checkCmp(e: Extract<A.ExprNode, { kind: 'cmp' }>, env: ExprEnv): Expr | undefined {
  const l = checkValue(e.left, env);
  const r = checkValue(e.right, env);
  if (!l || !r) return undefined;
  if (l.type.kind === 'list' || r.type.kind === 'list') {
    env.diags.add('E0200', e.span, 'lists are not compared; use `x in LIST` or `LIST contains x`');
    return undefined;
  }
  const t = unify(l.type, r.type);
  if (!t) {
    mismatch(env, e.span, l.type, r.type, 'compare');
    return undefined;
  }
  if (!checkEnumLiteral(l.type, r, env) || !checkEnumLiteral(r.type, l, env)) return undefined;
  const ordered = e.op !== '==' && e.op !== '!=';
  if (ordered && (isStringy(t) || t.kind === 'boolean')) {
    env.diags.add('E0200', e.span, `${typeName(t)} values compare only with == and !=`);
    return undefined;
  }
  return { op: 'cmp', cmp: e.op, left: l.value, right: r.value, type: t };
}

function checkIn(valueNode: A.ValueNode, setNode: A.ValueNode, env: ExprEnv, span: A.Span): Expr | undefined {
  const v = checkValue(valueNode, env);
  const s = checkValue(setNode, env);
  if (!v || !s) return undefined;
  if (s.type.kind !== 'list') {
    env.diags.add('E0200', setNode.span, `\`in\` needs a list on the right, but this is ${typeName(s.type)}`);
    return undefined;
  }
  if (v.type.kind === 'list') {
    env.diags.add('E0200', valueNode.span, 'the left side of `in` must be a single value');
    return undefined;
  }
  if (s.lit?.kind === 'list' && s.lit.items.length === 0) return { op: 'false' };
  if (!unify(v.type, s.type.of)) {
    mismatch(env, span, v.type, s.type.of, 'test membership of');
    return undefined;
  }
  if (!checkEnumLiteral(v.type, s, env)) return undefined;
  return { op: 'in', value: v.value, set: s.value };
}

function checkStr(e: Extract<A.ExprNode, { kind: 'str' }>, env: ExprEnv): Expr | undefined {
  const l = checkValue(e.left, env);
  if (!l) return undefined;
  // `LIST contains x` is membership.
  if (e.fn === 'contains' && l.type.kind === 'list') return checkIn(e.right, e.left, env, e.span);
  const r = checkValue(e.right, env);
  if (!r) return undefined;
  for (const [side, node] of [
    [l, e.left],
    [r, e.right],
  ] as const) {
    if (!isStringy(side.type) && side.type.kind !== 'any') {
      env.diags.add('E0200', node.span, `${e.fn} needs strings, but this is ${typeName(side.type)}`);
      return undefined;
    }
  }
  return { op: 'str', fn: e.fn, left: l.value, right: r.value };
}

function checkDetector(e: Extract<A.ExprNode, { kind: 'call' }>, env: ExprEnv): Expr | undefined {
  const name = e.name.name;
  if (!(name in DETECTOR_KINDS)) {
    unknown(env, 'E0205' as 'E0100', 'detector', e.name, Object.keys(DETECTOR_KINDS));
    return undefined;
  }
  const detector = name as keyof typeof DETECTOR_KINDS;
  const kinds = checkKinds(detector, e.kinds, env);
  if (!kinds || !e.arg) return undefined;
  const v = checkValue(e.arg, env);
  if (!v) return undefined;
  return { op: 'detect', detector, ...(kinds.length ? { kinds } : {}), value: v.value };
}

/** Validates detector kinds (`pii(email, phone)`); returns them, or `undefined` after reporting. */
export function checkKinds(detector: keyof typeof DETECTOR_KINDS, kinds: A.Ident[], env: Pick<ExprEnv, 'diags'>): string[] | undefined {
  const valid = DETECTOR_KINDS[detector] as readonly string[];
  for (const k of kinds) {
    if (!valid.includes(k.name)) {
      const s = suggest(k.name, valid);
      env.diags.add('E0205', k.span, `'${k.name}' is not a kind of the ${detector} detector`, {
        help: `kinds are ${valid.join(', ')}${s ? `; did you mean '${s}'?` : ''}`,
      });
      return undefined;
    }
  }
  return [...new Set(kinds.map((k) => k.name))];
}
