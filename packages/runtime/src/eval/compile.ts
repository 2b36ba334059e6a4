/**
 * Compiles artifact conditions ({@link Expr}) into closures, once, at load time.
 *
 * Evaluation is total and never throws on request data: an operand that resolves to nothing (an absent
 * field not covered by the rule's `reads`, an absent `agent.tenant`, a missing `result` path) or to a value
 * of the wrong runtime type makes the atom that reads it **false** (for `!=` too). Rules that must fail
 * closed list their optional fields in `reads`, which the engine checks before evaluating.
 *
 * @packageDocumentation
 */
import { RE2JS } from 're2js';
import type { Expr, Ref, Value, WritType, CmpOp } from '../artifact/types.js';
import { ArtifactError } from '../artifact/errors.js';
import { decimalToNumber, parseDuration } from '../artifact/value.js';
import { detect } from '../detectors/index.js';
import { EvalCtx, own, walk } from './context.js';

/** A compiled condition. */
export type Pred = (c: EvalCtx) => boolean;
/** A compiled value reference. */
export type Getter = (c: EvalCtx) => unknown;

/** What the compiler needs to know about the artifact to check references. */
export interface CompileEnv {
  roles: ReadonlySet<string>;
  tools: ReadonlySet<string>;
  /** Set when a `called` condition is compiled: the policy must record session histories. */
  usesHistory: boolean;
  /**
   * Compiling for one tool: its parameters' slots in `EvalCtx.vals`, so that `args.p` is an array read.
   * A parameter the tool does not declare is always absent (validation rejects undeclared arguments).
   */
  slots?: ReadonlyMap<string, number> | undefined;
}

const TRUE: Pred = () => true;
const FALSE: Pred = () => false;
/** The compiled `true` and `false` (`compileExpr` returns these very functions for constant conditions). */
export { TRUE as TRUE_PRED, FALSE as FALSE_PRED };

function fail(where: string, message: string): never {
  throw new ArtifactError(`${where}: ${message}`);
}

function isRef(v: Value): v is Ref {
  return Object.hasOwn(v, 'ref');
}

/** Type kinds compared numerically. */
export const NUMERIC_KINDS: ReadonlySet<string> = new Set(['number', 'integer', 'money', 'duration']);

const ABSENT: Getter = () => undefined;

/**
 * Compiles a reference. Roots: `args`, `context`, `agent` (`id`, `tenant`, `roles`, `attrs.…`), `result`,
 * `prior`. With `slots` (compiling for one tool), `args.p…` reads the validated value from `EvalCtx.vals`.
 */
export function compileRef(path: readonly string[], where: string, declaredRoles: ReadonlySet<string>, slots?: ReadonlyMap<string, number>): Getter {
  const root = path[0];
  const key = path[1];
  switch (root) {
    case 'args':
      if (key === undefined) return (c) => c.args;
      if (slots !== undefined) {
        const slot = slots.get(key);
        if (slot === undefined) return ABSENT;
        if (path.length === 2) return (c) => c.vals[slot];
        return (c) => walk(c.vals[slot], path, 2);
      }
      if (path.length === 2) return (c) => (Object.hasOwn(c.args, key) ? c.args[key] : undefined);
      return (c) => walk(c.args, path, 1);
    case 'context':
      if (key === undefined) return (c) => c.context;
      if (path.length === 2) return (c) => (Object.hasOwn(c.context, key) ? c.context[key] : undefined);
      return (c) => walk(c.context, path, 1);
    case 'agent':
      if (path.length === 2 && key === 'id') return (c) => c.agentId;
      if (path.length === 2 && key === 'tenant') return (c) => c.tenant;
      if (path.length === 2 && key === 'roles') return (c) => c.effectiveRoles(declaredRoles);
      if (key === 'attrs') return (c) => walk(c.attrs, path, 2);
      return fail(where, `unknown reference agent.${path.slice(1).join('.')}`);
    case 'result':
      if (path.length === 1) return (c) => c.result;
      return (c) => walk(c.result, path, 1);
    case 'prior':
      if (key === undefined) return (c) => c.prior;
      return (c) => walk(c.prior, path, 1);
    default:
      return fail(where, `unknown reference root '${String(root)}'`);
  }
}

