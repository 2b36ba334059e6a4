/**
 * Looking a request up in a rule index: the candidate rules (roles united, dimensions intersected, word by
 * word), then the first matching rule in span order, or every matching one. See ../ruleindex.ts.
 *
 * @module
 */
import type { Reason } from '../../decision/types.js';
import { TRUE_PRED, type Pred } from '../../eval/compile.js';
import type { EvalCtx } from '../../eval/context.js';
import type { RulePlan } from '../plan.js';
import { makeReason } from '../reasons.js';
import type { RuleIndex } from './build.js';
import { EMPTY_FIRST, M_BASE, M_NNUM, M_NPRE, M_NROLES, M_NSTR, M_ROLES, M_STRIDE } from './layout.js';

/** Policies with at most this many roles find a request's roles by a scan of the names. */
const ROLE_SCAN_MAX = 16;
/** Numeric dimensions with at most this many keys are searched by a forward scan. */
const LINEAR_KEYS = 16;

/**
 * A request's view of an index: the bitsets to unite (the agent's roles) and to intersect (one per indexed
 * dimension) into the candidates, which are computed word by word as a scan needs them.
 */
export interface Candidates {
  ors: number[];
  nOr: number;
  ands: number[];
  nAnd: number;
  /** The last word computed and its index (-1: none): the deny scan's last word is the allow scan's first. */
  lastW: number;
  lastX: number;
}

/**
 * Resolves a request against an index (null for a linear index: every rule is a candidate). Give the
 * result back with {@link release}.
 */
export function candidatesOf(ix: RuleIndex, c: EvalCtx): Candidates | null {
  if (ix.linear) return null;
  const shared = ix.shared;
  let s = shared.pool;
  if (s === null) s = { ors: [], nOr: 0, ands: [], nAnd: 0, lastW: -1, lastX: 0 };
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
    // NaN (kept out by validation) would sort below every key, where every upper bound holds: absent instead.
    if (typeof v === 'number' && v === v) {
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
  s.lastW = -1;
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
  if (s.lastW === w) return s.lastX;
  const bits = ix.bits;
  const row = (bits[M_STRIDE] as number) * w;
  let x = bits[(bits[M_BASE] as number) + row] as number;
  const ors = s.ors;
  for (let j = 0, n = s.nOr; j < n; j++) x |= bits[(ors[j] as number) + row] as number;
  const ands = s.ands;
  for (let j = 0, n = s.nAnd; j < n && x !== 0; j++) x &= bits[(ands[j] as number) + row] as number;
  s.lastW = w;
  s.lastX = x;
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
