/**
 * Concrete sample requests for one tool, and which rules match them, computed without the solver: a cheap
 * source of facts for the rule analyses. A rule seen matching a sample is not vacuous; seen matching where
 * no deny applies, not shadowed; seen matching where a rule r' does not, not implied by r'. Each fact is the
 * existence of one request (the sample, in the empty state, every declared context field present) and one
 * interpretation of the encoding's uninterpreted predicates that the SMT encoding decides the same way, so
 * only definite values count: the evaluator answers "unknown" for what it does not model exactly (history,
 * list fields, tenant, flows), and such rules are left to the solver. Detectors are uninterpreted
 * predicates in the encoding: a sample takes every detector to be false (one interpretation, the same for
 * every rule of the sample) and, when the tool's rules use detectors, once more with every detector true
 * and once with each detector function true or false at random (two more).
 *
 * Samples draw each parameter and context field from the constants the tool's rules compare it with and
 * their neighbours (100 → 99, 100, 101, 99.99, 100.01; "svc_" → "svc_", "svc_x", "xsvc_", "svc"), and, for
 * two fields compared with each other (`args.path starts_with context.root`), from the union of both
 * fields' values, so that they sometimes coincide; each role at random, from a seeded generator (so a run
 * is reproducible).
 */
import { DETECTOR_KINDS, type Artifact, type Expr, type Rule, type ToolDecl, type Value, type WritType } from '@writ/runtime';
import { RE2JS } from 're2js';
import { decimalMicros } from './encode.js';
import { sortOf } from './vars.js';

/** One sample: each rule's match (absent: unknown) and whether a deny rule, flow or kill switch denies. */
export interface SamplePoint {
  match: Map<string, boolean>;
  denied: boolean | undefined;
  /**
   * True when some state lets this request through (effect allow): nothing denies, some allow or approve
   * rule matches, and with the approval granted, no rate limit full and no budget spent, no budget is
   * exceeded by the call itself. Undefined when not known.
   */
  allowed: true | undefined;
}

interface Sample {
  /** By field key: `args.<name>` or `context.<name>`. */
  fields: Record<string, unknown>;
  roles: Set<string>;
  /** What each detector function (`<detector>.<kind>.<on>`, as encode.ts names it) says on every value. */
  detects: (fn: string) => boolean;
}

/** Mulberry32: small, fast, seeded. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const numeric = (t: WritType) => t.kind === 'number' || t.kind === 'money' || t.kind === 'integer' || t.kind === 'duration';

/** A field a sample gives a value to: `args.<name>` or `context.<name>` (undefined for anything else). */
function fieldKey(v: Value): string | undefined {
  if (!('ref' in v) || v.ref.length !== 2 || (v.ref[0] !== 'args' && v.ref[0] !== 'context')) return undefined;
  return `${v.ref[0]}.${v.ref[1]}`;
}

/** Literals the rules compare each field with, and the fields compared with each other. */
function constants(rules: readonly Rule[]): { lits: Map<string, Set<string | number | boolean>>; links: Array<[string, string]> } {
  const out = new Map<string, Set<string | number | boolean>>();
  const links: Array<[string, string]> = [];
  const add = (v: Value, other: Value) => {
    const k = fieldKey(v);
    if (k === undefined) return;
    const o = fieldKey(other);
    if (o !== undefined) links.push([k, o]);
    if (!('lit' in other)) return;
    const set = out.get(k) ?? new Set();
    for (const x of Array.isArray(other.lit) ? other.lit : [other.lit]) set.add(x);
    out.set(k, set);
  };
  const walk = (e: Expr): void => {
    switch (e.op) {
      case 'and':
      case 'or':
        e.args.forEach(walk);
        return;
      case 'not':
        walk(e.arg);
        return;
      case 'cmp':
      case 'str':
        add(e.left, e.right);
        add(e.right, e.left);
        return;
      case 'in':
        add(e.value, e.set);
        return;
      default:
        return;
    }
  };
  for (const r of rules) walk(r.when);
  return { lits: out, links };
}

