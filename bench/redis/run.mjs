// State-store benchmark: decisions per second of a stateful tool (a rate limit and a session budget) through
// Policy.decide on the in-memory store, Policy.decideAsync on the same store through toAsyncStore, and
// Policy.decideAsync on RedisStateStore against a real redis-server (started here on a free loopback port,
// no persistence), with N decisions in flight. Also a stateless tool through decideAsync on Redis (no round trip).
//
//   node bench/redis/run.mjs [--quick] [--redis-server /usr/bin/redis-server] [--url redis://host:port]
//
// stdout: one JSON object per line; stderr: progress. Needs a build (npx tsc -b).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { compile } from '@writ/compiler';
import { MemoryStateStore, loadPolicy, toAsyncStore } from '@writ/runtime';
import { RedisStateStore } from '@writ/state-redis';

const args = process.argv.slice(2);
const QUICK = args.includes('--quick');
const opt = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : fallback;
};
const MS = QUICK ? 1000 : 3000;

const POLICY = `policy "bench-redis" version "1"
role support
agent "bot" roles [support]
tool send_sms(to: string, body: string) cost 0.001 USD
tool lookup(id: string)
allow send_sms when agent has role support
allow lookup when agent has role support
limit send_sms 1000000000 per 1h per session
budget per session cost 1000000 USD calls 1000000000
`;

const SESSIONS = 1000;
const requests = Array.from({ length: SESSIONS }, (_, i) => ({
  agent: { id: 'bot' },
  tool: 'send_sms',
  args: { to: `+1555${String(i).padStart(7, '0')}`, body: 'Your code is 1234' },
  context: { session: `s${i}` },
}));
const stateless = { agent: { id: 'bot' }, tool: 'lookup', args: { id: 'x' } };
// The budget makes every call with a session stateful; the stateless case uses the rules alone.
const STATELESS_POLICY = POLICY.split('\n').filter((l) => !l.startsWith('limit') && !l.startsWith('budget')).join('\n');

function log(...a) {
  process.stderr.write(`${a.join(' ')}\n`);
}

function emit(o) {
  process.stdout.write(`${JSON.stringify({ bench: 'redis', ...o, cpus: os.cpus().length, load1: Number(os.loadavg()[0].toFixed(2)) })}\n`);
}

function pct(sorted, p) {
  return sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** Sync loop for `ms`. */
function runSync(fn) {
  for (let i = 0; i < 5000; i++) fn(i);
  let n = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < MS) {
    for (let k = 0; k < 500; k++) fn(n++);
  }
  return { decisions: n, seconds: (performance.now() - t0) / 1000 };
}

/** `inflight` concurrent loops of awaited decisions for `ms`; latencies of every decision. */
async function runAsync(fn, inflight) {
  for (let i = 0; i < 2000; i++) await fn(i);
  let n = 0;
  let effects = { allow: 0, deny: 0, pending_approval: 0 };
  const lat = [];
  const t0 = performance.now();
  const end = t0 + MS;
  await Promise.all(
    Array.from({ length: inflight }, async () => {
      while (performance.now() < end) {
        const i = n++;
        const s = performance.now();
        const d = await fn(i);
        lat.push(performance.now() - s);
        effects[d.effect]++;
      }
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  lat.sort((a, b) => a - b);
  return { decisions: n, seconds, p50_ms: +pct(lat, 50).toFixed(3), p99_ms: +pct(lat, 99).toFixed(3), effects };
}

const r = compile([{ file: 'policy.writ', text: POLICY }]);
if (r.artifact === undefined) throw new Error(JSON.stringify(r.diagnostics));
const policy = loadPolicy(r.artifact);
const now = () => Date.now();

{
  const memory = new MemoryStateStore();
  const res = runSync((i) => policy.decide(requests[i % SESSIONS], { state: memory, now: now() }));
  emit({ case: 'decide, memory store, stateful tool', decisions_per_s: Math.round(res.decisions / res.seconds), ...res });
  log('sync memory done');
}
{
  const state = toAsyncStore(new MemoryStateStore());
  const res = await runAsync((i) => policy.decideAsync(requests[i % SESSIONS], { state }), 1);
  emit({ case: 'decideAsync, toAsyncStore(memory), stateful tool', inflight: 1, decisions_per_s: Math.round(res.decisions / res.seconds), ...res });
  log('async memory done');
}

let server;
let dir;
let url = opt('--url', undefined);
if (url === undefined) {
  const port = await freePort();
  dir = mkdtempSync(path.join(os.tmpdir(), 'writ-bench-redis-'));
  server = spawn(opt('--redis-server', '/usr/bin/redis-server'), ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: 'ignore' });
  url = `redis://127.0.0.1:${port}`;
}
const store = new RedisStateStore({ url, prefix: `bench:${process.pid}:` });
try {
  for (let i = 0; i < 100; i++) {
    try {
      await store.ready();
      break;
    } catch {
      await new Promise((res) => setTimeout(res, 50));
    }
  }
  for (const inflight of QUICK ? [1, 64] : [1, 16, 64, 256]) {
    const res = await runAsync((i) => policy.decideAsync(requests[i % SESSIONS], { state: store }), inflight);
    if (res.effects.allow !== res.decisions) throw new Error(`unexpected effects ${JSON.stringify(res.effects)}`);
    emit({ case: 'decideAsync, RedisStateStore, stateful tool', inflight, decisions_per_s: Math.round(res.decisions / res.seconds), ...res });
    log(`redis inflight ${inflight} done`);
  }
  const plain = loadPolicy(compile([{ file: 'policy.writ', text: STATELESS_POLICY }]).artifact);
  const res = await runAsync(() => plain.decideAsync(stateless, { state: store }), 64);
  if (res.effects.allow !== res.decisions) throw new Error(`unexpected effects ${JSON.stringify(res.effects)}`);
  emit({ case: 'decideAsync, RedisStateStore, stateless tool', inflight: 64, decisions_per_s: Math.round(res.decisions / res.seconds), ...res });
  await store.clear();
} finally {
  await store.close();
  if (server !== undefined) {
    server.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}
