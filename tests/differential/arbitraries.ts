/**
 * fast-check arbitraries for the differential test: random requests and states for one tool of a policy,
 * biased toward the policy's own constants and their neighbours (500 → 499.99, 500, 500.01, 501, …), its
 * enum values, role and agent names, strings it compares with (and strings that contain or extend them),
 * the windows of its `called … within`, its limits and budgets, and the detectors' witness strings.
 */
import fc from 'fast-check';
import {
  formatDuration,
  parseDuration,
  type Artifact,
  type Expr,
  type FieldDecl,
  type Request,
  type Value,
  type WritType,
} from '@writ/runtime';
import { WITNESSES, type Case, type CaseState } from '@writ/verifier';

const MAX_SAFE = Number.MAX_SAFE_INTEGER;

/** The literal values a policy uses, by the reference they are compared with. */
export interface Constants {
  /** Exact decimal strings by reference (`args.amount`, `context.limit`, `prior.n`). */
  nums: Map<string, Set<string>>;
  allNums: Set<string>;
  /** Strings by reference (compared with `==`, `starts_with`, `in`, fragments of `matches` patterns). */
  strs: Map<string, Set<string>>;
  allStrs: Set<string>;
  /** Items looked for in a list-typed reference (`"secret" in args.tags`), by the list's reference. */
  items: Map<string, Set<string | number | boolean>>;
  /** Windows of `called … within` and approval timeouts, in ms. */
  windows: Set<number>;
  /** Tools named by `called`. */
  calledTools: Set<string>;
  /** Label names of flows and label declarations. */
  labels: Set<string>;
}

function add<T>(m: Map<string, Set<T>>, key: string, v: T): void {
  let s = m.get(key);
  if (!s) m.set(key, (s = new Set()));
  s.add(v);
}

const refKey = (v: Value): string | undefined => ('ref' in v ? v.ref.join('.') : undefined);

/** A numeric literal as an exact decimal string (duration strings in ms), or undefined. */
function decimalOfLiteral(lit: unknown): string | undefined {
  if (typeof lit === 'number' && Number.isFinite(lit)) return String(lit).includes('e') ? undefined : String(lit);
  if (typeof lit !== 'string') return undefined;
  if (/^-?(0|[1-9][0-9]*)(\.[0-9]+)?$/.test(lit)) return lit;
  const ms = parseDuration(lit);
  return ms === undefined ? undefined : String(ms);
}

/** Literal fragments of an RE2 pattern: runs of plain characters (escapes of punctuation unescaped). */
export function patternFragments(pattern: string): string[] {
  const out: string[] = [];
  let cur = '';
  const flush = () => {
    if (cur.length > 0) out.push(cur);
    cur = '';
  };
  const p = pattern.replace(/^\(\?[a-z]+\)/, '');
  for (let i = 0; i < p.length; i++) {
    const ch = p[i] as string;
    if (ch === '\\' && i + 1 < p.length && /[^A-Za-z0-9]/.test(p[i + 1] as string)) {
      cur += p[++i];
    } else if (/[A-Za-z0-9 _\-:/@,;'"=<>!#%&~`]/.test(ch)) {
      cur += ch;
    } else {
      flush();
    }
  }
  flush();
  return out;
}

/** Collects the constants of every rule, assertion and control of an artifact. */
export function collectConstants(a: Artifact): Constants {
  const k: Constants = {
    nums: new Map(),
    allNums: new Set(),
    strs: new Map(),
    allStrs: new Set(),
    items: new Map(),
    windows: new Set(),
    calledTools: new Set(),
    labels: new Set(),
  };
  const lit = (key: string | undefined, l: unknown, type?: WritType) => {
    if (key === undefined) return;
    const numeric = type && ['number', 'integer', 'money', 'duration'].includes(type.kind);
    if (numeric || (type === undefined && typeof l === 'number')) {
      const d = decimalOfLiteral(l);
      if (d !== undefined) {
        add(k.nums, key, d);
        k.allNums.add(d);
      }
    } else if (typeof l === 'string') {
      add(k.strs, key, l);
      k.allStrs.add(l);
      const d = decimalOfLiteral(l);
      if (d !== undefined && type === undefined) {
        add(k.nums, key, d);
        k.allNums.add(d);
      }
    }
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
        if ('lit' in e.right) lit(refKey(e.left), e.right.lit, e.type);
        if ('lit' in e.left) lit(refKey(e.right), e.left.lit, e.type);
        return;
      case 'in':
        if ('lit' in e.set && Array.isArray(e.set.lit)) for (const x of e.set.lit) lit(refKey(e.value), x);
        if ('ref' in e.set && 'lit' in e.value && !Array.isArray(e.value.lit)) add(k.items, e.set.ref.join('.'), e.value.lit);
        return;
      case 'str':
        if ('lit' in e.right && typeof e.right.lit === 'string') lit(refKey(e.left), e.right.lit);
        if ('lit' in e.left && typeof e.left.lit === 'string') lit(refKey(e.right), e.left.lit);
        return;
      case 'matches':
        for (const f of patternFragments(e.pattern)) lit(refKey(e.value), f);
        return;
      case 'called':
        for (const t of e.tools) k.calledTools.add(t);
        if (e.withinMs !== undefined) k.windows.add(e.withinMs);
        if (e.where) walk(e.where);
        return;
      default:
        return;
    }
  };
  for (const r of a.rules) {
    walk(r.when);
    if (r.approval) k.windows.add(r.approval.withinMs);
  }
  for (const x of a.asserts) walk(x.when);
  for (const f of a.flows) k.labels.add(f.label);
  for (const l of a.labels) k.labels.add(l.name);
  return k;
}

