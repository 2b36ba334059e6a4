/**
 * The `pii` detector: personal data in free text.
 *
 * | kind          | what matches                                                                                   |
 * |---------------|------------------------------------------------------------------------------------------------|
 * | `email`       | `local@domain.tld` (RFC 5322 dot-atom subset: no quoted local parts, no IP-literal domains; not scp/git remotes `git@host:path`) |
 * | `phone`       | E.164 `+` and 8–15 digits (spaces, dots, dashes, one pair of parentheses allowed between digit groups); NANP `(415) 555-0100`, `415-555-0100`, `415.555.0100`, `415 555 0100`, optional `+1`/`1` prefix |
 * | `us_ssn`      | `AAA-GG-SSSS` or `AAA GG SSSS` (same separator twice); area ≠ 000, 666, 900–999; group ≠ 00; serial ≠ 0000 (SSA rules) |
 * | `credit_card` | 13–19 digits, ungrouped or grouped by one consistent space/dash (first group of 4), with an IIN of Visa, Mastercard, Amex, Discover, JCB or Diners of the right length, and a valid Luhn check digit (ISO/IEC 7812) |
 * | `iban`        | uppercase IBAN, compact or in groups of 4, registered country, exact registry length, ISO 13616 mod-97 = 1 |
 * | `ip`          | IPv4 dotted quad (octets 0–255, no leading zeros; not right after `Product/` or a `version`/`build` label, so user agents and assembly versions do not match) and IPv6 (RFC 4291 text forms incl. `::` and embedded IPv4; needs at least one hex group). Private and loopback addresses count. |
 *
 * Precision over recall: digit runs inside longer numbers, decimals (`3.4111111111111111`), words or identifiers never
 * match; unseparated digit strings are never phones unless they start with `+`.
 *
 * @module
 */
import { cardBrand, IBAN_LENGTHS, ibanMod97, luhnValid } from './checksums.js';
import type { Matcher } from './types.js';
import { hasDigit, isDigitCode, isWordCode, push, regexMatcher } from './util.js';

// ---------------------------------------------------------------------------------------------------------------------
// email: hand-written scanner anchored on '@' (linear time, no regex backtracking)

function isLocalCode(c: number): boolean {
  // RFC 5322 atext subset commonly accepted by mail providers: A-Z a-z 0-9 . _ % + -
  return isWordCode(c) || c === 46 || c === 37 || c === 43 || c === 45;
}

function isDomainCode(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 45 || c === 46;
}

function isAlphaCode(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}

/** Validates the domain `text[from, to)`; returns the end of the valid domain (trailing dots/hyphens trimmed) or -1. */
function domainEnd(text: string, from: number, to: number): number {
  // Trim trailing '.' and '-' (end of sentence, "mail a@b.com.").
  while (to > from) {
    const c = text.charCodeAt(to - 1);
    if (c === 46 || c === 45) to--;
    else break;
  }
  if (to - from < 4 || to - from > 253) return -1;
  let labelStart = from;
  let lastLabelStart = from;
  let labels = 0;
  for (let i = from; i <= to; i++) {
    if (i === to || text.charCodeAt(i) === 46) {
      const len = i - labelStart;
      if (len < 1 || len > 63) return -1;
      if (text.charCodeAt(labelStart) === 45 || text.charCodeAt(i - 1) === 45) return -1;
      labels++;
      lastLabelStart = labelStart;
      labelStart = i + 1;
    }
  }
  if (labels < 2) return -1;
  // The top-level domain is alphabetic, 2–24 letters.
  const tldLen = to - lastLabelStart;
  if (tldLen < 2 || tldLen > 24) return -1;
  for (let i = lastLabelStart; i < to; i++) if (!isAlphaCode(text.charCodeAt(i))) return -1;
  return to;
}

