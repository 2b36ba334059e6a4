// Responses are serialized with fast-json-stringify from the route schemas, which drops members a schema does
// not list: every example request (and a result check for each) must come back exactly as the runtime made it.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Decision, Policy, ResultCheck } from '@writ/runtime';
import { buildServer, MemoryBackend, type WritServer } from '../src/index.js';
import { authenticator, policyFrom } from './helpers.js';

const examples = path.resolve(import.meta.dirname, '../../../examples');

/** A backend that keeps what the runtime returned, to compare with what went over the wire. */
class Capturing extends MemoryBackend {
  last: unknown;
  override decide(policy: Policy, request: unknown, now: number): Decision {
    return (this.last = super.decide(policy, request, now));
  }
  override checkResult(policy: Policy, request: unknown, result: unknown, now: number): ResultCheck {
    return (this.last = super.checkResult(policy, request, result, now));
  }
}

const servers: WritServer[] = [];
afterAll(async () => {
  for (const s of servers) await s.close();
});

const RESULTS: unknown[] = [
  { ok: true },
  'aws key AKIAIOSFODNN7EXAMPLE',
  { profile: { email: 'jane@example.com', ssn: '123-45-6789', card: '4111 1111 1111 1111' } },
  ['-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n-----END OPENSSH PRIVATE KEY-----'],
  null,
];

describe('responses equal the runtime objects', () => {
  for (const name of readdirSync(examples, { withFileTypes: true }).filter((e) => e.isDirectory() && readdirSync(path.join(examples, e.name)).includes('requests')).map((e) => e.name)) {
    it(`examples/${name}: every request, decided and result-checked`, async () => {
      const dir = path.join(examples, name);
      const backend = new Capturing();
      const s = await buildServer({ policy: policyFrom(readFileSync(path.join(dir, 'policy.writ'), 'utf8')), backend, tokens: authenticator() });
      servers.push(s);
      const requests = readdirSync(path.join(dir, 'requests')).filter((f) => f.endsWith('.json'));
      expect(requests.length).toBeGreaterThan(0);
      const effects = new Set<string>();
      for (const f of requests) {
        const payload = readFileSync(path.join(dir, 'requests', f), 'utf8');
        // Twice: the second decision of a pending call finds the stored approval record.
        for (let i = 0; i < 2; i++) {
          const r = await s.app.inject({ method: 'POST', url: '/v1/decide', headers: { 'content-type': 'application/json' }, payload });
          expect(r.statusCode, f).toBe(200);
          expect(r.json(), f).toEqual(JSON.parse(JSON.stringify(backend.last)));
          effects.add(r.json().effect);
        }
        for (const result of RESULTS) {
          const r = await s.app.inject({ method: 'POST', url: '/v1/check-result', payload: { request: JSON.parse(payload), result } });
          expect(r.statusCode, f).toBe(200);
          expect(r.json(), f).toEqual(JSON.parse(JSON.stringify(backend.last)));
        }
      }
      expect(effects.has('deny')).toBe(true);
    });
  }
});
