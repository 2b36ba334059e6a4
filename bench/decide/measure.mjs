// Timing helpers: batched latency measurement with process.hrtime.bigint().
//
// A Writ decision takes on the order of a microsecond, about as long as reading the clock twice, so timing
// single calls would mostly measure the timer. Instead we time *batches* of consecutive decisions, divide
// each batch's elapsed time by its size, and take percentiles over the per-batch means. A batch's mean
// includes whatever happened during it (GC pauses, JIT deopts), so p99 still shows tail effects, smoothed
// over one batch.

const now = () => process.hrtime.bigint();

/** Nearest-rank percentile of an ascending-sorted array. */
export function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

export function median(xs) {
  const s = xs.slice().sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Times `fn()` once in milliseconds. Returns [ms, result]. */
export function timeMs(fn) {
  const t0 = now();
  const out = fn();
  return [Number(now() - t0) / 1e6, out];
}

/**
 * Runs `fn` `runs` times (or until `budgetMs` has been spent, but at least `minRuns` times) and returns
 * { median_ms, first_ms, runs, last } where `last` is the last result. `setup()` (untimed) prepares the
 * input of each run.
 */
export function repeatMs({ fn, setup = () => undefined, runs, minRuns = 1, budgetMs = Infinity }) {
  const times = [];
  let last;
  let spent = 0;
  for (let i = 0; i < runs; i++) {
    if (i >= minRuns && spent >= budgetMs) break;
    const input = setup();
    const [ms, out] = timeMs(() => fn(input));
    times.push(ms);
    spent += ms;
    last = out;
  }
  return { median_ms: median(times), first_ms: times[0], runs: times.length, last };
}

/**
 * Batched latency measurement.
 *
 * `step(i)` performs decision number i (callers cycle through their request set with i % n) and returns a
 * number that is summed into `checksum` (so the work cannot be optimised away, and callers can check it).
 *
 * - warm-up: `warmup` calls of `step`, untimed;
 * - then batches of `batchSize` calls, each timed as a whole, until `maxBatches` batches have run or
 *   `maxMs` of batch time has been spent (at least `minBatches`).
 *
 * Returns { decisions, batches, batch_size, total_ns, decisions_per_sec, p50_ns, p90_ns, p99_ns, min_ns,
 * max_ns, checksum } where the *_ns figures are per-decision means of one batch.
 */
export function measureBatches({ step, warmup, batchSize, maxBatches, maxMs, minBatches = 10, startIndex = 0 }) {
  let i = startIndex;
  let checksum = 0;
  for (let w = 0; w < warmup; w++) checksum += step(i++);

  const perDecision = [];
  const maxNs = BigInt(Math.round(maxMs * 1e6));
  let total = 0n;
  let batches = 0;
  while (batches < maxBatches && (total < maxNs || batches < minBatches)) {
    const t0 = now();
    for (let k = 0; k < batchSize; k++) checksum += step(i++);
    const dt = now() - t0;
    total += dt;
    batches++;
    perDecision.push(Number(dt) / batchSize);
  }
  perDecision.sort((a, b) => a - b);
  const decisions = batches * batchSize;
  const totalNs = Number(total);
  return {
    decisions,
    batches,
    batch_size: batchSize,
    total_ns: totalNs,
    decisions_per_sec: Math.round((decisions / totalNs) * 1e9),
    p50_ns: Math.round(percentile(perDecision, 50)),
    p90_ns: Math.round(percentile(perDecision, 90)),
    p99_ns: Math.round(percentile(perDecision, 99)),
    min_ns: Math.round(perDecision[0]),
    max_ns: Math.round(perDecision[perDecision.length - 1]),
    checksum,
    next_index: i,
  };
}
