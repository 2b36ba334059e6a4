// Evidence benchmark: certified decisions per second (decide + DecisionCertificate + durable append with group
// commit + checkpoints signed every N entries or T ms), inclusion and consistency proofs in a 1,000,000-entry
// log, and the time to open (and recover) that log.
//
//   npm run build && node bench/evidence/run.mjs [--entries=1000000] [--quick] [--dir=PATH] [--keep]
//                                                [--checkpoint-every=10000] [--checkpoint-ms=1000] [--window=4096]
//
// stdout: one JSON object per line (see bench/README.md, "bench/evidence"); stderr: progress.
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, appendFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { compile } from '@writ/compiler';
import { loadPolicy } from '@writ/runtime';
import {
  Checkpointer,
  FileLog,
  LogSnapshot,
  bundleJson,
  certifyDecision,
  generateSignerKey,
  leafHash,
  makeBundle,
  verifyBundle,
  verifyConsistency,
  verifyInclusion,
} from '@writ/verifier';

const arg = (name, dflt) => {
  const a = process.argv.find((x) => x === `--${name}` || x.startsWith(`--${name}=`));
  if (a === undefined) return dflt;
  return a.includes('=') ? a.slice(a.indexOf('=') + 1) : true;
};
const QUICK = arg('quick', false) === true;
const ENTRIES = Number(arg('entries', QUICK ? 100_000 : 1_000_000));
const CHECKPOINT_EVERY = Number(arg('checkpoint-every', 10_000));
const CHECKPOINT_MS = Number(arg('checkpoint-ms', 1000));
const WINDOW = Number(arg('window', 4096)); // appends in flight (requests being served concurrently)
const WARMUP = QUICK ? 10_000 : 30_000;
const PROOF_SAMPLES = QUICK ? 500 : 2000;
const KEEP = arg('keep', false) === true;
const ROOT = arg('dir', undefined) ?? mkdtempSync(path.join(os.tmpdir(), 'writ-bench-evidence-'));

const log = (...a) => console.error('[bench:evidence]', ...a);
const results = {};
const emit = (o) => {
  results[o.case] = o;
  console.log(JSON.stringify({ bench: 'evidence', ...o }));
};
const round = (x, d = 3) => (Number.isFinite(x) ? Math.round(x * 10 ** d) / 10 ** d : x);
const now = () => performance.now();
const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
const stats = (us) => {
  const s = Float64Array.from(us).sort();
  const mean = s.reduce((a, b) => a + b, 0) / s.length;
  return { samples: s.length, mean_us: round(mean, 2), p50_us: round(pct(s, 50), 2), p99_us: round(pct(s, 99), 2), max_us: round(s[s.length - 1], 2) };
};
// Deterministic PRNG (Mulberry32) for sampled indices.
let seed = 42;
const rand = () => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};

