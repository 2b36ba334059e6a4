/**
 * Shared names and shapes of the Writ detectors (`pii`, `secret`, `injection`).
 *
 * Detectors are pure functions of a string (or of a JSON value, walked by `scan.ts`). In the SMT back end the
 * same predicates are uninterpreted (DESIGN.md §4), so nothing here may depend on time, state or randomness.
 *
 * @module
 */

/** The three detector families a policy can name: `pii(…)`, `secret(…)`, `injection(…)`. */
export type DetectorName = 'pii' | 'secret' | 'injection';

/**
 * Every kind each detector knows, in a fixed order (the order is part of the contract: the compiler may
 * index kinds by position, and overlap ties are broken by it).
 *
 * - `pii`: `email`, `phone` (E.164 and NANP), `us_ssn`, `credit_card` (ISO/IEC 7812 Luhn + IIN),
 *   `iban` (ISO 13616 mod-97), `ip` (IPv4, IPv6).
 * - `secret`: `aws_access_key`, `github_token`, `slack_token`, `openai_key`, `private_key` (PEM/PGP), `jwt` (RFC 7519).
 * - `injection`: `sql`, `shell`, `path_traversal`, `xss`, `prompt`.
 */
export const DETECTOR_KINDS = {
  pii: ['email', 'phone', 'us_ssn', 'credit_card', 'iban', 'ip'],
  secret: ['aws_access_key', 'github_token', 'slack_token', 'openai_key', 'private_key', 'jwt'],
  injection: ['sql', 'shell', 'path_traversal', 'xss', 'prompt'],
} as const satisfies Record<DetectorName, readonly string[]>;

/** A kind of the detector `D`, e.g. `DetectorKind<'pii'>` is `'email' | 'phone' | …`. */
export type DetectorKind<D extends DetectorName = DetectorName> = (typeof DETECTOR_KINDS)[D][number];

/**
 * One match of a detector inside one string.
 *
 * `start`/`end` are UTF-16 code-unit offsets into the scanned string (half-open), so
 * `scanned.slice(start, end) === text` always holds.
 */
export interface Finding {
  /** Which detector found it. */
  detector: DetectorName;
  /** Which kind of that detector (one of {@link DETECTOR_KINDS}[detector]). */
  kind: string;
  /** Offset of the first UTF-16 code unit of the match. */
  start: number;
  /** Offset one past the last UTF-16 code unit of the match. */
  end: number;
  /** The matched text, `scanned.slice(start, end)`. */
  text: string;
}

/** A {@link Finding} located inside a JSON value by a JSONPath-like path such as `$.body` or `$.items[2].note`. */
export type PathFinding = Finding & { path: string };

/**
 * A matcher for one kind. With `out` it appends every candidate it finds (in any order) and returns whether it found
 * one; without `out` it returns `true` at the first candidate and allocates nothing else. Internal.
 */
export type Matcher = (text: string, out: Finding[] | undefined) => boolean;

const DETECTOR_NAMES: ReadonlySet<string> = new Set<DetectorName>(['pii', 'secret', 'injection']);

/**
 * Type guard: is `s` one of the detector names `'pii' | 'secret' | 'injection'`?
 *
 * @param s - any string, e.g. an identifier read from a policy
 * @returns `true` iff `s` names a detector
 */
export function isDetectorName(s: string): s is DetectorName {
  return DETECTOR_NAMES.has(s);
}

/**
 * Does `detector` have a kind called `kind` (see {@link DETECTOR_KINDS})? Never throws; an unknown detector has no
 * kinds.
 *
 * @param detector - a detector name
 * @param kind - a kind name, e.g. `'credit_card'`
 * @returns `true` iff `kind` is listed under `DETECTOR_KINDS[detector]`
 */
export function isDetectorKind(detector: DetectorName, kind: string): boolean {
  if (!isDetectorName(detector)) return false;
  return (DETECTOR_KINDS[detector] as readonly string[]).includes(kind);
}