// ---- numbers ---------------------------------------------------------------------------------------------

function significantDigits(d: string): number {
  const digits = d.replace(/^-/, '').replace('.', '').replace(/^0+/, '');
  return digits.replace(/0+$/, '').length;
}

/** Exact decimal neighbours of a decimal string: c, c ± 1, c ± 0.01, c ± 0.001, c ± 0.000001, -c, 0. */
export function neighbours(c: string): string[] {
  const m = /^(-?)(\d+)(?:\.(\d+))?$/.exec(c);
  if (!m) return [];
  const frac = m[3] ?? '';
  const scale = Math.max(frac.length, 6);
  const unit = 10n ** BigInt(scale);
  const v = BigInt(`${m[1]}${m[2]}${frac.padEnd(scale, '0')}`);
  const fmt = (x: bigint): string => {
    const neg = x < 0n;
    const s = (neg ? -x : x).toString().padStart(scale + 1, '0');
    const out = `${s.slice(0, -scale)}.${s.slice(-scale)}`.replace(/\.?0+$/, '');
    return neg && out !== '0' ? `-${out}` : out;
  };
  const deltas = [0n, unit, unit / 100n, unit / 1000n, 10n ** BigInt(scale - 6)];
  const out = new Set<string>(['0', fmt(-v)]);
  for (const d of deltas) {
    out.add(fmt(v + d));
    out.add(fmt(v - d));
  }
  return [...out].filter((d) => significantDigits(d) <= 15);
}

function numbersNear(consts: Iterable<string>): number[] {
  const out = new Set<number>([0, 1, -1]);
  for (const c of consts) for (const n of neighbours(c)) out.add(Number(n));
  return [...out];
}

/** A decimal with at most 10 significant digits and at most 6 places, e.g. 1234.56. */
const smallDecimal = fc.tuple(fc.integer({ min: -1_000_000_000, max: 1_000_000_000 }), fc.integer({ min: 0, max: 6 })).map(([m, e]) => Number(`${m}e-${e}`));

function numberArb(pool: number[]): fc.Arbitrary<number> {
  return fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...pool) },
    { weight: 2, arbitrary: smallDecimal },
    { weight: 1, arbitrary: fc.constantFrom(0.1 + 0.2, -0, 5e-324, 1e21, -1e300, 123456789012345680000) },
    { weight: 1, arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true }) },
  );
}

function integerArb(pool: number[], min = -MAX_SAFE): fc.Arbitrary<number> {
  const ints = [...new Set([...pool.filter((n) => Number.isSafeInteger(n)), 0, 1, -1, MAX_SAFE, -MAX_SAFE].filter((n) => n >= min))];
  return fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...ints) },
    { weight: 2, arbitrary: fc.integer({ min: Math.max(min, -1_000_000), max: 1_000_000 }) },
    { weight: 1, arbitrary: fc.integer({ min: Math.max(min, -MAX_SAFE), max: MAX_SAFE }) },
  );
}

// ---- strings ---------------------------------------------------------------------------------------------

