// Latency of tools/call through the gateway against the same server-filesystem called directly, both over
// stdio with the SDK's client. Prints one JSON line per setup. `node examples/mcp-gateway/bench/run.mjs [calls]`
// (build first: npx tsc -b). Figures include the load of the machine: see `uptime`.
import { mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';

const calls = Number(process.argv[2] ?? 500);
const here = import.meta.dirname;
const fsServer = createRequire(import.meta.url).resolve('@modelcontextprotocol/server-filesystem/dist/index.js');
const root = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'writ-mcp-bench-')));
const ws = path.join(root, 'ws');
(await import('node:fs')).mkdirSync(ws);
writeFileSync(path.join(ws, 'notes.txt'), 'meeting at noon\nAWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE\n'.repeat(20));

async function run(name, command, args) {
  const client = new Client({ name: 'bench', version: '1' });
  await client.connect(new StdioClientTransport({ command, args, stderr: 'ignore' }));
  const req = { name: 'read_text_file', arguments: { path: path.join(ws, 'notes.txt') } };
  for (let i = 0; i < 50; i++) await client.callTool(req); // warm-up
  const ms = [];
  const t0 = performance.now();
  for (let i = 0; i < calls; i++) {
    const t = performance.now();
    const r = await client.callTool(req);
    ms.push(performance.now() - t);
    if (r.isError) throw new Error(JSON.stringify(r));
  }
  const total = performance.now() - t0;
  await client.close();
  ms.sort((a, b) => a - b);
  const q = (p) => Number(ms[Math.min(ms.length - 1, Math.floor(p * ms.length))].toFixed(3));
  const line = { bench: 'mcp-gateway', setup: name, calls, calls_per_s: Math.round((calls / total) * 1000), p50_ms: q(0.5), p99_ms: q(0.99), load: os.loadavg()[0] };
  console.log(JSON.stringify(line));
  return line;
}

try {
  const direct = await run('direct', process.execPath, [fsServer, ws]);
  const gw = await run('gateway', process.execPath, [path.join(here, '..', 'dist', 'gateway.js'), '--workspace', ws, '--approvals', path.join(root, 'approvals'), '--', process.execPath, fsServer, ws]);
  console.log(JSON.stringify({ bench: 'mcp-gateway', setup: 'overhead', p50_ms: Number((gw.p50_ms - direct.p50_ms).toFixed(3)), p99_ms: Number((gw.p99_ms - direct.p99_ms).toFixed(3)) }));
} finally {
  rmSync(root, { recursive: true, force: true });
}
