// Where the time of a certified decision goes: each stage of the certify pipeline timed alone, in CPU µs per
// decision (process.cpuUsage, steadier than wall time on a shared machine), over the examples/customer-support
// requests. Optionally profiles the full pipeline with the V8 profiler.
//
//   node bench/evidence/parts.mjs [--n=100000] [--profile=FILE.cpuprofile]
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Session } from 'node:inspector/promises';
import { compile } from '@writ/compiler';
import { loadPolicy } from '@writ/runtime';
import { Checkpointer, FileLog, certifyDecision, generateSignerKey, leafHash } from '@writ/verifier';

const arg = (name, dflt) => process.argv.find((x) => x.startsWith(`--${name}=`))?.split('=')[1] ?? dflt;
const N = Number(arg('n', 100000));
const PROFILE = arg('profile', undefined);
const EXAMPLE = path.join(import.meta.dirname, '..', '..', 'examples', 'customer-support');
const compiled = compile([{ file: 'policy.writ', text: readFileSync(path.join(EXAMPLE, 'policy.writ'), 'utf8') }]);
const policy = loadPolicy(compiled.artifact);
const REQUESTS = readdirSync(path.join(EXAMPLE, 'requests')).sort().map((f) => JSON.parse(readFileSync(path.join(EXAMPLE, 'requests', f), 'utf8')));
const T0 = Date.parse('2025-06-01T00:00:00Z');

const cpu = (fn) => {
  fn(Math.min(N, 20000)); // warm-up
  const c0 = process.cpuUsage();
  const w0 = performance.now();
  fn(N);
  const c = process.cpuUsage(c0);
  return { cpu_us: +((c.user + c.system) / N).toFixed(2), wall_us: +(((performance.now() - w0) * 1000) / N).toFixed(2) };
};
const decisions = [];
const out = {};
out.decide = cpu((n) => {
  for (let i = 0; i < n; i++) decisions[i % 1000] = policy.decide(REQUESTS[i % REQUESTS.length], { now: T0 + i, dryRun: true });
});
const certs = [];
out.certify = cpu((n) => {
  for (let i = 0; i < n; i++) certs[i % 1000] = certifyDecision(REQUESTS[i % REQUESTS.length], decisions[i % 1000], { time: T0 + i }).bytes;
});
out.leaf_hash = cpu((n) => {
  for (let i = 0; i < n; i++) leafHash(certs[i % 1000]);
});
const root = mkdtempSync(path.join(os.tmpdir(), 'writ-parts-'));
const KEY = generateSignerKey('bench.writ.example/decisions');
async function pipeline(n) {
  const l = await FileLog.open(path.join(root, `log${Math.random()}`));
  const cp = new Checkpointer(l, KEY.signerKey, { everyEntries: 10000, everyMs: 1000 });
  let inflight = 0;
  let wake;
  for (let i = 0; i < n; i++) {
    const request = REQUESTS[i % REQUESTS.length];
    const d = policy.decide(request, { now: T0 + i, dryRun: true });
    const { bytes } = certifyDecision(request, d, { time: T0 + i });
    inflight++;
    l.append(bytes).then(() => {
      if (--inflight < 2048 && wake) wake();
    });
    if (inflight >= 4096) await new Promise((r) => (wake = r)).then(() => (wake = undefined));
  }
  while (inflight > 0) await new Promise((r) => setImmediate(r));
  await cp.flush();
  await cp.close();
  await l.close();
}
await pipeline(20000);
let session;
if (PROFILE) {
  session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 100 });
  await session.post('Profiler.start');
}
const c0 = process.cpuUsage();
const w0 = performance.now();
await pipeline(N);
const c = process.cpuUsage(c0);
out.pipeline = { cpu_us: +((c.user + c.system) / N).toFixed(2), wall_us: +(((performance.now() - w0) * 1000) / N).toFixed(2) };
if (session) {
  const { profile } = await session.post('Profiler.stop');
  writeFileSync(PROFILE, JSON.stringify(profile));
}
rmSync(root, { recursive: true, force: true });
console.log(JSON.stringify({ bench: 'evidence_parts', n: N, ...out, load_avg_1m: os.loadavg()[0] }));
