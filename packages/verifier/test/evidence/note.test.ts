// C2SP signed-note: examples (test/vectors/checkpoint/examples.md), tamper tests, key strings, malformed notes.
import { describe, expect, it } from 'vitest';
import { utf8 } from '../../src/evidence/bytes.js';
import { EvidenceFormatError } from '../../src/evidence/errors.js';
import {
  formatVerifierKey,
  generateSignerKey,
  isValidKeyName,
  noteKeyId,
  parseSignerKey,
  parseVerifierKey,
  verifierKeyOf,
} from '../../src/evidence/note-key.js';
import { formatNote, parseNote, signNote, verifyNote } from '../../src/evidence/note.js';
import { noteExamples } from './helpers.js';

const examples = noteExamples();
const verifying = examples.filter((e) => e.verifierKey !== undefined);
const knownKeys = verifying.map((e) => e.verifierKey!);
// Signer key of the PeterNeumann example, from the golang.org/x/mod/sumdb/note tests (BSD-3-Clause).
const PETER_SIGNER = 'PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz';

describe('signed-note examples', () => {
  it('finds the three examples, two with keys', () => {
    expect(examples.length).toBe(3);
    expect(verifying.length).toBe(2);
  });

  it.each(verifying.map((e) => [e.heading, e] as const))('%s verifies', (_h, e) => {
    const r = verifyNote(e.note, e.verifierKey!);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.verified.map((s) => s.name)).toEqual([parseVerifierKey(e.verifierKey!).name]);
    expect(r.unverified).toEqual([]);
    expect(e.note.startsWith(r.text)).toBe(true);
    // Also as bytes, and with all known keys at once.
    expect(verifyNote(utf8(e.note), knownKeys).ok).toBe(true);
  });

  it.each(verifying.map((e) => [e.heading, e] as const))('%s: changing any single byte makes it fail', (_h, e) => {
    const bytes = utf8(e.note);
    let checked = 0;
    for (let i = 0; i < bytes.length; i++) {
      for (const mask of [0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40, 0x80]) {
        const t = bytes.slice();
        t[i]! ^= mask;
        const r = verifyNote(t, knownKeys);
        if (r.ok) throw new Error(`flipping mask ${mask} at byte ${i} still verifies`);
        checked++;
      }
    }
    expect(checked).toBe(bytes.length * 8);
  });

  it('the checkpoint example (no key published) is rejected: no signature from a known key', () => {
    const cp = examples.find((e) => e.verifierKey === undefined)!;
    const r = verifyNote(cp.note, knownKeys);
    expect(r).toMatchObject({ ok: false, code: 'no-verified-signature' });
    if (!r.ok) expect(r.reason).toContain('example.com/behind-the-sofa');
    // It is well-formed, though: one signature line of 4 + 64 bytes.
    const parsed = parseNote(cp.note);
    expect(parsed.signatures).toHaveLength(1);
    expect(parsed.signatures[0]!.name).toBe('example.com/behind-the-sofa');
    expect(parsed.signatures[0]!.signature.length).toBe(64);
  });

  it('each verifying example is rejected by the other example key (unknown key, not a bad signature)', () => {
    const [a, b] = verifying as [(typeof verifying)[0], (typeof verifying)[0]];
    expect(verifyNote(a.note, b.verifierKey!)).toMatchObject({ ok: false, code: 'no-verified-signature' });
    expect(verifyNote(b.note, a.verifierKey!)).toMatchObject({ ok: false, code: 'no-verified-signature' });
  });

  it('a known key (same name and ID) whose signature does not verify rejects the whole note', () => {
    const e = verifying[0]!;
    const real = parseVerifierKey(e.verifierKey!);
    const impostor = { name: real.name, keyId: real.keyId, publicKey: parseVerifierKey(verifying[1]!.verifierKey!).publicKey };
    expect(verifyNote(e.note, impostor)).toMatchObject({ ok: false, code: 'invalid-signature' });
  });

  it('reproduces the PeterNeumann signature from its signer key (deterministic Ed25519)', () => {
    const e = verifying.find((x) => x.verifierKey!.startsWith('PeterNeumann'))!;
    expect(verifierKeyOf(PETER_SIGNER)).toBe(e.verifierKey);
    const text = parseNote(e.note).text;
    expect(signNote(text, PETER_SIGNER)).toBe(e.note);
  });
});

describe('note keys', () => {
  it('parses and re-formats the example verifier keys, checking key IDs', () => {
    for (const k of knownKeys) {
      const key = parseVerifierKey(k);
      expect(formatVerifierKey(key)).toBe(k);
      expect(noteKeyId(key.name, key.publicKey)).toBe(key.keyId);
    }
    expect(parseVerifierKey('example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k').keyId).toBe(0x530d903a);
  });

  it.each([
    ['wrong key ID', 'example.com/foo+530d903b+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k'],
    ['short key ID', 'example.com/foo+530d903+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k'],
    ['wrong name', 'example.com/bar+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k'],
    ['empty name', '+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k'],
    ['missing part', 'example.com/foo+530d903a'],
    ['bad base64', 'example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2'],
    ['unknown algorithm', 'example.com/foo+530d903a+AukyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k'],
    ['signer key given', PETER_SIGNER],
  ])('rejects a verifier key with %s', (_why, k) => {
    expect(() => parseVerifierKey(k)).toThrow(EvidenceFormatError);
  });

  it('generates keys that sign and verify, and round-trip their strings', () => {
    const { signerKey, verifierKey } = generateSignerKey('writ.example/log');
    expect(signerKey.startsWith('PRIVATE+KEY+writ.example/log+')).toBe(true);
    expect(verifierKeyOf(signerKey)).toBe(verifierKey);
    const sk = parseSignerKey(signerKey);
    expect(sk.seed.length).toBe(32);
    const note = signNote('hello\n\nworld\n', signerKey);
    const r = verifyNote(note, verifierKey);
    expect(r.ok && r.text).toBe('hello\n\nworld\n');
  });

  it('rejects a signer key whose ID does not match, and invalid names', () => {
    expect(() => parseSignerKey(PETER_SIGNER.replace('c74f20a3', 'c74f20a4'))).toThrow(EvidenceFormatError);
    expect(() => parseSignerKey(PETER_SIGNER.replace('PRIVATE+KEY+', ''))).toThrow(EvidenceFormatError);
    for (const bad of ['', 'a b', 'a+b', 'a\u00a0b', 'a\u3000b', 'a\tb', 'a\nb', '\ud800']) {
      expect(isValidKeyName(bad)).toBe(false);
      expect(() => generateSignerKey(bad)).toThrow(EvidenceFormatError);
    }
    expect(isValidKeyName('example.com/log42')).toBe(true);
    expect(isValidKeyName('café/ü')).toBe(true);
  });
});

