// C2SP tlog-checkpoint bodies, signing, chains of checkpoints, and the offline bundle check.
import { describe, expect, it } from 'vitest';
import { toBase64, utf8 } from '../../src/evidence/bytes.js';
import { CheckpointChain, verifyCheckpointAdvance } from '../../src/evidence/checkpoint-chain.js';
import {
  formatCheckpoint,
  parseCheckpoint,
  sameCheckpoint,
  signCheckpoint,
  verifyCheckpoint,
} from '../../src/evidence/checkpoint.js';
import type { Checkpoint } from '../../src/evidence/checkpoint.js';
import { EvidenceFormatError } from '../../src/evidence/errors.js';
import { emptyRoot, leafHash } from '../../src/evidence/hash.js';
import { verifyInclusionInCheckpoint } from '../../src/evidence/inclusion-check.js';
import { MerkleTreeCache } from '../../src/evidence/merkle-cache.js';
import { generateSignerKey } from '../../src/evidence/note-key.js';
import { parseNote, signNote } from '../../src/evidence/note.js';
import { entry, noteExamples } from './helpers.js';

const ORIGIN = 'writ.example/log';
const log = generateSignerKey(ORIGIN);
const stranger = generateSignerKey('writ.example/other');
const witness = generateSignerKey('witness.example/w1');

function treeOf(n: number): MerkleTreeCache {
  const t = new MerkleTreeCache();
  for (let i = 0; i < n; i++) t.append(leafHash(entry(i)));
  return t;
}
const TREE = treeOf(40);
const cpAt = (size: number, origin = ORIGIN): Checkpoint => ({ origin, size, root: TREE.root(size), extensions: [] });

describe('checkpoint body', () => {
  it('parses the C2SP example body', () => {
    const ex = noteExamples().find((e) => e.verifierKey === undefined)!;
    const cp = parseCheckpoint(parseNote(ex.note).text);
    expect(cp.origin).toBe('example.com/behind-the-sofa');
    expect(cp.size).toBe(20852163);
    expect(toBase64(cp.root)).toBe('CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=');
    expect(cp.extensions).toEqual([]);
    expect(formatCheckpoint(cp)).toBe(parseNote(ex.note).text);
  });

  it('round-trips with extension lines and size 0', () => {
    const cp: Checkpoint = { origin: ORIGIN, size: 0, root: emptyRoot(), extensions: ['ext one', '— two'] };
    const body = formatCheckpoint(cp);
    expect(body).toBe(`${ORIGIN}\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\next one\n— two\n`);
    expect(sameCheckpoint(parseCheckpoint(body), cp)).toBe(true);
  });

  const root = toBase64(TREE.root(5));
  it.each([
    ['leading zero in size', `${ORIGIN}\n05\n${root}\n`],
    ['signed size', `${ORIGIN}\n+5\n${root}\n`],
    ['hex size', `${ORIGIN}\n0x5\n${root}\n`],
    ['empty size', `${ORIGIN}\n\n${root}\n`],
    ['size beyond 2^53 - 1', `${ORIGIN}\n9007199254740992\n${root}\n`],
    ['empty origin', `\n5\n${root}\n`],
    ['root of 31 bytes', `${ORIGIN}\n5\n${toBase64(TREE.root(5).subarray(1))}\n`],
    ['root not canonical base64', `${ORIGIN}\n5\n${root.slice(0, -1)}\n`],
    ['missing root line', `${ORIGIN}\n5\n`],
    ['no final newline', `${ORIGIN}\n5\n${root}`],
    ['empty extension line', `${ORIGIN}\n5\n${root}\n\nx\n`],
    ['CR in the body', `${ORIGIN}\r\n5\n${root}\n`],
  ])('rejects a body with %s', (_why, body) => {
    expect(() => parseCheckpoint(body)).toThrow(EvidenceFormatError);
  });

  it('accepts the largest safe size', () => {
    expect(parseCheckpoint(`${ORIGIN}\n9007199254740991\n${root}\n`).size).toBe(Number.MAX_SAFE_INTEGER);
  });
});