/** Candidate values of one parameter, as the runtime would receive them. */
function candidates(t: WritType, lits: ReadonlySet<string | number | boolean> | undefined): unknown[] {
  const ks = [...(lits ?? [])];
  switch (t.kind) {
    case 'number':
    case 'money': {
      const out = new Set<number>([0, 1, -1, 1_000_000]);
      for (const k of ks.map(Number).filter(Number.isFinite)) for (const d of [0, -1, 1, -0.01, 0.01]) out.add(Number((k + d).toFixed(6)));
      return [...out];
    }
    case 'integer':
    case 'duration': {
      const out = new Set<number>([0, 1, 1_000_000]);
      if (t.kind === 'integer') out.add(-1);
      for (const k of ks.map(Number).filter(Number.isSafeInteger)) for (const d of [0, -1, 1]) out.add(k + d);
      return [...out].filter((x) => Number.isSafeInteger(x) && (t.kind === 'integer' || x >= 0));
    }
    case 'string': {
      const out = new Set<string>(['', 'x', 'zz_9']);
      for (const k of ks.filter((x): x is string => typeof x === 'string')) {
        out.add(k);
        out.add(`${k}x`);
        out.add(`x${k}`);
        if (k.length > 1) out.add(k.slice(0, -1));
      }
      return [...out].filter((s) => s.length <= 1000);
    }
    case 'enum':
      return t.values;
    case 'boolean':
      return [true, false];
    case 'list':
      return [[]];
    default:
      return [null];
  }
}

type V = string | number | boolean | undefined;

class Evaluator {
  private readonly patterns = new Map<string, RE2JS>();

  /** The samples' agent: one the policy does not declare, so its roles are the ones it claims. */
  constructor(
    private readonly decl: ToolDecl,
    private readonly context: Artifact['context'],
    readonly agentId: string,
  ) {}

  value(v: Value, s: Sample, want: WritType | undefined): V {
    if ('lit' in v) {
      if (Array.isArray(v.lit)) return undefined;
      if (want && numeric(want)) return typeof v.lit === 'boolean' ? undefined : Number(v.lit);
      return v.lit;
    }
    const [root, name] = v.ref;
    if (name !== undefined && v.ref.length === 2 && ((root === 'args' && this.decl.params[name]) || (root === 'context' && this.context[name]))) {
      const x = s.fields[`${root}.${name}`];
      return typeof x === 'string' || typeof x === 'number' || typeof x === 'boolean' ? x : undefined;
    }
    if (root === 'agent' && name === 'id' && v.ref.length === 2) return this.agentId;
    return undefined;
  }

  eval(e: Expr, s: Sample): boolean | undefined {
    switch (e.op) {
      case 'true':
        return true;
      case 'false':
        return false;
      case 'and': {
        let all = true;
        for (const x of e.args) {
          const v = this.eval(x, s);
          if (v === false) return false;
          if (v === undefined) all = false;
        }
        return all ? true : undefined;
      }
      case 'or': {
        let none = true;
        for (const x of e.args) {
          const v = this.eval(x, s);
          if (v === true) return true;
          if (v === undefined) none = false;
        }
        return none ? false : undefined;
      }
      case 'not': {
        const v = this.eval(e.arg, s);
        return v === undefined ? undefined : !v;
      }
      case 'has_role':
        return s.roles.has(e.role);
      case 'cmp': {
        const l = this.value(e.left, s, e.type);
        const r = this.value(e.right, s, e.type);
        if (l === undefined || r === undefined || typeof l !== typeof r) return undefined;
        switch (e.cmp) {
          case '==':
            return l === r;
          case '!=':
            return l !== r;
          default:
            if (typeof l !== 'number' || typeof r !== 'number') return undefined;
            return e.cmp === '<' ? l < r : e.cmp === '<=' ? l <= r : e.cmp === '>' ? l > r : l >= r;
        }
      }
      case 'in': {
        if (!('lit' in e.set) || !Array.isArray(e.set.lit)) return undefined;
        const v = this.value(e.value, s, undefined);
        if (v === undefined) return undefined;
        return e.set.lit.some((x) => (typeof v === 'number' ? Number(x) === v : x === v));
      }
      case 'str': {
        const l = this.value(e.left, s, undefined);
        const r = this.value(e.right, s, undefined);
        if (typeof l !== 'string' || typeof r !== 'string') return undefined;
        return e.fn === 'starts_with' ? l.startsWith(r) : e.fn === 'ends_with' ? l.endsWith(r) : l.includes(r);
      }
      case 'matches': {
        const v = this.value(e.value, s, undefined);
        if (typeof v !== 'string') return undefined;
        let re = this.patterns.get(e.pattern);
        if (!re) this.patterns.set(e.pattern, (re = RE2JS.compile(e.pattern)));
        return re.test(v);
      }
      case 'detect':
        return this.detect(e, s);
      default:
        return undefined;
    }
  }

