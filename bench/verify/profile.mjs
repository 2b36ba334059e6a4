// Where `writ verify` spends its time on one policy: per tool, per query (kind, status, ms), the session
// opens, and the phases around them. Diagnostic, not a benchmark: run after a build.
//
//   node bench/verify/profile.mjs examples/mcp-gateway [--top=20]
import path from 'node:path';
import { loadVerifyInput } from '../../packages/cli/dist/io/verify-input.js';
import { QuerySession, shutdown, verify } from '@writ/verifier';

const t0 = performance.now();
const input = process.argv[2] ?? 'examples/mcp-gateway';
const top = Number((process.argv.find((a) => a.startsWith('--top=')) ?? '--top=15').slice(6));
const { artifact } = loadVerifyInput(path.resolve(input));
const tLoad = performance.now();
const queries = [];
const open = QuerySession.open;
let opens = 0;
let openMs = 0;
QuerySession.open = async function (...a) {
  const s = performance.now();
  const r = await open.apply(this, a);
  opens++;
  openMs += performance.now() - s;
  return r;
};
const chk = QuerySession.prototype.check;
let tool = '';
QuerySession.prototype.check = async function (asserts, o) {
  const r = await chk.call(this, asserts, o);
  queries.push({ tool, status: r.status, ms: r.ms, model: o?.model !== false, text: asserts.join(' ').slice(0, 160) });
  return r;
};
const tools = Object.keys(artifact.tools);
tool = tools[0];
const perTool = [];
let last = performance.now();
const report = await verify(artifact, {
  onProgress: (i, n, t) => {
    perTool.push({ tool: t, ms: Math.round(performance.now() - last), queries: queries.filter((q) => q.tool === t).length });
    last = performance.now();
    tool = tools[i] ?? '';
  },
});
const tVerify = performance.now();
await shutdown();
const sum = (xs) => Math.round(xs.reduce((a, q) => a + q.ms, 0));
console.log(JSON.stringify({ load_ms: Math.round(tLoad - t0), verify_ms: Math.round(tVerify - tLoad), report_ms: Math.round(report.ms), session_opens: opens, open_ms: Math.round(openMs), session_queries: queries.length, session_query_ms: sum(queries) }));
console.log(JSON.stringify({ stats: report.stats }));
for (const t of perTool) console.log(JSON.stringify(t));
const byStatus = {};
for (const q of queries) (byStatus[q.status] ??= []).push(q);
for (const [s, qs] of Object.entries(byStatus)) console.log(JSON.stringify({ status: s, n: qs.length, ms: sum(qs) }));
for (const q of [...queries].sort((a, b) => b.ms - a.ms).slice(0, top)) console.log(JSON.stringify({ ...q, ms: Math.round(q.ms) }));
console.log(JSON.stringify({ results: report.results.map((r) => `${r.kind}:${r.status}:${r.id}`) }));
