// `writ serve` run as a user runs it: a real port, fetch, approver tokens from `writ serve token`, certified
// decisions in a log, hot reload by rewriting the policy file (and a broken policy refused), SIGTERM.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LogSnapshot, parseCertificate } from '@writ/verifier';
import { RedisServer } from './helpers/redis.js';
import { bin, repo, ServeProcess } from './helpers/serve-process.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'writ-cli-serve-'));
const at = (name: string): string => path.join(tmp, name);
const example = (f: string) => path.join(repo, 'examples/customer-support', f);
const request = (name: string) => readFileSync(example(`requests/${name}.json`), 'utf8');

function writ(args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: tmp, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const running: ServeProcess[] = [];
afterAll(async () => {
  for (const p of running) await p.stop();
});

async function post(url: string, body: string, headers: Record<string, string> = {}) {
  const r = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
  return { status: r.status, digest: r.headers.get('writ-policy-digest'), logIndex: r.headers.get('writ-log-index'), body: (await r.json()) as any };
}

describe('writ serve token', () => {
  it('prints the token once and appends only its hash to the token file (mode 0600)', () => {
    const r = writ(['serve', 'token', '--name', 'alice', '--roles', 'finance_lead', '--append', at('tokens.txt'), '--json']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.token).toMatch(/^writ_[A-Za-z0-9_-]{43}$/);
    const file = readFileSync(at('tokens.txt'), 'utf8');
    expect(file).toBe(`${out.line}\n`);
    expect(file).not.toContain(out.token);
    expect(out.line).toMatch(/^sha256:[0-9a-f]{64} alice finance_lead$/);
    const text = writ(['serve', 'token', '--name', 'bob', '--roles', 'support']);
    expect(text.stdout).toMatch(/^token: writ_\S+\n[\s\S]*\nsha256:[0-9a-f]{64} bob support\n$/);
    expect(writ(['serve', 'token', '--name', 'has space', '--roles', 'x']).code).toBe(2);
  });
});

describe('writ serve (real process)', () => {
  it('refuses bad setups with one-line errors: no policy, a policy with errors, a bad token file, a port in use', async () => {
    const none = writ(['serve']);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/^writ: required option '--policy <path>'/);
    writeFileSync(at('broken.writ'), 'policy "b" version "1"\ntool t(x: string)\nallow t when args.y == 1\n');
    const broken = writ(['serve', '--policy', at('broken.writ'), '--port', '0']);
    expect(broken.code).toBe(3);
    expect(broken.stderr).toMatch(/broken\.writ:3:\d+/);
    writeFileSync(at('bad-tokens.txt'), '# approvers\nalice finance_lead\n');
    const bad = writ(['serve', '--policy', example('policy.writ'), '--tokens', at('bad-tokens.txt')]);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim()).toBe(`writ: ${at('bad-tokens.txt')}:2: expected \`sha256:<hex> <identity> <role>[,<role>…]\``);
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as { port: number }).port;
    const busy = writ(['serve', '--policy', example('policy.writ'), '--port', String(port)]);
    blocker.close();
    expect(busy.code).toBe(2);
    expect(busy.stderr.trim()).toBe(`writ: --port ${port}: address 127.0.0.1:${port} already in use`);
    expect(busy.stderr + broken.stderr + bad.stderr).not.toMatch(/\n\s+at .*\.js:\d+/);
  });

  it('decides, approves with a token, certifies the approver, hot-reloads without dropping a request, and stops on SIGTERM', async () => {
    copyFileSync(example('policy.writ'), at('policy.writ'));
    const lead = JSON.parse(writ(['serve', 'token', '--name', 'fiona', '--roles', 'finance_lead', '--append', at('serve-tokens.txt'), '--json']).stdout).token as string;
    expect(writ(['keygen', '--name', 'writ.test/serve', '--out', at('log')]).code).toBe(0);
    const { proc, url } = await ServeProcess.start(['--policy', at('policy.writ'), '--tokens', at('serve-tokens.txt'), '--log', at('decisions'), '--key', at('log.key')], tmp);
    running.push(proc);
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const first = proc.events.find((e) => e.event === 'listening')!;
    const digest1 = (first['policy'] as { digest: string }).digest;

    // Decide, with the certificate's log index.
    const small = await post(`${url}/v1/decide`, request('refund-25'));
    expect(small).toMatchObject({ status: 200, digest: digest1, logIndex: '0', body: { effect: 'allow' } });

    // Pending approval, approved by fiona's token; the approved call's certificate names fiona.
    const pending = await post(`${url}/v1/decide`, request('refund-500'));
    expect(pending.body.effect).toBe('pending_approval');
    const id = pending.body.approval.id;
    expect((await post(`${url}/v1/approvals/${id}`, '{"action":"approve"}')).status).toBe(401);
    const list = await fetch(`${url}/v1/approvals?state=pending`, { headers: { authorization: `Bearer ${lead}` } });
    expect(((await list.json()) as any).approvals.map((a: any) => a.id)).toEqual([id]);
    const ok = await post(`${url}/v1/approvals/${id}`, '{"action":"approve"}', { authorization: `Bearer ${lead}` });
    expect(ok.status).toBe(200);
    expect(ok.body.approval).toMatchObject({ status: 'granted', approvals: [{ approver: 'fiona', role: 'finance_lead' }] });
    const approved = await post(`${url}/v1/decide`, request('refund-500'));
    expect(approved.body.effect).toBe('allow');
    const approvedIndex = Number(approved.logIndex);

    // Hot reload under load: every request answered, each by one whole policy (header = body digest).
    const original = readFileSync(example('policy.writ'), 'utf8');
    const stricter = original.replace('allow read_only when agent has role support or agent has role billing or agent has role admin', 'allow read_only when agent has role admin');
    expect(stricter).not.toBe(original);
    let stop = false;
    const answers: Array<{ status: number; digest: string | null; body: any }> = [];
    const load = (async () => {
      while (!stop) answers.push(...(await Promise.all(Array.from({ length: 8 }, () => post(`${url}/v1/decide`, request('lookup-order'))))));
    })();
    await new Promise((r) => setTimeout(r, 200));
    writeFileSync(at('policy.writ'), stricter);
    const swapped = await proc.next((e) => e.event === 'reload');
    expect(swapped).toMatchObject({ outcome: 'swapped' });
    const digest2 = swapped['digest'] as string;
    expect(digest2).not.toBe(digest1);
    await new Promise((r) => setTimeout(r, 200));
    stop = true;
    await load;
    expect(answers.length).toBeGreaterThan(16);
    for (const a of answers) {
      expect(a.status).toBe(200);
      expect(a.body.policy.digest).toBe(a.digest);
      expect(a.body.effect).toBe(a.digest === digest1 ? 'allow' : 'deny');
    }
    expect(answers.at(0)!.digest).toBe(digest1);
    expect(answers.at(-1)!.digest).toBe(digest2);

    // A policy with errors is refused; the last good one keeps serving.
    writeFileSync(at('policy.writ'), `${stricter}\nallow nonexistent_tool when true\n`);
    const refused = await proc.next((e) => e.event === 'reload');
    expect(refused).toMatchObject({ outcome: 'refused', digest: digest2 });
    expect(String(refused['error'])).toMatch(/the policy has 1 error/);
    expect(refused['diagnostics']).toEqual([expect.objectContaining({ severity: 'error', file: 'policy.writ', line: stricter.split('\n').length + 1 })]);
    const still = await post(`${url}/v1/decide`, request('lookup-order'));
    expect(still).toMatchObject({ status: 200, digest: digest2 });
    const health = (await (await fetch(`${url}/healthz`)).json()) as any;
    expect(health.policy.digest).toBe(digest2);
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toMatch(/writ_policy_reloads_total\{outcome="refused"\} 1/);
    expect(metrics).toMatch(/writ_decisions_total\{effect="allow",tool="issue_refund"\} \d+/);

    // SIGTERM: graceful, exit 0, and a final checkpoint covers every certified decision.
    const inflight = Array.from({ length: 20 }, () => post(`${url}/v1/decide`, request('lookup-order')).catch((e: Error) => e));
    await new Promise((r) => setTimeout(r, 5));
    expect(await proc.stop()).toBe(0);
    expect(proc.events.map((e) => e.event).slice(-2)).toEqual(['stop', 'stopped']);
    const settled = await Promise.all(inflight);
    // Requests that arrived before the signal are answered; later ones get 503 with a reason (or no connection).
    const answered = settled.filter((x): x is Awaited<ReturnType<typeof post>> => !(x instanceof Error) && x.status === 200);
    for (const x of settled) if (!(x instanceof Error) && x.status !== 200) expect(x).toMatchObject({ status: 503, body: { reason: expect.any(String) } });

    const verify = writ(['log', 'verify', at('decisions'), '--pubkey', at('log.pub'), '--json']);
    expect(verify.code).toBe(0);
    const report = JSON.parse(verify.stdout);
    expect(report).toMatchObject({ ok: true, uncovered: 0 });
    expect(report.entries).toBe(3 + answers.length + 1 + answered.length);
    const snap = await LogSnapshot.open(at('decisions'));
    const cert = parseCertificate(snap.entry(approvedIndex), { requireCanonical: true });
    await snap.close();
    expect(cert.decision.effect).toBe('allow');
    expect(cert.approval).toMatchObject({ id, status: 'used', approvals: [{ approver: 'fiona', role: 'finance_lead' }] });
  }, 90_000);
});