/** Strings no detector should fire on, of the lengths the taint rules care about (2, 3, 7, 8, 9). */
export const BENIGN = ['', 'a', 'ok', 'abc', 'hello', 'order-123', 'abcdefg', 'abcdefgh', 'abcdefghi', 'cust-42', 'refund for a damaged item', 'https://example.com/a', 'prod', 'dev'];
/**
 * Strings whose UTF-16 length differs from their code-point length (around the taint thresholds 3 and 8),
 * lone surrogates (also half of a pair another string holds whole), characters beyond U+2FFFF, case-fold
 * partners, control characters.
 */
export const UNICODE = [
  '😀',
  '😀a',
  'ab😀',
  'abcdef😀',
  '😀😀😀😀',
  'abcdefgh😀',
  'abcdefgh\ud83d',
  'x\ud83d',
  '\ud83d',
  'a\ude00b',
  '\ude00bcdefghi',
  '\u{30000}',
  '\u{10ffff}x',
  '🏴\u{e0067}\u{e0062}\u{e0073}\u{e0063}\u{e0074}\u{e007f}',
  'é',
  'É',
  '日本語の文',
  '\u212a',
  '\u017f',
  '\n',
  'a\nb',
  '\u0000',
];
const AFFIXES = ['', 'x', '/', '.', ' ', '..', 'https://', '.exe', 'a\n', '😀'];

function caseVariants(s: string): string[] {
  return [s.toUpperCase(), s.toLowerCase(), s.replace(/^./, (c) => c.toUpperCase())];
}

function stringArb(pool: readonly string[], shared: readonly string[], tame: boolean): fc.Arbitrary<string> {
  if (tame) {
    // Plain values: the policy's own strings and harmless ones, so that allow rules get their chance.
    const plain = fc.constantFrom(...new Set([...pool, ...BENIGN, ...shared]));
    const benign = fc.constantFrom(...BENIGN);
    return fc.oneof({ weight: 3, arbitrary: plain }, { weight: 1, arbitrary: benign }, { weight: 1, arbitrary: fc.tuple(plain, benign).map(([x, y]) => x + y) });
  }
  const affix = fc.oneof(fc.constantFrom(...AFFIXES), fc.string({ maxLength: 4 }));
  const arbs: Array<fc.WeightedArbitrary<string>> = [
    { weight: 2, arbitrary: fc.constantFrom(...WITNESSES) },
    { weight: 2, arbitrary: fc.constantFrom(...BENIGN) },
    { weight: 1, arbitrary: fc.constantFrom(...UNICODE) },
    { weight: 2, arbitrary: fc.string({ maxLength: 12 }) },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 6 }) },
  ];
  if (pool.length > 0) {
    const p = fc.constantFrom(...pool);
    arbs.push(
      { weight: 10, arbitrary: p },
      { weight: 2, arbitrary: fc.tuple(p, affix, p).map(([s, x, t]) => s + x + t) },
      { weight: 2, arbitrary: fc.tuple(affix, p).map(([x, s]) => x + s) },
      { weight: 2, arbitrary: fc.tuple(p, affix).map(([s, x]) => s + x) },
      { weight: 2, arbitrary: fc.tuple(affix, p, affix).map(([x, s, y]) => x + s + y) },
      { weight: 1, arbitrary: fc.tuple(p, fc.nat(2)).map(([s, i]) => caseVariants(s)[i] as string) },
      { weight: 1, arbitrary: p.map((s) => s.slice(0, -1)) },
      { weight: 1, arbitrary: p.map((s) => s.slice(1)) },
    );
  }
  if (shared.length > 0) {
    const s = fc.constantFrom(...shared);
    arbs.push(
      { weight: 8, arbitrary: s },
      { weight: 3, arbitrary: fc.tuple(affix, s, affix).map(([x, v, y]) => x + v + y) },
      { weight: 1, arbitrary: s.map((v) => v.slice(0, -1)) },
    );
  }
  return fc.oneof(...arbs);
}

// ---- values of a type ------------------------------------------------------------------------------------

export interface Gen {
  a: Artifact;
  k: Constants;
  /** Strings shared by the fields of one case, so that fields equal, contain or extend each other. */
  shared: readonly string[];
  /**
   * A tame case: a session and a tenant, no caller labels, no usage, empty budgets and windows, plain strings.
   * With many independent ways to be denied, wild cases are nearly all denied; tame ones reach the allow
   * and approval paths.
   */
  tame: boolean;
}

