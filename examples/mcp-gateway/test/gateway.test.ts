/**
 * End to end: the SDK's Client → the built gateway (stdio) → the real server-filesystem (stdio) on a temp
 * workspace. Every assertion is about what the client receives and what happened on disk.
 */
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { approve, meta, sandbox, startGateway, text, until, type RunningGateway, type Sandbox } from './harness.js';

const POLICY = readFileSync(path.join(import.meta.dirname, '..', 'policy.writ'), 'utf8');

/** The `policy.writ:<line>` id of the first rule containing `needle` (the line the rule starts on). */
function ruleId(needle: string): string {
  const lines = POLICY.split('\n');
  let i = lines.findIndex((l) => l.includes(needle));
  if (i < 0) throw new Error(`no rule with ${needle}`);
  while (i > 0 && /^\s/.test(lines[i] as string)) i--;
  return `policy.writ:${i + 1}`;
}

describe('mcp-gateway in front of server-filesystem', () => {
  let sb: Sandbox;
  let gw: RunningGateway;

  beforeAll(async () => {
    sb = sandbox();
    gw = await startGateway(sb);
  });
  afterAll(async () => {
    await gw?.close();
    sb?.cleanup();
  });

  it('starts with the policy agreeing with the server on every tool and parameter', async () => {
    await until(() => gw.stderr().includes('ready:'));
    expect(gw.stderr()).not.toContain('disagree');
    expect(gw.stderr()).toContain(`workspace ${sb.ws}`);
  });

  it('lists the declared tools and marks the ones that wait for approval', async () => {
    const { tools } = await gw.client.listTools();
    const byName = new Map(tools.map((t) => [t.name, t]));
    expect([...byName.keys()].sort()).toEqual(
      ['create_directory', 'directory_tree', 'edit_file', 'get_file_info', 'list_allowed_directories', 'list_directory', 'list_directory_with_sizes',
        'move_file', 'read_file', 'read_media_file', 'read_multiple_files', 'read_text_file', 'search_files', 'write_file'],
    );
    for (const name of ['write_file', 'edit_file', 'create_directory', 'move_file']) {
      expect(byName.get(name)?.description).toMatch(/^\[Writ: calls may wait for human approval\]/);
    }
    expect(byName.get('read_text_file')?.description).not.toContain('[Writ');
  });

  it('reads a file inside the workspace', async () => {
    const r = await gw.call('read_text_file', { path: path.join(sb.ws, 'notes.txt') });
    expect(r.isError).toBeFalsy();
    expect(text(r)).toBe('meeting at noon\n');
    expect(meta(r)).toMatchObject({ stage: 'result', effect: 'allow', reasons: [{ rule: ruleId('allow readers') }] });
  });

  it('lists the workspace directory itself (no trailing slash)', async () => {
    const r = await gw.call('list_directory', { path: sb.ws });
    expect(r.isError).toBeFalsy();
    expect(text(r)).toContain('notes.txt');
  });

  it.each([
    ['../ out of the workspace', 'read_text_file', (sb: Sandbox) => `${sb.ws}/../outside.txt`],
    ['../ several levels up', 'read_text_file', (sb: Sandbox) => `${sb.ws}/../../../../etc/passwd`],
    ['a trailing ..', 'list_directory', (sb: Sandbox) => `${sb.ws}/..`],
    ['.. segments deeper in the path', 'get_file_info', (sb: Sandbox) => `${sb.ws}/a/b/../../../outside.txt`],
  ])('denies path traversal: %s', async (_name, tool, p) => {
    const r = await gw.call(tool, { path: p(sb) });
    expect(r.isError).toBe(true);
    expect(text(r)).not.toContain('TOP SECRET');
    expect(text(r)).toContain(`path traversal (rule ${ruleId('because "path traversal"')})`);
    expect(meta(r)).toMatchObject({ stage: 'call', effect: 'deny', denial: 'forbidden' });
  });

  it.each([
    ['an absolute path outside', (sb: Sandbox) => path.join(sb.root, 'outside.txt')],
    ['/etc/hostname', () => '/etc/hostname'],
    ['a sibling directory whose name starts with the workspace name', (sb: Sandbox) => path.join(sb.root, 'ws-other', 'neighbour.txt')],
    ['a relative path', () => 'notes.txt'],
    ['the home directory', () => '~/.bashrc'],
    ['a quoted path', (sb: Sandbox) => `"${path.join(sb.root, 'outside.txt')}"`],
  ])('denies access outside the workspace: %s', async (_name, p) => {
    const r = await gw.call('read_text_file', { path: p(sb) });
    expect(r.isError).toBe(true);
    expect(text(r)).not.toMatch(/TOP SECRET|NEIGHBOUR|meeting/);
    expect(meta(r).reasons).toEqual([{ rule: ruleId('deny path_tools when not'), message: expect.stringContaining('path outside the workspace') }]);
    expect(text(r)).toContain(`(rule ${ruleId('deny path_tools when not')})`);
  });

  it('denies moving a file out of the workspace', async () => {
    const r = await gw.call('move_file', { source: path.join(sb.ws, 'notes.txt'), destination: path.join(sb.root, 'stolen.txt') });
    expect(r.isError).toBe(true);
    expect(meta(r).reasons[0]?.message).toBe('move destination outside the workspace');
    expect(existsSync(path.join(sb.ws, 'notes.txt'))).toBe(true);
  });

  it.each([
    ['a path that is not a string', 'read_text_file', { path: 42 }, 'args.path must be a string'],
    ['a missing path', 'read_text_file', {}, 'missing argument args.path'],
    ['an argument the tool does not take', 'read_text_file', { path: 'PLACEHOLDER', mode: 'raw' }, 'unexpected argument args.mode'],
    ['a head that is not a number', 'read_text_file', { path: 'PLACEHOLDER', head: '10' }, 'args.head must be a finite number'],
    ['edits that are not a list', 'edit_file', { path: 'PLACEHOLDER', edits: 'replace everything' }, 'args.edits must be a list'],
  ])('denies malformed arguments (fail closed): %s', async (_name, tool, args, message) => {
    const a = Object.fromEntries(Object.entries(args).map(([k, v]) => [k, v === 'PLACEHOLDER' ? path.join(sb.ws, 'notes.txt') : v]));
    const r = await gw.call(tool, a);
    expect(r.isError).toBe(true);
    expect(meta(r)).toMatchObject({ stage: 'call', effect: 'deny', denial: 'invalid_request', reasons: [{ rule: 'writ:invalid-request' }] });
    expect(meta(r).reasons[0]?.message).toContain(message);
  });

  it('denies a tool the policy does not declare', async () => {
    const r = await gw.call('delete_workspace', { path: sb.ws });
    expect(r.isError).toBe(true);
    expect(text(r)).toContain("unknown tool 'delete_workspace'");
    expect(text(r)).toContain('undeclared tools are always denied');
    expect(existsSync(sb.ws)).toBe(true);
  });

  it('redacts an API key in a file read back, and says which tokens replaced it', async () => {
    writeFileSync(path.join(sb.ws, '.env'), 'REGION=eu-west-1\nAWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE\n');
    const r = await gw.call('read_text_file', { path: path.join(sb.ws, '.env') });
    expect(r.isError).toBeFalsy();
    expect(text(r)).toBe('REGION=eu-west-1\nAWS_ACCESS_KEY_ID=<AWS_ACCESS_KEY_1>\n');
    expect(JSON.stringify(r)).not.toContain('AKIAIOSFODNN7EXAMPLE');
    expect(meta(r).redacted).toEqual(['<AWS_ACCESS_KEY_1>']);
  });

  it('withholds a result that holds a private key', async () => {
    const pem = generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    writeFileSync(path.join(sb.ws, 'id_ed25519'), pem);
    const r = await gw.call('read_text_file', { path: path.join(sb.ws, 'id_ed25519') });
    expect(r.isError).toBe(true);
    expect(JSON.stringify(r)).not.toContain('PRIVATE KEY-----\n');
    expect(meta(r)).toMatchObject({ stage: 'result', effect: 'deny', reasons: [{ message: 'a private key never leaves the workspace' }] });
  });

  it('holds a write pending until a listed approver signs it, then performs it once', async () => {
    const target = path.join(sb.ws, 'report.txt');
    const args = { path: target, content: 'quarterly report\n' };
    const first = await gw.call('write_file', args);
    expect(first.isError).toBe(true);
    expect(meta(first)).toMatchObject({ effect: 'pending_approval', approval: { status: 'pending' }, reasons: [{ rule: ruleId('approve writers') }] });
    const id = meta(first).approval?.id as string;
    expect(text(first)).toContain(`Pending approval ${id}`);
    expect(text(first)).toContain(`approve.js --approvals ${sb.approvals} --key <approver>.key ${id}`);
    expect(existsSync(target)).toBe(false);
    const pendingFile = path.join(sb.approvals, 'pending', `${id}.json`);
    expect(JSON.parse(readFileSync(pendingFile, 'utf8'))).toMatchObject({ id, tool: 'write_file', args, agent: 'mcp-client' });

    // Asking again before anyone approves: still pending, same approval.
    const again = await gw.call('write_file', args);
    expect(meta(again).approval?.id).toBe(id);
    expect(existsSync(target)).toBe(false);

    // The approver sees the call they are approving.
    const listed = approve(['--approvals', sb.approvals, '--list']);
    expect(listed.out).toContain(`${id}  write_file ${JSON.stringify(args)}`);

    // mallory has a well-formed key but is not in the approvers file: refused, still pending.
    expect(approve(['--approvals', sb.approvals, '--key', sb.keys['mallory'] as string, id]).code).toBe(0);
    await until(() => gw.stderr().includes("'mallory' is not in the approvers file"));
    expect(meta(await gw.call('write_file', args)).effect).toBe('pending_approval');
    expect(existsSync(target)).toBe(false);

    // alice is listed with the fs_approver role.
    const ok = approve(['--approvals', sb.approvals, '--key', sb.keys['alice'] as string, id]);
    expect(ok).toMatchObject({ code: 0, out: expect.stringContaining('approved by alice') });
    await until(() => gw.stderr().includes(`approval ${id}: approve by alice -> granted`));
    await until(() => !existsSync(pendingFile));
    expect(readFileSync(path.join(sb.approvals, 'done', `${id}.alice.outcome.json`), 'utf8')).toContain('"status": "granted"');
    const done = await gw.call('write_file', args);
    expect(done.isError).toBeFalsy();
    expect(text(done)).toContain('Successfully wrote');
    expect(readFileSync(target, 'utf8')).toBe('quarterly report\n');
    expect(meta(done)).toMatchObject({ stage: 'result', effect: 'allow' });

    // One approval is one call: the same write again waits for a new approval.
    const next = await gw.call('write_file', args);
    expect(meta(next).effect).toBe('pending_approval');
    expect(meta(next).approval?.id).not.toBe(id);
  });

  it('binds an approval to the exact arguments: other content needs its own approval', async () => {
    const target = path.join(sb.ws, 'plan.txt');
    const first = await gw.call('write_file', { path: target, content: 'harmless' });
    const id = meta(first).approval?.id as string;
    expect(approve(['--approvals', sb.approvals, '--key', sb.keys['alice'] as string, id]).code).toBe(0);
    await until(() => gw.stderr().includes(`approval ${id}: approve by alice -> granted`));
    const swapped = await gw.call('write_file', { path: target, content: 'rm -rf everything' });
    expect(meta(swapped).effect).toBe('pending_approval');
    expect(existsSync(target)).toBe(false);
  });

  it('refuses a decision file whose signature does not match (forged or edited)', async () => {
    const first = await gw.call('create_directory', { path: path.join(sb.ws, 'build') });
    const id = meta(first).approval?.id as string;
    // alice signs a rejection in a scratch copy of the directory (the gateway would apply it at once in
    // the real one); the forger turns it into an approval without re-signing and drops it in.
    const scratch = path.join(sb.root, 'scratch');
    mkdirSync(path.join(scratch, 'pending'), { recursive: true });
    mkdirSync(path.join(scratch, 'decisions'), { recursive: true });
    copyFileSync(path.join(sb.approvals, 'pending', `${id}.json`), path.join(scratch, 'pending', `${id}.json`));
    expect(approve(['--approvals', scratch, '--key', sb.keys['alice'] as string, '--reject', '--reason', 'no', id]).code).toBe(0);
    const forged = JSON.parse(readFileSync(path.join(scratch, 'decisions', `${id}.alice.json`), 'utf8')) as Record<string, unknown>;
    forged['decision'] = 'approve';
    delete forged['reason'];
    writeFileSync(path.join(scratch, 'forged.json'), JSON.stringify(forged));
    renameSync(path.join(scratch, 'forged.json'), path.join(sb.approvals, 'decisions', `${id}.alice.json`));
    await until(() => gw.stderr().includes("bad signature: not signed by alice's key"));
    expect(meta(await gw.call('create_directory', { path: path.join(sb.ws, 'build') })).effect).toBe('pending_approval');
    expect(existsSync(path.join(sb.ws, 'build'))).toBe(false);
  });

  it('approve.js refuses to sign a pending call whose shown arguments are not the ones the approval binds', async () => {
    const args = { path: path.join(sb.ws, 'innocent.txt'), content: 'hello' };
    const id = meta(await gw.call('write_file', args)).approval?.id as string;
    const pendingFile = path.join(sb.approvals, 'pending', `${id}.json`);
    const shown = JSON.parse(readFileSync(pendingFile, 'utf8')) as { args: Record<string, unknown> };
    shown.args = { path: path.join(sb.ws, 'innocent.txt'), content: 'something else' };
    writeFileSync(pendingFile, JSON.stringify(shown));
    const r = approve(['--approvals', sb.approvals, '--key', sb.keys['alice'] as string, id]);
    expect(r.code).toBe(1);
    expect(r.out).toContain('does not match its digest');
    expect(readdirSync(path.join(sb.approvals, 'decisions')).filter((n) => n.startsWith(id))).toEqual([]);
  });

  it('denies every identical call after a signed rejection', async () => {
    const args = { path: path.join(sb.ws, 'tmp') };
    const id = meta(await gw.call('create_directory', args)).approval?.id as string;
    const rejected = approve(['--approvals', sb.approvals, '--key', sb.keys['alice'] as string, '--reject', '--reason', 'not needed', id]);
    expect(rejected.out).toContain('rejected by alice');
    await until(() => gw.stderr().includes(`approval ${id}: reject by alice -> rejected`));
    const r = await gw.call('create_directory', args);
    expect(meta(r)).toMatchObject({ effect: 'deny', denial: 'forbidden' });
    expect(text(r)).toContain(`approval ${id} rejected by 'alice' (fs_approver): not needed`);
  });
});

