/**
 * Translates the RE2 patterns of `matches` into SMT-LIB regular expressions (Unicode Strings theory), for
 * the subset whose meaning is exact there: literals, `.`, classes and ranges, `\d \w \s` and their
 * negations, groups, alternation, `* + ?` and `{n,m}` (greedy or lazy: the language is the same), `^` at the
 * start and `$` at the end, and a leading `(?i)` for ASCII letters. Anything else (backreferences do not
 * exist in RE2; word boundaries, Unicode classes, other flags, anchors in the middle) is not translated:
 * the caller falls back to an uninterpreted predicate and says so.
 *
 * Matching is a search, as in the runtime (re2js `find`): the regex is wrapped in `.*` on each side not
 * anchored. RE2's `.` does not match `\n` (without the `s` flag).
 *
 * Strings are sequences of UTF-16 code units in SMT (see `sexpr.ts`), while RE2 matches code points: a
 * surrogate pair is one code point, a lone surrogate is a code point of its own. Every translated atom
 * matches either one non-surrogate code unit or one whole pair, never half of one (character ranges that
 * reach into the surrogates or beyond U+FFFF, and surrogates in patterns, are not translated), so on a
 * well-formed string (no lone surrogates) the SMT regex and RE2 agree. On a string with a lone surrogate they
 * still agree unless the pattern has an atom that matches "any other character" (`.`, `[^…]`, `\D \W \S`),
 * which RE2 lets match a lone surrogate: for those patterns the result carries `wellFormed`, the regex of
 * well-formed strings, and the caller uses the translation on well-formed strings only.
 *
 * Under `(?i)` RE2 folds case with Unicode simple case folding: `k` also matches U+212A (Kelvin sign) and `s`
 * U+017F (long s), so `\w` includes both and `\W` excludes them; other letters with case outside ASCII are
 * not translated under `(?i)`.
 */
import { str } from './sexpr.js';

const ALL = 're.allchar';
const ANY_STAR = `(re.* ${ALL})`;

class Unsupported extends Error {}

interface Ctx {
  src: string;
  pos: number;
  caseless: boolean;
  /** Set when an atom matches "any other character" (and so, in RE2, a lone surrogate). */
  negative: boolean;
}

const unitRange = (lo: number, hi: number): string => `(re.range ${str(String.fromCharCode(lo))} ${str(String.fromCharCode(hi))})`;
/** One code point of a range: only non-surrogate BMP ranges translate (one code unit each). */
const range = (lo: number, hi: number): string => {
  if (hi > 0xffff || (lo <= 0xdfff && hi >= 0xd800)) throw new Unsupported('a character range over surrogates or beyond U+FFFF');
  return unitRange(lo, hi);
};
const union = (xs: string[]): string => (xs.length === 1 ? (xs[0] as string) : `(re.union ${xs.join(' ')})`);
/** One non-surrogate code unit. */
const NON_SURROGATE = `(re.union ${unitRange(0, 0xd7ff)} ${unitRange(0xe000, 0xffff)})`;
/** One surrogate pair: a code point above U+FFFF. */
const PAIR = `(re.++ ${unitRange(0xd800, 0xdbff)} ${unitRange(0xdc00, 0xdfff)})`;
/** Strings without lone surrogates. */
const WELL_FORMED = `(re.* (re.union ${NON_SURROGATE} ${PAIR}))`;

/** One code point not in `x` (`x` holds BMP code points only): a non-surrogate unit not in `x`, or a pair. */
function complementChar(c: Ctx, x: string): string {
  c.negative = true;
  return `(re.union (re.inter ${NON_SURROGATE} (re.comp ${x})) ${PAIR})`;
}

const KELVIN = 0x212a;
const LONG_S = 0x17f;
const DIGIT = [range(0x30, 0x39)];
const WORD = [range(0x30, 0x39), range(0x41, 0x5a), range(0x61, 0x7a), `(str.to_re ${str('_')})`];
/** `\w` under `(?i)`: RE2 adds the case-fold partners of k and s. */
const WORD_FOLDED = [...WORD, `(str.to_re ${str(String.fromCharCode(KELVIN))})`, `(str.to_re ${str(String.fromCharCode(LONG_S))})`];
const SPACE = [0x09, 0x0a, 0x0c, 0x0d, 0x20].map((c) => `(str.to_re ${str(String.fromCharCode(c))})`);