const emailMatcher: Matcher = (text, out) => {
  let at = text.indexOf('@');
  let found = false;
  let minStart = 0;
  while (at !== -1) {
    // local part: up to 64 atext characters before '@'
    let s = at;
    while (s > minStart && at - s < 65 && isLocalCode(text.charCodeAt(s - 1))) s--;
    // skip leading dots ("...bob@x.io")
    while (s < at && text.charCodeAt(s) === 46) s++;
    let e = at + 1;
    while (e < text.length && e - at <= 254 && isDomainCode(text.charCodeAt(e))) e++;
    const localOk =
      s < at &&
      at - s <= 64 &&
      !(s > 0 && isLocalCode(text.charCodeAt(s - 1)) && text.charCodeAt(s - 1) !== 46) &&
      !(s > 0 && text.charCodeAt(s - 1) === 64) && // not the tail of "a@b.com@c.org"
      text.charCodeAt(at - 1) !== 46 &&
      !text.slice(s, at).includes('..');
    const end = localOk ? domainEnd(text, at + 1, e) : -1;
    // The domain must not run on into more address characters ("a@b.com@c" is not an address), nor be an scp/git
    // remote ("git@github.com:org/repo").
    const after = end < text.length ? text.charCodeAt(end) : 32;
    const remote = after === 58 && end + 1 < text.length && !/\s/.test(text.charAt(end + 1));
    if (end !== -1 && after !== 64 && !(end === e && isWordCode(after)) && !remote) {
      if (out === undefined) return true;
      push(out, 'pii', 'email', text, s, end);
      found = true;
      minStart = end;
    }
    at = text.indexOf('@', at + 1);
  }
  return found;
};

// ---------------------------------------------------------------------------------------------------------------------
// phone

/**
 * International numbers: '+', a non-zero digit, then digit groups separated by at most two of ` .-()`; 8–15 digits in
 * all (ITU-T E.164), balanced parentheses. Hand-written to keep the scan linear.
 */
function scanE164(text: string, plus: number): number {
  if (plus > 0) {
    const p = text.charCodeAt(plus - 1);
    if (isWordCode(p) || p === 43 || p === 46 || p === 45) return -1;
  }
  const first = text.charCodeAt(plus + 1);
  if (!(first >= 49 && first <= 57)) return -1;
  let digits = 0;
  let lastDigitEnd = -1;
  let i = plus + 1;
  const n = text.length;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (isDigitCode(c)) {
      digits++;
      if (digits > 15) return -1;
      lastDigitEnd = ++i;
      continue;
    }
    // a separator run of 1–2 characters from " .-()" followed by a digit
    let j = i;
    while (j < n && j - i < 3) {
      const d = text.charCodeAt(j);
      if (d === 32 || d === 46 || d === 45 || d === 40 || d === 41) j++;
      else break;
    }
    if (j === i || j - i > 2 || j >= n || !isDigitCode(text.charCodeAt(j))) break;
    i = j;
  }
  if (digits < 8) return -1;
  const end = lastDigitEnd;
  if (end < n) {
    const c = text.charCodeAt(end);
    if (isWordCode(c)) return -1;
    // a decimal continuation ("+12345678.5") is not a phone number
    if ((c === 46 || c === 44) && end + 1 < n && isDigitCode(text.charCodeAt(end + 1))) return -1;
  }
  // parentheses: none, or one '(' before one ')'
  let open = -1;
  let close = -1;
  for (let k = plus; k < end; k++) {
    const c = text.charCodeAt(k);
    if (c === 40) {
      if (open !== -1) return -1;
      open = k;
    } else if (c === 41) {
      if (close !== -1 || open === -1) return -1;
      close = k;
    }
  }
  if (open !== -1 && close === -1) return -1;
  return end;
}

// NANP (North American Numbering Plan): NXX area code and NXX exchange (N = 2–9), separators required.
const NANP =
  /(?<![\w+.-]|\d )(?:\+?1[ .-]?)?(?:\([2-9]\d{2}\) ?[2-9]\d{2}[-. ]?|([2-9]\d{2})([-. ])[2-9]\d{2}\2)\d{4}(?![\w-]|[.,]\d| \d)/g;
