// Certified serving: every decision's certificate is in the log before the answer (with its index), a body
// without an RFC 8785 form is certified by its bytes, and a failing log turns answers into 503s.
import { createHash } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { certifiableRequest, FileLog, LogSnapshot, generateSignerKey, parseCertificate, parseSignerKey, parseVerifierKey, requestDigest, verifyCheckpoint } from '@writ/verifier';
import type { Decision } from '@writ/runtime';
import { LOG_INDEX_HEADER, LogRecorder, type DecisionRecorder } from '../src/index.js';
import { refund, server } from './helpers.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'writ-server-evidence-'));

describe('certified decisions', () => {
  it('are logged before the answer; close signs a checkpoint covering all of them', async () => {
    const dir = path.join(tmp, 'log');
    const { signerKey, verifierKey } = generateSignerKey('writ.test/server');
    const key = parseSignerKey(signerKey);
    const s = await server({ recorder: new LogRecorder(await FileLog.open(dir), key, { everyMs: Infinity }) });
    const answers = await Promise.all([refund(50), refund(900), refund(250), { tool: 42 }].map((payload) => s.app.inject({ method: 'POST', url: '/v1/decide', payload })));
    // Bodies at the edge of RFC 8785: a lone surrogate, and a number JSON.parse makes Infinity (no canonical form).
    const odd = [`{"agent":{"id":"refund-agent"},"tool":"lookup_order","args":{"order_id":"\\ud800"}}`, `{"agent":{"id":"refund-agent"},"tool":"issue_refund","args":{"order_id":"O","amount":1e400}}`];
    for (const payload of odd) answers.push(await s.app.inject({ method: 'POST', url: '/v1/decide', headers: { 'content-type': 'application/json' }, payload }));
    for (const a of answers) expect(a.statusCode).toBe(200);
    const indexes = answers.map((a) => Number(a.headers[LOG_INDEX_HEADER]));
    expect([...indexes].sort()).toEqual([0, 1, 2, 3, 4, 5]);
    await s.close();

    const snap = await LogSnapshot.open(dir);
    expect(snap.size).toBe(6);
    const cp = snap.latestCheckpoint();
    expect(cp).toBeDefined();
    expect(verifyCheckpoint(cp!, parseVerifierKey(verifierKey)).ok).toBe(true);
    answers.forEach((a, i) => {
      const cert = parseCertificate(snap.entry(indexes[i]!), { requireCanonical: true });
      const d = a.json() as Decision;
      expect(cert.decision.effect).toBe(d.effect);
      expect(cert.policy.digest).toBe(d.policy.digest);
    });
    // Certified exactly as `writ decide` certifies the same text; the Infinity body by the digest of its bytes.
    odd.forEach((text, i) => expect(parseCertificate(snap.entry(indexes[4 + i]!)).request_digest).toBe(requestDigest(certifiableRequest(text))));
    expect(parseCertificate(snap.entry(indexes[5]!)).request_digest).toBe(`sha256:${createHash('sha256').update(Buffer.from(odd[1]!, 'utf8')).digest('hex')}`);
    await snap.close();
  });

  it('answer 503 with a reason when the log cannot take the certificate (never an uncertified decision)', async () => {
    const failing: DecisionRecorder = {
      record: async () => {
        throw new Error('disk full');
      },
      close: async () => {},
    };
    const s = await server({ recorder: failing });
    const r = await s.app.inject({ method: 'POST', url: '/v1/decide', payload: refund(50) });
    expect(r.statusCode).toBe(503);
    expect(r.json().reason).toBe('the decision could not be certified (decision log unavailable): disk full');
    expect(r.headers[LOG_INDEX_HEADER]).toBeUndefined();
    await s.close();
  });
});