describe('writ serve with a compiled artifact', () => {
  it('reloads a recompiled artifact and refuses a tampered one (digest mismatch), keeping the last good policy', async () => {
    const art = at('served.json');
    expect(writ(['compile', example('policy.writ'), '-o', art]).code).toBe(0);
    const { proc, url } = await ServeProcess.start(['--policy', art]);
    running.push(proc);
    const d1 = (proc.events[0]!['policy'] as { digest: string }).digest;
    writeFileSync(at('changed.writ'), readFileSync(example('policy.writ'), 'utf8').replace('version "1.0.0"', 'version "1.0.1"'));
    let next = proc.next((e) => e.event === 'reload');
    expect(writ(['compile', at('changed.writ'), '-o', art]).code).toBe(0);
    const swapped = await next;
    expect(swapped).toMatchObject({ outcome: 'swapped' });
    expect(swapped['digest']).not.toBe(d1);

    next = proc.next((e) => e.event === 'reload');
    const tampered = JSON.parse(readFileSync(art, 'utf8'));
    tampered.policy.version = '9.9.9';
    writeFileSync(art, JSON.stringify(tampered));
    const refused = await next;
    expect(refused).toMatchObject({ outcome: 'refused', digest: swapped['digest'] });
    expect(String(refused['error'])).toMatch(/digest/i);
    const h = (await (await fetch(`${url}/healthz`)).json()) as any;
    expect(h.policy).toMatchObject({ version: '1.0.1', digest: swapped['digest'] });
    expect(await proc.stop()).toBe(0);
  }, 60_000);
});

