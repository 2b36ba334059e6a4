/**
 * The gateway's parts on their own: approver keys (the `writ keygen` format), the approvals directory's
 * set-up checks, declarations against a server's tools/list, and the command line's failures.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { generateSignerKey, verifierKeyOf } from '@writ/verifier';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { ApprovalDesk, ApprovalSetupError, readApprovers, statementBytes, type ApprovalStatement } from '../dist/approvals.js';
import { compareDeclarations } from '../dist/declarations.js';
import { parsePrivateKey, parsePublicKey, signMessage, verifyMessage, KeyFormatError } from '../dist/keys.js';
import { loadGatewayPolicy, PolicyLoadError } from '../dist/policy.js';
import { FS_SERVER, GATEWAY } from './harness.js';

const POLICY = path.join(import.meta.dirname, '..', 'policy.writ');
const tmp = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'writ-mcp-parts-')));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('approver keys', () => {
  it('reads every key `writ keygen` makes and verifies exactly what was signed', () => {
    // Random keys: base64 key data often contains '+', the field separator of the key format.
    fc.assert(
      fc.property(fc.stringMatching(/^[a-z][a-z0-9._-]{0,15}$/), fc.string(), fc.string({ minLength: 1 }), (name, message, other) => {
        const { signerKey, verifierKey } = generateSignerKey(name);
        const priv = parsePrivateKey(signerKey);
        const pub = parsePublicKey(verifierKey);
        expect(priv.name).toBe(name);
        expect(pub.name).toBe(name);
        const sig = signMessage(priv, message);
        expect(verifyMessage(pub, message, sig)).toBe(true);
        expect(verifyMessage(pub, message + other, sig)).toBe(false);
        const other2 = parsePublicKey(verifierKeyOf(generateSignerKey(name).signerKey));
        expect(verifyMessage(other2, message, sig)).toBe(false);
      }),
      { numRuns: 200 },
    );
  });

  it('refuses keys whose id does not match, that are not Ed25519, or that are private where public is wanted', () => {
    const { signerKey, verifierKey } = generateSignerKey('alice');
    const [name, id, data] = [verifierKey.slice(0, verifierKey.indexOf('+')), verifierKey.split('+')[1] as string, verifierKey.slice(verifierKey.indexOf('+', 6) + 1)];
    expect(() => parsePublicKey(`bob+${id}+${data}`)).toThrow(/key id .* does not match/);
    expect(() => parsePublicKey(`${name}+${id}+${Buffer.from([2, ...Buffer.from(data, 'base64').subarray(1)]).toString('base64')}`)).toThrow(KeyFormatError);
    expect(() => parsePublicKey(signerKey)).toThrow(KeyFormatError);
    expect(() => parsePrivateKey(verifierKey)).toThrow(/PRIVATE\+KEY/);
    expect(verifyMessage(parsePublicKey(verifierKey), 'x', 'not base64 at all')).toBe(false);
  });
});

describe('approvers file and approvals directory', () => {
  const policy = loadGatewayPolicy(POLICY).policy;
  const ws = path.join(tmp, 'ws');
  mkdirSync(ws, { recursive: true });

  it('reads approvers with keys inline or in files, and refuses a key named for someone else', () => {
    const alice = generateSignerKey('alice');
    writeFileSync(path.join(tmp, 'alice.pub'), alice.verifierKey);
    const file = path.join(tmp, 'approvers.json');
    writeFileSync(file, JSON.stringify({ approvers: [{ id: 'alice', roles: ['fs_approver'], key: 'alice.pub' }, { id: 'carol', roles: ['fs_approver'], key: generateSignerKey('carol').verifierKey }] }));
    expect([...readApprovers(file).keys()]).toEqual(['alice', 'carol']);
    writeFileSync(file, JSON.stringify({ approvers: [{ id: 'bob', roles: ['fs_approver'], key: 'alice.pub' }] }));
    expect(() => readApprovers(file)).toThrow("the key is named 'alice', not 'bob'");
    writeFileSync(file, '{"approvers": {}}');
    expect(() => readApprovers(file)).toThrow(ApprovalSetupError);
  });

  it('refuses an approvals directory inside the workspace (the agent could write decisions there)', () => {
    expect(() => new ApprovalDesk(path.join(ws, '.approvals'), ws, policy, new Map(), () => undefined)).toThrow(/overlaps the workspace/);
    expect(() => new ApprovalDesk(tmp, ws, policy, new Map(), () => undefined)).toThrow(/overlaps the workspace/);
  });

  it('refuses a decisions directory that group or others can write', () => {
    const dir = path.join(tmp, 'approvals-open');
    new ApprovalDesk(dir, ws, policy, new Map(), () => undefined);
    chmodSync(path.join(dir, 'decisions'), 0o777);
    expect(() => new ApprovalDesk(dir, ws, policy, new Map(), () => undefined)).toThrow(/writable by group or others/);
  });

  it('signs the canonical form of the statement (member order does not matter)', () => {
    const a: ApprovalStatement = { format: 'writ-mcp-gateway.approval/v1', id: 'x', args_digest: 'sha256:00', decision: 'approve', approver: 'alice' };
    const b = { approver: 'alice', decision: 'approve', args_digest: 'sha256:00', id: 'x', format: 'writ-mcp-gateway.approval/v1' } as ApprovalStatement;
    expect(statementBytes(a)).toBe(statementBytes(b));
    expect(statementBytes(a)).toBe('{"approver":"alice","args_digest":"sha256:00","decision":"approve","format":"writ-mcp-gateway.approval/v1","id":"x"}');
  });
});

describe('declarations against the server', () => {
  const { artifact } = loadGatewayPolicy(POLICY).policy;

  it('reports parameters the server takes but the policy does not declare, and type and optionality differences', () => {
    const r = compareDeclarations(artifact, [
      { name: 'read_text_file', inputSchema: { properties: { path: { type: 'string' }, head: { type: 'string' }, encoding: { type: 'string' } }, required: ['path', 'tail'] } },
      { name: 'write_file', inputSchema: { properties: { path: { type: 'string' } }, required: [] } },
      { name: 'shell_exec', inputSchema: { properties: { cmd: { type: 'string' } } } },
      { name: 'constructor', inputSchema: {} },
    ]);
    expect(r.declared).toEqual(['read_text_file', 'write_file']);
    expect(r.undeclared).toEqual(['shell_exec', 'constructor']);
    expect(r.mismatches).toEqual([
      "read_text_file: 'head' is string for the server but number in the policy",
      "read_text_file: the server takes 'encoding', which the policy does not declare (calls passing it are denied)",
      "read_text_file: the policy declares 'tail', which the server does not take",
      "write_file: 'path' is optional for the server but required by the policy",
      "write_file: the policy declares 'content', which the server does not take",
    ]);
  });
});

describe('policy loading', () => {
  it('reports compile errors with file:line:column', () => {
    const bad = path.join(tmp, 'bad.writ');
    writeFileSync(bad, 'policy "bad" version "1"\ntool t(x: strin)\nallow t when args.y == 1\n');
    expect(() => loadGatewayPolicy(bad)).toThrow(PolicyLoadError);
    expect(() => loadGatewayPolicy(bad)).toThrow(new RegExp(`${bad.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:2:\\d+: error E\\d+`));
  });

  it('loads a compiled artifact and refuses one that was edited', () => {
    const art = path.join(tmp, 'policy.json');
    const r = spawnSync(process.execPath, [path.join(import.meta.dirname, '..', '..', '..', 'packages', 'cli', 'dist', 'bin.js'), 'compile', POLICY, '-o', art], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const loaded = loadGatewayPolicy(art).policy;
    expect(loaded.digest).toBe(loadGatewayPolicy(POLICY).policy.digest);
    const json = JSON.parse(readFileSync(art, 'utf8')) as { policy: { version: string } };
    json.policy.version = '9.9.9';
    writeFileSync(art, JSON.stringify(json));
    expect(() => loadGatewayPolicy(art)).toThrow(/digest mismatch/);
  });
});

describe('gateway command line', () => {
  function gateway(args: string[]): { status: number | null; stderr: string } {
    const r = spawnSync(process.execPath, [GATEWAY, ...args], { encoding: 'utf8', input: '', timeout: 20_000 });
    return { status: r.status, stderr: r.stderr };
  }
  const ws = path.join(tmp, 'ws-cli');
  mkdirSync(ws, { recursive: true });
  const approvals = ['--approvals', path.join(tmp, 'approvals-cli')];

  it('explains itself with --help', () => {
    const r = spawnSync(process.execPath, [GATEWAY, '--help'], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('--workspace <dir>');
    expect(r.stdout).toContain('Exit codes:');
  });

  it.each([
    [['--', 'x'], 2, '--workspace <dir> is required'],
    [['--workspace', ws], 2, 'no downstream server'],
    [['--workspace', path.join(tmp, 'nope'), '--', 'x'], 2, 'no such directory'],
    [['--workspace', ws, '--bogus', '--', 'x'], 2, "Unknown option '--bogus'"],
    [['--workspace', ws, '--policy', path.join(tmp, 'missing.writ'), '--', 'x'], 3, 'no such file or directory'],
    [['--workspace', ws, ...approvals, '--', path.join(tmp, 'no-such-server')], 4, 'could not start the downstream server'],
  ])('%j exits %i', (args, status, message) => {
    const r = gateway(args);
    expect(r.status).toBe(status);
    expect(r.stderr).toContain(message);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('starts and stops cleanly when the client closes stdin', () => {
    const r = gateway(['--workspace', ws, ...approvals, '--', process.execPath, FS_SERVER, ws]);
    expect(r.status).toBe(0);
    expect(r.stderr).toContain('stopping: the client closed stdin');
  });
});

describe('demo', () => {
  it('runs a session: read, two escapes denied, a key redacted, a write approved and performed', () => {
    const r = spawnSync(process.execPath, [path.join(import.meta.dirname, '..', 'dist', 'demo.js')], { encoding: 'utf8', timeout: 30_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('  meeting at noon');
    expect(r.stdout.match(/Denied by Writ policy/g)).toHaveLength(2);
    expect(r.stdout).toContain('AWS_ACCESS_KEY_ID=<AWS_ACCESS_KEY_1>');
    expect(r.stdout).not.toContain('AKIAIOSFODNN7EXAMPLE');
    expect(r.stdout).toMatch(/approval [0-9a-f-]{36}: approve by alice -> granted/);
    expect(r.stdout).toContain('Successfully wrote to $TMP/ws/report.txt');
  });
});