/** The dotted form of a ref path, as used in `reads` and messages: `args.amount`. */
export function refName(path: readonly string[]): string {
  return path.join('.');
}

/** Parses a `reads` entry (`context.x`, `args.y`, `result.a.b`, `agent.tenant`) into a ref path. */
export function readPath(read: string): string[] {
  return read.split('.');
}

/** A numeric comparison constant as the number compared against (decimal strings, durations); throws on a bad one. */
export function numericLiteral(lit: unknown, type: WritType, where: string): number {
  if (typeof lit === 'number') {
    if (!Number.isFinite(lit)) fail(where, `non-finite number literal`);
    return lit;
  }
  if (typeof lit === 'string') {
    if (type.kind === 'duration') {
      const ms = parseDuration(lit);
      if (ms !== undefined) return ms;
    }
    const n = decimalToNumber(lit);
    if (n === undefined) fail(where, `'${lit}' is not a decimal literal`);
    return n;
  }
  return fail(where, `a ${Array.isArray(lit) ? 'list' : typeof lit} literal cannot be compared as ${type.kind}`);
}

function numericCmp(op: CmpOp, l: Getter, r: Getter): Pred {
  switch (op) {
    case '==':
      return (c) => {
        const a = l(c);
        const b = r(c);
        return typeof a === 'number' && typeof b === 'number' && a === b;
      };
    case '!=':
      return (c) => {
        const a = l(c);
        const b = r(c);
        return typeof a === 'number' && typeof b === 'number' && a !== b;
      };
    case '<':
      return (c) => {
        const a = l(c);
        const b = r(c);
        return typeof a === 'number' && typeof b === 'number' && a < b;
      };
    case '<=':
      return (c) => {
        const a = l(c);
        const b = r(c);
        return typeof a === 'number' && typeof b === 'number' && a <= b;
      };
    case '>':
      return (c) => {
        const a = l(c);
        const b = r(c);
        return typeof a === 'number' && typeof b === 'number' && a > b;
      };
    case '>=':
      return (c) => {
        const a = l(c);
        const b = r(c);
        return typeof a === 'number' && typeof b === 'number' && a >= b;
      };
  }
}

/** `ref OP constant`: the hot shape (`args.amount <= 100`), specialised to avoid a second call. */
function numericCmpConst(op: CmpOp, l: Getter, k: number): Pred {
  switch (op) {
    case '==':
      return (c) => l(c) === k;
    case '!=':
      return (c) => {
        const a = l(c);
        return typeof a === 'number' && a !== k;
      };
    case '<':
      return (c) => {
        const a = l(c);
        return typeof a === 'number' && a < k;
      };
    case '<=':
      return (c) => {
        const a = l(c);
        return typeof a === 'number' && a <= k;
      };
    case '>':
      return (c) => {
        const a = l(c);
        return typeof a === 'number' && a > k;
      };
    case '>=':
      return (c) => {
        const a = l(c);
        return typeof a === 'number' && a >= k;
      };
  }
}

function flipOp(op: CmpOp): CmpOp {
  switch (op) {
    case '<':
      return '>';
    case '<=':
      return '>=';
    case '>':
      return '<';
    case '>=':
      return '<=';
    default:
      return op;
  }
}

/** Equality on JSON values: `===` on scalars, element-wise on arrays, member-wise on plain objects. */
export function valueEquals(a: unknown, b: unknown, depth = 0): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null || depth > 64) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!valueEquals(a[i], b[i], depth + 1)) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  for (const k of ka) {
    if (!Object.hasOwn(b, k) || !valueEquals(own(a, k), own(b, k), depth + 1)) return false;
  }
  return true;
}