describe('mcp-gateway with a policy that does not declare every tool', () => {
  let sb: Sandbox;
  let policyFile: string;

  beforeAll(() => {
    sb = sandbox();
    policyFile = path.join(sb.root, 'narrow.writ');
    writeFileSync(
      policyFile,
      [
        'policy "narrow" version "1.0.0"',
        'role reader',
        'agent "mcp-client" roles [reader]',
        'context workspace: string',
        'context workspace_prefix: string',
        'tool read_text_file(path: string, head?: number, tail?: number) risk low',
        'allow read_text_file when agent has role reader and args.path starts_with context.workspace_prefix',
        '',
      ].join('\n'),
    );
  });
  afterAll(() => sb?.cleanup());

  it('hides undeclared downstream tools and denies calls to them', async () => {
    const gw = await startGateway(sb, ['--policy', policyFile]);
    try {
      const { tools } = await gw.client.listTools();
      expect(tools.map((t) => t.name)).toEqual(['read_text_file']);
      const r = await gw.call('list_directory', { path: sb.ws });
      expect(r.isError).toBe(true);
      expect(text(r)).toContain("The policy does not declare the tool 'list_directory'");
      expect(text(r)).not.toContain('notes.txt');
      expect(text(await gw.call('read_text_file', { path: path.join(sb.ws, 'notes.txt') }))).toBe('meeting at noon\n');
      expect(gw.stderr()).toContain('not declared in the policy (hidden, always denied): read_file, read_media_file');
    } finally {
      await gw.close();
    }
  });

  it('with --show-undeclared, lists them marked as denied', async () => {
    const gw = await startGateway(sb, ['--policy', policyFile, '--show-undeclared']);
    try {
      const { tools } = await gw.client.listTools();
      expect(tools).toHaveLength(14);
      const write = tools.find((t) => t.name === 'write_file');
      expect(write?.description).toMatch(/^\[Writ: not declared in the policy; every call is denied\]/);
      expect(meta(await gw.call('write_file', { path: path.join(sb.ws, 'x'), content: 'x' })).denial).toBe('invalid_request');
      expect(existsSync(path.join(sb.ws, 'x'))).toBe(false);
    } finally {
      await gw.close();
    }
  });
});