describe('writ serve token file reload', () => {
  it('picks up a token appended while running, revokes every token while the file is malformed, and revokes a removed one', async () => {
    const file = at('live-tokens.txt');
    const first = JSON.parse(writ(['serve', 'token', '--name', 'hana', '--roles', 'finance_lead', '--append', file, '--json']).stdout);
    const { proc, url } = await ServeProcess.start(['--policy', example('policy.writ'), '--tokens', file]);
    running.push(proc);
    const list = (t: string) => fetch(`${url}/v1/approvals`, { headers: { authorization: `Bearer ${t}` } }).then((r) => r.status);
    expect(await list(first.token)).toBe(200);

    let reloaded = proc.next((e) => e.event === 'tokens');
    const second = JSON.parse(writ(['serve', 'token', '--name', 'ivan', '--roles', 'finance_lead', '--append', file, '--json']).stdout);
    expect(await reloaded).toMatchObject({ outcome: 'reloaded', tokens: 2 });
    expect(await list(second.token)).toBe(200);

    reloaded = proc.next((e) => e.event === 'tokens');
    writeFileSync(file, `${first.line}\n${second.token} ivan finance_lead\n`);
    // A malformed file (here a plaintext token where its hash belongs) revokes every token until it is fixed.
    expect(await reloaded).toMatchObject({ outcome: 'refused', tokens: 0 });
    expect(await list(second.token)).toBe(401);
    expect(await list(first.token)).toBe(401);

    reloaded = proc.next((e) => e.event === 'tokens');
    writeFileSync(file, `${first.line}\n`);
    expect(await reloaded).toMatchObject({ outcome: 'reloaded', tokens: 1 });
    expect(await list(second.token)).toBe(401);
    expect(await list(first.token)).toBe(200);

    // SIGHUP reloads both: the policy (unchanged here) and the tokens.
    const policyEvent = proc.next((e) => e.event === 'reload');
    const tokensEvent = proc.next((e) => e.event === 'tokens');
    proc.child.kill('SIGHUP');
    expect(await policyEvent).toMatchObject({ outcome: 'unchanged' });
    expect(await tokensEvent).toMatchObject({ outcome: 'reloaded', tokens: 1 });
    expect(await proc.stop()).toBe(0);
  }, 60_000);
});

