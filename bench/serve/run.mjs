// writ serve benchmark: decisions per second and latency over HTTP on loopback, from autocannon, against the
// real `writ serve` process (the built CLI) with the in-memory store and with the Redis store (a redis-server
// started here on a free loopback port, no persistence).
//
//   node bench/serve/run.mjs [--duration 10] [--rounds 3] [--connections 16] [--only baseline|memory|redis] [--mix stateless|mixed]
//
// Every target is started and warmed up, then measured `--rounds` times for `--duration` seconds, the rounds
// alternating between the targets (rotating order), so that all of them see the same drift of this shared
// machine's speed. Each target's line holds its median round (by decisions/s; the lower middle one for an even
// count): its decisions, latency, CPU and load figures, then every round's decisions/s, CPU per decision and p99,
// non_2xx/errors/timeouts summed over all rounds, and `of_baseline_median`: the median over rounds of its
// decisions/s divided by the bare fastify route's in the same round.
//
// `baseline` is a bare fastify route answering a constant decision: the machine's floor for any Node HTTP
// service, to read the other figures against.
//
// The request mix cycles through the customer-support example's requests: `mixed` (default) is every request
// of the example (allows, denies, pending approvals, rate-limited refunds, an invalid request); `stateless` is
// lookups only (no state read or written). stdout: one JSON object per line; stderr: progress. Needs a build
// (npx tsc -b). The load average is printed with each result: other processes share the machine.
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';

const repo = path.resolve(import.meta.dirname, '../..');
const bin = path.join(repo, 'packages/cli/dist/bin.js');
const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : fallback;
};
const DURATION = Number(opt('--duration', '10'));
const CONNECTIONS = Number(opt('--connections', '16'));
const ROUNDS = Number(opt('--rounds', '3'));
for (const [name, v] of [['--duration', DURATION], ['--connections', CONNECTIONS], ['--rounds', ROUNDS]]) {
  if (!Number.isInteger(v) || v < 1) {
    process.stderr.write(`${name} must be a positive integer\n`);
    process.exit(2);
  }
}
const ONLY = opt('--only', undefined);
const MIX = opt('--mix', 'mixed');
const REDIS_SERVER = opt('--redis-server', '/usr/bin/redis-server');

const log = (...a) => process.stderr.write(`${a.join(' ')}\n`);
const emit = (o) => process.stdout.write(`${JSON.stringify({ bench: 'serve', ...o, cpus: os.cpus().length })}\n`);
const load1 = () => Number(os.loadavg()[0].toFixed(2));

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

async function waitPort(port, child) {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const ok = await new Promise((resolve) => {
      const c = connect({ port, host: '127.0.0.1' });
      c.once('connect', () => (c.destroy(), resolve(true)));
      c.once('error', () => resolve(false));
    });
    if (ok) return;
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`port ${port} not listening`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const tmp = mkdtempSync(path.join(os.tmpdir(), 'writ-bench-serve-'));
const example = path.join(repo, 'examples/customer-support');
// Compile once to an artifact: the service loads it without the compiler.
const artifact = path.join(tmp, 'policy.json');
{
  const r = spawn(process.execPath, [bin, 'compile', example, '-o', artifact], { stdio: 'inherit' });
  await new Promise((resolve, reject) => r.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`compile exited ${code}`)))));
}
const names = readdirSync(path.join(example, 'requests')).filter((f) => f.endsWith('.json'));
const bodies = (MIX === 'stateless' ? ['lookup-order.json', 'hacker-lookup.json'] : names).map((f) => readFileSync(path.join(example, 'requests', f), 'utf8'));
const requests = bodies.map((body) => ({ method: 'POST', path: '/v1/decide', headers: { 'content-type': 'application/json' }, body }));

/** CPU seconds a process has used in user and system mode, from /proc (Linux); undefined elsewhere. */
function cpuSeconds(pid) {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = f.slice(f.lastIndexOf(')') + 2).split(' ');
    return { user: Number(fields[11]) / 100, system: Number(fields[12]) / 100 }; // clock ticks (USER_HZ = 100)
  } catch {
    return undefined;
  }
}

// The floor: a bare fastify route that parses the body and answers a constant decision (what any Node HTTP
// service costs on this machine, policy work excluded).
const BASELINE = `
import Fastify from 'fastify';
const app = Fastify();
const d = { effect: 'allow', reasons: [], obligations: [], policy: { name: 'x', version: '1', digest: 'sha256:0' } };
app.post('/v1/decide', (req, reply) => { reply.send(d); });
await app.listen({ port: Number(process.argv[1]), host: '127.0.0.1' });
process.on('SIGTERM', () => app.close().then(() => process.exit(0)));
`;

async function startServe(extra) {
  const port = await freePort();
  const argv = extra === 'baseline' ? ['--input-type=module', '-e', BASELINE, String(port)] : [bin, 'serve', '--policy', artifact, '--port', String(port), '--no-watch', ...extra];
  const child = spawn(process.execPath, argv, { cwd: repo, stdio: ['ignore', 'ignore', 'inherit'] });
  await waitPort(port, child);
  return { port, child };
}

