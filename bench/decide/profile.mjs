// Profiling driver: runs one phase of the benchmark in a loop under the V8 CPU profiler (started with
// node:inspector *after* set-up, so the profile holds only the phase), writes a .cpuprofile and prints a
// summary (self and inclusive time per function).
//
//   node bench/decide/profile.mjs decide 10000 [--single] [--seconds=5] [--out=/tmp/writ-decide.cpuprofile]
//   node bench/decide/profile.mjs load 10000
//   node bench/decide/profile.mjs compile 10000
//
// The .cpuprofile opens in Chrome DevTools (Performance tab) or VS Code; `node bench/decide/cpuprofile-top.mjs
// FILE` prints the same summary again.
import { Session } from 'node:inspector/promises';
import { writeFileSync } from 'node:fs';
import { compile } from '@writ/compiler';
import { loadPolicy } from '@writ/runtime';
import { generatePolicy, generateRequests, selectBalanced } from './generate.mjs';
import { summarise } from './cpuprofile-top.mjs';

const args = process.argv.slice(2);
const [phase = 'decide', rulesArg = '10000'] = args.filter((a) => !a.startsWith('--'));
const opt = (name, dflt) => {
  const a = args.find((x) => x.startsWith(`--${name}=`));
  return a ? a.slice(name.length + 3) : dflt;
};
const single = args.includes('--single');
const seconds = Number(opt('seconds', '5'));
const out = opt('out', `/tmp/writ-${phase}-${rulesArg}${single ? '-single' : ''}.cpuprofile`);
const rules = Number(rulesArg);
if (!['decide', 'load', 'compile'].includes(phase) || !Number.isInteger(rules)) {
  console.error('usage: node bench/decide/profile.mjs decide|load|compile RULES [--single] [--seconds=S] [--out=FILE]');
  process.exit(2);
}

const g = generatePolicy({ rules, singleTool: single, seed: 1 });
const json = JSON.stringify(compile([{ file: 'bench.writ', text: g.writText }]).artifact);
const policy = loadPolicy(JSON.parse(json));
const OPTS = { dryRun: true };
const reqs = selectBalanced(generateRequests(g, 6000, 2), (r) => policy.decide(r, OPTS).effect, 1000).requests;

let work;
if (phase === 'compile') work = () => void compile([{ file: 'bench.writ', text: g.writText }]);
else if (phase === 'load') {
  const parsed = [];
  work = () => void loadPolicy(parsed.pop() ?? JSON.parse(json));
  // pre-parse a few inputs so that JSON.parse stays out of the load profile where possible
  for (let i = 0; i < 4; i++) parsed.push(JSON.parse(json));
} else {
  let n = 0;
  work = () => {
    for (let i = 0; i < 10000; i++, n++) policy.decide(reqs[n % reqs.length], OPTS);
  };
  for (let i = 0; i < 3; i++) work(); // warm-up
}

const session = new Session();
session.connect();
await session.post('Profiler.enable');
await session.post('Profiler.setSamplingInterval', { interval: 100 });
await session.post('Profiler.start');
const end = Date.now() + seconds * 1000;
let iterations = 0;
do {
  work();
  iterations++;
} while (Date.now() < end);
const { profile } = await session.post('Profiler.stop');
session.disconnect();
writeFileSync(out, JSON.stringify(profile));
console.error(`${phase} ${rules} rules${single ? ' on one tool' : ''}: ${iterations} iterations${phase === 'decide' ? ' of 10,000 decisions' : ''} in ${seconds}s; profile: ${out}`);
console.log(summarise(profile, 25));