describe('note format rules', () => {
  const { signerKey, verifierKey } = generateSignerKey('writ.example/k');
  const other = generateSignerKey('writ.example/other');
  const good = signNote('a\nb\n', signerKey);
  const sigLine = good.slice(good.indexOf('\u2014'));

  it('accepts multiple signatures, reporting unknown ones as unverified and dropping duplicates', () => {
    const both = signNote('a\nb\n', [signerKey, other.signerKey]);
    const r = verifyNote(both, verifierKey);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.verified.map((s) => s.name)).toEqual(['writ.example/k']);
    expect(r.unverified.map((s) => s.name)).toEqual(['writ.example/other']);
    const twice = verifyNote(`a\nb\n\n${sigLine}${sigLine}`, verifierKey);
    expect(twice.ok && twice.verified.length).toBe(1);
    const all = verifyNote(both, [verifierKey, other.verifierKey]);
    expect(all.ok && all.verified.length).toBe(2);
  });

  it('ignores a signature with a known name but another key ID', () => {
    const k = parseSignerKey(signerKey);
    const fake = formatNote('a\nb\n', [{ name: k.name, keyId: (k.keyId + 1) >>> 0, signature: new Uint8Array(64) }]);
    expect(verifyNote(fake, verifierKey)).toMatchObject({ ok: false, code: 'no-verified-signature' });
  });

  it.each([
    ['no blank line', `a\nb\n${sigLine}`],
    ['no signatures', 'a\nb\n\n'],
    ['no final newline', good.slice(0, -1)],
    ['hyphen instead of em dash', good.replace('\u2014', '-')],
    ['en dash instead of em dash', good.replace('\u2014', '\u2013')],
    ['no space after the dash', good.replace('\u2014 ', '\u2014')],
    ['CRLF line endings', good.replaceAll('\n', '\r\n')],
    ['tab in the text', good.replace('a\n', 'a\t\n')],
    ['NUL in the text', good.replace('a\n', 'a\u0000\n')],
    ['trailing blank line', good + '\n'],
    ['trailing text line', good + 'x\n'],
    ['signature not base64', good.replace(/ [A-Za-z0-9+/=]+\n$/, ' !!!!\n')],
    ['signature too short', good.replace(/ [A-Za-z0-9+/=]+\n$/, ' AAAAAA==\n')],
    ['key name with +', good.replace('writ.example/k', 'writ.example+k')],
    ['two spaces before the signature', good.replace(/ ([A-Za-z0-9+/=]+\n)$/, '  $1')],
    ['lone surrogate', good.replace('a\n', 'a\ud800\n')],
  ])('rejects a note with %s as malformed', (_why, note) => {
    expect(verifyNote(note, verifierKey)).toMatchObject({ ok: false, code: 'malformed-note' });
    expect(() => parseNote(note)).toThrow(EvidenceFormatError);
  });

  it('rejects invalid UTF-8 bytes', () => {
    const bytes = utf8(good);
    const bad = new Uint8Array([0xc3, ...bytes]);
    expect(verifyNote(bad, verifierKey)).toMatchObject({ ok: false, code: 'malformed-note' });
  });

  it('applies size and signature-count limits', () => {
    expect(verifyNote(good, verifierKey, { maxBytes: 20 })).toMatchObject({ ok: false, code: 'note-too-large' });
    expect(verifyNote(utf8(good), verifierKey, { maxBytes: 20 })).toMatchObject({ ok: false, code: 'note-too-large' });
    const many = `a\nb\n\n${sigLine.repeat(101)}`;
    expect(verifyNote(many, verifierKey)).toMatchObject({ ok: false, code: 'too-many-signatures' });
    expect(verifyNote(`a\nb\n\n${sigLine.repeat(16)}`, verifierKey).ok).toBe(true); // C2SP: accept at least 16
  });

  it('separates text from signatures at the last blank line; text may contain blank lines', () => {
    const note = signNote('x\n\n\ny\n\n', signerKey);
    const r = verifyNote(note, verifierKey);
    expect(r.ok && r.text).toBe('x\n\n\ny\n\n');
  });

  it('refuses to sign invalid text', () => {
    expect(() => signNote('no newline', signerKey)).toThrow(EvidenceFormatError);
    expect(() => signNote('', signerKey)).toThrow(EvidenceFormatError);
    expect(() => signNote('bell\u0007\n', signerKey)).toThrow(EvidenceFormatError);
  });

  it('throws on ambiguous trusted keys (same name and ID, different public keys)', () => {
    const k = parseVerifierKey(verifierKey);
    const twin = { ...k, publicKey: new Uint8Array(32).fill(7) };
    expect(() => verifyNote(good, [k, twin])).toThrow(EvidenceFormatError);
  });
});