async function stop(child) {
  if (child.exitCode !== null) return;
  await new Promise((resolve) => {
    child.once('exit', resolve);
    child.kill('SIGTERM');
  });
}

function cannon(port, duration) {
  return autocannon({ url: `http://127.0.0.1:${port}`, connections: CONNECTIONS, duration, requests });
}

/** One measured round against a running target: decisions/s, latency, and the service's CPU per decision. */
async function measureRound(target, round) {
  const before = load1();
  log(`${target.store}: round ${round}/${ROUNDS}: ${DURATION} s, ${CONNECTIONS} connections, ${requests.length} request bodies (${MIX}), load ${before}`);
  const cpu0 = cpuSeconds(target.child.pid);
  const r = await cannon(target.port, DURATION);
  const cpu1 = cpuSeconds(target.child.pid);
  // The service's own CPU per decision: what it would sustain on one idle core, whatever else loads the machine.
  const per = (key) => (cpu0 === undefined || cpu1 === undefined || r.requests.total === 0 ? undefined : ((cpu1[key] - cpu0[key]) * 1e6) / r.requests.total);
  const userUs = per('user');
  const systemUs = per('system');
  const cpuUs = userUs === undefined || systemUs === undefined ? undefined : userUs + systemUs;
  return {
    decisions: r.requests.total,
    decisions_per_s: Math.round(r.requests.average),
    latency_ms: { p50: r.latency.p50, p90: r.latency.p90, p99: r.latency.p99, max: r.latency.max },
    server_cpu_us_per_decision: cpuUs === undefined ? null : Number(cpuUs.toFixed(1)),
    // user: JavaScript and Node; system: the kernel (mostly the loopback writes and reads).
    server_cpu_user_us: userUs === undefined ? null : Number(userUs.toFixed(1)),
    server_cpu_system_us: systemUs === undefined ? null : Number(systemUs.toFixed(1)),
    decisions_per_cpu_s: cpuUs === undefined ? null : Math.round(1e6 / cpuUs),
    non_2xx: r.non2xx,
    errors: r.errors,
    timeouts: r.timeouts,
    load1_before: before,
    load1_after: load1(),
  };
}

/** The median round (the lower middle one for an even count) and every round's key figures. */
function report(target, rounds, baseline) {
  const median = [...rounds].sort((x, y) => x.decisions_per_s - y.decisions_per_s)[(rounds.length - 1) >> 1];
  const line = {
    store: target.store,
    mix: MIX,
    connections: CONNECTIONS,
    duration_s: DURATION,
    rounds: rounds.length,
    ...median,
    rounds_decisions_per_s: rounds.map((x) => x.decisions_per_s),
    rounds_server_cpu_us_per_decision: rounds.map((x) => x.server_cpu_us_per_decision),
    rounds_p99_ms: rounds.map((x) => x.latency_ms.p99),
    non_2xx: rounds.reduce((n, x) => n + x.non_2xx, 0),
    errors: rounds.reduce((n, x) => n + x.errors, 0),
    timeouts: rounds.reduce((n, x) => n + x.timeouts, 0),
    loadavg_after: os.loadavg().map((x) => Number(x.toFixed(2))),
  };
  // Against the bare fastify route measured in the same rounds: the same machine state for both.
  if (baseline !== undefined && target.store !== 'baseline') {
    const ratios = rounds.map((x, i) => x.decisions_per_s / baseline[i].decisions_per_s).sort((x, y) => x - y);
    line.of_baseline_median = Number(ratios[(ratios.length - 1) >> 1].toFixed(3));
  }
  emit(line);
}

async function startRedis() {
  const port = await freePort();
  const dir = mkdtempSync(path.join(tmp, 'redis-'));
  const child = spawn(REDIS_SERVER, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: 'ignore' });
  await waitPort(port, child);
  return { url: `redis://127.0.0.1:${port}`, child };
}

// Every target runs at once (an idle one costs nothing), and the rounds alternate between them in a rotating
// order: this machine's speed drifts by tens of percent over seconds, and alternating gives every target the
// same share of fast and slow stretches.
const targets = [];
let redis;
try {
  if (ONLY === undefined || ONLY === 'baseline') targets.push({ store: 'baseline', ...(await startServe('baseline')) });
  if (ONLY === undefined || ONLY === 'memory') targets.push({ store: 'memory', ...(await startServe([])) });
  if (ONLY === undefined || ONLY === 'redis') {
    redis = await startRedis();
    targets.push({ store: 'redis', ...(await startServe(['--redis', redis.url])) });
  }
  for (const t of targets) {
    log(`${t.store}: warm-up 2 s`);
    await cannon(t.port, 2);
  }
  const rounds = new Map(targets.map((t) => [t.store, []]));
  for (let round = 1; round <= ROUNDS; round++) {
    for (let k = 0; k < targets.length; k++) {
      const t = targets[(k + round - 1) % targets.length];
      rounds.get(t.store).push(await measureRound(t, round));
    }
  }
  for (const t of targets) report(t, rounds.get(t.store), rounds.get('baseline'));
} finally {
  for (const t of targets) await stop(t.child);
  redis?.child.kill('SIGKILL');
  rmSync(tmp, { recursive: true, force: true });
}