/** Keys whose constants bias a value: the reference itself, `prior.<p>` for args, then every constant. */
function strPool(g: Gen, keys: string[]): string[] {
  const out = new Set<string>();
  for (const key of keys) for (const s of g.k.strs.get(key) ?? []) out.add(s);
  for (const s of g.k.allStrs) out.add(s);
  return [...out];
}

function numPool(g: Gen, keys: string[]): number[] {
  const own = new Set<string>();
  for (const key of keys) for (const s of g.k.nums.get(key) ?? []) own.add(s);
  return numbersNear(own.size > 0 ? [...own, ...g.k.allNums] : g.k.allNums);
}

export function valueArb(g: Gen, t: WritType, keys: string[]): fc.Arbitrary<unknown> {
  switch (t.kind) {
    case 'string':
      return stringArb(strPool(g, keys), g.shared, g.tame);
    case 'enum':
      return fc.constantFrom(...t.values);
    case 'boolean':
      return fc.boolean();
    case 'number':
    case 'money':
      return numberArb(numPool(g, keys));
    case 'integer':
      return integerArb(numPool(g, keys));
    case 'duration': {
      const ms = integerArb(numPool(g, keys), 0);
      return fc.oneof({ weight: 4, arbitrary: ms }, { weight: 1, arbitrary: ms.map((n) => formatDuration(n)) });
    }
    case 'list': {
      const items = new Set<string | number | boolean>();
      for (const key of keys) for (const x of g.k.items.get(key) ?? []) items.add(x);
      const item = valueArb(g, t.of, keys.map((x) => `${x}[]`));
      const fits = [...items].filter((x) => (t.of.kind === 'string' ? typeof x === 'string' : t.of.kind === 'boolean' ? typeof x === 'boolean' : typeof x === 'number'));
      const biased = fits.length > 0 && !g.tame ? fc.oneof({ weight: 4, arbitrary: item }, { weight: 1, arbitrary: fc.constantFrom(...fits) }) : item;
      return fc.array(biased, { maxLength: g.tame ? 2 : 4 });
    }
    case 'any':
      return fc.jsonValue({ maxDepth: 2 });
  }
}

/** Drops undefined members, so absent fields are absent keys. */
function compact<T extends Record<string, unknown>>(o: T): T {
  for (const key of Object.keys(o)) if (o[key] === undefined) delete o[key];
  return o;
}

/** Valid args for a tool: every required parameter, optional ones present or absent. */
export function argsArb(g: Gen, tool: string): fc.Arbitrary<Record<string, unknown>> {
  const decl = g.a.tools[tool]!;
  const rec: Record<string, fc.Arbitrary<unknown>> = {};
  for (const p of decl.order) {
    const f = decl.params[p] as FieldDecl;
    const v = valueArb(g, f.type, [`args.${p}`, `prior.${p}`]);
    rec[p] = f.optional ? fc.option(v, { nil: undefined, freq: 3 }) : v;
  }
  return fc.record(rec).map((r) => compact({ ...r }));
}

// ---- requests and states ---------------------------------------------------------------------------------

const SESSIONS = ['session-1', 's2'];
const TENANTS = ['t1', 'acme', ''];

function agentArb(a: Artifact, tame: boolean): fc.Arbitrary<Request['agent']> {
  const declared = Object.keys(a.agents);
  if (tame) {
    const roles: fc.Arbitrary<string[]> = a.roles.length > 0 ? fc.subarray(a.roles, { minLength: 1 }) : fc.constant([]);
    return fc.oneof(
      ...(declared.length > 0 ? [fc.constantFrom(...declared).map((id): Request['agent'] => ({ id, tenant: 't1' }))] : []),
      roles.map((r): Request['agent'] => ({ id: 'agent-1', roles: r, tenant: 't1' })),
    );
  }
  const ids = fc.oneof(
    ...(declared.length > 0 ? [{ weight: 4, arbitrary: fc.constantFrom(...declared) }] : []),
    { weight: 2, arbitrary: fc.constantFrom('agent-1', 'bot', 'x') },
    { weight: 1, arbitrary: fc.string({ minLength: 1, maxLength: 8 }) },
  );
  const roles = fc.option(fc.subarray([...a.roles, 'ghost', 'ADMIN']), { nil: undefined, freq: 4 });
  const tenant = fc.option(fc.oneof(fc.constantFrom(...TENANTS), fc.string({ maxLength: 4 })), { nil: undefined, freq: 2 });
  const attrs = fc.option(fc.constant({ team: 'support' }), { nil: undefined, freq: 1 });
  return fc.record({ id: ids, roles, tenant, attrs }).map((x) => compact({ ...x }) as Request['agent']);
}

