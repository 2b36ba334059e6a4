// Summarises a V8 CPU profile: self time per function and inclusive (total) time per function, as shares
// of all sampled time.
//
//   node bench/decide/cpuprofile-top.mjs FILE.cpuprofile [--top=25]
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

function label(n) {
  const cf = n.callFrame;
  const url = cf.url.replace(/^file:\/\/.*?\/(packages|node_modules|bench)\//, '$1/');
  return `${cf.functionName || '(anonymous)'} ${url ? `${url}:${cf.lineNumber + 1}` : ''}`.trim();
}

/** Returns a printable summary of a parsed .cpuprofile. */
export function summarise(prof, top = 25) {
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const selfTime = new Map();
  const totalTime = new Map();
  let all = 0;
  // A sample's time delta also holds any time the process was not running (descheduled on a loaded machine,
  // which a shared machine often is): capped at 4x the median delta so that one preemption does not credit
  // milliseconds to whatever function happened to be on the stack.
  const sortedDeltas = prof.timeDeltas.slice().sort((a, b) => a - b);
  const cap = 4 * (sortedDeltas[sortedDeltas.length >> 1] ?? 0) || Infinity;
  for (let i = 0; i < prof.samples.length; i++) {
    const dt = Math.min(prof.timeDeltas[i] ?? 0, cap);
    const id = prof.samples[i];
    const l = label(byId.get(id));
    if (l === '(idle)' || l === '(program)') continue;
    all += dt;
    selfTime.set(l, (selfTime.get(l) ?? 0) + dt);
    const seen = new Set();
    for (let cur = id; cur !== undefined; cur = parent.get(cur)) {
      const ll = label(byId.get(cur));
      if (seen.has(ll)) continue;
      seen.add(ll);
      totalTime.set(ll, (totalTime.get(ll) ?? 0) + dt);
    }
  }
  const pct = (x) => ((100 * x) / all).toFixed(1).padStart(5) + '%';
  const lines = [];
  const show = (title, m, skip = () => false) => {
    lines.push(`${title} (of ${(all / 1000).toFixed(0)} ms sampled, idle excluded)`);
    for (const [k, v] of [...m].filter(([k]) => !skip(k)).sort((a, b) => b[1] - a[1]).slice(0, top)) lines.push(`${pct(v)}  ${k}`);
    lines.push('');
  };
  show('self time', selfTime);
  show('total time', totalTime, (k) => k === '(root)' || k.startsWith('work ') || k.includes('node:internal'));
  return lines.join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const file = process.argv[2];
  if (!file) {
    console.error('usage: node bench/decide/cpuprofile-top.mjs FILE.cpuprofile [--top=N]');
    process.exit(2);
  }
  const topArg = process.argv.find((a) => a.startsWith('--top='));
  console.log(summarise(JSON.parse(readFileSync(file, 'utf8')), topArg ? Number(topArg.slice(6)) : 25));
}