/** When compiling for one tool: the slot of `args.p` (a declared parameter), else undefined. */
function argSlot(v: Value, env: CompileEnv): number | undefined {
  if (env.slots === undefined || !isRef(v) || v.ref.length !== 2 || v.ref[0] !== 'args') return undefined;
  return env.slots.get(v.ref[1] as string);
}

/** `args.p OP constant` reading the parameter's slot directly (the hottest shape of all). */
function numericCmpSlot(op: CmpOp, slot: number, k: number): Pred {
  switch (op) {
    case '==':
      return (c) => c.vals[slot] === k;
    case '!=':
      return (c) => {
        const a = c.vals[slot];
        return typeof a === 'number' && a !== k;
      };
    case '<':
      return (c) => {
        const a = c.vals[slot];
        return typeof a === 'number' && a < k;
      };
    case '<=':
      return (c) => {
        const a = c.vals[slot];
        return typeof a === 'number' && a <= k;
      };
    case '>':
      return (c) => {
        const a = c.vals[slot];
        return typeof a === 'number' && a > k;
      };
    case '>=':
      return (c) => {
        const a = c.vals[slot];
        return typeof a === 'number' && a >= k;
      };
  }
}

function compileValue(v: Value, where: string, env: CompileEnv): Getter {
  if (isRef(v)) return compileRef(v.ref, where, env.roles, env.slots);
  const lit = v.lit;
  return () => lit;
}

function compileCmp(e: Extract<Expr, { op: 'cmp' }>, where: string, env: CompileEnv): Pred {
  if (NUMERIC_KINDS.has(e.type.kind)) {
    const lRef = isRef(e.left);
    const rRef = isRef(e.right);
    if (!lRef && !rRef) {
      const a = numericLiteral((e.left as { lit: unknown }).lit, e.type, where);
      const b = numericLiteral((e.right as { lit: unknown }).lit, e.type, where);
      return numericCmp(e.cmp, () => a, () => b)(undefined as unknown as EvalCtx) ? TRUE : FALSE;
    }
    if (lRef && !rRef) {
      const k = numericLiteral((e.right as { lit: unknown }).lit, e.type, where);
      const slot = argSlot(e.left, env);
      if (slot !== undefined) return numericCmpSlot(e.cmp, slot, k);
      return numericCmpConst(e.cmp, compileRef((e.left as Ref).ref, where, env.roles, env.slots), k);
    }
    if (!lRef && rRef) {
      const k = numericLiteral((e.left as { lit: unknown }).lit, e.type, where);
      const slot = argSlot(e.right, env);
      if (slot !== undefined) return numericCmpSlot(flipOp(e.cmp), slot, k);
      return numericCmpConst(flipOp(e.cmp), compileRef((e.right as Ref).ref, where, env.roles, env.slots), k);
    }
    return numericCmp(e.cmp, compileRef((e.left as Ref).ref, where, env.roles, env.slots), compileRef((e.right as Ref).ref, where, env.roles, env.slots));
  }
  if (e.cmp !== '==' && e.cmp !== '!=') fail(where, `'${e.cmp}' is not defined on ${e.type.kind}`);
  // `args.p == "lit"`: equality with a string is `===` (valueEquals), read from the slot.
  const [slotSide, litSide] = isRef(e.left) ? [e.left, e.right] : [e.right, e.left];
  const slot = argSlot(slotSide, env);
  if (slot !== undefined && !isRef(litSide) && typeof litSide.lit === 'string') {
    const lit = litSide.lit;
    if (e.cmp === '==') return (c) => c.vals[slot] === lit;
    return (c) => {
      const a = c.vals[slot];
      return a !== undefined && a !== lit;
    };
  }
  const l = compileValue(e.left, where, env);
  const r = compileValue(e.right, where, env);
  if (e.cmp === '==') {
    return (c) => {
      const a = l(c);
      const b = r(c);
      return a !== undefined && b !== undefined && valueEquals(a, b);
    };
  }
  return (c) => {
    const a = l(c);
    const b = r(c);
    return a !== undefined && b !== undefined && !valueEquals(a, b);
  };
}