function budgetNumbers(a: Artifact): { tokens: number[]; costMicros: number[] } {
  const tokens = new Set<number>([0, 1, 500]);
  const cost = new Set<number>([0, 1, 10_000, 100_000]);
  for (const b of a.budgets) {
    if (b.tokens !== undefined) for (const d of [-1, 0, 1]) tokens.add(Math.max(0, b.tokens + d));
    if (b.cost) {
      const l = Number(b.cost.amount) * 1e6;
      for (const d of [-1, 0, 1]) cost.add(Math.max(0, Math.round(l) + d));
    }
  }
  return { tokens: [...tokens], costMicros: [...cost] };
}

function contextArb(g: Gen, tool: string): fc.Arbitrary<Record<string, unknown> | undefined> {
  const a = g.a;
  const decl = a.tools[tool]!;
  const fields: Record<string, fc.Arbitrary<unknown>> = {};
  for (const [name, f] of Object.entries(a.context)) fields[name] = fc.option(valueArb(g, f.type, [`context.${name}`]), { nil: undefined, freq: 3 });
  if (g.tame) {
    const present: Record<string, fc.Arbitrary<unknown>> = {};
    for (const [name, f] of Object.entries(a.context)) present[name] = fc.option(valueArb(g, f.type, [`context.${name}`]), { nil: undefined, freq: 6 });
    return fc.record(present).map((fs) => compact({ ...fs, session: 'session-1' }));
  }
  const labelNames = [...g.k.labels, 'zzz'];
  const labels = fc.option(fc.dictionary(fc.constantFrom(...decl.order, '*', 'other'), fc.subarray(labelNames), { maxKeys: 3 }), { nil: undefined, freq: 2 });
  const bn = budgetNumbers(a);
  const usage = fc.option(
    fc
      .record({
        tokens: fc.option(fc.oneof(fc.constantFrom(...bn.tokens), fc.nat(1_000_000)), { nil: undefined }),
        cost: fc.option(fc.oneof(fc.constantFrom(...bn.costMicros), fc.nat(20_000_000)).map((m) => m / 1e6), { nil: undefined }),
      })
      .map((u) => compact({ ...u })),
    { nil: undefined, freq: 2 },
  );
  const session = fc.option(fc.oneof(fc.constantFrom(...SESSIONS), fc.string({ minLength: 1, maxLength: 4 })), { nil: undefined, freq: 3 });
  const time = fc.option(fc.constant('2026-01-01T12:00:00Z'), { nil: undefined, freq: 1 });
  return fc
    .record({ fields: fc.record(fields), session, labels, usage, time, extra: fc.option(fc.constant(1), { nil: undefined, freq: 1 }) })
    .map(({ fields: fs, session: s, labels: l, usage: u, time: t, extra }) => {
      const c = compact({ ...fs, session: s, labels: l, usage: u, time: t, undeclared_key: extra });
      return Object.keys(c).length > 0 || extra === undefined ? c : undefined;
    });
}

/** Ages around each window: 0, w - 1, w, w + 1, and anything. */
function ageArb(k: Constants): fc.Arbitrary<number> {
  const ages = new Set<number>([0, 1]);
  for (const w of k.windows) for (const d of [-1, 0, 1]) if (w + d >= 0) ages.add(w + d);
  return fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...ages) }, { weight: 1, arbitrary: fc.nat(1_000_000_000) });
}