const nanpMatcher = regexMatcher('pii', 'phone', [NANP]);

const phoneMatcher: Matcher = (text, out) => {
  if (!hasDigit(text)) return false;
  let found = false;
  let plus = text.indexOf('+');
  while (plus !== -1) {
    const end = scanE164(text, plus);
    if (end !== -1) {
      if (out === undefined) return true;
      push(out, 'pii', 'phone', text, plus, end);
      found = true;
    }
    plus = text.indexOf('+', plus + 1);
  }
  return nanpMatcher(text, out) || found;
};

// ---------------------------------------------------------------------------------------------------------------------
// us_ssn: SSA rules: area 001–665, 667–899; group 01–99; serial 0001–9999

const SSN = /(?<![\w.-]|\d[ ,.])(\d{3})([- ])(\d{2})\2(\d{4})(?![\w-]|[ .,]\d)/g;

const ssnMatcher = regexMatcher(
  'pii',
  'us_ssn',
  [SSN],
  (m) => {
    const area = m[1] ?? '';
    if (area === '000' || area === '666' || area.charCodeAt(0) === 57 /* 9xx */) return -1;
    if (m[3] === '00' || m[4] === '0000') return -1;
    return m.index + m[0].length;
  },
  hasDigit,
);

// ---------------------------------------------------------------------------------------------------------------------
// credit_card

// 13–19 digits with optional single space/dash separators; each repetition consumes exactly one digit.
const CARD = /(?<![\w-]|\d[.,]|\d[ -])\d(?:[ -]?\d){12,18}(?![\w]|[ -]?\d|[.,]\d)/g;

function validateCard(m: RegExpExecArray): number {
  const raw = m[0];
  let digits = '';
  let sep = '';
  let groupLen = 0;
  let groups = 0;
  for (let i = 0; i < raw.length; i++) {
    const ch = raw[i] ?? '';
    if (ch === ' ' || ch === '-') {
      if (sep === '') sep = ch;
      else if (sep !== ch) return -1; // mixed separators
      // first group has 4 digits, middle groups 4–6
      if (groups === 0 ? groupLen !== 4 : groupLen < 4 || groupLen > 6) return -1;
      groups++;
      groupLen = 0;
    } else {
      digits += ch;
      groupLen++;
    }
  }
  if (groups > 0 && (groupLen < 1 || groupLen > 6)) return -1;
  if (cardBrand(digits) === undefined || !luhnValid(digits)) return -1;
  return m.index + raw.length;
}

const cardMatcher = regexMatcher('pii', 'credit_card', [CARD], validateCard, hasDigit);

// ---------------------------------------------------------------------------------------------------------------------
// iban

// Country, check digits, then BBAN characters in groups of four (optionally space-separated) and a short tail.
const IBAN = /(?<![A-Za-z0-9])[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?(?![A-Za-z0-9])/g;

function validateIban(m: RegExpExecArray): number {
  const raw = m[0];
  const expected = IBAN_LENGTHS[raw.slice(0, 2)];
  if (expected === undefined) return -1;
  // Walk until `expected` alphanumerics are consumed; the IBAN must end there at a group boundary (a trailing
  // uppercase word such as "… 7034 BANK" is cut off).
  let count = 0;
  let compact = '';
  let i = 0;
  for (; i < raw.length && count < expected; i++) {
    const ch = raw[i] ?? '';
    if (ch !== ' ') {
      compact += ch;
      count++;
    }
  }
  if (count !== expected) return -1;
  if (i < raw.length && raw[i] !== ' ') return -1;
  if (ibanMod97(compact) !== 1) return -1;
  return m.index + i;
}

const ibanMatcher = regexMatcher('pii', 'iban', [IBAN], validateIban, hasDigit);

// ---------------------------------------------------------------------------------------------------------------------
// ip

const OCTET = '(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)';
// Not after a word, a dot, a product token ("Chrome/120.0.0.0") or a version label ("Version=4.0.0.0").
const IPV4 = new RegExp(
  `(?<![\\w.]|[A-Za-z]/|(?:[Vv]ersion|VERSION|[Vv]er|[Bb]uild|BUILD)[ =:]{1,2})${OCTET}(?:\\.${OCTET}){3}(?![\\w]|\\.\\d)`,
  'g',
);
const ipv4Matcher = regexMatcher('pii', 'ip', [IPV4], undefined, hasDigit);

function isHexCode(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);
}