  /**
   * Detectors are uninterpreted predicates in the encoding (encode.ts `detect`, `detectOn`), one function
   * per detector, kind and value sort (`det.<detector>.<kind>.<on>`): the sample's interpretation gives each
   * function one answer for every value (`s.detects`). Values the encoding never scans (booleans; numbers,
   * except for personal data) are never detected; a value of a sort without an encoding is unknown.
   */
  private detect(e: Extract<Expr, { op: 'detect' }>, s: Sample): boolean | undefined {
    const kinds = e.kinds?.length ? e.kinds : (DETECTOR_KINDS[e.detector] as readonly string[]);
    const on = (t: WritType | undefined): boolean | undefined => {
      if (!t) return undefined;
      let fn: string;
      if (t.kind === 'string' || t.kind === 'enum') fn = 'string';
      else if (numeric(t)) {
        if (e.detector !== 'pii') return false;
        fn = `number.${t.kind === 'integer' || t.kind === 'duration' ? 'Int' : 'Real'}`;
      } else if (t.kind === 'list') {
        const sort = sortOf(t);
        if (!sort) return undefined;
        fn = `list.${sort}`;
      } else if (t.kind === 'boolean') return false;
      else return undefined;
      return kinds.some((k) => s.detects(`${e.detector}.${k}.${fn}`));
    };
    const v = e.value;
    if (!('ref' in v)) return undefined;
    if (v.ref.length === 1 && v.ref[0] === 'args') {
      let any = false;
      for (const p of this.decl.order) {
        const x = on(this.decl.params[p]!.type);
        if (x === undefined) return undefined;
        any ||= x;
      }
      return any;
    }
    if (v.ref.length === 2 && v.ref[0] === 'args') return on(this.decl.params[v.ref[1]!]?.type);
    if (v.ref.length === 2 && v.ref[0] === 'context') return on(this.context[v.ref[1]!]?.type);
    return undefined;
  }

  /**
   * A rule's match: errored semantics are exact only when every field it reads is a parameter or a declared
   * context field (always present here).
   */
  rule(r: Rule, s: Sample): boolean | undefined {
    if (r.reads.some((x) => !(x.startsWith('args.') || (x.startsWith('context.') && this.context[x.slice(8)])))) return undefined;
    return this.eval(r.when, s);
  }
}

/**
 * Whether the limits and budgets can all let a call to this tool through in some state, as the encoding
 * states them (encode.ts `limits`, `budgets`): a limit's window can be not full, with its scope present; a
 * budget's usage so far and the reported usage can be 0, so only the tool's own cost (in the budget's
 * currency) or a calls budget below 1 can exceed it. Scope presence (session, tenant) is free in the
 * encoding and no sample fact depends on it (rules reading the tenant or the history are not evaluated).
 */