function stateArb(g: Gen, tool: string, historyMax: number): fc.Arbitrary<CaseState> {
  const a = g.a;
  const tools = Object.keys(a.tools);
  const called = [...g.k.calledTools];
  const histTool = called.length > 0 ? fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...called) }, { weight: 1, arbitrary: fc.constantFrom(...tools) }) : fc.constantFrom(...tools);
  const entry = histTool.chain((t) => fc.record({ tool: fc.constant(t), age_ms: ageArb(g.k), args: argsArb(g, t) }));
  const limits = (a.index[tool]?.limits ?? []).map((i) => a.limits[i]!.id);
  const budgets: Record<string, fc.Arbitrary<{ cost_micros: number; tokens: number; calls: number }>> = {};
  const toolCost = a.tools[tool]?.cost ? Math.round(Number(a.tools[tool]!.cost!.amount) * 1e6) : 0;
  for (const b of a.budgets) {
    const near = (limit: number | undefined, step: number[]) =>
      limit === undefined
        ? fc.oneof(fc.constant(0), fc.nat(1000))
        : fc.oneof(
            { weight: 2, arbitrary: fc.constant(0) },
            { weight: 3, arbitrary: fc.constantFrom(...[...new Set(step.map((d) => Math.max(0, limit - d)))]) },
            { weight: 1, arbitrary: fc.nat(Math.max(1, limit)) },
            { weight: 1, arbitrary: fc.nat(Math.max(1, 2 * limit)) },
          );
    const costLimit = b.cost ? Math.round(Number(b.cost.amount) * 1e6) : undefined;
    budgets[b.id] = fc.record({
      cost_micros: near(costLimit, [0, 1, -1, toolCost, toolCost + 1, toolCost - 1, toolCost + 10_000, 2 * toolCost]),
      tokens: near(b.tokens, [0, 1, -1, 500, 1000]),
      calls: near(b.calls, [0, 1, 2, -1]),
    });
  }
  if (g.tame) {
    const empty = Object.fromEntries(a.budgets.map((b) => [b.id, { cost_micros: 0, tokens: 0, calls: 0 }]));
    return fc.record({
      history: fc.array(entry, { maxLength: historyMax }),
      full_limits: fc.constant([]),
      budgets: fc.constant(empty),
      approval: fc.constantFrom('none', 'granted', 'pending') as fc.Arbitrary<CaseState['approval']>,
    });
  }
  return fc.record({
    history: fc.array(entry, { maxLength: historyMax }),
    full_limits: fc.subarray(limits),
    budgets: fc.record(budgets),
    approval: fc.constantFrom('none', 'pending', 'granted', 'rejected', 'expired') as fc.Arbitrary<CaseState['approval']>,
  });
}

/** Strings a case's fields share (so that a field can equal, contain or extend another). */
function sharedArb(k: Constants): fc.Arbitrary<string[]> {
  const pool = [...k.allStrs, ...BENIGN.filter((s) => s.length >= 3), ...WITNESSES.slice(0, 4)];
  return fc.array(fc.oneof(fc.constantFrom(...pool), fc.string({ minLength: 1, maxLength: 10 }), fc.constantFrom(...UNICODE)), { minLength: 1, maxLength: 3 });
}

/**
 * Valid cases for `tool`: a request (valid for the tool's signature and the context declarations) and a
 * state with at most `historyMax` history entries (the encoding's number of symbolic entries).
 */
export function caseArb(a: Artifact, k: Constants, tool: string, historyMax: number): fc.Arbitrary<Case> {
  const decl = a.tools[tool]!;
  const stringParams = decl.order.filter((p) => decl.params[p]!.type.kind === 'string');
  const stringFields = Object.keys(a.context).filter((f) => a.context[f]!.type.kind === 'string');
  // Sometimes an argument carries a context field's value, whole or inside a longer string (taint sources).
  const couple =
    stringParams.length > 0 && stringFields.length > 0
      ? fc.option(fc.tuple(fc.constantFrom(...stringParams), fc.constantFrom(...stringFields), fc.constantFrom('', 'x', 'abcdefgh'), fc.constantFrom('', '!')), { nil: undefined, freq: 2 })
      : fc.constant(undefined);
  return fc.tuple(sharedArb(k), fc.boolean()).chain(([shared, tame]) => {
    const g: Gen = { a, k, shared, tame };
    return fc
      .record({ agent: agentArb(a, tame), args: argsArb(g, tool), context: contextArb(g, tool), state: stateArb(g, tool, historyMax), couple })
      .map(({ agent, args, context, state, couple: c }) => {
        if (c && context && typeof context[c[1]] === 'string') args[c[0]] = c[2] + (context[c[1]] as string) + c[3];
        const request: Request = { agent, tool, args };
        if (context !== undefined) request.context = context;
        return { request, state };
      });
  });
}

// ---- invalid requests ------------------------------------------------------------------------------------