function isIpv6Code(c: number): boolean {
  return isHexCode(c) || c === 58 || c === 46;
}

/** Is `s` an IPv4 dotted quad (strict: no leading zeros)? */
function isIpv4(s: string): boolean {
  const parts = s.split('.');
  if (parts.length !== 4) return false;
  for (const p of parts) {
    if (p.length < 1 || p.length > 3 || (p.length > 1 && p[0] === '0')) return false;
    for (let i = 0; i < p.length; i++) if (!isDigitCode(p.charCodeAt(i))) return false;
    if (Number(p) > 255) return false;
  }
  return true;
}

/** Is `s` an IPv6 address in one of the RFC 4291 §2.2 text forms (with at least one hex group)? */
function isIpv6(s: string): boolean {
  if (s.length < 3 || s.length > 45) return false;
  const dbl = s.indexOf('::');
  if (dbl !== -1 && s.indexOf('::', dbl + 1) !== -1) return false;
  const groups: string[] = [];
  if (dbl === -1) groups.push(...s.split(':'));
  else {
    const left = s.slice(0, dbl);
    const right = s.slice(dbl + 2);
    if (left !== '') groups.push(...left.split(':'));
    if (right !== '') groups.push(...right.split(':'));
    if (groups.length === 0) return false; // bare "::"
  }
  let units = 0;
  for (let g = 0; g < groups.length; g++) {
    const part = groups[g] ?? '';
    if (part.includes('.')) {
      if (g !== groups.length - 1 || !isIpv4(part)) return false;
      units += 2;
      continue;
    }
    if (part.length < 1 || part.length > 4) return false;
    for (let i = 0; i < part.length; i++) if (!isHexCode(part.charCodeAt(i))) return false;
    units++;
  }
  return dbl === -1 ? units === 8 : units <= 7;
}

const ipv6Matcher: Matcher = (text, out) => {
  let colon = text.indexOf(':');
  let found = false;
  while (colon !== -1) {
    // The maximal run of IPv6 characters around this colon.
    let s = colon;
    while (s > 0 && isIpv6Code(text.charCodeAt(s - 1))) s--;
    let e = colon + 1;
    while (e < text.length && isIpv6Code(text.charCodeAt(e))) e++;
    const next = e;
    while (e > s && text.charCodeAt(e - 1) === 46) e--; // trailing sentence dot
    while (s < e && text.charCodeAt(s) === 46) s++;
    const before = s > 0 ? text.charCodeAt(s - 1) : 32;
    const after = e < text.length ? text.charCodeAt(e) : 32;
    if (!isWordCode(before) && !isWordCode(after) && isIpv6(text.slice(s, e))) {
      if (out === undefined) return true;
      push(out, 'pii', 'ip', text, s, e);
      found = true;
    }
    colon = text.indexOf(':', next);
  }
  return found;
};

const ipMatcher: Matcher = (text, out) => {
  if (out === undefined) return ipv4Matcher(text, undefined) || ipv6Matcher(text, undefined);
  const a = ipv4Matcher(text, out);
  const b = ipv6Matcher(text, out);
  return a || b;
};

/** The `pii` matchers by kind, in {@link DETECTOR_KINDS} order. Internal. */
export const PII_MATCHERS: Readonly<Record<string, Matcher>> = {
  email: emailMatcher,
  phone: phoneMatcher,
  us_ssn: ssnMatcher,
  credit_card: cardMatcher,
  iban: ibanMatcher,
  ip: ipMatcher,
};
