// Evidence bundles: made from a file log, verified offline with only the public key, and every way a bundle
// can be wrong reported with its own code.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canonicalJson } from '@writ/runtime';
import { fromBase64, toBase64, utf8 } from '../../src/evidence/bytes.js';
import { bundleJson, makeBundle, parseBundle, verifyBundle } from '../../src/evidence/bundle.js';
import type { Bundle } from '../../src/evidence/bundle.js';
import { certificateBytes, makeCertificate } from '../../src/evidence/certificate.js';
import { formatCheckpoint, parseCheckpoint } from '../../src/evidence/checkpoint.js';
import { Checkpointer } from '../../src/evidence/checkpointer.js';
import { EvidenceFormatError } from '../../src/evidence/errors.js';
import { FileLog } from '../../src/evidence/filelog.js';
import { generateSignerKey, parseSignerKey } from '../../src/evidence/note-key.js';
import { parseNote, signNote } from '../../src/evidence/note.js';
import { DECISIONS, REFUND } from './decisions.js';

const ROOT = mkdtempSync(join(tmpdir(), 'writ-bundle-'));
const ORIGIN = 'writ.example/decisions';
const KEY = generateSignerKey(ORIGIN);
const names = Object.keys(DECISIONS);
let log: FileLog;
let first: string; // checkpoint of the first 5 entries
let bundles: Bundle[];

beforeAll(async () => {
  log = await FileLog.open(join(ROOT, 'log'));
  const cp = new Checkpointer(log, KEY.signerKey, { everyEntries: Infinity, everyMs: Infinity });
  const certs = names.map((n, i) => makeCertificate({ ...REFUND, n: i }, DECISIONS[n]!, { time: Date.UTC(2025, 5, 1, 12, 0, i) }));
  await Promise.all(certs.map((c) => log.append(certificateBytes(c))));
  first = await cp.flush();
  for (let i = 0; i < 6; i++) await log.append(certificateBytes(certs[i % certs.length]!));
  await cp.flush();
  await cp.close();
  bundles = Array.from({ length: log.size }, (_, i) => makeBundle(log, i));
});
afterAll(async () => {
  await log.close();
  rmSync(ROOT, { recursive: true, force: true });
});

const text = (i = 2): string => bundleJson(bundles[i]!);
/** The bundle as a mutable plain object. */
const obj = (i = 2): Record<string, any> => JSON.parse(text(i));
const verify = (input: unknown, key = KEY.verifierKey) => verifyBundle(input, key);
const expectFail = (input: unknown, code: string, reason: RegExp, key = KEY.verifierKey): void => {
  const r = verify(input, key);
  expect(r).toMatchObject({ ok: false, code });
  expect(!r.ok && r.reason).toMatch(reason);
};