describe('writ serve --redis (two processes, one real redis-server)', () => {
  it('an approval requested through one process is approved through the other and used by the first', async () => {
    const redis = await RedisServer.start();
    try {
      const token = JSON.parse(writ(['serve', 'token', '--name', 'gina', '--roles', 'finance_lead', '--append', at('redis-tokens.txt'), '--json']).stdout).token as string;
      const args = ['--policy', example('policy.writ'), '--redis', redis.url, '--redis-prefix', 'cli-serve:', '--tokens', at('redis-tokens.txt')];
      const [one, two] = await Promise.all([ServeProcess.start(args), ServeProcess.start(args)]);
      running.push(one.proc, two.proc);
      const health = (await (await fetch(`${one.url}/healthz`)).json()) as any;
      expect(health).toMatchObject({ status: 'ok', state: { kind: 'redis', ok: true } });
      const pending = await post(`${one.url}/v1/decide`, request('refund-500'));
      expect(pending.body.effect).toBe('pending_approval');
      const ok = await post(`${two.url}/v1/approvals/${pending.body.approval.id}`, '{"action":"approve"}', { authorization: `Bearer ${token}` });
      expect(ok.status).toBe(200);
      const allowed = await post(`${one.url}/v1/decide`, request('refund-500'));
      expect(allowed.body).toMatchObject({ effect: 'allow', approval: { approvals: [{ approver: 'gina' }] } });
      expect(await one.proc.stop()).toBe(0);
      expect(await two.proc.stop()).toBe(0);
    } finally {
      await redis.dispose();
    }
  }, 60_000);

  it('starts with Redis unreachable (warning, degraded health), denying stateful calls', async () => {
    const { proc, url } = await ServeProcess.start(['--policy', example('policy.writ'), '--redis', 'redis://127.0.0.1:1']);
    running.push(proc);
    expect(proc.events.some((e) => e.event === 'warning' && e['warning'] === 'state store unavailable')).toBe(true);
    const health = await fetch(`${url}/healthz`);
    expect(health.status).toBe(503);
    const d = await post(`${url}/v1/decide`, request('refund-25'));
    expect(d.body.effect).toBe('deny');
    expect(JSON.stringify(d.body.reasons)).toMatch(/state store unavailable/);
    expect(await proc.stop()).toBe(0);
    expect(writ(['serve', '--policy', example('policy.writ'), '--redis', 'localhost:6379']).stderr.trim()).toBe("writ: --redis: 'localhost:6379' must start with redis:// or rediss://");
  }, 60_000);
});