function literal(cp: number, caseless: boolean): string {
  if (cp >= 0xd800 && cp <= 0xdfff) throw new Unsupported('a lone surrogate in the pattern');
  const ch = String.fromCodePoint(cp);
  if (caseless && /[a-zA-Z]/.test(ch)) {
    // The simple case-fold orbit of an ASCII letter (Unicode CaseFolding.txt): k K U+212A, s S U+017F.
    const orbit = [ch.toLowerCase(), ch.toUpperCase()];
    if (/[kK]/.test(ch)) orbit.push(String.fromCharCode(KELVIN));
    if (/[sS]/.test(ch)) orbit.push(String.fromCharCode(LONG_S));
    return `(re.union ${orbit.map((x) => `(str.to_re ${str(x)})`).join(' ')})`;
  }
  if (caseless && (ch.toLowerCase() !== ch || ch.toUpperCase() !== ch)) throw new Unsupported('a case-insensitive letter outside ASCII');
  return `(str.to_re ${str(ch)})`;
}

function peek(c: Ctx): string | undefined {
  return c.src[c.pos];
}

function next(c: Ctx): number {
  const cp = c.src.codePointAt(c.pos);
  if (cp === undefined) throw new Unsupported('unexpected end of pattern');
  c.pos += cp > 0xffff ? 2 : 1;
  return cp;
}

/** An escape after `\`: a class (array of alternatives) or a single code point. */
function escape(c: Ctx, inClass: boolean): { cls?: string[]; negated?: boolean; cp?: number } {
  const e = String.fromCodePoint(next(c));
  switch (e) {
    case 'd':
      return { cls: DIGIT };
    case 'D':
      return { cls: DIGIT, negated: true };
    case 'w':
      return { cls: c.caseless ? WORD_FOLDED : WORD };
    case 'W':
      return { cls: c.caseless ? WORD_FOLDED : WORD, negated: true };
    case 's':
      return { cls: SPACE };
    case 'S':
      return { cls: SPACE, negated: true };
    case 'n':
      return { cp: 0x0a };
    case 't':
      return { cp: 0x09 };
    case 'r':
      return { cp: 0x0d };
    case 'f':
      return { cp: 0x0c };
    case 'v':
      return { cp: 0x0b };
    default:
      if (/[A-Za-z0-9]/.test(e) && !(inClass && e === 'b')) throw new Unsupported(`escape \\${e}`);
      return { cp: e.codePointAt(0) as number };
  }
}

/** True if some code point in `[lo, hi]` has another case (so that `(?i)` would fold it). */
function hasCase(lo: number, hi: number): boolean {
  for (let cp = lo; cp <= Math.min(hi, 0xffff); cp++) {
    const ch = String.fromCharCode(cp);
    if (ch.toLowerCase() !== ch || ch.toUpperCase() !== ch) return true;
  }
  return false;
}

function charClass(c: Ctx): string {
  // after '['
  let negated = false;
  if (peek(c) === '^') {
    negated = true;
    c.pos++;
  }
  const parts: string[] = [];
  let astral = false;
  let first = true;
  while (peek(c) !== ']' || first) {
    first = false;
    if (peek(c) === undefined) throw new Unsupported('unterminated class');
    if (c.src.startsWith('[:', c.pos)) throw new Unsupported('POSIX class');
    let lo: number;
    let cp = next(c);
    if (cp === 0x5c) {
      const e = escape(c, true);
      if (e.cls) {
        if (e.negated) throw new Unsupported('negated escape in a class');
        parts.push(...e.cls);
        continue;
      }
      cp = e.cp as number;
    }
    lo = cp;
    if (peek(c) === '-' && c.src[c.pos + 1] !== ']' && c.src[c.pos + 1] !== undefined) {
      c.pos++;
      let hi = next(c);
      if (hi === 0x5c) {
        const e = escape(c, true);
        if (e.cls) throw new Unsupported('class in a range');
        hi = e.cp as number;
      }
      if (hi < lo) throw new Unsupported('reversed range');
      if (c.caseless && hasCase(lo, hi)) throw new Unsupported('case-insensitive range');
      parts.push(range(lo, hi));
    } else {
      if (lo > 0xffff) astral = true;
      parts.push(literal(lo, c.caseless));
    }
  }
  c.pos++; // ']'
  if (negated && astral) throw new Unsupported('a negated class with a character beyond U+FFFF');
  const u = union(parts);
  return negated ? complementChar(c, u) : u;
}

