/**
 * The index inside a tool: finds the first matching deny rule and the first matching allow rule in span
 * order, or every matching approve rule, without evaluating every rule of the tool.
 *
 * **Guards.** From each rule's condition the index extracts a *guard*: top-level conjuncts (of an `and`, or
 * the whole condition) that are cheap atoms over one *dimension*:
 * - roles: `agent has role R`, or an `or` of such atoms (the agent must hold one of a set of roles);
 * - a `string` or `enum` parameter `p`: `args.p == "v"`, `args.p != "v"` (enum only), `args.p in ["v", …]`,
 *   `not` of these, and `or`s of them on the same parameter;
 * - a numeric parameter `p` (number, integer, money, duration): `args.p < k`, `<=`, `>`, `>=`, `==` a constant;
 * - a `string` or `enum` parameter `p`: `args.p starts_with "lit"` (one per parameter and rule).
 *
 * Each atom is *exact* over its dimension: for every validated request, the atom is true if and only if the
 * request's value on that dimension is in the set the atom describes (SEMANTICS.md §4: an absent operand
 * makes an atom false; validated `string`/`enum` arguments are strings and numeric ones numbers). The rule's
 * condition implies its guard, so a rule whose guard is false cannot match.
 *
 * **Bitsets.** Rules are numbered by position: a tool's deny rules in span order, then its allow rules in
 * span order (one index, so that a request's candidates are computed once); approve rules have their own
 * index. For every
 * indexed dimension the index keeps, per possible request value (per role; per literal, other string and
 * absent; per region of a numeric parameter's line — at or between the constants of its lower and upper
 * bounds, one dimension for both — and absent), the bitset of the rules whose guard admits that value, plus the rules
 * that do not constrain the dimension (for prefixes, per prefix literal K: the rules whose prefix K starts with,
 * looked up by the longest literal the value starts with — every literal a value starts with is a prefix of
 * that one). A request's candidate set is the intersection over dimensions (the
 * union over the agent's roles for the role dimension); candidates are visited in ascending position,
 * i.e. span order, and fully checked (errored `reads` first, then the condition).
 *
 * **Residual conditions.** The conjuncts a dimension enforces exactly are dropped from the condition that
 * is evaluated for a candidate (the bitset already decided them), so `agent has role r1 and args.amount <=
 * 500` evaluates nothing once the rule is a candidate.
 *
 * **Errored rules.** A deny or approve rule with `reads` matches when a read field is absent, whatever its
 * condition says: such rules get no guard (they are candidates for every request). Allow rules that are
 * errored never match, so their guard prunes soundly.
 *
 * Small rule sets (at most {@link LINEAR_MAX} rules) and sets where no dimension is worth indexing are
 * scanned linearly in span order with the full conditions.
 *
 * @packageDocumentation
 */
import type { Expr, FieldDecl, Ref, Value } from '../artifact/types.js';
import type { Reason } from '../decision/types.js';
import { numericLiteral, NUMERIC_KINDS, TRUE_PRED, type Pred } from '../eval/compile.js';
import type { EvalCtx } from '../eval/context.js';
import type { RulePlan } from './plan.js';
import { makeReason } from './reasons.js';

/** Rule sets with at most this many rules are scanned linearly. */
export const LINEAR_MAX = 4;
/** Policies with at most this many roles find a request's roles by a scan of the names. */
const ROLE_SCAN_MAX = 16;
/** Numeric dimensions with at most this many keys are searched by a forward scan. */
const LINEAR_KEYS = 16;
/** At most this many dimensions are indexed per rule set. */
const MAX_DIMS = 8;
/** A numeric dimension whose region bitsets would take more 32-bit words than this is not indexed. */
const MAX_NUM_WORDS = 1 << 18;

// ---------------------------------------------------------------------------------------------------------
// Guards

/**
 * A constraint on a string or enum parameter: a present value `v` is admitted iff `set.includes(v) !== neg`;
 * an absent one iff `absent`. (Sets are small: literal lists of a condition.)
 */
interface StrCons {
  set: readonly string[];
  neg: boolean;
  absent: boolean;
}

type Atom =
  | { dim: 'role'; roles: readonly string[] }
  | { dim: 'str'; param: string; cons: StrCons }
  | { dim: 'num'; param: string; lo: Bound | null; hi: Bound | null };

