/**
 * Guards: from a rule's condition, the top-level conjuncts that are exact atoms over one dimension of the
 * request (roles; a string or enum parameter's value; a numeric parameter's bounds; a `starts_with` literal).
 * See ../ruleindex.ts for what "exact" means and how the index uses them.
 *
 * @module
 */
import type { Expr, FieldDecl, Ref, Value } from '../../artifact/types.js';
import { numericLiteral, NUMERIC_KINDS } from '../../eval/compile.js';

/**
 * A constraint on a string or enum parameter: a present value `v` is admitted iff `set.includes(v) !== neg`;
 * an absent one iff `absent`. (Sets are small: literal lists of a condition.)
 */
export interface StrCons {
  set: readonly string[];
  neg: boolean;
  absent: boolean;
}

type Atom =
  | { dim: 'role'; roles: readonly string[] }
  | { dim: 'str'; param: string; cons: StrCons }
  | { dim: 'num'; param: string; lo: Bound | null; hi: Bound | null };

/** `value > k` (strict) or `value >= k` for a lower bound; `value < k` / `value <= k` for an upper bound. */
export interface Bound {
  k: number;
  strict: boolean;
}

/** How a tool declares a parameter, for guards: string-like, numeric, or not indexable. */
type ParamClass = 'str' | 'num' | null;

function paramClass(params: Readonly<Record<string, FieldDecl>>, name: string): ParamClass {
  if (!Object.hasOwn(params, name)) return null;
  const k = (params[name] as FieldDecl).type.kind;
  if (k === 'string' || k === 'enum') return 'str';
  if (NUMERIC_KINDS.has(k)) return 'num';
  return null;
}

function argParam(v: Value): string | null {
  if (!Object.hasOwn(v, 'ref')) return null;
  const path = (v as Ref).ref;
  return path.length === 2 && path[0] === 'args' ? (path[1] as string) : null;
}

function isLit(v: Value): v is { lit: string | number | boolean | Array<string | number | boolean> } {
  return Object.hasOwn(v, 'lit');
}

function intersect(a: StrCons, b: StrCons): StrCons {
  const absent = a.absent && b.absent;
  if (!a.neg && !b.neg) return { set: a.set.filter((x) => b.set.includes(x)), neg: false, absent };
  if (!a.neg) return { set: a.set.filter((x) => !b.set.includes(x)), neg: false, absent };
  if (!b.neg) return { set: b.set.filter((x) => !a.set.includes(x)), neg: false, absent };
  return { set: [...a.set, ...b.set], neg: true, absent };
}

function union(a: StrCons, b: StrCons): StrCons {
  const absent = a.absent || b.absent;
  if (!a.neg && !b.neg) return { set: [...a.set, ...b.set], neg: false, absent };
  if (a.neg && b.neg) return { set: a.set.filter((x) => b.set.includes(x)), neg: true, absent };
  const [pos, neg] = a.neg ? [b, a] : [a, b];
  return { set: neg.set.filter((x) => !pos.set.includes(x)), neg: true, absent };
}

