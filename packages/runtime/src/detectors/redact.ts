/**
 * Tokenising redaction: findings are replaced by stable placeholder tokens (`<EMAIL_1>`, `<US_SSN_2>`) whose
 * originals are kept in a {@link TokenVault}, so a post rule can hide PII or secrets from the agent and a trusted
 * component can later put them back ({@link restoreValue}).
 *
 * @module
 */
import { childPath, MAX_DEPTH, safeGet, safeKeys, scanText } from './scan.js';
import { isDetectorName, type DetectorName } from './types.js';

/**
 * Where redaction tokens and their original values are kept.
 *
 * Contract: `tokenFor` returns the same token for the same `(kind, text)` pair for the life of the vault, and a
 * different token for a different pair; `lookup(tokenFor(k, t)) === t`.
 */
export interface TokenVault {
  /** The token standing for `text` (found as `kind`), creating one on first use. */
  tokenFor(kind: string, text: string): string;
  /** The original text of a token, or `undefined` if the token is not from this vault. */
  lookup(token: string): string | undefined;
  /** Every `[token, original]` pair, in creation order (serialisable; feed it back to a new vault to restore it). */
  entries(): Array<[token: string, value: string]>;
}

const STANDARD_TOKEN = /^<([A-Z0-9_]{1,64})_(\d{1,9})>$/;

/** `'us_ssn'` → `'US_SSN'`; anything outside `[A-Z0-9_]` becomes `_`. */
function tokenKind(kind: string): string {
  const k = kind.toUpperCase().replace(/[^A-Z0-9_]/g, '_').slice(0, 64);
  return k === '' ? 'VALUE' : k;
}

/**
 * An in-memory {@link TokenVault}. Tokens are `<` + KIND uppercased + `_` + n + `>`, with `n` counting from 1 per
 * kind within the vault: the first e-mail is `<EMAIL_1>`, the second distinct one `<EMAIL_2>`, the first SSN
 * `<US_SSN_1>`. The same `(kind, text)` always gets the same token.
 *
 * @example
 * ```ts
 * const vault = new MemoryTokenVault();
 * vault.tokenFor('email', 'ana@example.com'); // '<EMAIL_1>'
 * const copy = new MemoryTokenVault(vault.entries()); // same mapping, numbering continues at <EMAIL_2>
 * ```
 */
export class MemoryTokenVault implements TokenVault {
  readonly #byToken = new Map<string, string>();
  readonly #byValue = new Map<string, string>();
  readonly #counters = new Map<string, number>();

