/**
 * The `secret` detector: credentials that must never leave a tool.
 *
 * | kind             | what matches                                                                                        |
 * |------------------|-----------------------------------------------------------------------------------------------------|
 * | `aws_access_key` | AWS access key IDs: `AKIA` (long-term) or `ASIA` (STS) + 16 uppercase alphanumerics                 |
 * | `github_token`   | `ghp_`/`gho_`/`ghu_`/`ghs_`/`ghr_` + 36+ alphanumerics; fine-grained `github_pat_` + 20–30 + `_` + 50–70 alphanumerics |
 * | `slack_token`    | `xoxb-`/`xoxa-`/`xoxp-`/`xoxr-`/`xoxs-` + dash-separated alphanumeric segments (≥ 20 chars, with digits) |
 * | `openai_key`     | `sk-` + 20+ of `[A-Za-z0-9_-]` (covers `sk-proj-…`, `sk-svcacct-…`, and other `sk-` style API keys) with letters, digits and a 12+ alphanumeric run |
 * | `private_key`    | `-----BEGIN [RSA / EC / DSA / OPENSSH / ENCRYPTED / PGP …] PRIVATE KEY[ BLOCK]-----` through the matching END line (RFC 7468), or through the base64 body when the END line is missing |
 * | `jwt`            | compact JWS (RFC 7519/7515): `eyJ…` `.` payload `.` signature (signature may be empty), base64url segments of plausible length |
 *
 * @module
 */
import type { Matcher } from './types.js';
import { push, regexMatcher } from './util.js';

const AWS = /(?<![A-Za-z0-9])(?:AKIA|ASIA)[A-Z0-9]{16}(?![A-Za-z0-9])/g;

const GITHUB =
  /(?<![A-Za-z0-9_])(?:gh[pousr]_[A-Za-z0-9]{36,251}|github_pat_[A-Za-z0-9]{20,30}_[A-Za-z0-9]{50,70})(?![A-Za-z0-9_])/g;

const SLACK = /(?<![A-Za-z0-9-])xox[baprs]-(?:[A-Za-z0-9]{1,80}-){1,8}[A-Za-z0-9]{1,80}(?![A-Za-z0-9-])/g;

function validateSlack(m: RegExpExecArray): number {
  const body = m[0].slice(5);
  if (body.length < 20 || !/\d/.test(body)) return -1;
  return m.index + m[0].length;
}

const OPENAI = /(?<![A-Za-z0-9_-])sk-[A-Za-z0-9_-]{20,400}(?![A-Za-z0-9_-])/g;

