/**
 * The rule index (`src/engine/ruleindex.ts`) must decide exactly as evaluating every rule does. A naive
 * reference, written here from SEMANTICS.md without the runtime's code, decides generated artifacts (rules
 * over roles, enums, strings, numbers, optional fields, `or`s and `not`s, on tools whose parameters have
 * different types) and generated requests; the runtime must agree on the effect, the denial and the deciding
 * rule(s).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadPolicy, MemoryStateStore, parseDuration, type Artifact, type Decision, type Expr, type Rule, type Span, type Value, type WritType } from '../src/index.js';
import { findAll, LINEAR_MAX } from '../src/engine/ruleindex.js';
import { validateRequest } from '../src/engine/validate.js';
import { rulesOf } from '../src/engine/plan.js';
import { prepare } from '../src/engine/prepare.js';
import { T, approval, makeArtifact, tool } from './helpers.js';

const ROLES = ['r0', 'r1', 'r2', 'r3', 'r4'];
const REGIONS = ['eu', 'us', 'apac', 'latam'];
const TIERS = ['free', 'pro', 'enterprise'];
const USERS = ['svc_1', 'svc_2', 'tmp_1', 'ext_9', 'x'];
const NOTES = ['a', 'b', 'calm'];
const AMOUNTS = [0, 1, 99, 100, 101, 500, 1000, 2500.5];
const COUNTS = [0, 9, 10, 11, 50, 99, 100];
const WAITS = [0, 999, 1000, 60_000, 3_600_000];

const tools = {
  t1: tool({
    amount: T.number,
    count: T.integer,
    region: T.enum(...REGIONS),
    tier: T.enum(...TIERS),
    user: T.string,
    'note?': T.string,
    'limit?': T.number,
    'wait?': T.duration,
  }),
  // The same names with other types: guards depend on the tool (string vs enum, `any` is not indexable).
  t2: tool({
    amount: T.any,
    count: T.integer,
    region: T.string,
    tier: T.enum('free', 'pro'),
    user: T.string,
    'note?': T.enum('a', 'b'),
    'limit?': T.integer,
    'wait?': T.duration,
  }),
};

const argsRef = (p: string): Value => ({ ref: ['args', p] });

// ---------------------------------------------------------------------------------------------------------
// Generators

const numParam = fc.constantFrom(
  { p: 'amount', type: T.number, ks: AMOUNTS },
  { p: 'count', type: T.integer, ks: COUNTS },
  { p: 'limit', type: T.number, ks: AMOUNTS },
  { p: 'wait', type: T.duration, ks: WAITS },
);
const cmpOp = fc.constantFrom('==', '!=', '<', '<=', '>', '>=' as const);

const numAtom: fc.Arbitrary<Expr> = fc
  .record({ np: numParam, op: cmpOp, k: fc.nat(10), swap: fc.boolean(), asString: fc.boolean() })
  .map(({ np, op, k, swap, asString }) => {
    const value = np.ks[k % np.ks.length]!;
    const lit: Value = { lit: np.type.kind === 'duration' && asString && value % 1000 === 0 && value > 0 ? `${value / 1000}s` : asString ? String(value) : value };
    return swap
      ? { op: 'cmp', cmp: flipOp(op), left: lit, right: argsRef(np.p), type: np.type }
      : { op: 'cmp', cmp: op, left: argsRef(np.p), right: lit, type: np.type };
  });

const strParam = fc.constantFrom(
  { p: 'region', type: T.enum(...REGIONS), values: [...REGIONS, 'mars'] },
  { p: 'tier', type: T.enum(...TIERS), values: TIERS },
  { p: 'user', type: T.string, values: USERS },
  { p: 'note', type: T.string, values: NOTES },
);

const strAtom: fc.Arbitrary<Expr> = fc.oneof(
  fc.record({ sp: strParam, eq: fc.boolean(), k: fc.nat(10), swap: fc.boolean() }).map(({ sp, eq, k, swap }): Expr => {
    const lit: Value = { lit: sp.values[k % sp.values.length]! };
    const [left, right] = swap ? [lit, argsRef(sp.p)] : [argsRef(sp.p), lit];
    return { op: 'cmp', cmp: eq ? '==' : '!=', left, right, type: sp.type };
  }),
  fc
    .record({ sp: strParam, pick: fc.array(fc.nat(10), { maxLength: 4 }), scalar: fc.boolean(), extra: fc.constantFrom([], [1], ['5', true]) })
    .map(({ sp, pick, scalar, extra }): Expr => {
      const items = [...new Set(pick.map((k) => sp.values[k % sp.values.length]!))];
      const set: Value = scalar && items.length === 1 ? { lit: items[0]! } : { lit: [...items, ...(extra as Array<string | number | boolean>)] };
      return { op: 'in', value: argsRef(sp.p), set };
    }),
);

const roleAtom: fc.Arbitrary<Expr> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...ROLES).map((role): Expr => ({ op: 'has_role', role })) },
  { weight: 2, arbitrary: fc.subarray(ROLES, { minLength: 2, maxLength: 3 }).map((rs): Expr => ({ op: 'or', args: rs.map((role) => ({ op: 'has_role', role }) as Expr) })) },
);

const otherAtom: fc.Arbitrary<Expr> = fc.oneof(
  fc.constantFrom('svc_', 'tmp_', 'ext').map((p): Expr => ({ op: 'str', fn: 'starts_with', left: argsRef('user'), right: { lit: p } })),
  // Nested and empty prefixes (the index looks a value up by the longest literal it starts with), on an
  // optional parameter too (absent: no literal), and on an enum.
  fc
    .record({ p: fc.constantFrom('user', 'note', 'region', 'amount'), lit: fc.constantFrom('', 's', 'sv', 'svc_', 'svc_1', 'c', 'ca', 'e', 'eu') })
    .map(({ p, lit }): Expr => ({ op: 'str', fn: 'starts_with', left: argsRef(p), right: { lit } })),
  fc.constantFrom<Expr>({ op: 'true' }, { op: 'false' }),
);

const atom: fc.Arbitrary<Expr> = fc.oneof(
  { weight: 4, arbitrary: roleAtom },
  { weight: 4, arbitrary: strAtom },
  { weight: 4, arbitrary: numAtom },
  { weight: 1, arbitrary: otherAtom },
  { weight: 2, arbitrary: fc.oneof(roleAtom, strAtom, numAtom).map((arg): Expr => ({ op: 'not', arg })) },
  // An `or` across dimensions, or of one parameter's atoms.
  { weight: 1, arbitrary: fc.tuple(fc.oneof(roleAtom, strAtom, numAtom), fc.oneof(roleAtom, strAtom, numAtom)).map(([a, b]): Expr => ({ op: 'or', args: [a, b] })) },
  { weight: 1, arbitrary: fc.tuple(strAtom, strAtom).map(([a, b]): Expr => ({ op: 'or', args: [a, b] })) },
);

const when: fc.Arbitrary<Expr> = fc.oneof(
  { weight: 2, arbitrary: atom },
  { weight: 6, arbitrary: fc.array(atom, { minLength: 2, maxLength: 4 }).map((args): Expr => ({ op: 'and', args })) },
  {
    weight: 1,
    arbitrary: fc.tuple(atom, fc.array(atom, { minLength: 1, maxLength: 3 })).map(([a, rest]): Expr => ({ op: 'and', args: [a, { op: 'and', args: rest }] })),
  },
);

interface RuleSeed {
  effect: Rule['effect'];
  tools: string[];
  when: Expr;
  reads: string[];
  clauses: boolean;
}

const ruleSeed: fc.Arbitrary<RuleSeed> = fc.record({
  effect: fc.constantFrom<Rule['effect']>('allow', 'allow', 'allow', 'deny', 'deny', 'approve'),
  tools: fc.constantFrom(['t1'], ['t1'], ['t2'], ['*'], ['t1', 't2']),
  when,
  reads: fc.oneof({ weight: 4, arbitrary: fc.constant([] as string[]) }, { weight: 1, arbitrary: fc.subarray(['args.limit', 'args.note', 'args.wait'], { minLength: 1 }) }),
  clauses: fc.boolean(),
});

/** Rules with distinct positions: `order[i]` is rule i's rank, spread over two files. */
const artifactArb = fc
  .array(ruleSeed, { maxLength: 70, size: 'max' })
  .chain((seeds) =>
    fc.record({
      seeds: fc.constant(seeds),
      order: fc.shuffledSubarray([...seeds.keys()], { minLength: seeds.length, maxLength: seeds.length }),
      dups: fc.array(fc.nat(), { maxLength: 3 }),
    }),
  )
  .map(({ seeds, order, dups }): Artifact => {
    const rules: Rule[] = seeds.map((s, i) => {
      const rank = order[i]!;
      const file = rank % 3 === 0 ? 'a.writ' : 'b.writ';
      const line = 10 + (rank >> 1);
      const column = 1 + (rank & 1) * 7;
      const span: Span = { file, line, column, endLine: line, endColumn: column + 5 };
      const r: Rule = {
        id: `${file}:${line}:${column}`,
        effect: s.effect,
        tools: s.tools,
        when: s.when,
        message: `${s.effect} ${file}:${line}:${column}`,
        reads: s.reads,
        span,
      };
      if (s.effect === 'approve') r.approval = approval('r3');
      if (s.clauses && s.when.op === 'or') r.clauses = s.when.args.map((_, k) => ({ file, line, column: column + 1 + k, endLine: line, endColumn: column + 2 + k }));
      return r;
    });
    for (const d of dups) if (rules.length > 0) rules.push(rules[d % rules.length]!);
    return makeArtifact({ roles: ROLES, agents: { boss: { roles: ['r1', 'r2'] } }, tools, rules });
  });

