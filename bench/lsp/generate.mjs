// Deterministic generator of a large, realistic .writ file for the language-server benchmark: declarations
// (roles, agents, tools with typed parameters), comment blocks, and rules of every kind in the proportions of
// the examples (conditions over arguments, roles, detectors and history, approvals, limits, flows, post
// rules, assertions). Every generated policy compiles without errors.

/** Mulberry32: a small seeded PRNG returning floats in [0, 1). */
function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A policy of about `lines` lines.
 * @returns {{ text: string, tools: string[], roles: string[] }}
 */
export function generateLargePolicy(lines = 5000, seed = 7) {
  const next = mulberry32(seed);
  const int = (lo, hi) => lo + Math.floor(next() * (hi - lo + 1));
  const pick = (xs) => xs[Math.floor(next() * xs.length)];
  const out = ['# Generated benchmark policy: large, but shaped like the examples.', `policy "bench-${lines}" version "1.0.0"`, ''];
  const roles = Array.from({ length: 12 }, (_, i) => `role_${i}`);
  for (const r of roles) out.push(`role ${r}`);
  out.push('');
  for (let i = 0; i < 20; i++) out.push(`agent "agent-${i}" roles [${roles[i % roles.length]}, ${roles[(i * 5 + 3) % roles.length]}]`);
  out.push('', 'context channel: enum("chat", "email", "voice")', 'context user_message?: string', '');
  const tools = Array.from({ length: 120 }, (_, i) => `tool_${i}`);
  for (const [i, t] of tools.entries()) {
    out.push(
      `tool ${t}(id: string, amount: money(USD), count: integer, env: enum("dev", "staging", "prod"), note?: string, tags: list(string)) risk ${pick(['low', 'medium', 'high', 'critical'])}${i % 3 === 0 ? ' cost 0.01 USD' : ''}`,
    );
  }
  out.push('', 'label untrusted from context.user_message', '');
  const cond = () => {
    const parts = [];
    const n = int(1, 3);
    for (let k = 0; k < n; k++) {
      parts.push(
        pick([
          `agent has role ${pick(roles)}`,
          `args.amount <= ${int(1, 5000)} USD`,
          `args.count < ${int(1, 100)}`,
          `args.env == "${pick(['dev', 'staging', 'prod'])}"`,
          `args.env in ["dev", "staging"]`,
          `args.id starts_with "${pick(['ord_', 'cus_', 'inv_'])}"`,
          `not (args.tags contains "blocked")`,
          `context.channel == "chat"`,
          `called ${pick(tools)} within ${int(1, 59)}m`,
        ]),
      );
    }
    return parts.join(pick([' and ', ' and ', ' or ']));
  };
  let r = 0;
  while (out.length < lines - 4) {
    const t = pick(tools);
    const kind = int(0, 19);
    if (kind === 0) out.push('', `# Section ${r}: rules for ${t} and friends.`);
    else if (kind < 9) out.push(`allow ${t} when ${cond()}`);
    else if (kind < 13) out.push(`deny ${t} when ${cond()}`, `  because "rule ${r} forbids this"`);
    else if (kind < 15) out.push(`approve ${t} when ${cond()}`, `  by role ${pick(roles)} within ${int(5, 60)}m else deny`);
    else if (kind === 15) out.push(`limit ${t} ${int(5, 100)} per ${int(1, 24)}h per agent`);
    else if (kind === 16) out.push(`deny flow untrusted -> ${t}.note because "no untrusted notes"`);
    else if (kind === 17) out.push(`post ${t} redact pii(email, us_ssn) in result`);
    else if (kind === 18) out.push(`deny ${t} when injection(args.note, sql) because "injection"`);
    else out.push(`assert never allow ${t} when args.amount > 1000000 USD`);
    r++;
  }
  out.push('', 'deny * when secret(args) because "secrets never leave"', '');
  return { text: out.join('\n'), tools, roles };
}