function controlsCanPass(artifact: Artifact, decl: ToolDecl): boolean {
  for (const b of artifact.budgets) {
    if (b.cost) {
      const own = decl.cost && decl.cost.currency === b.cost.currency ? BigInt(decimalMicros(decl.cost.amount)) : 0n;
      if (own > BigInt(decimalMicros(b.cost.amount))) return false;
    }
    if (b.tokens !== undefined && !(b.tokens >= 0)) return false;
    if (b.calls !== undefined && !(b.calls >= 1)) return false;
  }
  return true;
}

/**
 * `n` sample points for `tool` (deterministic for a given artifact and seed).
 */
export function samplePoints(artifact: Artifact, tool: string, rules: readonly Rule[], n: number, seed = 1): SamplePoint[] {
  const decl = artifact.tools[tool];
  const ix = artifact.index[tool];
  if (!decl || !ix || rules.length === 0) return [];
  const { lits, links } = constants(rules);
  const fields: Array<[string, WritType]> = [
    ...decl.order.map((p) => [`args.${p}`, decl.params[p]!.type] as [string, WritType]),
    ...Object.entries(artifact.context).map(([c, f]) => [`context.${c}`, f.type] as [string, WritType]),
  ];
  const types = new Map(fields);
  // Fields compared with each other draw from the union of their literals (same kind of type only).
  const pool = new Map<string, Set<string | number | boolean>>(fields.map(([k]) => [k, new Set(lits.get(k) ?? [])]));
  for (const [a, b] of links) {
    const ta = types.get(a);
    const tb = types.get(b);
    if (!ta || !tb || ta.kind !== tb.kind) continue;
    for (const x of lits.get(b) ?? []) pool.get(a)!.add(x);
    for (const x of lits.get(a) ?? []) pool.get(b)!.add(x);
  }
  const cands = fields.map(([k, t]) => [k, candidates(t, pool.get(k))] as const);
  let agentId = 'agent-1';
  for (let k = 2; artifact.agents[agentId]; k++) agentId = `agent-${k}`;
  const ev = new Evaluator(decl, artifact.context, agentId);
  const denyRules = rules.filter((r) => r.effect === 'deny');
  const hasFlows = ix.flows.length > 0;
  const canPass = controlsCanPass(artifact, decl);
  const random = prng(seed * 2654435761 + rules.length);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)] as T;
  const out: SamplePoint[] = [];
  const detectors = rules.some((r) => usesDetector(r.when));
  for (let i = 0; i < n; i++) {
    const values: Record<string, unknown> = {};
    for (const [k, xs] of cands) values[k] = pick(xs);
    const roles = new Set(i === 0 ? artifact.roles : i === 1 ? [] : artifact.roles.filter(() => random() < 0.5));
    // Interpretations of the detector functions: none detects; every one does; each at random.
    const mixed = new Map<string, boolean>();
    const interpretations: Array<(fn: string) => boolean> = detectors
      ? [
          () => false,
          () => true,
          (fn) => {
            if (!mixed.has(fn)) mixed.set(fn, random() < 0.5);
            return mixed.get(fn)!;
          },
        ]
      : [() => false];
    for (const detects of interpretations) {
      const s: Sample = { fields: values, roles, detects };
      const match = new Map<string, boolean>();
      for (const r of rules) {
        const m = ev.rule(r, s);
        if (m !== undefined) match.set(r.id, m);
      }
      let denied: boolean | undefined;
      if (decl.disabled || denyRules.some((r) => match.get(r.id) === true)) denied = true;
      else if (!hasFlows && denyRules.every((r) => match.get(r.id) === false)) denied = false;
      const allowed = denied === false && canPass && rules.some((r) => r.effect !== 'deny' && match.get(r.id) === true) ? true : undefined;
      out.push({ match, denied, allowed });
    }
  }
  return out;
}

function usesDetector(e: Expr): boolean {
  switch (e.op) {
    case 'detect':
      return true;
    case 'and':
    case 'or':
      return e.args.some(usesDetector);
    case 'not':
      return usesDetector(e.arg);
    default:
      return false;
  }
}