  /**
   * @param initial - `[token, original]` pairs to start from, e.g. another vault's `entries()`. Standard tokens
   *   (`<KIND_n>`) also register the value for reuse and advance the per-kind counter past `n`.
   */
  constructor(initial?: Iterable<[string, string]>) {
    if (initial === undefined) return;
    for (const [token, value] of initial) {
      this.#byToken.set(token, value);
      const m = STANDARD_TOKEN.exec(token);
      if (m === null) continue;
      const kind = m[1] ?? '';
      const n = Number(m[2]);
      this.#byValue.set(`${kind}\u0000${value}`, token);
      if (n > (this.#counters.get(kind) ?? 0)) this.#counters.set(kind, n);
    }
  }

  /**
   * The token for `text` found as `kind`.
   *
   * @param kind - a detector kind such as `'us_ssn'` (uppercased into the token)
   * @param text - the original text
   * @returns e.g. `'<US_SSN_1>'`
   */
  tokenFor(kind: string, text: string): string {
    const k = tokenKind(kind);
    const key = `${k}\u0000${text}`;
    const existing = this.#byValue.get(key);
    if (existing !== undefined) return existing;
    let n = (this.#counters.get(k) ?? 0) + 1;
    let token = `<${k}_${n}>`;
    while (this.#byToken.has(token)) token = `<${k}_${++n}>`;
    this.#counters.set(k, n);
    this.#byToken.set(token, text);
    this.#byValue.set(key, token);
    return token;
  }

  /**
   * @param token - e.g. `'<EMAIL_1>'`
   * @returns the original text, or `undefined` for a token this vault did not issue or receive
   */
  lookup(token: string): string | undefined {
    return this.#byToken.get(token);
  }

  /** @returns every `[token, original]` pair in insertion order (a fresh array). */
  entries(): Array<[token: string, value: string]> {
    return [...this.#byToken.entries()];
  }

  /** Number of tokens in the vault. */
  get size(): number {
    return this.#byToken.size;
  }
}

/** The result of {@link redactValue}: the redacted copy and one entry per replaced finding. */
export interface Redaction {
  /** A deep copy of the input with every finding replaced by its token. */
  value: unknown;
  /** Each replacement made, in document order: the token, the finding's kind, and the JSON path of the string. */
  tokens: Array<{ token: string; kind: string; path: string }>;
}

/** Sets `obj[key] = v` as an own data property, even for `"__proto__"`. */
function setOwn(obj: Record<string, unknown>, key: string, v: unknown): void {
  if (key === '__proto__') {
    Object.defineProperty(obj, key, { value: v, writable: true, enumerable: true, configurable: true });
  } else {
    obj[key] = v;
  }
}

/**
 * Deep copy of plain JSON-like data (arrays and own enumerable keys of objects), iterative so that deep nesting cannot
 * overflow the stack, and sharing-/cycle-preserving for non-JSON inputs.
 */
function cloneDeep(root: unknown): unknown {
  if (root === null || typeof root !== 'object') return root;
  const seen = new WeakMap<object, unknown>();
  const make = (src: object): unknown => {
    const dst: unknown = Array.isArray(src) ? [] : {};
    seen.set(src, dst);
    stack.push([src, dst]);
    return dst;
  };
  const stack: Array<[object, unknown]> = [];
  const copyOf = (v: unknown): unknown => {
    if (v === null || typeof v !== 'object') return v;
    return seen.get(v) ?? make(v);
  };
  const result = make(root);
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    const [src, dst] = item;
    if (Array.isArray(src)) {
      const arr = dst as unknown[];
      for (let i = 0; i < src.length; i++) arr.push(copyOf(safeGet(src, i)));
    } else {
      const obj = dst as Record<string, unknown>;
      for (const k of safeKeys(src) ?? []) setOwn(obj, k, copyOf(safeGet(src, k)));
    }
  }
  return result;
}

/**
 * Copies `value`, rewriting leaves with `leaf` down to {@link MAX_DEPTH}; deeper containers are copied verbatim.
 * `leaf` returns the replacement or `undefined` to keep the leaf.
 */
function mapLeaves(value: unknown, path: string, depth: number, leaf: (v: unknown, path: string) => unknown): unknown {
  if (value === null || typeof value !== 'object') {
    const r = leaf(value, path);
    return r === undefined ? value : r;
  }
  if (depth >= MAX_DEPTH) return cloneDeep(value);
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    for (let i = 0; i < value.length; i++) out.push(mapLeaves(safeGet(value, i), `${path}[${i}]`, depth + 1, leaf));
    return out;
  }
  const out: Record<string, unknown> = {};
  for (const k of safeKeys(value) ?? []) setOwn(out, k, mapLeaves(safeGet(value, k), childPath(path, k), depth + 1, leaf));
  return out;
}

/**
 * Tokenising redaction of a JSON value (e.g. a tool result under `post … redact pii in result`).
 *
 * Returns a deep copy of `value` in which every finding of `detector` (restricted to `kinds`) inside a string is
 * replaced by `vault.tokenFor(kind, text)`; the input is never mutated. Walks like {@link detect}: object values
 * (not keys), array items, up to 64 levels (deeper data is copied unredacted). For `pii`, a number whose decimal
 * form contains a finding (e.g. a card number stored as a JSON number) is replaced by the redacted *string*; all
 * other numbers, booleans and `null` are copied as they are.
 *
 * @param value - any JSON value
 * @param detector - `'pii' | 'secret' | 'injection'`
 * @param kinds - kinds to redact; `undefined` means all kinds of `detector`
 * @param vault - where tokens are issued and originals kept
 * @returns `{ value: redactedCopy, tokens: [{ token: '<EMAIL_1>', kind: 'email', path: '$.body' }, …] }`
 */
export function redactValue(
  value: unknown,
  detector: DetectorName,
  kinds: readonly string[] | undefined,
  vault: TokenVault,
): Redaction {
  const tokens: Redaction['tokens'] = [];
  if (!isDetectorName(detector)) return { value: cloneDeep(value), tokens };
  const redacted = mapLeaves(value, '$', 0, (leaf, path) => {
    let s: string;
    if (typeof leaf === 'string') s = leaf;
    else if (detector === 'pii' && typeof leaf === 'number') s = String(leaf);
    else return undefined;
    const found = scanText(detector, s, kinds);
    if (found.length === 0) return undefined;
    let out = '';
    let at = 0;
    for (const f of found) {
      const token = vault.tokenFor(f.kind, f.text);
      tokens.push({ token, kind: f.kind, path });
      out += s.slice(at, f.start) + token;
      at = f.end;
    }
    return out + s.slice(at);
  });
  return { value: redacted, tokens };
}

const TOKEN_IN_TEXT = /<[A-Z0-9_]{1,64}_\d{1,9}>/g;

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Puts the originals back: returns a deep copy of `value` in which every occurrence of a token of `vault` inside a
 * string is replaced by the text it stands for (one pass, so an original that itself looks like a token is not
 * expanded again). Strings that are entirely a token stay strings (a number redacted by {@link redactValue} comes
 * back as its decimal string). Same walk and depth limit as {@link redactValue}, so
 * `restoreValue(redactValue(x, d, k, v).value, v)` deep-equals `x` whenever `x` has no PII in numbers and does not
 * itself contain text equal to one of the vault's tokens.
 *
 * @param value - any JSON value, typically the output of {@link redactValue} or text an agent wrote from it
 * @param vault - the vault that issued the tokens
 * @returns the restored deep copy
 */
export function restoreValue(value: unknown, vault: TokenVault): unknown {
  const entries = vault.entries();
  if (entries.length === 0) return cloneDeep(value);
  const map = new Map(entries);
  let pattern: RegExp;
  if (entries.every(([t]) => STANDARD_TOKEN.test(t))) {
    pattern = TOKEN_IN_TEXT;
  } else {
    const alternatives = entries
      .map(([t]) => t)
      .filter((t) => t.length > 0)
      .sort((a, b) => b.length - a.length)
      .map(escapeRegExp);
    if (alternatives.length === 0) return cloneDeep(value);
    pattern = new RegExp(alternatives.join('|'), 'g');
  }
  return mapLeaves(value, '$', 0, (leaf) => {
    if (typeof leaf !== 'string' || leaf.length === 0) return undefined;
    pattern.lastIndex = 0;
    return leaf.replace(pattern, (t) => map.get(t) ?? t);
  });
}
