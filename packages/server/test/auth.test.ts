// Token files and bearer authentication: hashes only at rest, strict lines, RFC 6750 header form, replace.
import fc from 'fast-check';
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Authenticator, formatTokenLine, hashToken, newToken, parseTokenFile, TokenFileError } from '../src/index.js';

describe('token files', () => {
  it('round-trip: a formatted line parses back, and the hash is SHA-256 of the token', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[A-Za-z0-9_.@:-]{1,20}$/), fc.array(fc.stringMatching(/^[A-Za-z0-9_.@:-]{1,12}$/), { minLength: 1, maxLength: 4 }), (id, roles) => {
        const token = newToken();
        const line = formatTokenLine(hashToken(token), id, roles);
        expect(parseTokenFile(`# approvers\n\n${line}\n`)).toEqual([{ hash: hashToken(token), identity: id, roles }]);
        expect(hashToken(token)).toBe(`sha256:${createHash('sha256').update(token).digest('hex')}`);
        expect(line).not.toContain(token);
      }),
    );
  });

  it('refuses malformed lines with their line number', () => {
    const h = hashToken('x');
    const cases: Array<[string, number, RegExp]> = [
      [`${h} alice`, 1, /expected/],
      [`# c\nwrit_plaintexttoken alice lead`, 2, /the token's hash, not the token/],
      [`${h.toUpperCase()} alice lead`, 1, /sha256/],
      [`${h} al/ice lead`, 1, /identity/],
      [`${h} alice lead,`, 1, /role ''/],
      [`${h} alice lead\n${h} bob lead`, 2, /listed twice/],
    ];
    for (const [text, line, re] of cases) {
      let err: unknown;
      try {
        parseTokenFile(text);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(TokenFileError);
      expect((err as TokenFileError).line).toBe(line);
      expect((err as Error).message).toMatch(re);
    }
    expect(() => formatTokenLine(h, 'alice', [])).toThrow(/at least one role/);
  });

  it('newToken has 256 random bits and never repeats', () => {
    const seen = new Set(Array.from({ length: 1000 }, () => newToken()));
    expect(seen.size).toBe(1000);
    for (const t of seen) expect(t).toMatch(/^writ_[A-Za-z0-9_-]{43}$/);
  });
});

describe('Authenticator', () => {
  const a = new Authenticator([{ hash: hashToken('tok-1'), identity: 'alice', roles: ['lead'] }]);

  it('accepts `Bearer <token>` (scheme case-insensitive) and nothing else', () => {
    expect(a.authenticate('Bearer tok-1')).toEqual({ ok: true, approver: { id: 'alice', roles: ['lead'] } });
    expect(a.authenticate('bearer tok-1').ok).toBe(true);
    for (const h of [undefined, '', 'tok-1', 'Basic tok-1', 'Bearer', 'Bearer tok-2', 'Bearer tok-1 extra', 'Bearertok-1']) expect(a.authenticate(h).ok).toBe(false);
    expect(a.authenticate(undefined)).toMatchObject({ reason: /credential is required/ });
    expect(a.authenticate('Bearer nope')).toMatchObject({ reason: 'unknown or revoked token' });
  });

  it('hands out copies: a caller cannot change the stored roles', () => {
    const r = a.authenticate('Bearer tok-1');
    if (r.ok) r.approver.roles.push('admin');
    expect(a.authenticate('Bearer tok-1')).toEqual({ ok: true, approver: { id: 'alice', roles: ['lead'] } });
  });

  it('replace revokes the old tokens at once', () => {
    const b = new Authenticator([{ hash: hashToken('old'), identity: 'x', roles: ['r'] }]);
    b.replace([{ hash: hashToken('new'), identity: 'y', roles: ['r'] }]);
    expect(b.authenticate('Bearer old').ok).toBe(false);
    expect(b.authenticate('Bearer new')).toMatchObject({ ok: true, approver: { id: 'y' } });
  });
});