function compileIn(e: Extract<Expr, { op: 'in' }>, where: string, env: CompileEnv): Pred {
  const get = compileValue(e.value, where, env);
  if (!isRef(e.set)) {
    const items = Array.isArray(e.set.lit) ? e.set.lit : [e.set.lit];
    const strs = new Set<string>();
    const nums = new Set<number>();
    const bools = new Set<boolean>();
    for (const item of items) {
      if (typeof item === 'string') {
        strs.add(item);
        // Decimal-string literals (money, decimals) also match the numbers they denote.
        const n = decimalToNumber(item);
        if (n !== undefined) nums.add(n);
      } else if (typeof item === 'number') nums.add(item);
      else bools.add(item);
    }
    const slot = argSlot(e.value, env);
    if (slot !== undefined) {
      return (c) => {
        const v = c.vals[slot];
        switch (typeof v) {
          case 'string':
            return strs.has(v);
          case 'number':
            return nums.has(v);
          case 'boolean':
            return bools.has(v);
          default:
            return false;
        }
      };
    }
    return (c) => {
      const v = get(c);
      switch (typeof v) {
        case 'string':
          return strs.has(v);
        case 'number':
          return nums.has(v);
        case 'boolean':
          return bools.has(v);
        default:
          return false;
      }
    };
  }
  const set = compileRef(e.set.ref, where, env.roles, env.slots);
  return (c) => {
    const v = get(c);
    if (v === undefined || (typeof v === 'object' && v !== null)) return false;
    const s = set(c);
    if (!Array.isArray(s)) return false;
    for (let i = 0; i < s.length; i++) if (s[i] === v) return true;
    return false;
  };
}

function compileStr(e: Extract<Expr, { op: 'str' }>, where: string, env: CompileEnv): Pred {
  // `args.p starts_with "lit"` and friends: the literal captured, the parameter read from its slot.
  const slot = argSlot(e.left, env);
  if (slot !== undefined && !isRef(e.right)) {
    const b = e.right.lit;
    if (typeof b !== 'string') return FALSE;
    switch (e.fn) {
      case 'starts_with':
        return (c) => {
          const a = c.vals[slot];
          return typeof a === 'string' && a.startsWith(b);
        };
      case 'ends_with':
        return (c) => {
          const a = c.vals[slot];
          return typeof a === 'string' && a.endsWith(b);
        };
      case 'contains':
        return (c) => {
          const a = c.vals[slot];
          return typeof a === 'string' && a.includes(b);
        };
    }
  }
  const l = compileValue(e.left, where, env);
  const r = compileValue(e.right, where, env);
  switch (e.fn) {
    case 'starts_with':
      return (c) => {
        const a = l(c);
        const b = r(c);
        return typeof a === 'string' && typeof b === 'string' && a.startsWith(b);
      };
    case 'ends_with':
      return (c) => {
        const a = l(c);
        const b = r(c);
        return typeof a === 'string' && typeof b === 'string' && a.endsWith(b);
      };
    case 'contains':
      return (c) => {
        const a = l(c);
        const b = r(c);
        return typeof a === 'string' && typeof b === 'string' && a.includes(b);
      };
  }
}

function compileMatches(e: Extract<Expr, { op: 'matches' }>, where: string, env: CompileEnv): Pred {
  let re: RE2JS;
  try {
    re = RE2JS.compile(e.pattern);
  } catch (err) {
    return fail(where, `bad regular expression ${JSON.stringify(e.pattern)}: ${err instanceof Error ? err.message : String(err)}`);
  }
  const get = compileValue(e.value, where, env);
  return (c) => {
    const v = get(c);
    return typeof v === 'string' && re.test(v);
  };
}

