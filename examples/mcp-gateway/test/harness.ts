/**
 * Test harness: a temp workspace, approver keys in `writ keygen`'s format, and the built gateway in front of
 * the real server-filesystem, driven by the SDK's own Client over stdio.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { generateSignerKey } from '@writ/verifier';

export const HERE = path.resolve(import.meta.dirname, '..');
export const GATEWAY = path.join(HERE, 'dist', 'gateway.js');
export const APPROVE = path.join(HERE, 'dist', 'approve.js');
export const FS_SERVER = createRequire(import.meta.url).resolve('@modelcontextprotocol/server-filesystem/dist/index.js');

export interface Sandbox {
  root: string;
  /** Real path of the workspace. */
  ws: string;
  approvals: string;
  approversFile: string;
  /** Private key files by approver id. */
  keys: Record<string, string>;
  cleanup(): void;
}

/** A workspace beside a secret outside it, an approvals dir, and approvers alice (listed) and mallory (not). */
export function sandbox(): Sandbox {
  const root = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'writ-mcp-')));
  const ws = path.join(root, 'ws');
  mkdirSync(ws);
  writeFileSync(path.join(root, 'outside.txt'), 'TOP SECRET OUTSIDE THE WORKSPACE\n');
  mkdirSync(path.join(root, 'ws-other'));
  writeFileSync(path.join(root, 'ws-other', 'neighbour.txt'), 'NEIGHBOUR DATA\n');
  writeFileSync(path.join(ws, 'notes.txt'), 'meeting at noon\n');
  const keysDir = path.join(root, 'keys');
  mkdirSync(keysDir);
  const keys: Record<string, string> = {};
  for (const who of ['alice', 'mallory']) {
    // The key strings `writ keygen` writes (C2SP signed-note keys), made by the same library function.
    const { signerKey, verifierKey } = generateSignerKey(who);
    writeFileSync(path.join(keysDir, `${who}.key`), `${signerKey}\n`, { mode: 0o600 });
    writeFileSync(path.join(keysDir, `${who}.pub`), `${verifierKey}\n`);
    keys[who] = path.join(keysDir, `${who}.key`);
  }
  const approversFile = path.join(root, 'approvers.json');
  writeFileSync(approversFile, JSON.stringify({ approvers: [{ id: 'alice', roles: ['fs_approver'], key: 'keys/alice.pub' }] }));
  return { root, ws, approvals: path.join(root, 'approvals'), approversFile, keys, cleanup: () => rmSync(root, { recursive: true, force: true }) };
}

export interface RunningGateway {
  client: Client;
  stderr: () => string;
  call(name: string, args?: Record<string, unknown>): Promise<CallToolResult>;
  close(): Promise<void>;
}

/** Starts the built gateway (extra options before `--`) in front of server-filesystem on the sandbox workspace. */
export async function startGateway(sb: Sandbox, extra: string[] = []): Promise<RunningGateway> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [GATEWAY, '--workspace', sb.ws, '--approvals', sb.approvals, '--approvers', sb.approversFile, '--poll', '50', ...extra, '--', process.execPath, FS_SERVER, sb.ws],
    stderr: 'pipe',
  });
  let err = '';
  transport.stderr?.on('data', (c: Buffer) => {
    err += c.toString('utf8');
  });
  const client = new Client({ name: 'gateway-test', version: '1.0.0' });
  await client.connect(transport);
  return {
    client,
    stderr: () => err,
    call: async (name, args) => (await client.callTool({ name, arguments: args ?? {} }, undefined, { timeout: 20_000 })) as CallToolResult,
    close: () => client.close(),
  };
}

/** The text of a tool result's content. */
export function text(r: CallToolResult): string {
  return r.content.map((c) => (c.type === 'text' ? c.text : `[${c.type}]`)).join('\n');
}

/** The gateway's decision summary on a result. */
export function meta(r: CallToolResult): { stage: string; effect: string; denial?: string; reasons: Array<{ rule: string; message: string }>; approval?: { id: string; status: string }; redacted?: string[] } {
  const m = (r._meta as Record<string, ReturnType<typeof meta>> | undefined)?.['dev.writ/decision'];
  if (m === undefined) throw new Error(`no dev.writ/decision in ${JSON.stringify(r)}`);
  return m;
}

/** Runs approve.js; returns its exit code and output. */
export function approve(args: string[]): { code: number; out: string } {
  try {
    return { code: 0, out: execFileSync(process.execPath, [APPROVE, ...args], { encoding: 'utf8', stdio: 'pipe' }) };
  } catch (e) {
    const x = e as { status: number; stdout: string; stderr: string };
    return { code: x.status, out: `${x.stdout}${x.stderr}` };
  }
}

/** Waits until `cond` holds (polling), or throws after `ms`. */
export async function until(cond: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 25));
  }
}
