// Deterministic generator of benchmark policies and requests, rendered both as Writ source and as Cedar
// policies, so that the same rules can be decided by @writ/runtime and by @cedar-policy/cedar-wasm.
//
// Every rule is built as a small condition tree first (see `Cond` below) and then rendered twice, by
// `condToWrit` and `condToCedar`. The two renderings mean the same thing for every request this module
// generates: all arguments are always present and well typed (so Writ's fail-closed "errored rule" path
// and Cedar's "policy errored, skipped" path never come into play), numbers are integers (Cedar has
// 64-bit Long only), and string prefixes contain no `*` (Cedar's `like` wildcard).
//
// No imports from the Writ packages: this module is pure data, shared by bench/decide/run.mjs and by
// tests/bench-generator.test.ts.

/** Mulberry32: a small, fast, seeded 32-bit PRNG. Returns floats in [0, 1). */
export function mulberry32(seed) {
  let a = seed >>> 0;
  return function next() {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A few helpers over a PRNG. */
function rng(seed) {
  const next = mulberry32(seed);
  const int = (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)); // inclusive
  const pick = (xs) => xs[Math.floor(next() * xs.length)];
  const chance = (p) => next() < p;
  const sample = (xs, k) => {
    const copy = xs.slice();
    for (let i = copy.length - 1; i > 0; i--) {
      const j = Math.floor(next() * (i + 1));
      [copy[i], copy[j]] = [copy[j], copy[i]];
    }
    return copy.slice(0, k);
  };
  return { next, int, pick, chance, sample };
}

// ---------------------------------------------------------------------------------------------------------
// The shape of every generated policy

export const TOOL_COUNT = 100;
export const ROLES = ['r0', 'r1', 'r2', 'r3', 'r4', 'r5', 'r6', 'r7'];
export const REGIONS = ['eu', 'us', 'apac', 'latam'];
export const TIERS = ['free', 'pro', 'enterprise'];
export const USER_PREFIXES = ['svc_', 'usr_', 'ops_', 'tmp_', 'ext_'];
export const AMOUNT_MAX = 20000;
export const COUNT_MAX = 100;

/** The parameter list every tool declares. */
export const TOOL_PARAMS =
  'amount: number, count: integer, region: enum("eu", "us", "apac", "latam"), ' +
  'tier: enum("free", "pro", "enterprise"), user: string';

export function toolName(i) {
  return `t${i}`;
}

// ---------------------------------------------------------------------------------------------------------
// Conditions
//
// Cond =
//   { kind: 'role', role }                              agent has role r3      | principal in Role::"r3"
//   { kind: 'num', param, op, k }                       args.amount <= 500     | context.amount <= 500
//   { kind: 'eq', param, op: '=='|'!=', value }         args.region == "eu"    | context.region == "eu"
//   { kind: 'in', param, values, negated }              args.region in [...]   | [...].contains(context.region)
//   { kind: 'prefix', param, prefix }                   args.user starts_with  | context.user like "svc_*"
//   { kind: 'not', arg }                                not (…)                | !(…)
//   { kind: 'and', args } / { kind: 'or', args }        a and b / (a or b)     | (a && b) / (a || b)

function genAllowAtom(r, used) {
  for (;;) {
    const x = r.next();
    let c;
    if (x < 0.3) c = { kind: 'num', param: 'amount', op: r.pick(['<=', '<', '<=']), k: r.pick([100, 250, 500, 1000, 2500, 5000, 10000]) * r.int(1, 2) };
    else if (x < 0.42) c = { kind: 'num', param: 'count', op: r.pick(['<=', '<']), k: r.int(10, COUNT_MAX) };
    else if (x < 0.6) c = { kind: 'eq', param: 'region', op: r.chance(0.85) ? '==' : '!=', value: r.pick(REGIONS) };
    else if (x < 0.78) c = { kind: 'in', param: r.chance(0.5) ? 'region' : 'tier', values: null, negated: r.chance(0.15) };
    else if (x < 0.9) c = { kind: 'prefix', param: 'user', prefix: r.pick(['svc_', 'usr_', 'ops_']) };
    else c = { kind: 'eq', param: 'tier', op: '==', value: r.pick(TIERS) };
    if (c.kind === 'in') {
      const all = c.param === 'region' ? REGIONS : TIERS;
      c.values = r.sample(all, r.int(2, all.length - 1));
    }
    const key = `${c.kind}:${c.param}`;
    if (used.has(key)) continue; // one atom per (kind, field): keeps rules readable and satisfiable
    used.add(key);
    return c;
  }
}

function genAllowCond(r) {
  const used = new Set();
  const parts = [];
  if (r.chance(0.75)) parts.push({ kind: 'role', role: r.pick(ROLES) });
  const n = r.int(parts.length === 0 ? 1 : 1, 2);
  for (let i = 0; i < n; i++) parts.push(genAllowAtom(r, used));
  // Now and then a disjunction of two roles, or an exclusion.
  if (r.chance(0.1)) {
    const [a, b] = r.sample(ROLES, 2);
    parts.push({ kind: 'or', args: [{ kind: 'role', role: a }, { kind: 'role', role: b }] });
  }
  if (r.chance(0.05)) parts.push({ kind: 'not', arg: { kind: 'prefix', param: 'user', prefix: 'ext_' } });
  return parts.length === 1 ? parts[0] : { kind: 'and', args: parts };
}

const DENY_MESSAGES = [
  'amount above the automation ceiling',
  'temporary accounts may not call this tool',
  'region under a freeze',
  'bulk operations need a human',
  'free tier may not make large calls',
  'external users are blocked here',
];

function genDeny(r) {
  const x = r.next();
  if (x < 0.3) {
    return { cond: { kind: 'num', param: 'amount', op: r.pick(['>', '>=']), k: r.int(12, 19) * 1000 }, because: DENY_MESSAGES[0] };
  }
  if (x < 0.45) {
    return {
      cond: { kind: 'and', args: [{ kind: 'prefix', param: 'user', prefix: 'tmp_' }, { kind: 'num', param: 'amount', op: '>', k: r.int(1, 9) * 1000 }] },
      because: DENY_MESSAGES[1],
    };
  }
  if (x < 0.6) {
    return {
      cond: { kind: 'and', args: [{ kind: 'eq', param: 'region', op: '==', value: r.pick(REGIONS) }, { kind: 'num', param: 'count', op: '>', k: r.int(85, 99) }] },
      because: DENY_MESSAGES[2],
    };
  }
  if (x < 0.75) {
    return {
      cond: {
        kind: 'and',
        args: [
          { kind: 'num', param: 'count', op: '>=', k: r.int(90, 100) },
          { kind: 'not', arg: { kind: 'role', role: r.pick(ROLES) } },
        ],
      },
      because: DENY_MESSAGES[3],
    };
  }
  if (x < 0.9) {
    return {
      cond: {
        kind: 'and',
        args: [
          { kind: 'in', param: 'tier', values: ['free'], negated: false },
          { kind: 'num', param: 'amount', op: '>', k: r.int(5, 15) * 1000 },
        ],
      },
      because: DENY_MESSAGES[4],
    };
  }
  return {
    cond: {
      kind: 'and',
      args: [
        { kind: 'prefix', param: 'user', prefix: 'ext_' },
        { kind: 'in', param: 'region', values: r.sample(REGIONS, 2), negated: false },
      ],
    },
    because: r.chance(0.5) ? DENY_MESSAGES[5] : undefined,
  };
}

// ---------------------------------------------------------------------------------------------------------
// Rendering

const q = (s) => JSON.stringify(s);

export function condToWrit(c, top = true) {
  switch (c.kind) {
    case 'role':
      return `agent has role ${c.role}`;
    case 'num':
      return `args.${c.param} ${c.op} ${c.k}`;
    case 'eq':
      return `args.${c.param} ${c.op} ${q(c.value)}`;
    case 'in':
      return `args.${c.param} ${c.negated ? 'not in' : 'in'} [${c.values.map(q).join(', ')}]`;
    case 'prefix':
      return `args.${c.param} starts_with ${q(c.prefix)}`;
    case 'not':
      return `not (${condToWrit(c.arg, true)})`;
    case 'and': {
      const s = c.args.map((a) => condToWrit(a, false)).join(' and ');
      return top ? s : `(${s})`;
    }
    case 'or': {
      const s = c.args.map((a) => condToWrit(a, false)).join(' or ');
      return top ? s : `(${s})`;
    }
    default:
      throw new Error(`unknown condition kind ${c.kind}`);
  }
}

export function condToCedar(c) {
  switch (c.kind) {
    case 'role':
      return `principal in Role::${q(c.role)}`;
    case 'num':
      return `context.${c.param} ${c.op} ${c.k}`;
    case 'eq':
      return `context.${c.param} ${c.op} ${q(c.value)}`;
    case 'in': {
      const s = `[${c.values.map(q).join(', ')}].contains(context.${c.param})`;
      return c.negated ? `!(${s})` : s;
    }
    case 'prefix':
      if (c.prefix.includes('*')) throw new Error('prefix must not contain *');
      return `context.${c.param} like ${q(c.prefix + '*')}`;
    case 'not':
      return `!(${condToCedar(c.arg)})`;
    case 'and':
      return `(${c.args.map(condToCedar).join(' && ')})`;
    case 'or':
      return `(${c.args.map(condToCedar).join(' || ')})`;
    default:
      throw new Error(`unknown condition kind ${c.kind}`);
  }
}

/** Evaluates a condition directly (a third, independent oracle used by the tests). */
export function evalCond(c, req) {
  const a = req.args;
  switch (c.kind) {
    case 'role':
      return req.agent.roles.includes(c.role);
    case 'num': {
      const v = a[c.param];
      switch (c.op) {
        case '<':
          return v < c.k;
        case '<=':
          return v <= c.k;
        case '>':
          return v > c.k;
        case '>=':
          return v >= c.k;
        default:
          throw new Error(c.op);
      }
    }
    case 'eq':
      return c.op === '==' ? a[c.param] === c.value : a[c.param] !== c.value;
    case 'in':
      return c.values.includes(a[c.param]) !== c.negated;
    case 'prefix':
      return a[c.param].startsWith(c.prefix);
    case 'not':
      return !evalCond(c.arg, req);
    case 'and':
      return c.args.every((x) => evalCond(x, req));
    case 'or':
      return c.args.some((x) => evalCond(x, req));
    default:
      throw new Error(`unknown condition kind ${c.kind}`);
  }
}

// ---------------------------------------------------------------------------------------------------------
// Policies

/**
 * Generates a policy of `rules` rules. Always declares TOOL_COUNT tools and all ROLES.
 *
 * - `singleTool: true`: every rule is on t0.
 * - otherwise rules are spread round-robin over min(rules, ruledTools ?? TOOL_COUNT) tools (10 rules -> 10
 *   tools with one rule each; 10,000 rules -> 100 tools with 100 rules each), in a shuffled source order.
 *
 * About 75% of rules are `allow`, 25% `deny` (most with `because`).
 *
 * Returns { name, rules: [{ index, effect, tool, cond, because }], ruledTools, writText, cedar: { [id]: text } }.
 */
export function generatePolicy({ rules: ruleCount, singleTool = false, seed = 1, ruledTools: ruledToolsOpt }) {
  const r = rng(seed * 7919 + ruleCount);
  const ruledToolCount = singleTool ? 1 : Math.min(ruleCount, ruledToolsOpt ?? TOOL_COUNT, TOOL_COUNT);
  const ruledTools = [];
  for (let i = 0; i < ruledToolCount; i++) ruledTools.push(toolName(i));

  const rules = [];
  for (let i = 0; i < ruleCount; i++) {
    const tool = ruledTools[i % ruledToolCount];
    const isDeny = r.chance(0.25);
    if (isDeny) {
      const { cond, because } = genDeny(r);
      rules.push({ index: i, effect: 'deny', tool, cond, because });
    } else {
      rules.push({ index: i, effect: 'allow', tool, cond: genAllowCond(r), because: undefined });
    }
  }
  // Shuffle source order (order never changes a decision in either engine).
  const order = r.sample(rules, rules.length);

  const lines = [];
  lines.push(`policy "bench-${ruleCount}${singleTool ? '-single' : ''}" version "1.0.0"`);
  lines.push('');
  lines.push(`role ${ROLES.join(', ')}`);
  lines.push('');
  for (let i = 0; i < TOOL_COUNT; i++) lines.push(`tool ${toolName(i)}(${TOOL_PARAMS})`);
  lines.push('');
  const cedar = {};
  for (const rule of order) {
    let w = `${rule.effect} ${rule.tool} when ${condToWrit(rule.cond)}`;
    if (rule.because !== undefined) w += ` because ${q(rule.because)}`;
    lines.push(w);
    const eff = rule.effect === 'allow' ? 'permit' : 'forbid';
    cedar[`rule${rule.index}`] =
      `${eff}(principal, action == Action::${q(rule.tool)}, resource) when { ${condToCedar(rule.cond)} };`;
  }
  lines.push('');
  return {
    name: `bench-${ruleCount}${singleTool ? '-single' : ''}`,
    rules,
    ruledTools,
    writText: lines.join('\n'),
    cedar,
  };
}

/** The reference decision: deny beats allow, default deny (what both engines must agree with). */
export function referenceDecide(policy, req) {
  let allowed = false;
  for (const rule of policy.rules) {
    if (rule.tool !== req.tool) continue;
    if (!evalCond(rule.cond, req)) continue;
    if (rule.effect === 'deny') return 'deny';
    allowed = true;
  }
  return allowed ? 'allow' : 'deny';
}

// ---------------------------------------------------------------------------------------------------------
// Requests

/**
 * Generates `n` candidate requests to the policy's ruled tools (uniformly). Amounts are log-uniform over
 * [1, AMOUNT_MAX] (mostly small, sometimes huge) or near one of the policy's thresholds, agents hold 1-3 of
 * the roles, users mostly start with one of USER_PREFIXES.
 */
export function generateRequests(policy, n, seed = 2) {
  const r = rng(seed * 104729 + policy.rules.length);
  // Thresholds the policy compares against: a quarter of the numbers are drawn at a threshold or one
  // off it, so that differential checks exercise the boundaries (`<` vs `<=`).
  const thresholds = { amount: new Set(), count: new Set() };
  const collect = (c) => {
    if (c.kind === 'num') thresholds[c.param].add(c.k);
    else if (c.kind === 'not') collect(c.arg);
    else if (c.kind === 'and' || c.kind === 'or') c.args.forEach(collect);
  };
  policy.rules.forEach((rule) => collect(rule.cond));
  const amountKs = [...thresholds.amount];
  const countKs = [...thresholds.count];
  const near = (ks) => r.pick(ks) + r.int(-1, 1);
  const out = [];
  for (let i = 0; i < n; i++) {
    const roles = r.sample(ROLES, r.int(1, 3));
    const amount =
      amountKs.length > 0 && r.chance(0.25) ? near(amountKs) : Math.max(1, Math.round(Math.exp(r.next() * Math.log(AMOUNT_MAX))));
    const count = countKs.length > 0 && r.chance(0.25) ? near(countKs) : r.int(0, COUNT_MAX);
    // Users: a known prefix, or (1 in 20) a near miss such as "svc-123" that a sloppy prefix test would match.
    const user = r.chance(0.05) ? `${r.pick(USER_PREFIXES).slice(0, -1)}-${r.int(0, 999)}` : `${r.pick(USER_PREFIXES)}${r.int(0, 99999)}`;
    out.push({
      agent: { id: `a${r.int(0, 49)}`, roles },
      tool: r.pick(policy.ruledTools),
      args: { amount, count, region: r.pick(REGIONS), tier: r.pick(TIERS), user },
    });
  }
  return out;
}

/**
 * Generates `n` requests aimed at the policy's rules, for differential testing: each starts from a random
 * request to a random rule's tool and then sets the fields that rule tests so that each atom sits at (or one
 * off) its boundary, true or false at random — so both engines are asked the questions where a wrong
 * operator, a dropped negation or a sloppy prefix test would show.
 */
export function generateTargetedRequests(policy, n, seed = 3) {
  const r = rng(seed * 15485863 + policy.rules.length);
  const base = generateRequests(policy, n, seed + 1);
  const otherThan = (xs, v) => r.pick(xs.filter((x) => x !== v));
  const aim = (c, req, want) => {
    const a = req.args;
    switch (c.kind) {
      case 'role': {
        const has = req.agent.roles.includes(c.role);
        if (want && !has) req.agent.roles.push(c.role);
        if (!want && has) req.agent.roles = req.agent.roles.filter((x) => x !== c.role);
        return;
      }
      case 'num':
        a[c.param] = c.k + r.int(-1, 1); // the boundary itself or one off: true or false depending on op
        return;
      case 'eq': {
        const all = c.param === 'region' ? REGIONS : TIERS;
        a[c.param] = (c.op === '==') === want ? c.value : otherThan(all, c.value);
        return;
      }
      case 'in': {
        const all = c.param === 'region' ? REGIONS : TIERS;
        const inside = want !== c.negated;
        const pool = all.filter((x) => c.values.includes(x) === inside);
        if (pool.length > 0) a[c.param] = r.pick(pool);
        return;
      }
      case 'prefix':
        a[c.param] = want
          ? `${c.prefix}${r.int(0, 99999)}`
          : r.chance(0.5)
            ? `${c.prefix.slice(0, -1)}-${r.int(0, 999)}` // near miss
            : `${otherThan(USER_PREFIXES, c.prefix)}${r.int(0, 99999)}`;
        return;
      case 'not':
        aim(c.arg, req, !want);
        return;
      case 'and':
        for (const x of c.args) aim(x, req, want || r.chance(0.7));
        return;
      case 'or': {
        const k = r.int(0, c.args.length - 1);
        c.args.forEach((x, i) => aim(x, req, i === k ? want : r.chance(0.3)));
        return;
      }
      default:
        throw new Error(`unknown condition kind ${c.kind}`);
    }
  };
  return base.map((req) => {
    const rule = r.pick(policy.rules);
    const out = { agent: { id: req.agent.id, roles: req.agent.roles.slice() }, tool: rule.tool, args: { ...req.args } };
    aim(rule.cond, out, r.chance(0.8));
    return out;
  });
}

/**
 * Picks `n` requests from `candidates` so that allows and denies are as balanced as the candidates allow:
 * up to n/2 of each, filled from the other kind if one kind is short. `decideFn(req)` returns 'allow' or
 * 'deny'. Keeps candidate order (deterministic).
 */
export function selectBalanced(candidates, decideFn, n) {
  const allow = [];
  const deny = [];
  for (const req of candidates) {
    const d = decideFn(req);
    if (d === 'allow') allow.push(req);
    else deny.push(req);
  }
  const half = Math.floor(n / 2);
  let na = Math.min(half, allow.length);
  let nd = Math.min(n - na, deny.length);
  na = Math.min(n - nd, allow.length);
  const picked = [];
  // Interleave so that the cycled sequence alternates outcomes (no long runs of one branch).
  for (let i = 0, ia = 0, id = 0; i < na + nd; i++) {
    if ((i % 2 === 0 && ia < na) || id >= nd) picked.push(allow[ia++]);
    else picked.push(deny[id++]);
  }
  return { requests: picked, allows: na, denies: nd };
}

/** A Writ request as a Cedar authorization call (without the preparsed policy set id). */
export function toCedarRequest(req) {
  return {
    principal: { type: 'Agent', id: req.agent.id },
    action: { type: 'Action', id: req.tool },
    resource: { type: 'Tool', id: req.tool },
    context: { ...req.args },
    entities: [
      {
        uid: { type: 'Agent', id: req.agent.id },
        attrs: {},
        parents: req.agent.roles.map((id) => ({ type: 'Role', id })),
      },
    ],
  };
}