const requestArb = fc
  .record({
    agent: fc.oneof(
      fc.constant({ id: 'boss', roles: ['r0'] }),
      fc.record({ id: fc.constant('x'), roles: fc.subarray([...ROLES, 'zz', 'r1']) }),
    ),
    tool: fc.constantFrom('t1', 't2'),
    amount: fc.oneof(fc.constantFrom(...AMOUNTS), fc.integer({ min: -5, max: 3000 })),
    amountAsString: fc.boolean(),
    count: fc.constantFrom(...COUNTS),
    region: fc.constantFrom(...REGIONS, 'mars'),
    tier: fc.constantFrom(...TIERS),
    user: fc.constantFrom(...USERS, 'svc', '', '1', 'true'),
    note: fc.option(fc.constantFrom(...NOTES), { nil: undefined }),
    limit: fc.option(fc.constantFrom(...AMOUNTS, 7), { nil: undefined }),
    wait: fc.option(fc.oneof(fc.constantFrom(...WAITS), fc.constantFrom('1s', '1m', '1h')), { nil: undefined }),
  })
  .map((q) => {
    const t1 = q.tool === 't1';
    const args: Record<string, unknown> = {
      amount: !t1 && q.amountAsString ? String(q.amount) : q.amount,
      count: q.count,
      region: t1 && q.region === 'mars' ? 'eu' : q.region,
      tier: !t1 && q.tier === 'enterprise' ? 'pro' : q.tier,
      user: q.user,
    };
    if (q.note !== undefined && (t1 || q.note !== 'calm')) args.note = q.note;
    if (q.limit !== undefined && (t1 || Number.isInteger(q.limit))) args.limit = q.limit;
    if (q.wait !== undefined) args.wait = q.wait;
    return { agent: q.agent, tool: q.tool, args };
  });