/** The atom an expression is, exactly, over one dimension of a tool with these parameters; null if it is not one. */
function atomOf(e: Expr, params: Readonly<Record<string, FieldDecl>>): Atom | null {
  switch (e.op) {
    case 'has_role':
      return { dim: 'role', roles: [e.role] };
    case 'or': {
      const n = e.args.length;
      if (n === 0) return null;
      const first = atomOf(e.args[0] as Expr, params);
      if (first === null || first.dim === 'num') return null;
      if (first.dim === 'role') {
        const roles = [...first.roles];
        for (let i = 1; i < n; i++) {
          const p = atomOf(e.args[i] as Expr, params);
          if (p === null || p.dim !== 'role') return null;
          roles.push(...p.roles);
        }
        return { dim: 'role', roles };
      }
      let cons = first.cons;
      for (let i = 1; i < n; i++) {
        const p = atomOf(e.args[i] as Expr, params);
        if (p === null || p.dim !== 'str' || p.param !== first.param) return null;
        cons = union(cons, p.cons);
      }
      return { dim: 'str', param: first.param, cons };
    }
    case 'not': {
      const inner = atomOf(e.arg, params);
      if (inner === null || inner.dim !== 'str') return null;
      return { dim: 'str', param: inner.param, cons: { set: inner.cons.set, neg: !inner.cons.neg, absent: !inner.cons.absent } };
    }
    case 'in': {
      const p = argParam(e.value);
      if (p === null || !isLit(e.set) || paramClass(params, p) !== 'str') return null;
      const items = Array.isArray(e.set.lit) ? e.set.lit : [e.set.lit];
      return { dim: 'str', param: p, cons: { set: items.filter((x): x is string => typeof x === 'string'), neg: false, absent: false } };
    }
    case 'cmp': {
      let p = argParam(e.left);
      let other = e.right;
      let op = e.cmp;
      if (p === null) {
        p = argParam(e.right);
        other = e.left;
        op = flip(op);
      }
      if (p === null || !isLit(other)) return null;
      if (NUMERIC_KINDS.has(e.type.kind)) {
        if (paramClass(params, p) !== 'num') return null;
        let k: number;
        try {
          k = numericLiteral(other.lit, e.type, '');
        } catch {
          return null;
        }
        switch (op) {
          case '<':
            return { dim: 'num', param: p, lo: null, hi: { k, strict: true } };
          case '<=':
            return { dim: 'num', param: p, lo: null, hi: { k, strict: false } };
          case '>':
            return { dim: 'num', param: p, lo: { k, strict: true }, hi: null };
          case '>=':
            return { dim: 'num', param: p, lo: { k, strict: false }, hi: null };
          case '==':
            return { dim: 'num', param: p, lo: { k, strict: false }, hi: { k, strict: false } };
          default:
            return null;
        }
      }
      if (typeof other.lit !== 'string' || paramClass(params, p) !== 'str') return null;
      const lit = other.lit;
      if (op === '==') return { dim: 'str', param: p, cons: { set: [lit], neg: false, absent: false } };
      // `!=` is true for every present value but one: a finite set only over an enum's values.
      const t = (params[p] as FieldDecl).type;
      if (op === '!=' && t.kind === 'enum') return { dim: 'str', param: p, cons: { set: t.values.filter((v) => v !== lit), neg: false, absent: false } };
      return null;
    }
    default:
      return null;
  }
}

function flip<T extends string>(op: T): T {
  switch (op) {
    case '<':
      return '>' as T;
    case '<=':
      return '>=' as T;
    case '>':
      return '<' as T;
    case '>=':
      return '<=' as T;
    default:
      return op;
  }
}

/** The top-level conjuncts of a condition (nested `and`s flattened). */
export function conjuncts(e: Expr): Expr[] {
  if (e.op !== 'and') return [e];
  const out: Expr[] = [];
  const add = (x: Expr): void => {
    if (x.op === 'and') for (const a of x.args) add(a);
    else out.push(x);
  };
  add(e);
  return out;
}

export interface StrPart {
  param: string;
  cons: StrCons;
  conjs: number[];
}

export interface NumPart {
  param: string;
  b: Bound;
  /** The conjunct the bound came from; -1 for an `==`, which gives both bounds and stays in the residual. */
  conj: number;
}

export interface PrePart {
  param: string;
  prefix: string;
  conj: number;
}

/** One rule's guard over the dimensions, and which conjunct each part came from. */
export interface Guard {
  /** The role atom used (the smallest), and its conjunct. */
  roles: readonly string[] | null;
  roleConj: number;
  /** Per string parameter: the intersection of its atoms, and their conjuncts. */
  str: StrPart[] | null;
  /** Per numeric parameter: the tightest lower and upper bound. */
  lo: NumPart[] | null;
  hi: NumPart[] | null;
  /** Per string parameter: the first `starts_with` literal on it. */
  pre: PrePart[] | null;
}