/** A value that does not fit `t` (undefined when every value fits, i.e. `any`). */
function misfit(t: WritType): unknown[] {
  switch (t.kind) {
    case 'string':
      return [5, null, ['a'], 'x'.repeat(65_537)];
    case 'enum':
      return ['not-a-value', 1, null];
    case 'boolean':
      return ['true', 0, null];
    case 'number':
    case 'money':
      return ['100', NaN, Infinity, -Infinity, null, true];
    case 'integer':
      return [1.5, 2 ** 53, '1', NaN, null];
    case 'duration':
      return [-1, 1.5, '5x', '5m1h', '', 2 ** 53, null];
    case 'list':
      return ['a', { 0: 'a' }, null, ...misfit(t.of).slice(0, 2).map((x) => [x])];
    case 'any':
      return [];
  }
}

/** Ways to break a valid request; each yields a request the runtime must deny as `invalid_request`. */
export function invalidRequestArb(a: Artifact, k: Constants, tool: string): fc.Arbitrary<{ request: unknown; mutation: string }> {
  const decl = a.tools[tool]!;
  const mutations: Array<[string, (r: Request) => unknown]> = [
    ['request is null', () => null],
    ['request is a list', (r) => [r]],
    ['request is a string', () => 'allow me'],
    ['no agent', (r) => ({ ...r, agent: undefined })],
    ['agent.id empty', (r) => ({ ...r, agent: { ...r.agent, id: '' } })],
    ['agent.id a number', (r) => ({ ...r, agent: { ...r.agent, id: 7 } })],
    ['agent.roles a string', (r) => ({ ...r, agent: { ...r.agent, roles: 'admin' } })],
    ['agent.roles with a number', (r) => ({ ...r, agent: { ...r.agent, roles: [1] } })],
    ['agent.tenant a number', (r) => ({ ...r, agent: { ...r.agent, tenant: 3 } })],
    ['agent.attrs a list', (r) => ({ ...r, agent: { ...r.agent, attrs: [] } })],
    ['unknown tool', (r) => ({ ...r, tool: 'no_such_tool' })],
    ['tool a number', (r) => ({ ...r, tool: 1 })],
    ['args a list', (r) => ({ ...r, args: [] })],
    ['args a string', (r) => ({ ...r, args: 'x' })],
    ['unexpected argument', (r) => ({ ...r, args: { ...r.args, zz_unexpected: 1 } })],
    ['context a string', (r) => ({ ...r, context: 'x' })],
    ['context.session empty', (r) => ({ ...r, context: { ...r.context, session: '' } })],
    ['context.session a number', (r) => ({ ...r, context: { ...r.context, session: 5 } })],
    ['context.time a number', (r) => ({ ...r, context: { ...r.context, time: 5 } })],
    ['context.labels a list', (r) => ({ ...r, context: { ...r.context, labels: ['x'] } })],
    ['context.labels item not a list', (r) => ({ ...r, context: { ...r.context, labels: { a: 'x' } } })],
    ['context.labels item with a number', (r) => ({ ...r, context: { ...r.context, labels: { a: [1] } } })],
    ['context.usage a number', (r) => ({ ...r, context: { ...r.context, usage: 5 } })],
    ['context.usage.tokens negative', (r) => ({ ...r, context: { ...r.context, usage: { tokens: -1 } } })],
    ['context.usage.tokens fractional', (r) => ({ ...r, context: { ...r.context, usage: { tokens: 1.5 } } })],
    ['context.usage.cost negative', (r) => ({ ...r, context: { ...r.context, usage: { cost: -0.5 } } })],
    ['context.usage.cost infinite', (r) => ({ ...r, context: { ...r.context, usage: { cost: Infinity } } })],
  ];
  for (const p of decl.order) {
    const f = decl.params[p] as FieldDecl;
    if (!f.optional) mutations.push([`missing args.${p}`, (r) => ({ ...r, args: compact({ ...r.args, [p]: undefined }) })]);
    misfit(f.type).forEach((v, i) => mutations.push([`args.${p} misfit #${i}`, (r) => ({ ...r, args: { ...r.args, [p]: v } })]));
  }
  for (const [name, f] of Object.entries(a.context)) {
    misfit(f.type).forEach((v, i) => mutations.push([`context.${name} misfit #${i}`, (r) => ({ ...r, context: { ...r.context, [name]: v } })]));
  }
  return fc.tuple(caseArb(a, k, tool, 0), fc.constantFrom(...mutations)).map(([c, [mutation, f]]) => ({ request: f(c.request), mutation }));
}
