/**
 * Building a tool's rule index: choosing the dimensions, filling their bitsets, and packing header, bitsets
 * and numeric keys into one buffer (layout.ts). See ../ruleindex.ts.
 *
 * @module
 */
import type { Expr, FieldDecl } from '../../artifact/types.js';
import type { Pred } from '../../eval/compile.js';
import type { RulePlan } from '../plan.js';
import type { Reason } from '../../decision/types.js';
import type { Candidates } from './lookup.js';
import { EMPTY_GUARD, findPart, guardOf, type Bound, type Guard } from './guard.js';
import { EMPTY_FIRST, M_ROLES } from './layout.js';

/** Rule sets with at most this many rules are scanned linearly. */
export const LINEAR_MAX = 4;
/** At most this many dimensions are indexed per rule set. */
const MAX_DIMS = 8;
/**
 * A numeric dimension whose region bitsets would take more 32-bit words than this is not indexed (2m + 1
 * regions for m constants: about what the separate lower- and upper-bound dimensions it replaced held at half
 * this cap each).
 */
const MAX_NUM_WORDS = 1 << 19;

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
 * The regions (see {@link NumDim}) on which a rule's bounds on one parameter hold: `[first, last]`, empty when
 * `first > last` (contradictory bounds); `at` gives a bound constant's position in the ascending keys.
 */
function regionRange(lo: Bound | undefined, hi: Bound | undefined, at: (k: number) => number, regionCount: number): [number, number] {
  // `v > keys[a]` holds from the open interval after keys[a] (region 2a + 2), `v >= keys[a]` from the point
  // (2a + 1); `v < keys[b]` up to the interval before it (2b), `v <= keys[b]` up to the point (2b + 1).
  const first = lo === undefined ? 0 : 2 * at(lo.k) + (lo.strict ? 2 : 1);
  const last = hi === undefined ? regionCount - 1 : 2 * at(hi.k) + (hi.strict ? 0 : 1);
  return [first, last];
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

  // Candidate dimensions, by how many rules they constrain: roles, then per parameter (string or enum value;
  // numeric bounds, lower and upper together; `starts_with` literal).
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
      const position = new Map<number, number>();
      for (let j = 0; j < keys.length; j++) position.set(keys[j]!, j);
      const at = (k: number): number => position.get(k)!;
      const absent = store.alloc();
      const regions = store.alloc();
      for (let r = 1; r < regionCount; r++) store.alloc(); // consecutive: region r is `regions + r * words`
      // Each rule holds on a contiguous range of regions: sweep the regions once, adding a rule where its range
      // starts and dropping it after its range ends (O(regions × words + rules), not regions × rules).
      const first = new Int32Array(n);
      const last = new Int32Array(n);
      const live: number[] = [];
      for (let i = 0; i < n; i++) {
        const lo = findPart(guards[i]!.lo, p);
        const hi = findPart(guards[i]!.hi, p);
        if (lo === undefined && hi === undefined) store.set(absent, i);
        else {
          if (lo !== undefined) remove(i, lo.conj);
          if (hi !== undefined) remove(i, hi.conj);
        }
        [first[i], last[i]] = regionRange(lo?.b, hi?.b, at, regionCount);
        if (first[i]! <= last[i]!) live.push(i);
      }
      const starts = [...live].sort((x, y) => first[x]! - first[y]!);
      const ends = [...live].sort((x, y) => last[x]! - last[y]!);
      const cur = new Uint32Array(words);
      const data = store.data;
      for (let r = 0, si = 0, ei = 0; r < regionCount; r++) {
        for (; si < starts.length && first[starts[si]!] === r; si++) cur[starts[si]! >>> 5] = (cur[starts[si]! >>> 5] as number) | (1 << (starts[si]! & 31));
        data.set(cur, regions + r * words);
        for (; ei < ends.length && last[ends[ei]!] === r; ei++) cur[ends[ei]! >>> 5] = (cur[ends[ei]! >>> 5] as number) & ~(1 << (ends[ei]! & 31));
      }
      numDims.push({ slot: slots.get(p)!, param: p, keys, regions, absent });
    }
  }

  const preds: Pred[] = [];
  for (let i = 0; i < n; i++) preds.push(residual(plans[i]!, parts[i]!, removed[i]!));
  return new RuleIndex(plans, preds, false, store, base, byRole ? roleBits : null, strDims, numDims, preDims, shared);
}