/** `value > k` (strict) or `value >= k` for a lower bound; `value < k` / `value <= k` for an upper bound. */
interface Bound {
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

interface StrPart {
  param: string;
  cons: StrCons;
  conjs: number[];
}

interface NumPart {
  param: string;
  b: Bound;
  /** The conjunct the bound came from; -1 for an `==`, which gives both bounds and stays in the residual. */
  conj: number;
}

interface PrePart {
  param: string;
  prefix: string;
  conj: number;
}

/** One rule's guard over the dimensions, and which conjunct each part came from. */
interface Guard {
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

const EMPTY_GUARD: Guard = { roles: null, roleConj: -1, str: null, lo: null, hi: null, pre: null };

function tighter(a: Bound, b: Bound, lower: boolean): boolean {
  return (lower ? a.k > b.k : a.k < b.k) || (a.k === b.k && a.strict && !b.strict);
}

function findPart<T extends { param: string }>(list: T[] | null, param: string): T | undefined {
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

function guardOf(parts: readonly Expr[], params: Readonly<Record<string, FieldDecl>>): Guard {
  let g: Guard | null = null;
  for (let i = 0; i < parts.length; i++) g = addConjunct(g, parts[i] as Expr, i, params);
  return g ?? EMPTY_GUARD;
}

// ---------------------------------------------------------------------------------------------------------
// The index

/** Bitsets live in one flat array; a bitset is the offset of its first word. */
class BitStore {
  readonly words: number;
  data: Uint32Array;
  length = 0;
  constructor(words: number, expected: number) {
    this.words = words;
    this.data = new Uint32Array(words * Math.max(4, expected));
  }
  alloc(): number {
    const off = this.length;
    const end = off + this.words;
    if (end > this.data.length) {
      const bigger = new Uint32Array(Math.max(end, this.data.length * 2));
      bigger.set(this.data);
      this.data = bigger;
    }
    this.length = end;
    return off;
  }
  copy(from: number): number {
    const off = this.alloc();
    this.data.copyWithin(off, from, from + this.words);
    return off;
  }
  set(off: number, i: number): void {
    const at = off + (i >>> 5);
    this.data[at] = (this.data[at] as number) | (1 << (i & 31));
  }
  /** The bitsets, trimmed. */
  done(): Uint32Array {
    return this.length === this.data.length ? this.data : this.data.slice(0, this.length);
  }
}

/** A prefix dimension: `keys` (the rules' literals) longest first, a bitset per key, and one for no key. */
interface PreDim {
  slot: number;
  param: string;
  keys: string[];
  offsets: number[];
  none: number;
}

interface StrDim {
  /** The parameter's slot in `EvalCtx.vals`. */
  slot: number;
  param: string;
  /** The literals rules compare with, and the bitset of each (same positions). */
  keys: string[];
  offsets: number[];
  other: number;
  absent: number;
}

/**
 * A numeric parameter's bounds, lower and upper together. The distinct bound constants `keys` (ascending) cut
 * the number line into 2m + 1 regions: region 2i is the open interval between keys[i − 1] and keys[i]
 * (unbounded at the ends), region 2i + 1 the point keys[i]. Every bound is true on all of a region or on none
 * of it, so each region has one bitset (allocated consecutively from `regions`); `absent` holds the rules
 * without a bound on the parameter (a bound on an absent value is false).
 */
interface NumDim {
  slot: number;
  param: string;
  keys: number[];
  regions: number;
  absent: number;
}

/**
 * Whether numeric bound `b` (a lower bound if `lower`) holds on region `r` of the ascending distinct `keys`
 * (see {@link NumDim}); `b.k` is one of the keys.
 */
function boundHolds(b: Bound, lower: boolean, keys: readonly number[], r: number): boolean {
  if ((r & 1) === 1) {
    const v = keys[(r - 1) >>> 1] as number;
    return lower ? (b.strict ? v > b.k : v >= b.k) : b.strict ? v < b.k : v <= b.k;
  }
  // The open interval (keys[i − 1], keys[i]): a lower bound k holds on all of it iff k <= keys[i − 1], an upper
  // bound iff k >= keys[i].
  const i = r >>> 1;
  return lower ? i > 0 && b.k <= (keys[i - 1] as number) : i < keys.length && b.k >= (keys[i] as number);
}

/** What every index of a policy shares: role ordinals, and one request's working space. */
export interface IndexShared {
  /** Declared role → ordinal. */
  roleIndex: ReadonlyMap<string, number>;
  /** Declared roles by ordinal (a few are found faster by a scan than by hashing the name). */
  roleNames: readonly string[];
  /** The {@link Candidates} of the request being decided (taken and given back; a re-entrant request allocates its own). */
  pool: Candidates | null;
}

/*
 * The packed form of an index, so that a decision touches few cache lines (a gateway cycles through many
 * tools): `bits` starts with a header, then holds the bitsets word-major — word w of every bitset, then
 * word w + 1 … — so that computing one word of the candidates reads one small block. A bitset is named by
 * the position of its word 0; its word w is `stride * w` further:
 *   [0] words per bitset, [1] base bitset, [2] string dimensions, [3] numeric dimensions, [4] R, [5] stride,
 *   [6] prefix dimensions, [7 .. 7+R) per role ordinal, its bitset or 0 for none (R = 0 when roles are not
 *   indexed),
 *   per string dimension: slot, key count K, first key in `strKeys`, other bitset, absent bitset, K bitsets,
 *   per prefix dimension: slot, key count K, first key in `strKeys`, no-key bitset, K bitsets, K first code
 *   units (0x10000 for the empty literal),
 *   per numeric dimension: slot, first region bitset, absent bitset, key count m, first key in `numKeys`.
 * The numeric keys follow the bitsets in the same buffer.
 */
const M_WORDS = 0;
const M_BASE = 1;
const M_NSTR = 2;
const M_NNUM = 3;
const M_NROLES = 4;
const M_STRIDE = 5;
const M_NPRE = 6;
const M_ROLES = 7;

/** A set of rules in span order (by position), with their index. */
export class RuleIndex {
  // Declared in the order a decision reads them (class fields are laid out in declaration order).
  /** True: scan every rule in order (no bitsets). */
  readonly linear: boolean;
  readonly size: number;
  /** The header (see above), then the bitsets. */
  readonly bits: Uint32Array;
  /**
   * Per position p: `table[2p]` the condition evaluated for the rule (the residual — conjuncts not enforced
   * by the bitsets — or the whole one), `table[2p + 1]` its reason when the rule has neither `reads` nor
   * clauses (the common case, decided without the plan), else null.
   */
  readonly table: ReadonlyArray<Pred | Reason | null>;
  readonly strKeys: readonly string[];
  readonly numKeys: Float64Array;
  readonly shared: IndexShared;
  readonly words: number;
  /** Rules by position. */
  readonly rules: readonly RulePlan[];
  /** For {@link describe}. */
  readonly dims: readonly string[];

  constructor(
    rules: readonly RulePlan[],
    preds: readonly Pred[],
    linear: boolean,
    store: BitStore | null,
    base: number,
    roleBits: ReadonlyMap<string, number> | null,
    strDims: StrDim[],
    numDims: NumDim[],
    preDims: PreDim[],
    shared: IndexShared,
  ) {
    // Fields a decision reads are assigned first (they share the object's first cache line).
    this.linear = linear;
    this.size = rules.length;
    this.bits = EMPTY_BITS;
    this.table = [];
    this.strKeys = [];
    this.numKeys = EMPTY_KEYS;
    this.shared = shared;
    this.rules = rules;
    const table: Array<Pred | Reason | null> = [];
    for (let i = 0; i < rules.length; i++) {
      const r = rules[i]!;
      table.push(preds[i]!, r.reads.length === 0 && r.clauses === null ? r.reason : null);
    }
    this.table = table;
    this.words = store?.words ?? 0;
    this.dims = linear
      ? []
      : [
          ...(roleBits === null ? [] : ['roles']),
          ...strDims.map((d) => `args.${d.param}`),
          ...preDims.map((d) => `args.${d.param} starts_with`),
          ...numDims.map((d) => `args.${d.param} bounds`),
        ];
    if (linear || store === null) return;
    // The header's length first, so that bitset offsets can be shifted past it.
    let roleCount = 0;
    if (roleBits !== null) for (const o of shared.roleIndex.values()) roleCount = Math.max(roleCount, o + 1);
    let headerLength = M_ROLES + roleCount;
    for (const d of strDims) headerLength += 5 + d.keys.length;
    for (const d of preDims) headerLength += 4 + 2 * d.keys.length;
    headerLength += 5 * numDims.length;
    const words = this.words;
    const data = store.done();
    const stride = data.length / words;
    const at = (off: number): number => headerLength + off / words;
    const meta: number[] = [words, at(base), strDims.length, numDims.length, roleCount, stride, preDims.length];
    if (roleBits !== null) {
      const byOrd = new Array<number>(roleCount).fill(0);
      for (const [role, off] of roleBits) {
        const o = shared.roleIndex.get(role);
        if (o !== undefined) byOrd[o] = at(off);
      }
      meta.push(...byOrd);
    }
    const strKeys: string[] = [];
    for (const d of strDims) {
      meta.push(d.slot, d.keys.length, strKeys.length, at(d.other), at(d.absent), ...d.offsets.map(at));
      strKeys.push(...d.keys);
    }
    for (const d of preDims) {
      meta.push(d.slot, d.keys.length, strKeys.length, at(d.none), ...d.offsets.map(at), ...d.keys.map((k) => (k === '' ? EMPTY_FIRST : k.charCodeAt(0))));
      strKeys.push(...d.keys);
    }
    const numKeys: number[] = [];
    for (const d of numDims) {
      meta.push(d.slot, at(d.regions), at(d.absent), d.keys.length, numKeys.length);
      numKeys.push(...d.keys);
    }
    // One buffer for the header, the bitsets and then the numeric keys, so that a decision's reads stay close
    // together in memory (fewer cache misses when a gateway cycles through many tools).
    const length32 = headerLength + data.length;
    const keysAt = (length32 + 1) >>> 1; // in doubles, 8-byte aligned
    const buffer = new ArrayBuffer(8 * (keysAt + numKeys.length));
    const bits = new Uint32Array(buffer, 0, length32);
    bits.set(meta);
    for (let id = 0; id < stride; id++) {
      for (let w = 0; w < words; w++) bits[headerLength + w * stride + id] = data[id * words + w] as number;
    }
    this.bits = bits;
    this.strKeys = strKeys;
    const keys = new Float64Array(buffer, 8 * keysAt, numKeys.length);
    keys.set(numKeys);
    this.numKeys = keys;
  }

  /** Which dimensions are indexed, for tests and profiling. */
  describe(): string[] {
    return [...this.dims];
  }
}

const EMPTY_BITS = new Uint32Array(0);
/** The first code unit stored for the empty prefix literal (which every string starts with). */
const EMPTY_FIRST = 0x10000;
const EMPTY_KEYS = new Float64Array(0);

/**
 * A rule's condition without the conjuncts in `removed` (bit i = conjunct i of `conjuncts(when)`, which the
 * index enforces), compiled for the tool; memoised by the caller. `removed = 0` is the whole condition.
 */
export type ResidualCompiler = (rule: RulePlan, parts: readonly Expr[], removed: number) => Pred;

/** Conjuncts at this position or later are never dropped from a residual (the removed set is a 31-bit mask). */
const MAX_REMOVABLE = 31;

/**
 * Builds the index of a set of rules of one tool. `plans` are by position (span order) with their conditions'
 * conjuncts (`parts`) and, per rule, whether it may be errored into a match (`noGuard`: deny and approve
 * rules with `reads`); `params` are the tool's declared parameters (guards depend on their types) and
 * `slots` their positions in `EvalCtx.vals`.
 */
export function buildIndex(
  plans: readonly RulePlan[],
  parts: readonly (readonly Expr[])[],
  noGuard: readonly boolean[],
  params: Readonly<Record<string, FieldDecl>>,
  slots: ReadonlyMap<string, number>,
  residual: ResidualCompiler,
  shared: IndexShared,
): RuleIndex {
  const n = plans.length;
  const linear = (): RuleIndex => {
    const preds: Pred[] = [];
    for (let i = 0; i < n; i++) preds.push(residual(plans[i]!, parts[i]!, 0));
    return new RuleIndex(plans, preds, true, null, 0, null, [], [], [], shared);
  };
  if (n <= LINEAR_MAX) return linear();

  const guards: Guard[] = [];
  for (let i = 0; i < n; i++) guards.push(noGuard[i] ? EMPTY_GUARD : guardOf(parts[i]!, params));

  // Candidate dimensions, by how many rules they constrain: roles, then per parameter (string; lower; upper bound).
  let roleCount = 0;
  const strCount = new Map<string, number>();
  const numCount = new Map<string, number>();
  const preCount = new Map<string, number>();
  const bump = (m: Map<string, number>, list: Array<{ param: string }> | null): void => {
    if (list !== null) for (let j = 0; j < list.length; j++) m.set(list[j]!.param, (m.get(list[j]!.param) ?? 0) + 1);
  };
  for (let i = 0; i < n; i++) {
    const g = guards[i]!;
    if (g === EMPTY_GUARD) continue;
    if (g.roles !== null) roleCount++;
    bump(strCount, g.str);
    // A numeric parameter counts once per rule, whether the rule bounds it from below, above or both.
    bump(numCount, g.lo);
    if (g.hi !== null) for (let j = 0; j < g.hi.length; j++) if (findPart(g.lo, g.hi[j]!.param) === undefined) bump(numCount, [g.hi[j]!]);
    bump(preCount, g.pre);
  }
  type Cand = { kind: 'role' | 'str' | 'num' | 'pre'; param: string; count: number };
  const cands: Cand[] = [];
  const minCount = Math.max(2, Math.ceil(n / 16));
  if (roleCount >= minCount) cands.push({ kind: 'role', param: '', count: roleCount });
  const add = (kind: Cand['kind'], m: Map<string, number>): void => {
    m.forEach((count, param) => {
      if (count >= minCount && slots.has(param)) cands.push({ kind, param, count });
    });
  };
  add('str', strCount);
  add('num', numCount);
  add('pre', preCount);
  if (cands.length === 0) return linear();
  cands.sort((a, b) => b.count - a.count);
  if (cands.length > MAX_DIMS) cands.length = MAX_DIMS;

  const words = (n + 31) >>> 5;
  const store = new BitStore(words, 2 + 8 * cands.length);
  let base = store.alloc();
  for (let i = 0; i < n; i++) store.set(base, i);
  let byRole = false;
  const roleBits = new Map<string, number>();
  const strDims: StrDim[] = [];
  const numDims: NumDim[] = [];
  const preDims: PreDim[] = [];
  /** Per rule, the conjuncts the chosen dimensions enforce (bit mask). */
  const removed = new Array<number>(n).fill(0);
  const remove = (i: number, conj: number): void => {
    if (conj >= 0 && conj < MAX_REMOVABLE) removed[i] = (removed[i] as number) | (1 << conj);
  };

  for (let ci = 0; ci < cands.length; ci++) {
    const cand = cands[ci]!;
    const p = cand.param;
    if (cand.kind === 'role') {
      byRole = true;
      base = store.alloc();
      for (let i = 0; i < n; i++) {
        const g = guards[i]!;
        if (g.roles === null) {
          store.set(base, i);
          continue;
        }
        for (let j = 0; j < g.roles.length; j++) {
          const r = g.roles[j]!;
          let b = roleBits.get(r);
          if (b === undefined) roleBits.set(r, (b = store.alloc()));
          store.set(b, i);
        }
        remove(i, g.roleConj);
      }
    } else if (cand.kind === 'str') {
      const keys: string[] = [];
      for (let i = 0; i < n; i++) {
        const set = findPart(guards[i]!.str, p)?.cons.set;
        if (set !== undefined) for (let j = 0; j < set.length; j++) if (!keys.includes(set[j]!)) keys.push(set[j]!);
      }
      const offsets = keys.map(() => store.alloc());
      const other = store.alloc();
      const absent = store.alloc();
      for (let i = 0; i < n; i++) {
        const part = findPart(guards[i]!.str, p);
        if (part === undefined) {
          for (let j = 0; j < offsets.length; j++) store.set(offsets[j]!, i);
          store.set(other, i);
          store.set(absent, i);
          continue;
        }
        const c = part.cons;
        for (let j = 0; j < keys.length; j++) if (c.set.includes(keys[j]!) !== c.neg) store.set(offsets[j]!, i);
        if (c.neg) store.set(other, i);
        if (c.absent) store.set(absent, i);
        for (let j = 0; j < part.conjs.length; j++) remove(i, part.conjs[j]!);
      }
      strDims.push({ slot: slots.get(p)!, param: p, keys, offsets, other, absent });
    } else if (cand.kind === 'pre') {
      const keys: string[] = [];
      for (let i = 0; i < n; i++) {
        const part = findPart(guards[i]!.pre, p);
        if (part !== undefined && !keys.includes(part.prefix)) keys.push(part.prefix);
      }
      keys.sort((a, b) => b.length - a.length || (a < b ? -1 : a > b ? 1 : 0)); // longest first
      const offsets = keys.map(() => store.alloc());
      const none = store.alloc();
      for (let i = 0; i < n; i++) {
        const part = findPart(guards[i]!.pre, p);
        if (part === undefined) {
          for (let j = 0; j < offsets.length; j++) store.set(offsets[j]!, i);
          store.set(none, i);
          continue;
        }
        for (let j = 0; j < keys.length; j++) if (keys[j]!.startsWith(part.prefix)) store.set(offsets[j]!, i);
        remove(i, part.conj);
      }
      preDims.push({ slot: slots.get(p)!, param: p, keys, offsets, none });
    } else {
      const keySet = new Set<number>();
      for (let i = 0; i < n; i++) {
        const lo = findPart(guards[i]!.lo, p);
        const hi = findPart(guards[i]!.hi, p);
        if (lo !== undefined) keySet.add(lo.b.k);
        if (hi !== undefined) keySet.add(hi.b.k);
      }
      const keys = [...keySet].sort((x, y) => x - y);
      const regionCount = 2 * keys.length + 1;
      if ((regionCount + 1) * words > MAX_NUM_WORDS) continue;
      const absent = store.alloc();
      const regions = store.alloc();
      for (let r = 1; r < regionCount; r++) store.alloc(); // consecutive: region r is `regions + r * words`
      for (let i = 0; i < n; i++) {
        const lo = findPart(guards[i]!.lo, p);
        const hi = findPart(guards[i]!.hi, p);
        if (lo === undefined && hi === undefined) {
          store.set(absent, i);
          for (let r = 0; r < regionCount; r++) store.set(regions + r * words, i);
          continue;
        }
        for (let r = 0; r < regionCount; r++) {
          if ((lo === undefined || boundHolds(lo.b, true, keys, r)) && (hi === undefined || boundHolds(hi.b, false, keys, r))) store.set(regions + r * words, i);
        }
        if (lo !== undefined) remove(i, lo.conj);
        if (hi !== undefined) remove(i, hi.conj);
      }
      numDims.push({ slot: slots.get(p)!, param: p, keys, regions, absent });
    }
  }

  const preds: Pred[] = [];
  for (let i = 0; i < n; i++) preds.push(residual(plans[i]!, parts[i]!, removed[i]!));
  return new RuleIndex(plans, preds, false, store, base, byRole ? roleBits : null, strDims, numDims, preDims, shared);
}

// ---------------------------------------------------------------------------------------------------------
// Lookup

/**
 * A request's view of an index: the bitsets to unite (the agent's roles) and to intersect (one per indexed
 * dimension) into the candidates, which are computed word by word as a scan needs them.
 */
export interface Candidates {
  ors: number[];
  nOr: number;
  ands: number[];
  nAnd: number;
}

/**
 * Resolves a request against an index (null for a linear index: every rule is a candidate). Give the
 * result back with {@link release}.
 */
export function candidatesOf(ix: RuleIndex, c: EvalCtx): Candidates | null {
  if (ix.linear) return null;
  const shared = ix.shared;
  let s = shared.pool;
  if (s === null) s = { ors: [], nOr: 0, ands: [], nAnd: 0 };
  else shared.pool = null;
  const meta = ix.bits;
  let nOr = 0;
  const nRoles = meta[M_NROLES] as number;
  if (nRoles > 0) {
    const roles = c.roleList;
    const names = shared.roleNames;
    const scan = names.length <= ROLE_SCAN_MAX;
    for (let i = 0; i < roles.length; i++) {
      const role = roles[i]!;
      let o: number | undefined;
      if (scan) {
        o = 0;
        while (o < names.length && names[o] !== role) o++;
        if (o === names.length) continue;
      } else {
        o = shared.roleIndex.get(role);
        if (o === undefined) continue;
      }
      const b = meta[M_ROLES + o] as number;
      if (b !== 0) s.ors[nOr++] = b;
    }
  }
  let at = M_ROLES + nRoles;
  let nAnd = 0;
  const vals = c.vals;
  for (let i = 0, n = meta[M_NSTR] as number; i < n; i++) {
    // slot, key count, first key, other, absent, bitset per key
    const v = vals[meta[at] as number];
    const count = meta[at + 1] as number;
    let b: number;
    if (typeof v === 'string') {
      b = meta[at + 3] as number;
      const keys = ix.strKeys;
      for (let j = 0, k = meta[at + 2] as number; j < count; j++, k++) {
        if (keys[k] === v) {
          b = meta[at + 5 + j] as number;
          break;
        }
      }
    } else b = meta[at + (v === undefined ? 4 : 3)] as number;
    s.ands[nAnd++] = b;
    at += 5 + count;
  }
  for (let i = 0, n = meta[M_NPRE] as number; i < n; i++) {
    // slot, key count, first key, no-key bitset, bitset per key (longest key first: the first one `v` starts
    // with), first code unit per key (compared before the string)
    const v = vals[meta[at] as number];
    const count = meta[at + 1] as number;
    let b = meta[at + 3] as number;
    if (typeof v === 'string') {
      const keys = ix.strKeys;
      const c0 = v.length > 0 ? v.charCodeAt(0) : -1;
      for (let j = 0, k = meta[at + 2] as number; j < count; j++, k++) {
        const f = meta[at + 4 + count + j] as number;
        if ((f === c0 || f === EMPTY_FIRST) && startsWith(v, keys[k]!)) {
          b = meta[at + 4 + j] as number;
          break;
        }
      }
    }
    s.ands[nAnd++] = b;
    at += 4 + 2 * count;
  }
  const numKeys = ix.numKeys;
  for (let i = 0, n = meta[M_NNUM] as number; i < n; i++) {
    // slot, first region, absent, key count m, first key: with i keys below `v`, region 2i + 1 if `v` is
    // keys[i], else 2i (see NumDim)
    const v = vals[meta[at] as number];
    let b = meta[at + 2] as number;
    if (typeof v === 'number') {
      let lo = meta[at + 4] as number;
      let len = meta[at + 3] as number;
      const first = lo;
      const end = lo + len;
      if (len <= LINEAR_KEYS) {
        // A few keys: a forward scan (predictable branches, consecutive doubles) beats halving.
        while (lo < end && (numKeys[lo] as number) < v) lo++;
      } else {
        while (len > 0) {
          const half = len >>> 1;
          const mid = lo + half;
          const below = (numKeys[mid] as number) < v;
          lo = below ? mid + 1 : lo;
          len = below ? len - half - 1 : half;
        }
      }
      b = (meta[at + 1] as number) + 2 * (lo - first) + (lo < end && numKeys[lo] === v ? 1 : 0);
    }
    s.ands[nAnd++] = b;
    at += 5;
  }
  s.nOr = nOr;
  s.nAnd = nAnd;
  return s;
}

/** `v.startsWith(key)`; short keys compared in place (cheaper than the builtin call for the usual literals). */
function startsWith(v: string, key: string): boolean {
  const n = key.length;
  if (n > 8) return v.startsWith(key);
  if (v.length < n) return false;
  for (let i = 0; i < n; i++) if (v.charCodeAt(i) !== key.charCodeAt(i)) return false;
  return true;
}

/** Gives a request's {@link Candidates} back for the next request. */
export function release(ix: RuleIndex, cand: Candidates | null): void {
  if (cand !== null) ix.shared.pool = cand;
}

/** Word `w` of the candidates: the base, united with the roles' bitsets, intersected with every dimension's. */
function word(ix: RuleIndex, s: Candidates, w: number): number {
  const bits = ix.bits;
  const row = (bits[M_STRIDE] as number) * w;
  let x = bits[(bits[M_BASE] as number) + row] as number;
  const ors = s.ors;
  for (let j = 0, n = s.nOr; j < n; j++) x |= bits[(ors[j] as number) + row] as number;
  const ands = s.ands;
  for (let j = 0, n = s.nAnd; j < n && x !== 0; j++) x &= bits[(ands[j] as number) + row] as number;
  return x;
}

/** The first field in `reads` that the request lacks, or undefined. */
export function missingRead(r: RulePlan, c: EvalCtx): string | undefined {
  const reads = r.reads;
  for (let i = 0; i < reads.length; i++) {
    const rd = reads[i]!;
    if (rd.get(c) === undefined) return rd.name;
  }
  return undefined;
}

/** The reason of an errored deny, approve or post deny rule (cached per missing field). */
export function erroredReason(r: RulePlan, missing: string): Reason {
  const cache = (r.errored ??= new Map());
  let reason = cache.get(missing);
  if (reason === undefined) {
    reason = makeReason(r.id, r.reason.kind, `${r.message} (rule errored: ${missing} is absent)`, r.reason.span);
    if (cache.size < 64) cache.set(missing, reason);
  }
  return reason;
}

/** Rule at `pos` against the request: its reason if it matches (errored counts as a match when `failClosed`), else null. */
function test(ix: RuleIndex, pos: number, c: EvalCtx, failClosed: boolean): Reason | null {
  const table = ix.table;
  const pred = table[2 * pos] as Pred;
  const plain = table[2 * pos + 1] as Reason | null;
  // The common case, without touching the rule's plan. Most residual conditions are empty: the index
  // decided them.
  if (plain !== null) return pred === TRUE_PRED || pred(c) ? plain : null;
  const r = ix.rules[pos]!;
  if (r.reads.length > 0) {
    const missing = missingRead(r, c);
    if (missing !== undefined) return failClosed ? erroredReason(r, missing) : null;
  }
  if (r.clauses !== null) {
    const k = r.clauses(c);
    return k < 0 ? null : (r.clauseReasons![k] ?? r.reason);
  }
  return pred === TRUE_PRED || pred(c) ? r.reason : null;
}

/**
 * The first rule at a position in [from, to) — span order — that matches (for `failClosed`, also an errored
 * one) among the candidates, as its reason; null if none does.
 */
export function firstIn(ix: RuleIndex, cand: Candidates | null, c: EvalCtx, from: number, to: number, failClosed: boolean): Reason | null {
  if (from >= to) return null;
  if (cand === null) {
    for (let pos = from; pos < to; pos++) {
      const r = test(ix, pos, c, failClosed);
      if (r !== null) return r;
    }
    return null;
  }
  const first = from >>> 5;
  const last = (to - 1) >>> 5;
  for (let w = first; w <= last; w++) {
    let x = word(ix, cand, w);
    if (w === first) x &= -1 << (from & 31);
    if (w === last && to - (w << 5) < 32) x &= (1 << (to - (w << 5))) - 1;
    while (x !== 0) {
      const bit = x & -x;
      x ^= bit;
      const r = test(ix, (w << 5) + 31 - Math.clz32(bit), c, failClosed);
      if (r !== null) return r;
    }
  }
  return null;
}

/** Every matching (or errored) rule in span order: calls `hit(rule, reason)` for each. */
export function findAll(ix: RuleIndex, c: EvalCtx, hit: (r: RulePlan, reason: Reason) => void): void {
  const n = ix.size;
  const cand = candidatesOf(ix, c);
  if (cand === null) {
    for (let pos = 0; pos < n; pos++) {
      const r = test(ix, pos, c, true);
      if (r !== null) hit(ix.rules[pos]!, r);
    }
    return;
  }
  const words = new Uint32Array(ix.words);
  for (let w = 0; w < words.length; w++) words[w] = word(ix, cand, w);
  release(ix, cand);
  for (let w = 0; w < words.length; w++) {
    let x = words[w] as number;
    while (x !== 0) {
      const bit = x & -x;
      x ^= bit;
      const pos = (w << 5) + 31 - Math.clz32(bit);
      const r = test(ix, pos, c, true);
      if (r !== null) hit(ix.rules[pos]!, r);
    }
  }
}