// ---------------------------------------------------------------------------------------------------------
// The naive reference (SEMANTICS.md §2–§5 for these rules, every rule evaluated)

function flipOp(op: '==' | '!=' | '<' | '<=' | '>' | '>='): '==' | '!=' | '<' | '<=' | '>' | '>=' {
  return op === '<' ? '>' : op === '<=' ? '>=' : op === '>' ? '<' : op === '>=' ? '<=' : op;
}

interface Req {
  agent: { id: string; roles: string[] };
  tool: string;
  args: Record<string, unknown>;
}

function value(v: Value, args: Record<string, unknown>): unknown {
  if ('lit' in v) return v.lit;
  return Object.hasOwn(args, v.ref[1]!) ? args[v.ref[1]!] : undefined;
}

function numLit(x: unknown, type: WritType): number {
  if (typeof x === 'number') return x;
  if (type.kind === 'duration') {
    const ms = parseDuration(x as string);
    if (ms !== undefined) return ms;
  }
  return Number(x);
}

function evalExpr(e: Expr, args: Record<string, unknown>, roles: ReadonlySet<string>): boolean {
  switch (e.op) {
    case 'true':
      return true;
    case 'false':
      return false;
    case 'and':
      return e.args.every((a) => evalExpr(a, args, roles));
    case 'or':
      return e.args.some((a) => evalExpr(a, args, roles));
    case 'not':
      return !evalExpr(e.arg, args, roles);
    case 'has_role':
      return roles.has(e.role);
    case 'str': {
      const a = value(e.left, args);
      const b = value(e.right, args);
      return typeof a === 'string' && typeof b === 'string' && a.startsWith(b);
    }
    case 'in': {
      const v = value(e.value, args);
      const items = ('lit' in e.set ? (Array.isArray(e.set.lit) ? e.set.lit : [e.set.lit]) : []) as unknown[];
      if (typeof v === 'string') return items.includes(v);
      if (typeof v === 'number') return items.some((x) => (typeof x === 'number' || typeof x === 'string') && Number(x) === v && (typeof x === 'number' || /^-?\d/.test(x)));
      return false;
    }
    case 'cmp': {
      let a = value(e.left, args);
      let b = value(e.right, args);
      if (['number', 'integer', 'money', 'duration'].includes(e.type.kind)) {
        if ('lit' in e.left) a = numLit(a, e.type);
        if ('lit' in e.right) b = numLit(b, e.type);
        if (typeof a !== 'number' || typeof b !== 'number') return false;
        switch (e.cmp) {
          case '==':
            return a === b;
          case '!=':
            return a !== b;
          case '<':
            return a < b;
          case '<=':
            return a <= b;
          case '>':
            return a > b;
          case '>=':
            return a >= b;
        }
      }
      if (a === undefined || b === undefined) return false;
      return e.cmp === '==' ? a === b : a !== b;
    }
    default:
      throw new Error(`not generated: ${e.op}`);
  }
}

