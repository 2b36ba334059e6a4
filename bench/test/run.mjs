// Benchmark of `writ test`, printing one JSON object per line on stdout; progress on stderr. Run after a
// build (`npm run build`):
//
//   node bench/test/run.mjs              # 5 runs of each variant
//   node bench/test/run.mjs --runs=10
//
// Each run is a fresh process, as a user (or CI) runs it: Node start, compiling the example policies,
// every case of every suite, the report. Target (issue 6): `writ test examples` in under 3 s.
import { spawnSync } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import path from 'node:path';

const repo = path.resolve(import.meta.dirname, '../..');
const bin = path.join(repo, 'packages/cli/dist/bin.js');
const args = new Map(process.argv.slice(2).map((a) => [a.replace(/=.*$/, ''), a.includes('=') ? a.slice(a.indexOf('=') + 1) : true]));
const RUNS = Number(args.get('--runs') ?? 5);
const TARGET_MS = 3_000;

const out = (o) => process.stdout.write(`${JSON.stringify(o)}\n`);
const note = (s) => process.stderr.write(`${s}\n`);
const round = (x) => Math.round(x * 10) / 10;
const quantile = (xs, q) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
};

const variants = [
  { name: 'writ test examples', argv: ['test', 'examples', '--reporter', 'json'] },
  { name: 'writ test examples --coverage', argv: ['test', 'examples', '--coverage', '--reporter', 'json'] },
  { name: 'writ test examples --reporter junit', argv: ['test', 'examples', '--reporter', 'junit'] },
];

for (const v of variants) {
  const walls = [];
  let report;
  for (let i = 0; i < RUNS; i++) {
    note(`${v.name}: run ${i + 1}/${RUNS}`);
    const start = performance.now();
    const r = spawnSync(process.execPath, [bin, ...v.argv], { cwd: repo, encoding: 'utf8' });
    walls.push(performance.now() - start);
    if (r.status !== 0) throw new Error(`${v.name} exited ${r.status}: ${r.stderr || r.stdout.slice(0, 500)}`);
    if (v.argv.includes('json')) report = JSON.parse(r.stdout);
  }
  out({
    bench: 'writ_test',
    command: v.name,
    runs: RUNS,
    ...(report ? { suites: report.summary.suites, cases: report.summary.cases, in_process_ms: report.ms } : {}),
    wall_ms_median: round(quantile(walls, 0.5)),
    wall_ms_max: round(Math.max(...walls)),
    target_ms: TARGET_MS,
    met: Math.max(...walls) < TARGET_MS,
    cpus: cpus().length,
    loadavg_1m: round(loadavg()[0]),
  });
}