function atom(c: Ctx): string {
  const ch = peek(c);
  if (ch === '(') {
    c.pos++;
    if (peek(c) === '?') {
      if (c.src.startsWith('?:', c.pos)) c.pos += 2;
      else if (c.src.startsWith('?P<', c.pos) || c.src.startsWith('?<', c.pos)) {
        const end = c.src.indexOf('>', c.pos);
        if (end < 0) throw new Unsupported('group name');
        c.pos = end + 1;
      } else throw new Unsupported('group flags');
    }
    const inner = alternation(c);
    if (peek(c) !== ')') throw new Unsupported('unbalanced parenthesis');
    c.pos++;
    return inner;
  }
  if (ch === '[') {
    c.pos++;
    return charClass(c);
  }
  if (ch === '.') {
    c.pos++;
    return complementChar(c, `(str.to_re ${str('\n')})`);
  }
  if (ch === '\\') {
    c.pos++;
    const e = escape(c, false);
    if (e.cls) return e.negated ? complementChar(c, union(e.cls)) : union(e.cls);
    return literal(e.cp as number, c.caseless);
  }
  if (ch === '^' || ch === '$') throw new Unsupported('anchor in the middle of a pattern');
  if (ch === '*' || ch === '+' || ch === '?' || ch === '{') throw new Unsupported('quantifier without an operand');
  return literal(next(c), c.caseless);
}

function quantified(c: Ctx): string {
  let a = atom(c);
  for (;;) {
    const ch = peek(c);
    if (ch === '*') a = `(re.* ${a})`;
    else if (ch === '+') a = `(re.+ ${a})`;
    else if (ch === '?') a = `(re.opt ${a})`;
    else if (ch === '{') {
      const m = /^\{(\d+)(,(\d*))?\}/.exec(c.src.slice(c.pos));
      if (!m) throw new Unsupported('repetition');
      const lo = Number(m[1]);
      const hi = m[2] === undefined ? lo : m[3] === '' ? undefined : Number(m[3]);
      if (lo > 1000 || (hi !== undefined && (hi > 1000 || hi < lo))) throw new Unsupported('repetition bounds');
      a = hi === undefined ? `(re.++ ((_ re.loop ${lo} ${lo}) ${a}) (re.* ${a}))` : `((_ re.loop ${lo} ${hi}) ${a})`;
      c.pos += m[0].length - 1;
    } else break;
    c.pos++;
    if (peek(c) === '?') c.pos++; // lazy: same language
  }
  return a;
}

function concatenation(c: Ctx): string {
  const parts: string[] = [];
  while (c.pos < c.src.length && peek(c) !== '|' && peek(c) !== ')') {
    if (peek(c) === '$' && c.pos === c.src.length - 1) break;
    parts.push(quantified(c));
  }
  if (parts.length === 0) return `(str.to_re "")`;
  return parts.length === 1 ? (parts[0] as string) : `(re.++ ${parts.join(' ')})`;
}

function alternation(c: Ctx): string {
  const alts = [concatenation(c)];
  while (peek(c) === '|') {
    c.pos++;
    alts.push(concatenation(c));
  }
  return union(alts);
}

/**
 * The SMT regex that a string is in iff the RE2 pattern finds a match in it, or `unsupported` (with the
 * reason) when the pattern is outside the exactly-translatable subset. With `wellFormed` (a regex), the
 * translation is exact only for strings in `wellFormed` (those without lone surrogates).
 */
export function translateRegex(pattern: string): { regex: string; wellFormed?: string } | { unsupported: string } {
  const c: Ctx = { src: pattern, pos: 0, caseless: false, negative: false };
  try {
    if (pattern.startsWith('(?i)')) {
      c.caseless = true;
      c.pos = 4;
    }
    const anchoredStart = peek(c) === '^';
    if (anchoredStart) c.pos++;
    // `$` is only an anchor as the last character of the whole pattern.
    const alts = [concatenation(c)];
    while (peek(c) === '|') {
      c.pos++;
      alts.push(concatenation(c));
    }
    let anchoredEnd = false;
    if (peek(c) === '$' && c.pos === pattern.length - 1) {
      anchoredEnd = true;
      c.pos++;
    }
    if (c.pos !== pattern.length) throw new Unsupported(peek(c) === ')' ? 'unbalanced parenthesis' : `'${peek(c)}'`);
    // In `^a|b$` each anchor belongs to one alternative only.
    if ((anchoredStart || anchoredEnd) && alts.length > 1) throw new Unsupported('anchor with top-level alternation');
    const body = union(alts);
    const parts = [anchoredStart ? '' : ANY_STAR, body, anchoredEnd ? '' : ANY_STAR].filter((x) => x !== '');
    const regex = parts.length === 1 ? (parts[0] as string) : `(re.++ ${parts.join(' ')})`;
    return c.negative ? { regex, wellFormed: WELL_FORMED } : { regex };
  } catch (e) {
    if (e instanceof Unsupported) return { unsupported: e.message };
    throw e;
  }
}