const benchStart = now();
const LOAD_START = os.loadavg().map((x) => round(x, 2));
log(`node ${process.version}, ${os.cpus().length} cpus (${os.cpus()[0]?.model ?? 'unknown'}), load average ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);
log(`log directory ${ROOT}${KEEP ? ' (kept)' : ' (removed at the end; --keep keeps it)'}`);

// The workload: examples/customer-support and its sample requests (allow, deny, pending approval, invalid…).
const EXAMPLE = path.join(import.meta.dirname, '..', '..', 'examples', 'customer-support');
const compiled = compile([{ file: 'policy.writ', text: readFileSync(path.join(EXAMPLE, 'policy.writ'), 'utf8') }]);
if (compiled.artifact === undefined) throw new Error('examples/customer-support does not compile');
const policy = loadPolicy(compiled.artifact);
const REQUESTS = readdirSync(path.join(EXAMPLE, 'requests'))
  .sort()
  .map((f) => JSON.parse(readFileSync(path.join(EXAMPLE, 'requests', f), 'utf8')));
const KEY = generateSignerKey('bench.writ.example/decisions');
const T0 = Date.parse('2025-06-01T00:00:00Z');

/**
 * The certified pipeline, as a gateway runs it: decide, make the certificate, append it (durable when the
 * promise resolves; appends made meanwhile share one write + fdatasync), with at most WINDOW appends in flight.
 */
async function certify(fileLog, count, onProgress) {
  let inflight = 0;
  let wake;
  let failure;
  const latencies = [];
  for (let i = 0; i < count; i++) {
    const request = REQUESTS[i % REQUESTS.length];
    const t = T0 + i;
    const decision = policy.decide(request, { now: t, dryRun: true });
    const { bytes } = certifyDecision(request, decision, { time: t });
    const started = i % 97 === 0 ? now() : 0;
    inflight++;
    fileLog.append(bytes).then(
      () => {
        if (started !== 0) latencies.push((now() - started) * 1000);
        if (--inflight < WINDOW / 2 && wake) wake();
      },
      (e) => (failure = e),
    );
    if (inflight >= WINDOW) await new Promise((r) => (wake = r)).then(() => (wake = undefined));
    if (failure) throw failure;
    if (onProgress && (i + 1) % 50_000 === 0) onProgress(i + 1);
  }
  while (inflight > 0) await new Promise((r) => setImmediate(r));
  if (failure) throw failure;
  return latencies;
}

// 1. Warm-up (JIT, caches) in a scratch log.
{
  const dir = path.join(ROOT, 'warmup');
  const l = await FileLog.open(dir);
  const cp = new Checkpointer(l, KEY.signerKey, { everyEntries: CHECKPOINT_EVERY, everyMs: CHECKPOINT_MS });
  await certify(l, WARMUP);
  await cp.flush();
  await cp.close();
  await l.close();
  rmSync(dir, { recursive: true, force: true });
  log(`warm-up: ${WARMUP} certified decisions`);
}

// 2. Certified decisions per second, building the big log.
const LOG_DIR = path.join(ROOT, 'log');
let built;
{
  const fileLog = await FileLog.open(LOG_DIR);
  let batches = 0;
  fileLog.onCommit(() => batches++);
  const cp = new Checkpointer(fileLog, KEY.signerKey, { everyEntries: CHECKPOINT_EVERY, everyMs: CHECKPOINT_MS });
  const start = now();
  const cpuStart = process.cpuUsage();
  const latencies = await certify(fileLog, ENTRIES, (n) => {
    const s = (now() - start) / 1000;
    log(`certified ${n.toLocaleString('en')} / ${ENTRIES.toLocaleString('en')} (${Math.round(n / s).toLocaleString('en')}/s)`);
  });
  const lastNote = await cp.flush();
  const seconds = (now() - start) / 1000;
  const cpu = process.cpuUsage(cpuStart);
  const cpuUs = cpu.user + cpu.system;
  await cp.close();
  const checkpoints = (await fileLog.checkpointHistory()).length;
  const bytes = statSync(path.join(LOG_DIR, 'entries.log')).size;
  built = { size: fileLog.size, checkpoint: lastNote };
  await fileLog.close();
  const perSec = ENTRIES / seconds;
  emit({
    case: 'certified_decisions',
    decisions: ENTRIES,
    seconds: round(seconds),
    decisions_per_sec: Math.round(perSec),
    target_per_sec: 50_000,
    target_met: perSec >= 50_000,
    cpu_us_per_decision: round(cpuUs / ENTRIES, 2),
    decisions_per_cpu_second: Math.round(ENTRIES / (cpuUs / 1e6)),
    write_batches: batches,
    avg_batch_entries: round(ENTRIES / batches, 1),
    checkpoints_signed: checkpoints,
    checkpoint_every_entries: CHECKPOINT_EVERY,
    checkpoint_every_ms: CHECKPOINT_MS,
    inflight_window: WINDOW,
    ack_latency: stats(latencies),
    entries_file_bytes: bytes,
    avg_certificate_bytes: Math.round(bytes / ENTRIES - 56),
    method:
      `decide(request, {now, dryRun: true}) over the ${REQUESTS.length} examples/customer-support requests, ` +
      `certifyDecision (certificate + its RFC 8785 bytes), FileLog.append (durable on resolve: group commit, one write + fdatasync per batch, default maxBatchEntries), ` +
      `at most ${WINDOW} appends in flight; Checkpointer signs every ${CHECKPOINT_EVERY} entries or ${CHECKPOINT_MS} ms; ` +
      `timed from the first decision to the final checkpoint (flush) covering every entry; ack_latency samples every 97th append; ` +
      `cpu_us_per_decision = process CPU time (user + system, all threads) / decisions, which other load on the machine does not inflate`,
  });
  log(`certified ${ENTRIES} decisions in ${seconds.toFixed(1)} s: ${Math.round(perSec)}/s, ${batches} batches, ${checkpoints} checkpoints`);
}

// 3. Open, recover, and open read-only.
let opened;
{
  const t0 = now();
  const l = await FileLog.open(LOG_DIR, { verifierKey: KEY.verifierKey });
  const openMs = now() - t0;
  if (l.size !== built.size) throw new Error('reopened log has a different size');
  await l.close();
  // A torn final write: half of a frame after the last entry, as a crash mid-append leaves it.
  appendFileSync(path.join(LOG_DIR, 'entries.log'), readFileSync(path.join(LOG_DIR, 'entries.log')).subarray(0, 400));
  const t1 = now();
  const r = await FileLog.open(LOG_DIR, { verifierKey: KEY.verifierKey });
  const recoverMs = now() - t1;
  if (r.recovery === undefined || r.size !== built.size) throw new Error('torn tail was not recovered');
  const recovery = r.recovery;
  await r.close();
  const t2 = now();
  const snap = await LogSnapshot.open(LOG_DIR);
  const snapshotMs = now() - t2;
  await snap.close();
  emit({
    case: 'open_log',
    entries: built.size,
    entries_file_bytes: statSync(path.join(LOG_DIR, 'entries.log')).size,
    open_ms: round(openMs, 1),
    open_recover_ms: round(recoverMs, 1),
    recovered_bytes_removed: recovery.bytesRemoved,
    snapshot_open_ms: round(snapshotMs, 1),
    method:
      'FileLog.open with the verifier key (lock, read and check every frame and leaf hash, rebuild the Merkle cache, check the stored ' +
      'checkpoint\'s signature and root); then 400 bytes of a torn frame appended and FileLog.open again (truncates them); ' +
      'then LogSnapshot.open (read-only scan). The file is in the page cache (just written)',
  });
  log(`open ${openMs.toFixed(0)} ms, open+recover ${recoverMs.toFixed(0)} ms, snapshot ${snapshotMs.toFixed(0)} ms`);
  opened = await FileLog.open(LOG_DIR, { verifierKey: KEY.verifierKey });
}

// 4. Proofs in the big log.
const figures = {};
{
  const l = opened;
  const size = l.size;
  const root = l.root(size);
  const gen = [];
  const ver = [];
  for (let k = 0; k < PROOF_SAMPLES; k++) {
    const i = Math.floor(rand() * size);
    const leaf = leafHash(l.entry(i));
    const t0 = process.hrtime.bigint();
    const proof = l.inclusionProof(i, size);
    const t1 = process.hrtime.bigint();
    const v = verifyInclusion(leaf, i, size, proof, root);
    const t2 = process.hrtime.bigint();
    if (!v.ok) throw new Error(`proof of ${i} does not verify: ${v.reason}`);
    gen.push(Number(t1 - t0) / 1000);
    ver.push(Number(t2 - t1) / 1000);
  }
  const g = stats(gen);
  const v = stats(ver);
  figures.inclusion = { gen: g, verify: v };
  emit({
    case: 'inclusion_proof',
    tree_size: size,
    proof_hashes: l.inclusionProof(0, size).length,
    generate: g,
    verify: v,
    target_us: 1000,
    target_met: g.p99_us <= 1000 && v.p99_us <= 1000,
    method:
      `${PROOF_SAMPLES} uniformly random leaves; generate = FileLog.inclusionProof(i, size) (Merkle cache keeps levels >= 4, ` +
      'the rest re-hashed from leaf hashes read from the file); verify = verifyInclusion (RFC 9162 §2.1.3.2) of the entry\'s ' +
      'leaf hash against the root; each call timed alone with process.hrtime.bigint',
  });
  log(`inclusion proof: generate p50 ${g.p50_us} us p99 ${g.p99_us} us; verify p50 ${v.p50_us} us p99 ${v.p99_us} us`);

  const cgen = [];
  const cver = [];
  for (let k = 0; k < PROOF_SAMPLES / 4; k++) {
    const a = 1 + Math.floor(rand() * (size - 1));
    const ra = l.root(a);
    const t0 = process.hrtime.bigint();
    const proof = l.consistencyProof(a, size);
    const t1 = process.hrtime.bigint();
    const r = verifyConsistency(a, size, proof, ra, root);
    const t2 = process.hrtime.bigint();
    if (!r.ok) throw new Error(`consistency ${a} -> ${size} does not verify: ${r.reason}`);
    cgen.push(Number(t1 - t0) / 1000);
    cver.push(Number(t2 - t1) / 1000);
  }
  emit({
    case: 'consistency_proof',
    tree_size: size,
    generate: stats(cgen),
    verify: stats(cver),
    method: `${PROOF_SAMPLES / 4} random older sizes m; generate = FileLog.consistencyProof(m, size); verify = verifyConsistency`,
  });

  const make = [];
  const check = [];
  let bundleBytes = 0;
  for (let k = 0; k < 200; k++) {
    const i = Math.floor(rand() * size);
    const t0 = process.hrtime.bigint();
    const text = bundleJson(makeBundle(l, i));
    const t1 = process.hrtime.bigint();
    const r = verifyBundle(text, KEY.verifierKey);
    const t2 = process.hrtime.bigint();
    if (!r.ok) throw new Error(`bundle of ${i} does not verify: ${r.reason}`);
    bundleBytes = text.length;
    make.push(Number(t1 - t0) / 1000);
    check.push(Number(t2 - t1) / 1000);
  }
  emit({
    case: 'bundle',
    tree_size: size,
    bundle_bytes: bundleBytes,
    make: stats(make),
    verify: stats(check),
    method:
      '200 random entries; make = makeBundle (read the entry, parse and check the certificate, proof) + bundleJson; verify = ' +
      'verifyBundle (parse, schema, Ed25519 signature of the checkpoint, inclusion proof): what `writ cert verify` does after reading files',
  });
  await l.close();
}

const total = (now() - benchStart) / 1000;
const c = results['certified_decisions'];
const inc = results['inclusion_proof'];
const op = results['open_log'];
emit({
  case: 'summary',
  targets: {
    certified_per_sec_ge_50000: c.decisions_per_sec >= 50_000,
    inclusion_generate_p99_le_1ms: inc.generate.p99_us <= 1000,
    inclusion_verify_p99_le_1ms: inc.verify.p99_us <= 1000,
  },
  figures: {
    entries: ENTRIES,
    certified_per_sec: c.decisions_per_sec,
    certified_per_cpu_second: c.decisions_per_cpu_second,
    inclusion_generate_p50_us: inc.generate.p50_us,
    inclusion_generate_p99_us: inc.generate.p99_us,
    inclusion_verify_p50_us: inc.verify.p50_us,
    inclusion_verify_p99_us: inc.verify.p99_us,
    open_ms: op.open_ms,
    open_recover_ms: op.open_recover_ms,
    bundle_verify_p50_us: results['bundle'].verify.p50_us,
  },
  env: {
    node: process.version,
    cpus: os.cpus().length,
    cpu: os.cpus()[0]?.model ?? 'unknown',
    load_average_start: LOAD_START,
    load_average_end: os.loadavg().map((x) => round(x, 2)),
    quick: QUICK,
  },
  total_s: round(total, 1),
});
if (!KEEP) rmSync(ROOT, { recursive: true, force: true });
log(`done in ${total.toFixed(0)} s`);
