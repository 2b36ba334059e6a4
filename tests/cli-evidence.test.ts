// The evidence commands end to end, run as a user runs them: keygen, decide --log --key --bundle, cert verify,
// log verify / checkpoint / prove / consistency, and what happens when files are tampered with.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  certificateBytes,
  fromBase64,
  leafHash,
  parseCheckpoint,
  parseNote,
  toBase64,
  verifyConsistency,
  verifyInclusion,
} from '@writ/verifier';
import type { Bundle } from '@writ/verifier';

const repo = path.resolve(import.meta.dirname, '..');
const bin = path.join(repo, 'packages/cli/dist/bin.js');

function writ(args: string[], input?: string) {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: repo, input, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const tmp = mkdtempSync(path.join(tmpdir(), 'writ-cli-evidence-'));
const at = (name: string): string => path.join(tmp, name);
const logDir = at('decisions');
const REQUESTS = ['refund-25', 'refund-500.01', 'refund-100.01', 'malformed-amount', 'support-ticket'];
const noStack = (r: { stdout: string; stderr: string }): void => expect(r.stdout + r.stderr).not.toMatch(/\n\s+at .*\.js:\d+/);
const readBundle = (file: string): Bundle => JSON.parse(readFileSync(file, 'utf8')) as Bundle;

describe('writ evidence commands (end to end)', () => {
  it('keygen writes a 0600 private key and a public verifier key, and will not overwrite them', () => {
    const r = writ(['keygen', '--name', 'writ.example/decisions', '--out', at('log')]);
    expect(r.code).toBe(0);
    expect(statSync(at('log.key')).mode & 0o777).toBe(0o600);
    expect(readFileSync(at('log.key'), 'utf8')).toMatch(/^PRIVATE\+KEY\+writ\.example\/decisions\+[0-9a-f]{8}\+\S+\n$/);
    const pub = readFileSync(at('log.pub'), 'utf8').trim();
    expect(pub).toMatch(/^writ\.example\/decisions\+[0-9a-f]{8}\+\S+$/);
    expect(r.stdout).toContain(pub);

    const again = writ(['keygen', '--name', 'writ.example/decisions', '--out', at('log')]);
    expect(again.code).toBe(2);
    expect(again.stderr.trim()).toBe(`writ: ${at('log.key')} already exists; pass --force to overwrite it`);
    expect(readFileSync(at('log.pub'), 'utf8').trim()).toBe(pub);

    writeFileSync(at('other.key'), 'x', { mode: 0o644 });
    const forced = writ(['keygen', '--name', 'writ.example/other', '--out', at('other'), '--force', '--json']);
    expect(forced.code).toBe(0);
    expect(statSync(at('other.key')).mode & 0o777).toBe(0o600);
    expect(JSON.parse(forced.stdout)).toMatchObject({ name: 'writ.example/other', public_key_file: at('other.pub') });
    expect(writ(['keygen', '--name', 'has space', '--out', at('bad')]).code).toBe(2);
  });

  it('decide --log --key --bundle certifies each decision into one growing log', () => {
    REQUESTS.forEach((name, i) => {
      const r = writ([
        'decide', '--policy', 'examples/customer-support', '--request', `examples/customer-support/requests/${name}.json`,
        '--log', logDir, '--key', at('log.key'), '--bundle', at(`${name}.bundle.json`),
      ]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toBe(`certified: entry ${i} of log ${logDir} (tree size ${i + 1}); bundle: ${at(`${name}.bundle.json`)}\n`);
      const b = readBundle(at(`${name}.bundle.json`));
      expect(b).toMatchObject({ leaf_index: i, tree_size: i + 1 });
      expect(b.inclusion_proof.every((p) => fromBase64(p).length === 32)).toBe(true);
      expect(b.certificate.request_digest).toMatch(/^sha256:[0-9a-f]{64}$/);
      expect('request' in b.certificate).toBe(false);
    });
    // --json keeps standard output exactly the Decision, and says nothing else.
    const j = writ(['decide', '--policy', 'examples/customer-support', '--request', 'examples/customer-support/requests/refund-25.json', '--json', '--log', logDir, '--key', at('log.key')]);
    expect(j.code).toBe(0);
    expect(j.stderr).toBe('');
    expect(j.stdout.trim().split('\n')).toHaveLength(1);
    expect(JSON.parse(j.stdout)).toMatchObject({ effect: 'allow', policy: { name: 'customer-support' } });
    expect(readBundle(at('refund-25.bundle.json')).certificate.decision.effect).toBe('allow');
  }, 120_000);

  it('decide refuses evidence options that do not fit, before deciding anything', () => {
    const base = ['decide', '--policy', 'examples/customer-support', '--request', 'examples/customer-support/requests/refund-25.json'];
    const noKey = writ([...base, '--log', logDir]);
    expect(noKey.code).toBe(2);
    expect(noKey.stderr).toMatch(/^writ: --log needs --key/);
    expect(writ([...base, '--bundle', at('x.json')]).stderr).toMatch(/^writ: --bundle needs --log/);
    const wrongKey = writ([...base, '--log', logDir, '--key', at('other.key')]);
    expect(wrongKey.code).toBe(2);
    expect(wrongKey.stdout).toBe('');
    expect(wrongKey.stderr).toMatch(/the log is signed by another key \(writ\.example\/decisions\+[0-9a-f]{8}\), not by writ\.example\/other/);
    const pubAsKey = writ([...base, '--log', logDir, '--key', at('log.pub')]);
    expect(pubAsKey.code).toBe(2);
    expect(pubAsKey.stderr).toMatch(/not a signer key/);
    mkdirSync(at('busy'));
    writeFileSync(at('busy/notes.txt'), 'mine');
    expect(writ([...base, '--log', at('busy'), '--key', at('log.key')]).stderr).toMatch(/not a Writ log \(and not empty\)/);
  });

  it('cert verify accepts each bundle and says what was decided', () => {
    const r = writ(['cert', 'verify', at('refund-500.01.bundle.json'), '--pubkey', at('log.pub')]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^valid: entry 1 of log writ\.example\/decisions \(tree size 2\), checkpoint signed by writ\.example\/decisions\+[0-9a-f]{8}/);
    expect(r.stdout).toMatch(/policy +customer-support@1\.0\.0 sha256:[0-9a-f]{64}/);
    expect(r.stdout).toMatch(/effect +deny \(forbidden\)/);
    expect(r.stdout).toMatch(/rules +policy\.writ:\d+/);
    expect(r.stdout).toMatch(/time +\d{4}-\d\d-\d\dT/);
    for (const name of REQUESTS) {
      const j = writ(['cert', 'verify', at(`${name}.bundle.json`), '--pubkey', at('log.pub'), '--json']);
      expect(j.code, name).toBe(0);
      expect(JSON.parse(j.stdout)).toMatchObject({ ok: true, policy: { name: 'customer-support' }, origin: 'writ.example/decisions' });
    }
    expect(JSON.parse(writ(['cert', 'verify', at('refund-100.01.bundle.json'), '--pubkey', at('log.pub'), '--json']).stdout)).toMatchObject({
      effect: 'pending_approval',
      leaf_index: 2,
      tree_size: 3,
    });
  }, 120_000);

  it('cert verify rejects tampered and malformed bundles with exit 1 and the reason', () => {
    const original = readFileSync(at('refund-500.01.bundle.json'), 'utf8');
    const tamper = (name: string, text: string) => {
      writeFileSync(at(name), text);
      const r = writ(['cert', 'verify', at(name), '--pubkey', at('log.pub')]);
      expect(r.code, name).toBe(1);
      noStack(r);
      return r.stdout;
    };
    expect(tamper('t-effect.json', original.replace('"effect":"deny"', '"effect":"allow"').replace('"denial":"forbidden",', ''))).toMatch(/^invalid \(certificate altered\): /);
    const b = readBundle(at('refund-500.01.bundle.json'));
    const { leaf_hash: _l, ...bare } = b;
    expect(tamper('t-bare.json', JSON.stringify({ ...bare, certificate: { ...b.certificate, time: '2020-01-01T00:00:00Z' } }))).toMatch(/^invalid \(proof does not reach the root\)/);
    const cp = b.checkpoint.split('\n');
    cp[1] = '3';
    expect(tamper('t-checkpoint.json', JSON.stringify({ ...b, checkpoint: cp.join('\n') }))).toMatch(/^invalid \(bad signature\)/);
    expect(tamper('t-size.json', JSON.stringify({ ...b, tree_size: 5 }))).toMatch(/^invalid \(tree size mismatch\)/);
    expect(tamper('t-index.json', JSON.stringify({ ...b, leaf_index: 2 }))).toMatch(/^invalid \(leaf index out of range\)/);
    expect(tamper('t-proof.json', JSON.stringify({ ...b, inclusion_proof: [toBase64(new Uint8Array(32))] }))).toMatch(/^invalid \(proof does not reach the root\)/);
    expect(tamper('t-json.json', original.slice(0, 100))).toMatch(/^invalid \(malformed bundle\): bundle is not JSON/);
    expect(tamper('t-b64.json', JSON.stringify({ ...b, inclusion_proof: ['not base64!'] }))).toMatch(/^invalid \(malformed bundle\): bundle\.inclusion_proof\[0\] is not canonical base64/);
    expect(tamper('t-field.json', JSON.stringify({ ...b, checkpoint: undefined }))).toMatch(/^invalid \(malformed bundle\): bundle has no 'checkpoint'/);
    // Single-character changes spread over the file are refused (every byte: see packages/verifier's tamper tests).
    for (let i = 7; i < original.length; i += Math.floor(original.length / 5)) {
      const c = original[i] === 'A' ? 'B' : 'A';
      writeFileSync(at('t-byte.json'), original.slice(0, i) + c + original.slice(i + 1));
      expect(writ(['cert', 'verify', at('t-byte.json'), '--pubkey', at('log.pub')]).code, `char ${i}`).toBe(1);
    }

    const wrong = writ(['cert', 'verify', at('refund-25.bundle.json'), '--pubkey', at('other.pub'), '--json']);
    expect(wrong.code).toBe(1);
    expect(JSON.parse(wrong.stdout)).toMatchObject({ ok: false, code: 'wrong-key' });
    const missing = writ(['cert', 'verify', at('nope.json'), '--pubkey', at('log.pub')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr.trim()).toBe(`writ: ${at('nope.json')}: no such file or directory`);
    expect(writ(['cert', 'verify', at('refund-25.bundle.json'), '--pubkey', at('nope.pub')]).code).toBe(2);
    expect(writ(['cert', 'verify', at('refund-25.bundle.json'), '--pubkey', at('log.key')]).stderr).toMatch(/this is a private key/);
  }, 120_000);

  it('log verify checks the whole log, and catches a truncated or rolled-back log', () => {
    const r = writ(['log', 'verify', logDir, '--pubkey', at('log.pub')]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^ok: log .* verified/);
    expect(r.stdout).toMatch(/entries +6 /);
    expect(r.stdout).toMatch(/history +6 stored checkpoints/);
    const j = JSON.parse(writ(['log', 'verify', logDir, '--pubkey', at('log.pub'), '--json', '--trusted', at('refund-25.bundle.json')]).stdout);
    expect(j).toMatchObject({ ok: true, entries: 6, checkpoint: { tree_size: 6 }, checkpoints: 6, uncovered: 0, trusted: 1 });

    const copy = at('truncated');
    cpSync(logDir, copy, { recursive: true });
    truncateSync(path.join(copy, 'entries.log'), statSync(path.join(copy, 'entries.log')).size - 200);
    const t = writ(['log', 'verify', copy, '--pubkey', at('log.pub')]);
    expect(t.code).toBe(1);
    expect(t.stdout).toMatch(/^invalid: log .*: the latest checkpoint signs 6 entries but the log holds only 5/);

    // Roll back entries and stored checkpoints together: only a checkpoint seen earlier (a bundle) catches it.
    const rolled = at('rolled-back');
    cpSync(logDir, rolled, { recursive: true });
    const early = readBundle(at('refund-500.01.bundle.json'));
    const frames = readFileSync(path.join(rolled, 'entries.log'));
    let end = 0;
    for (let k = 0; k < 2; k++) end += 24 + frames.readUInt32BE(end + 4) + 32;
    truncateSync(path.join(rolled, 'entries.log'), end);
    writeFileSync(path.join(rolled, 'checkpoint'), early.checkpoint);
    writeFileSync(path.join(rolled, 'checkpoints.jsonl'), readFileSync(path.join(rolled, 'checkpoints.jsonl'), 'utf8').split('\n').slice(0, 2).join('\n') + '\n');
    expect(writ(['log', 'verify', rolled, '--pubkey', at('log.pub')]).code).toBe(0);
    const caught = writ(['log', 'verify', rolled, '--pubkey', at('log.pub'), '--trusted', at('support-ticket.bundle.json')]);
    expect(caught.code).toBe(1);
    expect(caught.stdout).toMatch(/a trusted checkpoint signs 5 entries but the log holds only 2: the log was truncated/);

    expect(writ(['log', 'verify', logDir, '--pubkey', at('other.pub')]).stdout).toMatch(/^invalid: .*latest checkpoint: the checkpoint is signed by a different key|^invalid: .*not signed by writ\.example\/other/);
    const notLog = writ(['log', 'verify', tmp, '--pubkey', at('log.pub')]);
    expect(notLog.code).toBe(2);
    expect(notLog.stderr.trim()).toBe(`writ: ${tmp}: not a Writ log`);
  }, 120_000);

  it('log checkpoint prints the signed tree head', () => {
    const r = writ(['log', 'checkpoint', logDir]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^writ\.example\/decisions\n6\n[A-Za-z0-9+/]{43}=\n\n— writ\.example\/decisions \S+\n$/);
    const j = JSON.parse(writ(['log', 'checkpoint', logDir, '--json']).stdout);
    expect(j).toMatchObject({ origin: 'writ.example/decisions', tree_size: 6, checkpoint: r.stdout });
    const empty = at('empty-log');
    mkdirSync(empty);
    writeFileSync(path.join(empty, 'entries.log'), '');
    const none = writ(['log', 'checkpoint', empty]);
    expect(none.code).toBe(1);
    expect(none.stderr.trim()).toBe(`writ: ${empty}: the log has no checkpoint yet`);
  });

  it('log prove and log consistency print proofs that verify against the signed checkpoints', () => {
    const cp = parseCheckpoint(parseNote(writ(['log', 'checkpoint', logDir]).stdout).text);
    for (const [i, name] of REQUESTS.entries()) {
      const r = writ(['log', 'prove', logDir, '--index', String(i)]);
      expect(r.code).toBe(0);
      const p = JSON.parse(r.stdout) as { leaf_index: number; tree_size: number; leaf_hash: string; root: string; inclusion_proof: string[]; checkpoint: string };
      expect(p).toMatchObject({ leaf_index: i, tree_size: 6, root: toBase64(cp.root) });
      const leaf = leafHash(certificateBytes(readBundle(at(`${name}.bundle.json`)).certificate));
      expect(p.leaf_hash).toBe(toBase64(leaf));
      expect(verifyInclusion(leaf, i, p.tree_size, p.inclusion_proof.map(fromBase64), cp.root)).toEqual({ ok: true });
    }
    const sized = JSON.parse(writ(['log', 'prove', logDir, '--index', '1', '--size', '3']).stdout);
    expect(sized).toMatchObject({ tree_size: 3 });
    expect('checkpoint' in sized).toBe(false);

    // The checkpoint in an early bundle (tree size 2) is a prefix of today's log.
    const early = parseCheckpoint(parseNote(readBundle(at('refund-500.01.bundle.json')).checkpoint).text);
    const c = writ(['log', 'consistency', logDir, '--from', String(early.size)]);
    expect(c.code).toBe(0);
    const proof = JSON.parse(c.stdout) as { from: number; to: number; root_from: string; root_to: string; consistency_proof: string[] };
    expect(proof).toMatchObject({ from: 2, to: 6, root_from: toBase64(early.root), root_to: toBase64(cp.root) });
    expect(verifyConsistency(2, 6, proof.consistency_proof.map(fromBase64), early.root, cp.root)).toEqual({ ok: true });
    expect(JSON.parse(writ(['log', 'consistency', logDir, '--from', '3', '--to', '4']).stdout).consistency_proof.length).toBeGreaterThan(0);

    for (const [args, message] of [
      [['--index', '6'], /--index 6: not covered by the latest checkpoint \(tree size 6\)/],
      [['--index', '-1'], /expected a non-negative integer/],
      [['--index', '0', '--size', '99'], /the log holds 6 entries/],
    ] as const) {
      const r = writ(['log', 'prove', logDir, ...args]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(message);
    }
    expect(writ(['log', 'consistency', logDir, '--from', '0']).stderr).toMatch(/no consistency proof from the empty tree/);
    expect(writ(['log', 'consistency', logDir, '--from', '5', '--to', '4']).stderr).toMatch(/--from 5 is larger than --to 4/);
    expect(existsSync(path.join(logDir, 'LOCK'))).toBe(false);
  }, 120_000);

  it('--help lists the evidence commands and the exit codes', () => {
    const help = writ(['--help']).stdout;
    for (const word of ['keygen', 'log', 'cert', 'evidence is invalid (cert verify, log verify)']) expect(help).toContain(word);
    expect(writ(['decide', '--help']).stdout).toMatch(/--log <dir>[\s\S]*--key <file>[\s\S]*--bundle <file>/);
  });
});
