/**
 * Bearer tokens for the approval routes: a token file maps the SHA-256 of each token to an approver identity
 * and roles. Only hashes are stored, so the file reveals no usable credential.
 *
 * Token file format (UTF-8 text, one entry a line; blank lines and lines starting with `#` are ignored):
 *
 * ```
 * sha256:<64 hex digits of SHA-256(token)> <identity> <role>[,<role>…]
 * ```
 *
 * @packageDocumentation
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Approver } from '@writ/runtime';

/** One token file entry. */
export interface TokenEntry {
  /** `sha256:<hex>` of the token's UTF-8 bytes. */
  hash: string;
  identity: string;
  roles: string[];
}

/** A malformed token file line; `line` is 1-based. */
export class TokenFileError extends Error {
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(`line ${line}: ${message}`);
    this.name = 'TokenFileError';
  }
}

const HASH = /^sha256:[0-9a-f]{64}$/;
const NAME = /^[A-Za-z0-9_.@:-]+$/;

/** `sha256:<hex>` of a token. */
export function hashToken(token: string): string {
  return `sha256:${createHash('sha256').update(token, 'utf8').digest('hex')}`;
}

/** A new random token: `writ_` and 32 random bytes in base64url (256 bits). */
export function newToken(): string {
  return `writ_${randomBytes(32).toString('base64url')}`;
}

/**
 * The token file line of an entry.
 *
 * @throws TypeError when the identity or a role is empty or holds characters outside `[A-Za-z0-9_.@:-]`.
 */
export function formatTokenLine(hash: string, identity: string, roles: readonly string[]): string {
  if (!NAME.test(identity)) throw new TypeError(`identity '${identity}' must be letters, digits or _ . @ : -`);
  if (roles.length === 0) throw new TypeError('at least one role is needed');
  for (const r of roles) if (!NAME.test(r)) throw new TypeError(`role '${r}' must be letters, digits or _ . @ : -`);
  return `${hash} ${identity} ${roles.join(',')}`;
}

/**
 * Parses a token file.
 *
 * @throws TokenFileError for a malformed line or a hash listed twice.
 */
export function parseTokenFile(text: string): TokenEntry[] {
  const out: TokenEntry[] = [];
  const seen = new Set<string>();
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const parts = line.split(/\s+/);
    if (parts.length !== 3) throw new TokenFileError(i + 1, 'expected `sha256:<hex> <identity> <role>[,<role>…]`');
    const [hash, identity, roleList] = parts as [string, string, string];
    if (!HASH.test(hash)) throw new TokenFileError(i + 1, 'the first field must be sha256:<64 lowercase hex digits> (the token\'s hash, not the token)');
    if (!NAME.test(identity)) throw new TokenFileError(i + 1, `identity '${identity}' must be letters, digits or _ . @ : -`);
    const roles = roleList.split(',');
    for (const r of roles) if (!NAME.test(r)) throw new TokenFileError(i + 1, `role '${r}' must be letters, digits or _ . @ : -`);
    if (seen.has(hash)) throw new TokenFileError(i + 1, 'this token hash is listed twice');
    seen.add(hash);
    out.push({ hash, identity, roles });
  });
  return out;
}

/** The outcome of {@link Authenticator.authenticate}. */
export type AuthResult = { ok: true; approver: Approver } | { ok: false; reason: string };

/** Looks up bearer tokens by hash. */
export class Authenticator {
  #byHash: Map<string, Approver>;

  constructor(entries: readonly TokenEntry[]) {
    this.#byHash = Authenticator.#index(entries);
  }

  static #index(entries: readonly TokenEntry[]): Map<string, Approver> {
    return new Map(entries.map((e) => [e.hash, { id: e.identity, roles: [...e.roles] }]));
  }

  /** Replaces every token at once (a reloaded token file): revoked tokens stop working immediately. */
  replace(entries: readonly TokenEntry[]): void {
    this.#byHash = Authenticator.#index(entries);
  }

  /** Number of configured tokens. */
  get size(): number {
    return this.#byHash.size;
  }

  /**
   * Authenticates an `Authorization` header value (`Bearer <token>`, RFC 6750 §2.1). The lookup is by the
   * token's hash, so comparison time does not depend on how much of a guess matches a stored token.
   */
  authenticate(header: string | undefined): AuthResult {
    if (header === undefined || header === '') return { ok: false, reason: 'an approver credential is required: Authorization: Bearer <token>' };
    const m = /^Bearer[ ]+([\x21-\x7e]+)\s*$/i.exec(header);
    if (m === null) return { ok: false, reason: 'the Authorization header must be `Bearer <token>`' };
    const approver = this.#byHash.get(hashToken(m[1] as string));
    if (approver === undefined) return { ok: false, reason: 'unknown or revoked token' };
    return { ok: true, approver: { id: approver.id, roles: [...approver.roles] } };
  }
}
