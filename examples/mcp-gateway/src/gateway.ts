#!/usr/bin/env node
/**
 * `node examples/mcp-gateway/dist/gateway.js --workspace <dir> [--policy <p>] -- <downstream command...>`:
 * an MCP server over stdio that puts a Writ policy in front of any MCP server. See README.md and `--help`.
 *
 * stdout carries MCP messages only; everything for the operator goes to stderr as `writ-mcp-gateway: …`.
 */
import { realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { ApprovalDesk, ApprovalSetupError, readApprovers, type Approver } from './approvals.js';
import { compareDeclarations } from './declarations.js';
import { Downstream } from './downstream.js';
import { HELP, parseGatewayArgs, UsageError } from './options.js';
import { loadGatewayPolicy, PolicyLoadError } from './policy.js';
import { GatewayProxy } from './proxy.js';

const EXIT = { ok: 0, usage: 2, policy: 3, downstream: 4, internal: 70 } as const;

function log(line: string): void {
  process.stderr.write(`writ-mcp-gateway: ${line}\n`);
}

function fail(code: number, message: string): never {
  log(message);
  process.exit(code);
}

function shellQuote(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

async function main(): Promise<void> {
  let opts;
  try {
    opts = parseGatewayArgs(process.argv.slice(2));
  } catch (e) {
    if (e instanceof UsageError) fail(EXIT.usage, `${e.message} (see --help)`);
    throw e;
  }
  if (opts === 'help') {
    process.stdout.write(`${HELP}\n`);
    return;
  }

  let workspace: string;
  try {
    workspace = realpathSync(opts.workspace);
    if (!statSync(workspace).isDirectory()) fail(EXIT.usage, `--workspace ${opts.workspace}: not a directory`);
  } catch {
    fail(EXIT.usage, `--workspace ${opts.workspace}: no such directory`);
  }

  let loaded;
  try {
    loaded = loadGatewayPolicy(opts.policy);
  } catch (e) {
    if (e instanceof PolicyLoadError) fail(EXIT.policy, `policy ${opts.policy}:\n${e.message}`);
    throw e;
  }
  const { policy } = loaded;
  for (const w of loaded.warnings) log(w);

  let approvers = new Map<string, Approver>();
  let desk: ApprovalDesk;
  try {
    if (opts.approvers !== undefined) approvers = readApprovers(opts.approvers);
    desk = new ApprovalDesk(opts.approvals, workspace, policy, approvers, (ev) => {
      if (ev.kind === 'applied') log(`approval ${ev.id}: ${ev.decision} by ${ev.approver} -> ${ev.status}`);
      else log(`approval decision ${ev.file} refused: ${ev.reason}`);
    });
  } catch (e) {
    if (e instanceof ApprovalSetupError) fail(EXIT.usage, e.message);
    throw e;
  }
  if (approvers.size === 0) log('no --approvers file: calls that need approval stay pending');

  const downstream = new Downstream(
    opts.downstream.command,
    opts.downstream.args,
    workspace,
    (line) => log(`[downstream] ${line}`),
    (why) => log(`downstream server down: ${why}; every call now fails until the gateway is restarted`),
  );
  try {
    await downstream.start();
  } catch (e) {
    await downstream.close();
    fail(EXIT.downstream, `could not start the downstream server (${opts.downstream.command}): ${(e as Error).message}`);
  }

  const report = compareDeclarations(policy.artifact, await downstream.tools());
  for (const m of report.mismatches) log(`policy and server disagree: ${m}`);
  if (report.undeclared.length > 0) {
    log(`not declared in the policy (${opts.showUndeclared ? 'listed as denied' : 'hidden'}, always denied): ${report.undeclared.join(', ')}`);
  }

  const approveJs = path.join(path.dirname(fileURLToPath(import.meta.url)), 'approve.js');
  const proxy = new GatewayProxy({
    policy,
    downstream,
    desk,
    agent: opts.agent,
    workspace,
    showUndeclared: opts.showUndeclared,
    approveCommand: (id) => `node ${shellQuote(approveJs)} --approvals ${shellQuote(opts.approvals)} --key <approver>.key ${id}`,
    log,
  });
  const timer = setInterval(() => desk.scan(), opts.pollMs);
  timer.unref();

  let stopping = false;
  const stop = async (why: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    log(`stopping: ${why}`);
    clearInterval(timer);
    desk.clearPending();
    await downstream.close();
    await proxy.server.close().catch(() => undefined);
    process.exit(EXIT.ok);
  };
  process.stdin.on('end', () => void stop('the client closed stdin'));
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));

  await proxy.server.connect(new StdioServerTransport());
  log(
    `ready: policy ${policy.name}@${policy.version} ${policy.digest}, workspace ${workspace}, agent ${opts.agent}, ` +
      `${report.declared.length} tools declared, approvals in ${opts.approvals}, downstream pid ${downstream.pid ?? '?'}`,
  );
}

main().catch((e: unknown) => {
  process.stderr.write(`writ-mcp-gateway: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(EXIT.internal);
});