function compileCalled(e: Extract<Expr, { op: 'called' }>, where: string, env: CompileEnv): Pred {
  for (const t of e.tools) if (!env.tools.has(t)) fail(where, `called: unknown tool '${t}'`);
  env.usesHistory = true;
  const tools = new Set(e.tools);
  const within = e.withinMs;
  const cond = e.where === undefined ? undefined : compileExpr(e.where, where, env);
  return (c) => {
    const h = c.sessionHistory();
    for (let i = h.length - 1; i >= 0; i--) {
      const call = h[i];
      if (call === undefined || !tools.has(call.tool)) continue;
      if (within !== undefined && (c.now - call.at > within || call.at > c.now)) continue;
      if (cond !== undefined) {
        const saved = c.prior;
        c.prior = call.args;
        let ok: boolean;
        try {
          ok = cond(c);
        } finally {
          c.prior = saved;
        }
        if (!ok) continue;
      }
      return true;
    }
    return false;
  };
}

/** Compiles a condition; `where` prefixes load errors (e.g. the rule id). */
export function compileExpr(e: Expr, where: string, env: CompileEnv): Pred {
  switch (e.op) {
    case 'true':
      return TRUE;
    case 'false':
      return FALSE;
    case 'and': {
      const parts = e.args.map((a) => compileExpr(a, where, env)).filter((p) => p !== TRUE);
      if (parts.includes(FALSE)) return FALSE;
      if (parts.length === 0) return TRUE;
      if (parts.length === 1) return parts[0] as Pred;
      if (parts.length === 2) {
        const [a, b] = parts as [Pred, Pred];
        return (c) => a(c) && b(c);
      }
      return (c) => {
        for (let i = 0; i < parts.length; i++) if (!(parts[i] as Pred)(c)) return false;
        return true;
      };
    }
    case 'or': {
      const parts = e.args.map((a) => compileExpr(a, where, env)).filter((p) => p !== FALSE);
      if (parts.includes(TRUE)) return TRUE;
      if (parts.length === 0) return FALSE;
      if (parts.length === 1) return parts[0] as Pred;
      if (parts.length === 2) {
        const [a, b] = parts as [Pred, Pred];
        return (c) => a(c) || b(c);
      }
      return (c) => {
        for (let i = 0; i < parts.length; i++) if ((parts[i] as Pred)(c)) return true;
        return false;
      };
    }
    case 'not': {
      const a = compileExpr(e.arg, where, env);
      if (a === TRUE) return FALSE;
      if (a === FALSE) return TRUE;
      return (c) => !a(c);
    }
    case 'cmp':
      return compileCmp(e, where, env);
    case 'in':
      return compileIn(e, where, env);
    case 'has_role': {
      const role = e.role;
      if (!env.roles.has(role)) fail(where, `has_role: undeclared role '${role}'`);
      return (c) => c.hasRole(role);
    }
    case 'str':
      return compileStr(e, where, env);
    case 'matches':
      return compileMatches(e, where, env);
    case 'detect': {
      const get = compileValue(e.value, where, env);
      const detector = e.detector;
      const kinds = e.kinds;
      return (c) => {
        const v = get(c);
        return v !== undefined && detect(detector, v, kinds);
      };
    }
    case 'called':
      return compileCalled(e, where, env);
    default:
      return fail(where, `unknown operator '${(e as { op: unknown }).op as string}'`);
  }
}

/**
 * For a rule whose condition is an `or` with one clause span per disjunct: a function returning the index
 * of the first true disjunct, or -1.
 */
export function compileClauses(e: Expr, count: number, where: string, env: CompileEnv): ((c: EvalCtx) => number) | null {
  if (e.op !== 'or' || e.args.length !== count) return null;
  const parts = e.args.map((a) => compileExpr(a, where, env));
  return (c) => {
    for (let i = 0; i < parts.length; i++) if ((parts[i] as Pred)(c)) return i;
    return -1;
  };
}