describe('makeBundle', () => {
  it('carries the certificate, leaf index, tree size, base64 proof, checkpoint and leaf hash', () => {
    const b = bundles[3]!;
    expect(Object.keys(b).sort()).toEqual(['certificate', 'checkpoint', 'inclusion_proof', 'leaf_hash', 'leaf_index', 'tree_size']);
    expect(b.leaf_index).toBe(3);
    expect(b.tree_size).toBe(log.size);
    expect(b.checkpoint).toBe(log.latestCheckpoint());
    expect(b.inclusion_proof.map(fromBase64)).toEqual(log.inclusionProof(3, log.size));
    expect(canonicalJson(b.certificate)).toBe(new TextDecoder().decode(log.entry(3)));
  });

  it('builds against an older checkpoint too, and refuses what it cannot prove', () => {
    const old = makeBundle(log, 4, first);
    expect(old.tree_size).toBe(names.length);
    expect(verify(bundleJson(old)).ok).toBe(true);
    expect(() => makeBundle(log, names.length, first)).toThrow(/not covered by the checkpoint of tree size 5/);
    const foreign = signNote(formatCheckpoint({ ...parseCheckpoint(parseNote(first).text), root: new Uint8Array(32) }), KEY.signerKey);
    expect(() => makeBundle(log, 0, foreign)).toThrow(/root is not this log's root/);
    expect(() => makeBundle({ ...log, entry: () => utf8('{}'), root: (n) => log.root(n), inclusionProof: () => [], latestCheckpoint: () => first }, 0)).toThrow(EvidenceFormatError);
    expect(() => makeBundle({ entry: () => new Uint8Array(), root: () => new Uint8Array(), inclusionProof: () => [], latestCheckpoint: () => undefined }, 0)).toThrow(/no signed checkpoint/);
  });
});

describe('verifyBundle', () => {
  it('accepts every bundle, as text, bytes or object, and reports what it proves', () => {
    for (const b of bundles) {
      const r = verify(bundleJson(b));
      expect(r.ok).toBe(true);
      if (!r.ok) continue;
      expect(r.leafIndex).toBe(b.leaf_index);
      expect(r.treeSize).toBe(log.size);
      expect(r.checkpoint.origin).toBe(ORIGIN);
      expect(r.signedBy).toBe(KEY.verifierKey.split('+').slice(0, 2).join('+'));
      expect(r.certificateBytes).toEqual(log.entry(b.leaf_index));
    }
    expect(verify(utf8(text())).ok).toBe(true);
    expect(verify(obj()).ok).toBe(true);
    expect(verify(parseSignerKey(KEY.signerKey) as never).ok).toBe(false);
  });

  it('ignores formatting and extra fields, and works without leaf_hash', () => {
    expect(verify(JSON.stringify(obj(), null, 2)).ok).toBe(true);
    expect(verify({ ...obj(), note: 'hello', tool: { x: 1 } }).ok).toBe(true);
    const { leaf_hash: _l, ...bare } = obj();
    expect(verify(bare).ok).toBe(true);
  });

  it('malformed bundles: JSON, fields, base64, certificate, checkpoint text', () => {
    expectFail('{"certificate": ', 'malformed-bundle', /not JSON/);
    expectFail(Uint8Array.of(0xc3, 0x28), 'malformed-bundle', /UTF-8/);
    expectFail('[1]', 'malformed-bundle', /not a JSON object/);
    for (const f of ['certificate', 'leaf_index', 'tree_size', 'inclusion_proof', 'checkpoint']) {
      const b = obj();
      delete b[f];
      expectFail(b, 'malformed-bundle', new RegExp(`no '${f}'`));
    }
    expectFail({ ...obj(), leaf_index: -1 }, 'malformed-bundle', /leaf_index is not a non-negative integer/);
    expectFail({ ...obj(), tree_size: 1.5 }, 'malformed-bundle', /tree_size is not a non-negative integer/);
    expectFail({ ...obj(), leaf_index: '2' }, 'malformed-bundle', /leaf_index/);
    expectFail({ ...obj(), checkpoint: 7 }, 'malformed-bundle', /checkpoint is not a string/);
    expectFail({ ...obj(), inclusion_proof: 'AAAA' }, 'malformed-bundle', /inclusion_proof is not an array/);
    const p = obj();
    p['inclusion_proof'][0] = p['inclusion_proof'][0].slice(0, -1) + '!';
    expectFail(p, 'malformed-bundle', /inclusion_proof\[0\] is not canonical base64/);
    const q = obj();
    q['inclusion_proof'][1] = toBase64(new Uint8Array(31));
    expectFail(q, 'malformed-bundle', /inclusion_proof\[1\] is 31 bytes/);
    expectFail({ ...obj(), inclusion_proof: Array(65).fill(toBase64(new Uint8Array(32))) }, 'malformed-bundle', /more than 64/);
    expectFail({ ...obj(), leaf_hash: 'x' }, 'malformed-bundle', /leaf_hash is not canonical base64/);
    expectFail({ ...obj(), certificate: text() }, 'malformed-bundle', /certificate is not a JSON object/);
    const c = obj();
    c['certificate'].decision.effect = 'maybe';
    expectFail(c, 'malformed-bundle', /certificate\.decision\.effect must be one of/);
    expectFail({ ...obj(), checkpoint: 'hello\n' }, 'malformed-bundle', /checkpoint is not a valid signed checkpoint/);
  });

  it('wrong key: another log, or another key with the same name', () => {
    expectFail(text(), 'wrong-key', /not signed by writ\.example\/other\+[0-9a-f]{8} \(it is signed by writ\.example\/decisions\+/, generateSignerKey('writ.example/other').verifierKey);
    expectFail(text(), 'wrong-key', /signed by a different key named writ\.example\/decisions/, generateSignerKey(ORIGIN).verifierKey);
    expect(() => verify(text(), 'not a key')).toThrow(EvidenceFormatError);
  });

  it('bad signature: the checkpoint was altered', () => {
    const b = obj();
    const lines = b['checkpoint'].split('\n');
    lines[1] = String(Number(lines[1]) + 1);
    b['checkpoint'] = lines.join('\n');
    expectFail(b, 'invalid-signature', /bad signature/);
  });

  it('origin mismatch: signed by the key but for another origin', () => {
    const cp = parseCheckpoint(parseNote(bundles[2]!.checkpoint).text);
    const note = signNote(formatCheckpoint({ ...cp, origin: 'elsewhere' }), KEY.signerKey);
    expectFail({ ...obj(), checkpoint: note }, 'origin-mismatch', /origin elsewhere differs/);
  });

  it('tree size, leaf index, certificate and proof problems', () => {
    expectFail({ ...obj(), tree_size: log.size + 1 }, 'tree-size-mismatch', /says tree size 12 but its checkpoint signs tree size 11/);
    expectFail({ ...obj(), leaf_index: log.size }, 'index-out-of-range', /leaf index 11 is not below the tree size 11/);
    const c = obj();
    c['certificate'].time = '2025-06-01T12:00:09.000Z';
    expectFail(c, 'certificate-altered', /does not hash to the bundle's leaf_hash/);
    delete c['leaf_hash'];
    expectFail(c, 'root-mismatch', /does not reach the checkpoint's root \(the certificate, leaf_index or inclusion_proof was altered\)/);
    expectFail({ ...obj(), leaf_index: 3 }, 'root-mismatch', /leaf_index or inclusion_proof was altered/);
    const p = obj();
    p['inclusion_proof'].reverse();
    expectFail(p, 'root-mismatch', /does not reach/);
    const q = obj();
    q['inclusion_proof'].pop();
    expectFail(q, 'wrong-proof-length', /fewer than the expected/);
    const r = obj();
    r['inclusion_proof'].push(r['inclusion_proof'][0]);
    expectFail(r, 'wrong-proof-length', /more than the expected/);
  });

  it('an old bundle stays valid as the log grows', () => {
    const old = makeBundle(log, 0, first);
    expect(verify(bundleJson(old)).ok).toBe(true);
    expect(verify(bundleJson(makeBundle(log, 0))).ok).toBe(true);
  });
});

describe('parseBundle', () => {
  it('decodes the proof and the certificate bytes without checking signatures', () => {
    const p = parseBundle(text());
    expect(p.proof).toEqual(log.inclusionProof(2, log.size));
    expect(p.certificateBytes).toEqual(log.entry(2));
    expect(p.leafHash).toEqual(log.leafHash(2));
    expect(() => parseBundle('{}')).toThrow(EvidenceFormatError);
  });
});