describe('mcp-gateway when a call hangs or the downstream server crashes', () => {
  let sb: Sandbox;
  beforeAll(() => {
    sb = sandbox();
  });
  afterAll(() => sb?.cleanup());

  it('reports the failure on every call and keeps answering', async () => {
    const gw = await startGateway(sb);
    try {
      await until(() => /downstream pid \d+/.test(gw.stderr()));
      const pid = Number(/downstream pid (\d+)/.exec(gw.stderr())?.[1]);
      expect(text(await gw.call('read_text_file', { path: path.join(sb.ws, 'notes.txt') }))).toBe('meeting at noon\n');
      process.kill(pid, 'SIGKILL');
      await until(() => gw.stderr().includes('downstream server down'));
      for (let i = 0; i < 2; i++) {
        const r = await gw.call('read_text_file', { path: path.join(sb.ws, 'notes.txt') });
        expect(r.isError).toBe(true);
        expect(meta(r)).toMatchObject({ stage: 'downstream', effect: 'error' });
        expect(text(r)).toContain('the downstream MCP server failed');
      }
      // Policy decisions still come first: a traversal is still denied by the rule, not by the crash.
      const denied = await gw.call('read_text_file', { path: `${sb.ws}/../outside.txt` });
      expect(meta(denied)).toMatchObject({ stage: 'call', effect: 'deny' });
      // tools/list still answers (the last list the server gave).
      expect((await gw.client.listTools()).tools.length).toBe(14);
    } finally {
      await gw.close();
    }
  });

  it('passes a client cancellation on to the server and keeps serving', async () => {
    const fifo = path.join(sb.ws, 'pipe-cancel');
    execFileSync('mkfifo', [fifo]);
    const gw = await startGateway(sb);
    try {
      const abort = new AbortController();
      const inFlight = gw.client.callTool({ name: 'read_text_file', arguments: { path: fifo } }, undefined, { signal: abort.signal });
      await until(() => gw.stderr().includes('call read_text_file -> allow'));
      abort.abort('the user gave up');
      await expect(inFlight).rejects.toThrow();
      // The gateway's downstream request was aborted with the client's reason (it travels in notifications/cancelled).
      await until(() => /downstream read_text_file: .*the user gave up/.test(gw.stderr()));
      expect(text(await gw.call('read_text_file', { path: path.join(sb.ws, 'notes.txt') }))).toBe('meeting at noon\n');
    } finally {
      await gw.close();
    }
  });

  it('answers a call that was in flight when the server died', async () => {
    // A read of a FIFO with no writer blocks inside server-filesystem until the server is killed.
    const fifo = path.join(sb.ws, 'pipe');
    execFileSync('mkfifo', [fifo]);
    const gw = await startGateway(sb);
    try {
      await until(() => /downstream pid \d+/.test(gw.stderr()));
      const pid = Number(/downstream pid (\d+)/.exec(gw.stderr())?.[1]);
      const inFlight = gw.call('read_text_file', { path: fifo });
      await until(() => gw.stderr().includes('call read_text_file -> allow'));
      process.kill(pid, 'SIGKILL');
      const r = await inFlight;
      expect(r.isError).toBe(true);
      expect(meta(r)).toMatchObject({ stage: 'downstream', effect: 'error' });
      expect(text(r)).toMatch(/the downstream MCP server failed: .*(closed|exited)/i);
    } finally {
      await gw.close();
    }
  });
});
