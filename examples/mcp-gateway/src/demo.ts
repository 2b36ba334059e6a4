#!/usr/bin/env node
/**
 * `node examples/mcp-gateway/dist/demo.js`: one session through the gateway, printed as it happens. A temp
 * workspace, an approver key made with `writ keygen`, the gateway in front of server-filesystem, and the
 * SDK's client making the calls an agent would: a read, two escapes, a read of a secret, a write that waits
 * for approval, the approval, the write again. The gateway's own log (stderr) follows.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';

const dist = path.dirname(fileURLToPath(import.meta.url));
const writ = path.resolve(dist, '..', '..', '..', 'packages', 'cli', 'dist', 'bin.js');
const fsServer = createRequire(import.meta.url).resolve('@modelcontextprotocol/server-filesystem/dist/index.js');

const root = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'writ-mcp-demo-')));
const ws = path.join(root, 'ws');
mkdirSync(ws);
writeFileSync(path.join(ws, 'notes.txt'), 'meeting at noon\n');
writeFileSync(path.join(ws, '.env'), 'REGION=eu-west-1\nAWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE\n');
writeFileSync(path.join(root, 'outside.txt'), 'not for the agent\n');
execFileSync(process.execPath, [writ, 'keygen', '--name', 'alice', '--out', path.join(root, 'alice')]);
writeFileSync(path.join(root, 'approvers.json'), JSON.stringify({ approvers: [{ id: 'alice', roles: ['fs_approver'], key: 'alice.pub' }] }));
const approvals = path.join(root, 'approvals');

const repo = path.resolve(dist, '..', '..', '..');
const show = (s: string): string => s.split(root).join('$TMP').split(`${repo}/`).join('');
const transport = new StdioClientTransport({
  command: process.execPath,
  args: [path.join(dist, 'gateway.js'), '--workspace', ws, '--approvals', approvals, '--approvers', path.join(root, 'approvers.json'), '--poll', '100', '--', process.execPath, fsServer, ws],
  stderr: 'pipe',
});
let log = '';
transport.stderr?.on('data', (c: Buffer) => {
  log += c.toString('utf8');
});
const client = new Client({ name: 'demo', version: '1.0.0' });

async function call(tool: string, args: Record<string, unknown>): Promise<CallToolResult> {
  process.stdout.write(`\n> ${tool} ${show(JSON.stringify(args))}\n`);
  const r = (await client.callTool({ name: tool, arguments: args })) as CallToolResult;
  const text = r.content.map((c) => (c.type === 'text' ? c.text : `[${c.type}]`)).join('\n');
  process.stdout.write(`< ${r.isError ? 'isError: true' : 'ok'}\n${show(text.trimEnd()).replace(/^/gm, '  ')}\n`);
  return r;
}

try {
  await client.connect(transport);
  const { tools } = await client.listTools();
  process.stdout.write(`tools/list: ${tools.map((t) => (t.description?.startsWith('[Writ') ? `${t.name}*` : t.name)).join(', ')}\n(* = calls may wait for human approval)\n`);
  await call('read_text_file', { path: path.join(ws, 'notes.txt') });
  await call('read_text_file', { path: `${ws}/../outside.txt` });
  await call('read_text_file', { path: path.join(root, 'outside.txt') });
  await call('read_text_file', { path: path.join(ws, '.env') });
  const args = { path: path.join(ws, 'report.txt'), content: 'Q3 report\n' };
  const pending = await call('write_file', args);
  const id = ((pending._meta as Record<string, { approval?: { id: string } }>)['dev.writ/decision']?.approval?.id) ?? '';
  const approveArgs = ['--approvals', approvals, '--key', path.join(root, 'alice.key'), id];
  process.stdout.write(`\n$ node examples/mcp-gateway/dist/approve.js ${show(approveArgs.join(' '))}\n`);
  process.stdout.write(`${show(execFileSync(process.execPath, [path.join(dist, 'approve.js'), ...approveArgs], { encoding: 'utf8' }).trimEnd()).replace(/^/gm, '  ')}\n`);
  await new Promise((r) => setTimeout(r, 300));
  await call('write_file', args);
  process.stdout.write(`\n$ cat $TMP/ws/report.txt\n  ${readFileSync(args.path, 'utf8')}`);
  await client.close();
  await new Promise((r) => setTimeout(r, 200));
  process.stdout.write(`\ngateway log (stderr):\n${show(log.trimEnd()).replace(/^/gm, '  ')}\n`);
} finally {
  rmSync(root, { recursive: true, force: true });
}