describe('signed checkpoints', () => {
  it('signs and verifies; the log key name must equal the origin', () => {
    const note = signCheckpoint(cpAt(7), log.signerKey);
    const r = verifyCheckpoint(note, log.verifierKey);
    expect(r.ok).toBe(true);
    if (r.ok) expect(sameCheckpoint(r.checkpoint, cpAt(7))).toBe(true);
    expect(() => signCheckpoint(cpAt(7, 'elsewhere.example/log'), log.signerKey)).toThrow(EvidenceFormatError);
  });

  it('rejects a checkpoint whose origin differs from the signing key name', () => {
    const note = signNote(formatCheckpoint(cpAt(7, 'elsewhere.example/log')), log.signerKey);
    expect(verifyCheckpoint(note, log.verifierKey)).toMatchObject({ ok: false, code: 'origin-mismatch' });
  });

  it('rejects a signed note that is not a checkpoint', () => {
    const note = signNote('hello\n', log.signerKey);
    expect(verifyCheckpoint(note, log.verifierKey)).toMatchObject({ ok: false, code: 'malformed-checkpoint' });
  });

  it('rejects a checkpoint signed by another key, and accepts extra witness signatures', () => {
    const body = formatCheckpoint(cpAt(7));
    expect(verifyCheckpoint(signNote(body, stranger.signerKey), log.verifierKey)).toMatchObject({
      ok: false,
      code: 'no-verified-signature',
    });
    const cosigned = signCheckpoint(cpAt(7), log.signerKey, [witness.signerKey]);
    const r = verifyCheckpoint(cosigned, log.verifierKey);
    expect(r.ok && r.note.unverified.map((s) => s.name)).toEqual(['witness.example/w1']);
  });

  it('any single changed byte of a signed checkpoint makes it fail', () => {
    const bytes = utf8(signCheckpoint(cpAt(9), log.signerKey));
    for (let i = 0; i < bytes.length; i++) {
      const t = bytes.slice();
      t[i]! ^= 0x01;
      expect(verifyCheckpoint(t, log.verifierKey).ok, `byte ${i}`).toBe(false);
    }
  });
});

describe('checkpoint advance (consistency chain)', () => {
  it('accepts growth with a valid consistency proof, for every pair of sizes up to 40', () => {
    for (let a = 1; a <= 40; a += 3) {
      for (let b = a; b <= 40; b += 5) {
        expect(verifyCheckpointAdvance(cpAt(a), cpAt(b), TREE.consistencyProof(a, b))).toEqual({ ok: true });
      }
    }
  });

  it('rejects shrinking, forks, origin changes, wrong proofs', () => {
    expect(verifyCheckpointAdvance(cpAt(9), cpAt(8), [])).toMatchObject({ code: 'checkpoint-shrank' });
    const fork = { ...cpAt(9), root: treeOf(8).root(8) };
    expect(verifyCheckpointAdvance(cpAt(9), fork, [])).toMatchObject({ code: 'inconsistent-checkpoints' });
    expect(verifyCheckpointAdvance(cpAt(9), cpAt(9), [TREE.root(1)])).toMatchObject({ code: 'proof-not-empty' });
    expect(verifyCheckpointAdvance(cpAt(5), cpAt(9, 'x.example/log'), [])).toMatchObject({ code: 'origin-mismatch' });
    expect(verifyCheckpointAdvance(cpAt(5), cpAt(9), TREE.consistencyProof(4, 9))).toMatchObject({
      code: 'inconsistent-checkpoints',
    });
    // A different tree of size 12 that shares nothing with TREE.
    const other = new MerkleTreeCache();
    for (let i = 0; i < 12; i++) other.append(leafHash(Uint8Array.of(i)));
    const alien = { origin: ORIGIN, size: 12, root: other.root(12), extensions: [] };
    expect(verifyCheckpointAdvance(cpAt(5), alien, other.consistencyProof(5, 12))).toMatchObject({
      code: 'inconsistent-checkpoints',
    });
  });

  it('starts from size 0 without a proof (verifyConsistency refuses size1 = 0), and checks the empty root', () => {
    const zero: Checkpoint = { origin: ORIGIN, size: 0, root: emptyRoot(), extensions: [] };
    expect(verifyCheckpointAdvance(zero, cpAt(6), [])).toEqual({ ok: true });
    expect(verifyCheckpointAdvance(zero, zero, [])).toEqual({ ok: true });
    expect(verifyCheckpointAdvance(zero, cpAt(6), [TREE.root(1)])).toMatchObject({ code: 'proof-not-empty' });
    const badZero = { ...zero, root: TREE.root(1) };
    expect(verifyCheckpointAdvance(badZero, cpAt(6), [])).toMatchObject({ code: 'inconsistent-checkpoints' });
  });

  it('CheckpointChain follows a growing log and keeps its state on failure', () => {
    const chain = new CheckpointChain(log.verifierKey);
    expect(chain.advance(signCheckpoint(cpAt(3), log.signerKey), []).ok).toBe(true);
    expect(chain.advance(signCheckpoint(cpAt(10), log.signerKey), TREE.consistencyProof(3, 10)).ok).toBe(true);
    const bad = chain.advance(signCheckpoint(cpAt(20), log.signerKey), TREE.consistencyProof(3, 20));
    expect(bad).toMatchObject({ ok: false, code: 'inconsistent-checkpoints' });
    expect(chain.latest?.size).toBe(10);
    const unsigned = chain.advance(signCheckpoint(cpAt(20), log.signerKey).replace('20\n', '21\n'), []);
    expect(unsigned.ok).toBe(false);
    expect(chain.advance(signCheckpoint(cpAt(20), log.signerKey), TREE.consistencyProof(10, 20)).ok).toBe(true);
    expect(chain.latest?.size).toBe(20);
    expect(new CheckpointChain(log.verifierKey).advance(signCheckpoint(cpAt(3), log.signerKey), [TREE.root(1)]).ok).toBe(false);
  });
});