function spanKey(r: Rule, i: number): (string | number)[] {
  return [r.span.file, r.span.line, r.span.column, r.span.endLine, r.span.endColumn, r.id, i];
}

function cmpKeys(a: (string | number)[], b: (string | number)[]): number {
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

interface RefReason {
  rule: string;
  message: string;
  clause?: { file: string; line: number; column: number };
}

/** A matching rule's reason (or null): errored first, then the condition (the first true clause of an `or`). */
function refMatch(r: Rule, args: Record<string, unknown>, roles: ReadonlySet<string>): RefReason | null {
  const missing = r.reads.find((x) => args[x.slice('args.'.length)] === undefined);
  if (missing !== undefined) return r.effect === 'allow' ? null : { rule: r.id, message: `${r.message} (rule errored: ${missing} is absent)` };
  if (r.clauses !== undefined && r.when.op === 'or' && r.when.args.length === r.clauses.length) {
    const k = r.when.args.findIndex((a) => evalExpr(a, args, roles));
    if (k < 0) return null;
    const c = r.clauses[k]!;
    return { rule: r.id, message: r.message, clause: { file: c.file, line: c.line, column: c.column } };
  }
  return evalExpr(r.when, args, roles) ? { rule: r.id, message: r.message } : null;
}

function referenceDecide(a: Artifact, q: Req): { effect: string; denial?: string; reasons: RefReason[] } {
  const roles = new Set(Object.hasOwn(a.agents, q.agent.id) ? a.agents[q.agent.id]!.roles : q.agent.roles.filter((r) => a.roles.includes(r)));
  const args: Record<string, unknown> = { ...q.args };
  if (typeof args.wait === 'string') args.wait = parseDuration(args.wait);
  const of = (effect: Rule['effect']) =>
    a.rules
      .map((r, i) => ({ r, key: spanKey(r, i) }))
      .filter(({ r }) => r.effect === effect && (r.tools.includes('*') || r.tools.includes(q.tool)))
      .sort((x, y) => cmpKeys(x.key, y.key))
      .map(({ r }) => r);
  for (const r of of('deny')) {
    const m = refMatch(r, args, roles);
    if (m !== null) return { effect: 'deny', denial: 'forbidden', reasons: [m] };
  }
  const approvals: RefReason[] = [];
  for (const r of of('approve')) {
    const m = refMatch(r, args, roles);
    const last = approvals[approvals.length - 1];
    if (m !== null && !(last !== undefined && JSON.stringify(last) === JSON.stringify(m))) approvals.push(m);
  }
  if (approvals.length > 0) return { effect: 'pending_approval', reasons: approvals };
  for (const r of of('allow')) {
    const m = refMatch(r, args, roles);
    if (m !== null) return { effect: 'allow', reasons: [m] };
  }
  return { effect: 'deny', denial: 'not_permitted', reasons: [{ rule: 'writ:default-deny', message: `no rule allows '${q.tool}' for agent '${q.agent.id}'` }] };
}

function summary(d: Decision): { effect: string; denial?: string; reasons: RefReason[] } {
  const out: { effect: string; denial?: string; reasons: RefReason[] } = {
    effect: d.effect,
    reasons: d.reasons.map((r) => (r.clause === undefined ? { rule: r.rule, message: r.message } : { rule: r.rule, message: r.message, clause: r.clause })),
  };
  if (d.denial !== undefined) out.denial = d.denial;
  return out;
}

// ---------------------------------------------------------------------------------------------------------

describe('rule index', () => {
  it('decides generated artifacts exactly as evaluating every rule in span order does (property)', () => {
    let indexed = 0;
    fc.assert(
      fc.property(artifactArb, fc.array(requestArb, { minLength: 1, maxLength: 25 }), (artifact, requests) => {
        // Indexes built on first use or at load: the same decisions.
        const policy = loadPolicy(artifact, { index: indexed % 2 === 0 ? 'lazy' : 'eager' });
        for (const t of ['t1', 't2']) {
          const plan = rulesOf(prepare(artifact, { maxStringLength: 100, maxListLength: 100 }).tools.get(t)!);
          if (!plan.rules.linear || !plan.approve.linear) indexed++;
        }
        for (const q of requests) {
          const d = policy.decide(q, { dryRun: true, now: 0 });
          expect(summary(d), JSON.stringify(q)).toEqual(referenceDecide(artifact, q as Req));
        }
      }),
      { numRuns: 400 },
    );
    // The property must exercise the index, not only the linear scan.
    expect(indexed).toBeGreaterThan(400);
  });

  it('indexes roles, enum and string equality, and numeric bounds', () => {
    const rules: Rule[] = [];
    for (let i = 0; i < 40; i++) {
      const when: Expr = {
        op: 'and',
        args: [
          { op: 'has_role', role: ROLES[i % 5]! },
          { op: 'cmp', cmp: '==', left: argsRef('region'), right: { lit: REGIONS[i % 4]! }, type: T.enum(...REGIONS) },
          { op: 'cmp', cmp: '<=', left: argsRef('amount'), right: { lit: String(100 * i) }, type: T.number },
        ],
      };
      rules.push({ id: `p.writ:${i + 1}`, effect: 'allow', tools: ['t1'], when, message: 'm', reads: [], span: { file: 'p.writ', line: i + 1, column: 1, endLine: i + 1, endColumn: 9 } });
    }
    const a = makeArtifact({ roles: ROLES, tools, rules });
    const tool = prepare(a, { maxStringLength: 100, maxListLength: 100 }).tools.get('t1')!;
    expect(tool.rules).toBeNull(); // built on the tool's first decision
    const t1 = rulesOf(tool);
    expect(tool.rules).not.toBeNull();
    expect(t1.rules.linear).toBe(false);
    expect(t1.denyEnd).toBe(0);
    expect(t1.rules.describe().sort()).toEqual(['args.amount bounds', 'args.region', 'roles']);
    expect(t1.approve.linear).toBe(true);
    const p = loadPolicy(a);
    const ask = (roles: string[], region: string, amount: number) =>
      p.decide({ agent: { id: 'x', roles }, tool: 't1', args: { amount, count: 1, region, tier: 'free', user: 'u' } }, { dryRun: true });
    // Rule i: role r(i%5), region REGIONS[i%4], amount <= 100 i. The first match by line is the smallest such i.
    expect(ask(['r1'], 'us', 500).reasons[0]!.rule).toBe('p.writ:22'); // i ≡ 1 (mod 20): i = 1 allows at most 100
    expect(ask(['r2', 'r3'], 'apac', 0).reasons[0]!.rule).toBe('p.writ:3');
    expect(ask(['r4'], 'eu', 0).reasons[0]!.rule).toBe('p.writ:5');
    expect(ask(['zz'], 'eu', 0).denial).toBe('not_permitted');
    expect(ask(['r4'], 'eu', 4000).denial).toBe('not_permitted'); // i = 4, 24 allow at most 2400
    expect(LINEAR_MAX).toBeLessThan(40);
    expect(() => loadPolicy(a, { index: 'soon' as 'lazy' })).toThrow(RangeError);
    expect(loadPolicy(a, { index: 'eager' }).decide({ agent: { id: 'x', roles: ['r1'] }, tool: 't1', args: { amount: 500, count: 1, region: 'us', tier: 'free', user: 'u' } }).reasons[0]!.rule).toBe('p.writ:22');
  });

  it('finds a request’s roles by name with few roles declared and by hashing with many', () => {
    for (const count of [5, 40]) {
      const roles = Array.from({ length: count }, (_, i) => `role${i}`);
      // Rule i allows holders of role i % count, for amounts up to i; several rules per role.
      const rules: Rule[] = Array.from({ length: 2 * count }, (_, i) =>
        ({
          id: `p.writ:${i + 1}`,
          effect: 'allow',
          tools: ['t1'],
          when: { op: 'and', args: [{ op: 'has_role', role: roles[i % count]! }, { op: 'cmp', cmp: '<=', left: argsRef('amount'), right: { lit: String(i) }, type: T.number }] },
          message: 'm',
          reads: [],
          span: { file: 'p.writ', line: i + 1, column: 1, endLine: i + 1, endColumn: 9 },
        }) as Rule,
      );
      const a = makeArtifact({ roles, tools, rules });
      expect(rulesOf(prepare(a, { maxStringLength: 100, maxListLength: 100 }).tools.get('t1')!).rules.describe()).toContain('roles');
      const p = loadPolicy(a);
      const ask = (held: string[], amount: number) => {
        const d = p.decide({ agent: { id: 'x', roles: held }, tool: 't1', args: { amount, count: 1, region: 'us', tier: 'free', user: 'u' } }, { dryRun: true });
        return d.effect === 'allow' ? d.reasons[0]!.rule : d.denial;
      };
      const last = roles[count - 1]!;
      expect(ask([last], 0)).toBe(`p.writ:${count}`); // rule count - 1 (0-based) is the first for that role
      expect(ask([last], count)).toBe(`p.writ:${2 * count}`); // its second rule allows up to 2 count - 1
      expect(ask(['nobody', `${last}x`, last.slice(0, -1) + 'z'], 0)).toBe('not_permitted'); // near-miss names
      expect(ask(['nobody', roles[1]!, last], 1)).toBe('p.writ:2');
    }
  });

  // 5 constants: the keys are scanned; 24: they are halved (more than 16).
  for (const ks of [[-1, 0, 2.5, 10, 100], [-1000, -7.5, -1, -0.5, 0, 0.1, 0.2, 0.30000000000000004, 1, 2, 2.5, 3, 5, 8, 10, 13, 21, 34, 55, 89, 100, 144, 1e6, 1e15]]) {
    it(`indexes lower and upper bounds of one parameter as regions: at, between and next to each of ${ks.length} constants`, () => {
      // Rules bound `amount` from below, above, both (including contradictory pairs), or to one value, strictly
      // or not, with constants that repeat across rules (one written "-0"); at every value, the index must find
      // exactly the rules whose bounds hold.
      const test = (op: string, k: number) => (v: number) => (op === '<' ? v < k : op === '<=' ? v <= k : op === '>' ? v > k : op === '>=' ? v >= k : v === k);
      const cmp = (op: string, k: number | string): Expr => ({ op: 'cmp', cmp: op as '<', left: argsRef('amount'), right: { lit: String(k) }, type: T.number });
      const conds: Array<{ when: Expr; holds: (v: number) => boolean }> = [];
      for (const k of ks) for (const op of ['<', '<=', '>', '>=', '=='] as const) conds.push({ when: cmp(op, k), holds: test(op, k) });
      conds.push({ when: cmp('<=', '-0'), holds: test('<=', 0) }, { when: cmp('>', '-0'), holds: test('>', 0) });
      const step = Math.max(1, Math.floor(ks.length / 6));
      for (let x = 0; x < ks.length; x += step) {
        for (let y = 0; y < ks.length; y += step) {
          const [lo, hi] = [ks[x]!, ks[y]!]; // y < x: contradictory bounds, which hold nowhere
          for (const [loOp, hiOp] of [['>', '<'], ['>=', '<='], ['>', '<='], ['>=', '<']] as const) {
            conds.push({ when: { op: 'and', args: [cmp(loOp, lo), cmp(hiOp, hi)] }, holds: (v) => test(loOp, lo)(v) && test(hiOp, hi)(v) });
          }
        }
      }
      const rules: Rule[] = conds.map((c, i) => ({
        id: `p.writ:${i + 1}`,
        effect: 'allow',
        tools: ['t1'],
        when: c.when,
        message: 'm',
        reads: [],
        span: { file: 'p.writ', line: i + 1, column: 1, endLine: i + 1, endColumn: 9 },
      }));
      const a = makeArtifact({ roles: ROLES, tools, rules });
      const compiled = prepare(a, { maxStringLength: 100, maxListLength: 100 });
      const t1 = rulesOf(compiled.tools.get('t1')!);
      expect(t1.rules.describe()).toEqual(['args.amount bounds']);
      const values = [-0, -1e9, 1e9, Number.MAX_VALUE, -Number.MAX_VALUE];
      for (const k of ks) values.push(k, k - 0.25, k + 0.25, k - Number.EPSILON * Math.max(1, Math.abs(k)), k + Number.EPSILON * Math.max(1, Math.abs(k)));
      for (const v of values) {
        const c = validateRequest(compiled, { agent: { id: 'x', roles: [] }, tool: 't1', args: { amount: v, count: 1, region: 'us', tier: 'free', user: 'u' } }, 0, new MemoryStateStore());
        if (typeof c === 'string') throw new Error(c);
        const found: string[] = [];
        findAll(t1.rules, c, (r) => found.push(r.id));
        expect(found, `amount ${v}`).toEqual(rules.filter((_, i) => conds[i]!.holds(v)).map((r) => r.id));
      }
    });
  }

  it('decides as the rules in span order when the deny rules end inside a 32-rule word, at its end, or just past it', () => {
    // The allow scan starts in the word where the deny scan ended (and reuses it); requests differ in one
    // dimension at a time, so a stale word from the previous request or scan would show.
    for (const denies of [20, 31, 32, 33]) {
      const rules: Rule[] = [];
      for (let i = 0; i < denies + 40; i++) {
        const deny = i < denies;
        rules.push({
          id: `p.writ:${i + 1}`,
          effect: deny ? 'deny' : 'allow',
          tools: ['t1'],
          when: {
            op: 'and',
            args: [
              { op: 'has_role', role: ROLES[i % ROLES.length]! },
              { op: 'cmp', cmp: deny ? '>' : '<=', left: argsRef('amount'), right: { lit: String(deny ? 500 + 10 * i : 10 * (i - denies)) }, type: T.number },
            ],
          },
          message: deny ? `denied ${i}` : `allowed ${i}`,
          reads: [],
          span: { file: 'p.writ', line: i + 1, column: 1, endLine: i + 1, endColumn: 9 },
        });
      }
      const a = makeArtifact({ roles: ROLES, tools, rules });
      expect(rulesOf(prepare(a, { maxStringLength: 100, maxListLength: 100 }).tools.get('t1')!).rules.linear).toBe(false);
      const p = loadPolicy(a);
      let allows = 0;
      let denied = 0;
      for (const held of [[ROLES[0]!], [ROLES[1]!, ROLES[3]!], [ROLES[4]!], []]) {
        for (const amount of [0, 5, 95, 150, 390, 505, 700, 1000]) {
          const q = { agent: { id: 'x', roles: held }, tool: 't1', args: { amount, count: 1, region: 'us', tier: 'free', user: 'u' } };
          const d = p.decide(q, { dryRun: true });
          expect(summary(d), `${denies} deny rules: ${JSON.stringify(q)}`).toEqual(referenceDecide(a, q as Req));
          if (d.effect === 'allow') allows++;
          if (d.denial === 'forbidden') denied++;
        }
      }
      expect(allows).toBeGreaterThan(3);
      expect(denied).toBeGreaterThan(3);
    }
  });

  it('admits no bound for a NaN that reached the index (validation keeps NaN out; the index does not rely on it)', () => {
    const rules: Rule[] = ['<', '<=', '>', '>=', '<'].map((op, i) => ({
      id: `p.writ:${i + 1}`,
      effect: 'allow',
      tools: ['t1'],
      when: { op: 'cmp', cmp: op as '<', left: argsRef('amount'), right: { lit: String(10 * i) }, type: T.number },
      message: 'm',
      reads: [],
      span: { file: 'p.writ', line: i + 1, column: 1, endLine: i + 1, endColumn: 9 },
    }));
    rules.push({ ...rules[0]!, id: 'p.writ:9', when: { op: 'true' }, span: { ...rules[0]!.span, line: 9 } });
    const compiled = prepare(makeArtifact({ roles: ROLES, tools, rules }), { maxStringLength: 100, maxListLength: 100 });
    const t1 = rulesOf(compiled.tools.get('t1')!);
    expect(t1.rules.describe()).toEqual(['args.amount bounds']);
    const c = validateRequest(compiled, { agent: { id: 'x', roles: [] }, tool: 't1', args: { amount: 5, count: 1, region: 'us', tier: 'free', user: 'u' } }, 0, new MemoryStateStore());
    if (typeof c === 'string') throw new Error(c);
    (c.vals as unknown[])[compiled.tools.get('t1')!.slots.get('amount')!] = NaN;
    const found: string[] = [];
    findAll(t1.rules, c, (r) => found.push(r.id));
    expect(found).toEqual(['p.writ:9']);
  });

  it('keeps a numeric parameter indexed with 1,500 rules of distinct constants', () => {
    // 2m + 1 regions for m = 3,000 constants: within the cap (the prefix dimensions it replaced were indexed there).
    const rules: Rule[] = Array.from({ length: 1500 }, (_, i) => ({
      id: `p.writ:${i + 1}`,
      effect: 'allow',
      tools: ['t1'],
      when: { op: 'and', args: [{ op: 'cmp', cmp: '>', left: argsRef('amount'), right: { lit: String(i) }, type: T.number }, { op: 'cmp', cmp: '<=', left: argsRef('amount'), right: { lit: String(i + 0.5) }, type: T.number }] },
      message: 'm',
      reads: [],
      span: { file: 'p.writ', line: i + 1, column: 1, endLine: i + 1, endColumn: 9 },
    }));
    const a = makeArtifact({ roles: ROLES, tools, rules });
    expect(rulesOf(prepare(a, { maxStringLength: 100, maxListLength: 100 }).tools.get('t1')!).rules.describe()).toEqual(['args.amount bounds']);
    const p = loadPolicy(a);
    const ask = (amount: number) => p.decide({ agent: { id: 'x', roles: [] }, tool: 't1', args: { amount, count: 1, region: 'us', tier: 'free', user: 'u' } }, { dryRun: true });
    expect(ask(1234.25).reasons[0]!.rule).toBe('p.writ:1235');
    expect(ask(1234.5).reasons[0]!.rule).toBe('p.writ:1235');
    expect(ask(1234.75).denial).toBe('not_permitted');
    expect(ask(1235).denial).toBe('not_permitted');
  });
});