/** Reject slugs like `sk-my-favourite-holiday-2024`: real keys are high-entropy with a long alphanumeric run. */
function validateOpenAi(m: RegExpExecArray): number {
  const body = m[0];
  let hasDigit = false;
  let hasAlpha = false;
  let run = 0;
  let longest = 0;
  for (let i = 3; i < body.length; i++) {
    const c = body.charCodeAt(i);
    const digit = c >= 48 && c <= 57;
    const alpha = (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
    if (digit) hasDigit = true;
    if (alpha) hasAlpha = true;
    if (digit || alpha) {
      run++;
      if (run > longest) longest = run;
    } else run = 0;
  }
  return hasDigit && hasAlpha && longest >= 12 ? m.index + body.length : -1;
}

// RFC 7468 label: "PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY", "ENCRYPTED PRIVATE KEY",
// "OPENSSH PRIVATE KEY", "PGP PRIVATE KEY BLOCK" (RFC 4880 armor), …
const PEM_BEGIN = /-----BEGIN ((?:[A-Z0-9]{1,20} ){0,3})PRIVATE KEY( BLOCK)?-----/g;
const MAX_PEM = 65536;

function isBase64Code(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 43 || c === 47 || c === 61;
}

/** Length of the line separator at `i`: CR LF, LF, CR, or the escaped forms `\r\n`, `\n`, `\r`; 0 if none. */
function separatorAt(text: string, i: number): number {
  const c = text.charCodeAt(i);
  if (c === 13) return text.charCodeAt(i + 1) === 10 ? 2 : 1;
  if (c === 10) return 1;
  if (c === 92) {
    if (text.startsWith('\\r\\n', i)) return 4;
    const d = text.charCodeAt(i + 1);
    if (d === 110 || d === 114) return 2;
  }
  return 0;
}

/**
 * End of a PEM body with no END line: the lines after the BEGIN line that consist only of base64 (optionally
 * indented), plus RFC 1421 `Proc-Type:`/`DEK-Info:` headers; stops at a blank line or any other text.
 */
function pemBodyEnd(text: string, from: number, limit: number): number {
  let end = from;
  let i = from;
  let first = true;
  while (i < limit) {
    const sep = separatorAt(text, i);
    if (sep === 0 && !first) break;
    first = false;
    i += sep;
    while (i < limit && (text.charCodeAt(i) === 32 || text.charCodeAt(i) === 9)) i++;
    let j = i;
    if (text.startsWith('Proc-Type:', i) || text.startsWith('DEK-Info:', i)) {
      while (j < limit && separatorAt(text, j) === 0) j++;
    } else {
      while (j < limit && isBase64Code(text.charCodeAt(j))) j++;
      if (j === i) break; // blank line or not base64
      let k = j;
      while (k < limit && (text.charCodeAt(k) === 32 || text.charCodeAt(k) === 9)) k++;
      if (k < limit && separatorAt(text, k) === 0) break; // the line goes on with other text: not a body line
    }
    end = j;
    i = j;
    while (i < limit && (text.charCodeAt(i) === 32 || text.charCodeAt(i) === 9)) i++;
  }
  return end;
}

const privateKeyMatcher: Matcher = (text, out) => {
  if (text.indexOf('-----BEGIN ') === -1) return false;
  PEM_BEGIN.lastIndex = 0;
  let found = false;
  // Where each END line was last found (-1: nowhere after that point), so that many BEGIN lines without an END
  // line cost one search, not one search each.
  const endCache = new Map<string, number>();
  let m: RegExpExecArray | null;
  while ((m = PEM_BEGIN.exec(text)) !== null) {
    if (out === undefined) {
      PEM_BEGIN.lastIndex = 0;
      return true;
    }
    const start = m.index;
    const headerEnd = start + m[0].length;
    const endLine = `-----END ${m[1] ?? ''}PRIVATE KEY${m[2] ?? ''}-----`;
    let endAt = endCache.get(endLine);
    if (endAt === undefined || (endAt !== -1 && endAt < headerEnd)) {
      endAt = text.indexOf(endLine, headerEnd);
      endCache.set(endLine, endAt);
    }
    let end: number;
    if (endAt !== -1 && endAt - headerEnd <= MAX_PEM) {
      end = endAt + endLine.length;
    } else {
      // No END line (truncated key): take the base64 body that follows.
      end = pemBodyEnd(text, headerEnd, Math.min(text.length, headerEnd + MAX_PEM));
    }
    push(out, 'secret', 'private_key', text, start, end);
    found = true;
    PEM_BEGIN.lastIndex = end;
  }
  return found;
};

// header.payload.signature; the header is base64url JSON and so starts with "eyJ" ('{"').
const JWT =
  /(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{5,4000}\.[A-Za-z0-9_-]{2,16000}\.[A-Za-z0-9_-]{0,4000}(?![A-Za-z0-9_-])/g;

/** Unpadded base64url never has length ≡ 1 (mod 4). */
function validateJwt(m: RegExpExecArray): number {
  const parts = m[0].split('.');
  for (const p of parts) if (p.length % 4 === 1) return -1;
  return m.index + m[0].length;
}

/** The `secret` matchers by kind, in {@link DETECTOR_KINDS} order. Internal. */
export const SECRET_MATCHERS: Readonly<Record<string, Matcher>> = {
  aws_access_key: regexMatcher('secret', 'aws_access_key', [AWS], undefined, (t) => t.indexOf('A') !== -1),
  github_token: regexMatcher('secret', 'github_token', [GITHUB], undefined, (t) => t.indexOf('g') !== -1),
  slack_token: regexMatcher('secret', 'slack_token', [SLACK], validateSlack, (t) => t.indexOf('xox') !== -1),
  openai_key: regexMatcher('secret', 'openai_key', [OPENAI], validateOpenAi, (t) => t.indexOf('sk-') !== -1),
  private_key: privateKeyMatcher,
  jwt: regexMatcher('secret', 'jwt', [JWT], validateJwt, (t) => t.indexOf('eyJ') !== -1),
};