export const EMPTY_GUARD: Guard = { roles: null, roleConj: -1, str: null, lo: null, hi: null, pre: null };

function tighter(a: Bound, b: Bound, lower: boolean): boolean {
  return (lower ? a.k > b.k : a.k < b.k) || (a.k === b.k && a.strict && !b.strict);
}

export function findPart<T extends { param: string }>(list: T[] | null, param: string): T | undefined {
  if (list === null) return undefined;
  for (let i = 0; i < list.length; i++) if ((list[i] as T).param === param) return list[i];
  return undefined;
}

function addBound(list: NumPart[] | null, param: string, b: Bound, conj: number, lower: boolean): NumPart[] {
  const out = list ?? [];
  const cur = findPart(out, param);
  if (cur === undefined) out.push({ param, b, conj });
  else if (tighter(b, cur.b, lower)) {
    cur.b = b;
    cur.conj = conj;
  }
  return out;
}

function newGuard(): Guard {
  return { roles: null, roleConj: -1, str: null, lo: null, hi: null, pre: null };
}

function addStr(g: Guard, param: string, cons: StrCons, i: number): void {
  const cur = findPart(g.str, param);
  if (cur === undefined) (g.str ??= []).push({ param, cons, conjs: [i] });
  else {
    cur.cons = intersect(cur.cons, cons);
    cur.conjs.push(i);
  }
}

/** Adds conjunct `i` to the guard if it is an atom; the common leaf forms without building an {@link Atom}. */
function addConjunct(g: Guard | null, e: Expr, i: number, params: Readonly<Record<string, FieldDecl>>): Guard | null {
  switch (e.op) {
    case 'has_role':
      g ??= newGuard();
      if (g.roles === null || g.roles.length > 1) {
        g.roles = [e.role];
        g.roleConj = i;
      }
      return g;
    case 'cmp': {
      const p = argParam(e.left);
      if (p !== null && NUMERIC_KINDS.has(e.type.kind) && e.cmp !== '==' && e.cmp !== '!=' && isLit(e.right) && paramClass(params, p) === 'num') {
        let k: number;
        try {
          k = numericLiteral(e.right.lit, e.type, '');
        } catch {
          return g;
        }
        g ??= newGuard();
        const strict = e.cmp === '<' || e.cmp === '>';
        if (e.cmp === '<' || e.cmp === '<=') g.hi = addBound(g.hi, p, { k, strict }, i, false);
        else g.lo = addBound(g.lo, p, { k, strict }, i, true);
        return g;
      }
      break;
    }
    case 'str': {
      const p = argParam(e.left);
      if (e.fn === 'starts_with' && p !== null && isLit(e.right) && typeof e.right.lit === 'string' && paramClass(params, p) === 'str') {
        g ??= newGuard();
        if (findPart(g.pre, p) === undefined) (g.pre ??= []).push({ param: p, prefix: e.right.lit, conj: i });
      }
      return g;
    }
  }
  const a = atomOf(e, params);
  if (a === null) return g;
  g ??= newGuard();
  switch (a.dim) {
    case 'role':
      if (g.roles === null || a.roles.length < g.roles.length) {
        g.roles = a.roles;
        g.roleConj = i;
      }
      break;
    case 'str':
      addStr(g, a.param, a.cons, i);
      break;
    case 'num': {
      const conj = a.lo !== null && a.hi !== null ? -1 : i;
      if (a.lo !== null) g.lo = addBound(g.lo, a.param, a.lo, conj, true);
      if (a.hi !== null) g.hi = addBound(g.hi, a.param, a.hi, conj, false);
      break;
    }
  }
  return g;
}

export function guardOf(parts: readonly Expr[], params: Readonly<Record<string, FieldDecl>>): Guard {
  let g: Guard | null = null;
  for (let i = 0; i < parts.length; i++) g = addConjunct(g, parts[i] as Expr, i, params);
  return g ?? EMPTY_GUARD;
}
