// DecisionCertificates: content, canonical bytes, request digests, validation of what parseCertificate accepts.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalDigest, canonicalJson } from '@writ/runtime';
import { fromUtf8, toHex, utf8 } from '../../src/evidence/bytes.js';
import {
  CERTIFICATE_TYPE,
  certifiableRequest,
  certificateBytes,
  certifyDecision,
  makeCertificate,
  parseCertificate,
  requestDigest,
} from '../../src/evidence/certificate.js';
import type { DecisionCertificate } from '../../src/evidence/certificate.js';
import { EvidenceFormatError } from '../../src/evidence/errors.js';
import { sha256 } from '../../src/evidence/hash.js';
import { DECISIONS, POLICY, REFUND, decisionArb, requestArb } from './decisions.js';

const TIME = '2025-06-01T12:00:00.000Z';

function malformed(input: unknown, message: RegExp): void {
  let err: unknown;
  try {
    parseCertificate(input);
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(EvidenceFormatError);
  expect((err as EvidenceFormatError).code).toBe('malformed-certificate');
  expect((err as Error).message).toMatch(message);
}

/** A valid certificate as a mutable plain object. */
const plain = (name: keyof typeof DECISIONS = 'allow'): Record<string, any> =>
  JSON.parse(canonicalJson(makeCertificate(REFUND, DECISIONS[name]!, { time: TIME })));

describe('makeCertificate', () => {
  it('names the policy, the request digest, the decision and its rules, and the time; omits the request', () => {
    const c = makeCertificate(REFUND, DECISIONS['forbidden']!, { time: TIME });
    expect(c).toEqual({
      type: CERTIFICATE_TYPE,
      policy: POLICY,
      request_digest: canonicalDigest(REFUND),
      decision: {
        effect: 'deny',
        denial: 'forbidden',
        rules: ['policy.writ:16'],
        reasons: DECISIONS['forbidden']!.reasons,
      },
      time: TIME,
    });
    expect('request' in c).toBe(false);
    expect(c.request_digest).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it('embeds the request only when asked, and then it must match the digest', () => {
    const c = makeCertificate(REFUND, DECISIONS['allow']!, { time: TIME, includeRequest: true });
    expect(c.request).toEqual(REFUND);
    expect(parseCertificate(certificateBytes(c)).request).toEqual(REFUND);
    const forged = { ...plain(), request: { ...REFUND, args: { ...REFUND.args, amount: 1200 } } };
    malformed(forged, /request does not match/);
  });

  it('keeps the approval record, reason spans and clauses', () => {
    const c = makeCertificate(REFUND, DECISIONS['pending']!, { time: TIME });
    expect(c.approval).toEqual(DECISIONS['pending']!.approval);
    expect(c.decision.reasons[0]!.clause).toEqual({ file: 'policy.writ', line: 15, column: 3 });
    expect(c.decision.rules).toEqual(['policy.writ:14']);
  });

  it('keeps obligation types and token names but never redacted values', () => {
    const c = makeCertificate(REFUND, DECISIONS['redacted']!, { time: TIME });
    expect(c.decision.obligations).toEqual([
      { type: 'redact', target: 'args', rule: 'policy.writ:22', tokens: [{ token: '[EMAIL_1]', kind: 'email', path: 'args.body' }] },
      { type: 'warn', rule: 'policy.writ:30', dimension: 'cost', level: 80, used: 8.5, limit: 10, message: 'budget at 85%' },
    ]);
    const text = fromUtf8(certificateBytes(c));
    expect(text).not.toContain('jane.doe');
    expect(text).not.toContain('call me');
    expect('obligations' in makeCertificate(REFUND, DECISIONS['allow']!, { time: TIME }).decision).toBe(false);
  });

  it('records a verification result when given one', () => {
    const c = makeCertificate(REFUND, DECISIONS['allow']!, { time: TIME, verification: { assertions: 3, proved: 3 } });
    expect(parseCertificate(certificateBytes(c)).verification).toEqual({ assertions: 3, proved: 3 });
  });

  it('takes the time as a Date, milliseconds or an RFC 3339 string, and refuses anything else', () => {
    expect(makeCertificate(REFUND, DECISIONS['allow']!, { time: new Date(TIME) }).time).toBe(TIME);
    expect(makeCertificate(REFUND, DECISIONS['allow']!, { time: Date.parse(TIME) }).time).toBe(TIME);
    expect(makeCertificate(REFUND, DECISIONS['allow']!, { time: '2025-06-01T14:00:00+02:00' }).time).toBe('2025-06-01T14:00:00+02:00');
    for (const time of ['yesterday', '2025-06-01', '2025-13-01T00:00:00Z', Number.NaN, new Date('x')]) {
      expect(() => makeCertificate(REFUND, DECISIONS['allow']!, { time })).toThrow(TypeError);
    }
  });

  it('digests a request that is not JSON by its bytes, and certifiableRequest picks the right form', () => {
    const raw = '{"agent": ';
    const req = certifiableRequest(raw);
    expect(req).toBeInstanceOf(Uint8Array);
    expect(requestDigest(req)).toBe(`sha256:${toHex(sha256(utf8(raw)))}`);
    expect(certifiableRequest('{"args":{"amount":1e400}}')).toBeInstanceOf(Uint8Array); // Infinity has no RFC 8785 form
    expect(certifiableRequest(' {"b":1, "a":2} ')).toEqual({ b: 1, a: 2 });
    expect(requestDigest(certifiableRequest(' {"b":1, "a":2} '))).toBe(requestDigest({ a: 2, b: 1 }));
    const c = makeCertificate(req, DECISIONS['defaultDeny']!, { time: TIME });
    expect(c.request_digest).toBe(requestDigest(req));
    expect(() => makeCertificate(req, DECISIONS['defaultDeny']!, { time: TIME, includeRequest: true })).toThrow(TypeError);
    expect(() => makeCertificate(() => 1, DECISIONS['allow']!, { time: TIME })).toThrow(TypeError);
  });
});

describe('certificate times', () => {
  it('`time` given as milliseconds or a Date is the Date\'s ISO text, in any order of calls (property)', () => {
    const decision = DECISIONS['allow']!;
    const ms = fc.oneof(fc.integer({ min: -62167219200000 - 5000, max: 253402300799999 + 5000 }), fc.double({ min: -1e13, max: 1e13, noNaN: true }), fc.constantFrom(0, -0, 999, 1000, 1001, -1, -1000, -1001));
    fc.assert(
      fc.property(fc.array(ms, { minLength: 1, maxLength: 8 }), (times) => {
        for (const t of times) expect(makeCertificate(REFUND, decision, { time: t }).time).toBe(new Date(t).toISOString());
        // The same second again, other milliseconds: the reused second's text.
        const t0 = Math.trunc(times[0]!);
        for (const d of [0, 1, 7, 42, 999]) {
          const t = t0 - (((t0 % 1000) + 1000) % 1000) + d;
          expect(makeCertificate(REFUND, decision, { time: new Date(t) }).time).toBe(new Date(t).toISOString());
        }
      }),
      { numRuns: 300 },
    );
  });

  it('a decision that fails the schema is refused even after valid ones were certified', () => {
    const good = DECISIONS['allow']!;
    expect(() => certifyDecision(REFUND, good, { time: TIME })).not.toThrow();
    const bad = { ...good, reasons: [{ ...good.reasons[0]!, kind: '' }] };
    expect(() => certifyDecision(REFUND, bad, { time: TIME })).toThrow(/kind/);
    const badPolicy = { ...good, policy: { ...good.policy, digest: 'sha256:xyz' } };
    expect(() => certifyDecision(REFUND, badPolicy, { time: TIME })).toThrow(/digest/);
    expect(() => certifyDecision(REFUND, good, { time: TIME })).not.toThrow();
  });
});

describe('certificateBytes and parseCertificate', () => {
  it('bytes are the RFC 8785 form, and parse back to the same certificate (property)', () => {
    fc.assert(
      fc.property(requestArb, decisionArb, fc.boolean(), (request, decision, includeRequest) => {
        const c = makeCertificate(request, decision, { time: TIME, includeRequest });
        const bytes = certificateBytes(c);
        expect(fromUtf8(bytes)).toBe(canonicalJson(c));
        if (!includeRequest) expect(JSON.stringify(c)).toBe(canonicalJson(c)); // built in canonical member order: the fast path
        const both = certifyDecision(request, decision, { time: TIME, includeRequest });
        expect(both.certificate).toEqual(c);
        expect(both.bytes).toEqual(bytes);
        const back = parseCertificate(bytes, { requireCanonical: true });
        expect(canonicalJson(back)).toBe(canonicalJson(c));
        expect(back.request_digest).toBe(canonicalDigest(request));
      }),
      { numRuns: 300 },
    );
  });

  it('embedded requests with integer-like member names still give canonical bytes', () => {
    const request = { '10': 1, '2': 2, b: { '1': true, a: null }, a: [3] };
    const c = makeCertificate(request, DECISIONS['allow']!, { time: TIME, includeRequest: true, verification: { '9': 'x', '10': 'y' } });
    const text = fromUtf8(certificateBytes(c));
    expect(text).toBe(canonicalJson(JSON.parse(text)));
    expect(fromUtf8(certifyDecision(request, DECISIONS['allow']!, { time: TIME, includeRequest: true, verification: { '9': 'x', '10': 'y' } }).bytes)).toBe(text);
    expect(text).toContain('"request":{"10":1,"2":2,"a":[3],"b":{"1":true,"a":null}}');
    expect(text).toContain('"verification":{"10":"y","9":"x"}');
    expect(parseCertificate(certificateBytes(c), { requireCanonical: true }).request_digest).toBe(canonicalDigest(request));
  });

  it('an embedded request keeps a member named __proto__', () => {
    const request = JSON.parse('{"tool":"t","__proto__":{"x":1},"args":{"__proto__":2}}') as unknown;
    const c = makeCertificate(request, DECISIONS['allow']!, { time: TIME, includeRequest: true });
    const text = fromUtf8(certificateBytes(c));
    expect(text).toContain('"request":{"__proto__":{"x":1},"args":{"__proto__":2},"tool":"t"}');
    expect(parseCertificate(text, { requireCanonical: true }).request_digest).toBe(canonicalDigest(request));
  });

  it('requireCanonical refuses the same certificate written differently', () => {
    const c = makeCertificate(REFUND, DECISIONS['allow']!, { time: TIME });
    const pretty = JSON.stringify(c, null, 2);
    expect(parseCertificate(pretty)).toEqual(c);
    expect(() => parseCertificate(pretty, { requireCanonical: true })).toThrow(/canonical/);
    expect(() => parseCertificate(utf8(pretty), { requireCanonical: true })).toThrow(/canonical/);
  });

  it('says what is wrong with a malformed certificate', () => {
    malformed('{"type":', /not JSON/);
    malformed(Uint8Array.of(0x7b, 0xff, 0x7d), /UTF-8/);
    malformed([], /certificate must be object/);
    malformed({ ...plain(), type: 'writ.decision-certificate/v9' }, /certificate\.type must be "writ\.decision-certificate\/v0"/);
    const { time: _t, ...noTime } = plain();
    malformed(noTime, /has no 'time'/);
    malformed({ ...plain(), extra: 1 }, /unknown member 'extra'/);
    malformed({ ...plain(), request_digest: 'sha256:abc' }, /request_digest is not a sha256/);
    malformed({ ...plain(), time: 'noon' }, /time is not an RFC 3339 time/);
    malformed({ ...plain(), time: '2025-02-30T25:00:00Z' }, /time is not an RFC 3339 time/);
    const p = plain();
    p['decision'].effect = 'permit';
    malformed(p, /decision\.effect must be one of "allow", "deny", "pending_approval"/);
    const q = plain();
    q['decision'].rules = ['policy.writ:99'];
    malformed(q, /rules does not list the rules of its reasons/);
    const r = plain();
    r['decision'].denial = 'forbidden';
    malformed(r, /denial is set on a decision that is not a deny/);
    const s = plain('redacted');
    s['decision'].obligations[0].value = 'secret';
    malformed(s, /unknown member 'value'/);
    const t = plain('redacted');
    t['decision'].obligations[0].type = 'erase';
    malformed(t, /unknown or missing type|must be one of/);
    const u = plain('pending');
    u['approval'].requirements[0].quorum = 0;
    malformed(u, /quorum/);
  });

  it('validates every example decision', () => {
    for (const [name, d] of Object.entries(DECISIONS)) {
      const c: DecisionCertificate = makeCertificate(REFUND, d, { time: TIME });
      expect(parseCertificate(certificateBytes(c), { requireCanonical: true }), name).toEqual(JSON.parse(canonicalJson(c)));
    }
  });
});
