// One short decision measurement in a fresh process, for the interleaved 10k/10 ratio of run.mjs: loads one
// compiled artifact (as a gateway does), rebuilds the same requests as run.mjs, warms up and measures.
//
//   node bench/decide/ratio-child.mjs <artifact.json> <rules> <seed> <requests> <candidates> <maxBatches>
//
// stdout: one JSON object { rules, p50_ns, p99_ns, decisions, checksum_ok }.
import { readFileSync } from 'node:fs';
import { loadPolicy } from '@writ/runtime';
import { generatePolicy, generateRequests, selectBalanced } from './generate.mjs';
import { measureBatches } from './measure.mjs';

const [file, rulesArg, seedArg, requestsArg, candidatesArg, batchesArg] = process.argv.slice(2);
const rules = Number(rulesArg);
const seed = Number(seedArg);
const policy = loadPolicy(JSON.parse(readFileSync(file, 'utf8')));
const g = generatePolicy({ rules, singleTool: false, seed });
const OPTS = { dryRun: true };
const reqs = selectBalanced(generateRequests(g, Number(candidatesArg), seed + 1), (r) => policy.decide(r, OPTS).effect, Number(requestsArg)).requests;
const allows = reqs.map((r) => policy.decide(r, OPTS).effect === 'allow');
const m = measureBatches({
  step: (i) => (policy.decide(reqs[i % reqs.length], OPTS).effect === 'allow' ? 1 : 0),
  warmup: 20_000,
  batchSize: 100,
  maxBatches: Number(batchesArg),
  maxMs: 1e9,
  minBatches: Number(batchesArg),
});
// The timed loop must have decided as before it (the checksum counts allows over warm-up and batches).
let expected = 0;
for (let i = 0; i < 20_000 + m.decisions; i++) if (allows[i % reqs.length]) expected++;
console.log(JSON.stringify({ rules, p50_ns: m.p50_ns, p99_ns: m.p99_ns, decisions: m.decisions, checksum_ok: m.checksum === expected }));