describe('verifyInclusionInCheckpoint (offline bundle check)', () => {
  const note = signCheckpoint(cpAt(25), log.signerKey);
  const proof = TREE.inclusionProof(11, 25);

  it('accepts the entry with byte or base64 proofs', () => {
    expect(verifyInclusionInCheckpoint(entry(11), 11, proof, note, log.verifierKey).ok).toBe(true);
    const b64 = proof.map(toBase64);
    const r = verifyInclusionInCheckpoint(entry(11), 11, b64, note, log.verifierKey);
    expect(r.ok && r.checkpoint.size).toBe(25);
  });

  it('says which step failed', () => {
    expect(verifyInclusionInCheckpoint(entry(12), 11, proof, note, log.verifierKey)).toMatchObject({ code: 'root-mismatch' });
    expect(verifyInclusionInCheckpoint(entry(11), 12, proof, note, log.verifierKey)).toMatchObject({ ok: false });
    expect(verifyInclusionInCheckpoint(entry(11), 25, proof, note, log.verifierKey)).toMatchObject({ code: 'index-out-of-range' });
    expect(verifyInclusionInCheckpoint(entry(11), 11, proof, note, stranger.verifierKey)).toMatchObject({
      code: 'no-verified-signature',
    });
    const tampered = note.replace(toBase64(TREE.root(25)), toBase64(TREE.root(24)));
    const t = verifyInclusionInCheckpoint(entry(11), 11, proof, tampered, log.verifierKey);
    expect(t).toMatchObject({ code: 'invalid-signature' });
    if (!t.ok) expect(t.reason).toMatch(/^checkpoint: /);
    const b64 = proof.map(toBase64);
    b64[0] = b64[0]!.slice(0, -1) + '!';
    expect(verifyInclusionInCheckpoint(entry(11), 11, b64, note, log.verifierKey)).toMatchObject({ code: 'bad-encoding' });
    expect(verifyInclusionInCheckpoint(entry(11), 11, proof.slice(1), note, log.verifierKey)).toMatchObject({
      code: 'wrong-proof-length',
    });
  });

  it('rejects a change to any byte of entry, proof or checkpoint in a bundle', () => {
    const bundle = { certificate: entry(11), leaf_index: 11, inclusion_proof: proof.map(toBase64), checkpoint: note };
    const ok = (b: typeof bundle): boolean =>
      verifyInclusionInCheckpoint(b.certificate, b.leaf_index, b.inclusion_proof, b.checkpoint, log.verifierKey).ok;
    expect(ok(bundle)).toBe(true);
    for (let i = 0; i < bundle.certificate.length; i++) {
      const c = bundle.certificate.slice();
      c[i]! ^= 0x20;
      expect(ok({ ...bundle, certificate: c })).toBe(false);
    }
    for (let k = 0; k < proof.length; k++) {
      for (let bit = 0; bit < 256; bit += 8) {
        const p = proof.map((x) => x.slice());
        p[k]![bit >> 3]! ^= 1 << (bit & 7);
        expect(ok({ ...bundle, inclusion_proof: p.map(toBase64) })).toBe(false);
      }
    }
    const noteBytes = utf8(note);
    for (let i = 0; i < noteBytes.length; i++) {
      const t = noteBytes.slice();
      t[i]! ^= 0x04;
      expect(verifyInclusionInCheckpoint(entry(11), 11, proof, t, log.verifierKey).ok).toBe(false);
    }
  });
});
