// Benchmarks of the SMT verifier (`writ verify`), printing one JSON object per line on stdout; progress on
// stderr. Run after a build (`npm run build`):
//
//   node bench/verify/run.mjs                  # every example (fresh process each), then a generated 1,000-rule policy
//   node bench/verify/run.mjs --rules=200      # a smaller generated policy
//   node bench/verify/run.mjs --single         # the generated rules all on one tool (redundancy is pairwise per tool)
//   node bench/verify/run.mjs --examples-only  # or --generated-only
//
// Targets (issue 3): every example verifies in under 5 s including solver start; the generated 1,000-rule
// policy runs every assertion and analysis in under 60 s.
import { spawnSync } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { compile } from '@writ/compiler';
import { shutdown, verify } from '@writ/verifier';
import { generatePolicy } from '../decide/generate.mjs';

const repo = path.resolve(import.meta.dirname, '../..');
const bin = path.join(repo, 'packages/cli/dist/bin.js');
const args = new Map(process.argv.slice(2).map((a) => [a.replace(/=.*$/, ''), a.includes('=') ? a.slice(a.indexOf('=') + 1) : true]));
const RULES = Number(args.get('--rules') ?? 1000);
const SINGLE = args.has('--single');
const EXAMPLE_TARGET_MS = 5_000;
const GENERATED_TARGET_MS = 60_000;

const out = (o) => process.stdout.write(`${JSON.stringify(o)}\n`);
const note = (s) => process.stderr.write(`${s}\n`);
const round = (x) => Math.round(x * 1000) / 1000;
const t0 = performance.now();
const summary = { bench: 'verify_summary', targets: {}, figures: {} };
// Wall times depend on what else runs on the machine: the 1-minute load average at start and end goes with them.
const loadStart = round(loadavg()[0]);

if (!args.has('--generated-only')) {
  const examples = readdirSync(path.join(repo, 'examples'), { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort();
  const walls = {};
  for (const ex of examples) {
    note(`example ${ex}…`);
    // A fresh process, as a user runs it: Node start, compile, Z3 start (WebAssembly), every query, exit.
    const start = performance.now();
    const r = spawnSync(process.execPath, [bin, 'verify', `examples/${ex}`, '--json'], { cwd: repo, encoding: 'utf8' });
    const wall = performance.now() - start;
    let report;
    try {
      report = JSON.parse(r.stdout);
    } catch {
      throw new Error(`writ verify examples/${ex} printed no JSON (exit ${r.status}): ${r.stderr}`);
    }
    walls[ex] = Math.round(wall);
    out({
      bench: 'verify',
      case: 'example',
      example: ex,
      wall_ms: Math.round(wall),
      verify_ms: report.ms,
      exit: r.status,
      assertions: report.summary.assertions,
      warnings: report.summary.warnings,
      unknown: report.summary.unknown,
      within_target: wall < EXAMPLE_TARGET_MS,
      method: 'wall clock of `node packages/cli/dist/bin.js verify examples/<name> --json` in a fresh process (Node start, compile, Z3 start, all queries, counterexamples, exit); verify_ms is verify() itself',
    });
  }
  summary.targets.every_example_under_5s = Object.values(walls).every((w) => w < EXAMPLE_TARGET_MS);
  summary.figures.example_wall_ms = walls;
}

if (!args.has('--examples-only')) {
  const g = generatePolicy({ rules: RULES, singleTool: SINGLE });
  // The generated policy has no assertions: add some that hold and some that do not (one counterexample each).
  const text = [
    g.writText.replace(/^(role .*)$/m, '$1\nagent "blocked-bot" roles []'),
    'assert never allow * when agent.id == "blocked-bot"',
    'assert never allow t0 when args.amount > 19000 and args.tier == "free" and args.count > 200',
    'assert always deny t1 when args.count >= 100 and args.amount >= 19000 and args.user starts_with "tmp_"',
    'assert never pending_approval *',
    '',
  ].join('\n');
  const r = compile([{ file: 'bench.writ', text }]);
  const errors = r.diagnostics.filter((d) => d.severity === 'error');
  if (!r.artifact) throw new Error(`generated policy does not compile: ${errors.map((d) => d.message).join('; ')}`);
  const a = r.artifact;
  const tools = Object.keys(a.tools).length;
  const ruled = Object.values(a.index).filter((ix) => ix.allow.length + ix.deny.length + ix.approve.length > 0).length;
  note(`generated: ${a.rules.length} rules over ${ruled} tools (${tools} declared), ${a.asserts.length} assertions…`);
  const start = performance.now();
  let last = start;
  const report = await verify(a, {
    onProgress: (i, n, tool) => {
      if (performance.now() - last > 5000 || i === n) {
        note(`  ${i}/${n} tools (${tool}), ${((performance.now() - start) / 1000).toFixed(1)} s`);
        last = performance.now();
      }
    },
  });
  const total = performance.now() - start;
  await shutdown();
  const count = (kind, status) => report.results.filter((x) => x.kind === kind && (status === undefined || x.status === status)).length;
  const perKind = Object.fromEntries(
    ['assertion', 'dead_tool', 'vacuous', 'shadowed', 'redundant', 'counterexample'].map((k) => [k, { queries: report.stats[k].queries, solver_ms: Math.round(report.stats[k].ms) }]),
  );
  out({
    bench: 'verify',
    case: SINGLE ? 'generated_single_tool' : 'generated',
    rules: a.rules.length,
    tools,
    tools_with_rules: ruled,
    assertions: a.asserts.length,
    total_ms: Math.round(total),
    per_analysis: perKind,
    redundancy_pairs: report.stats.pairs.total,
    redundancy_pairs_settled_by_models: report.stats.pairs.settledByModels,
    results: {
      assertions_proven: count('assertion', 'proven'),
      assertions_failed: count('assertion', 'failed'),
      unknown: report.results.filter((x) => x.status === 'unknown').length,
      dead_tools: count('dead_tool', 'failed'),
      vacuous: count('vacuous', 'failed'),
      shadowed: count('shadowed', 'failed'),
      redundant: count('redundant', 'failed'),
    },
    within_target: total < GENERATED_TARGET_MS,
    method: 'in one process: verify(artifact) with every assertion and analysis, from the first query (Z3 start included) to the report; per_analysis is solver time (checks, and for counterexample the whole search and replay)',
  });
  summary.targets.generated_1000_under_60s = RULES === 1000 && !SINGLE ? total < GENERATED_TARGET_MS : undefined;
  summary.figures.generated_ms = Math.round(total);
}

summary.env = { node: process.version, cpus: cpus().length, cpu: cpus()[0]?.model ?? '', load_average_1m: { start: loadStart, end: round(loadavg()[0]) } };
summary.total_s = round((performance.now() - t0) / 1000);
out(summary);
