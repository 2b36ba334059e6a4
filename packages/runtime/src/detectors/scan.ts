/**
 * Running the detectors: over one string ({@link scanText}) and over every string inside a JSON value
 * ({@link detect}, {@link findings}).
 *
 * @module
 */
import { INJECTION_MATCHERS } from './injection.js';
import { PII_MATCHERS } from './pii.js';
import { SECRET_MATCHERS } from './secret.js';
import { DETECTOR_KINDS, isDetectorName, type DetectorName, type Finding, type Matcher, type PathFinding } from './types.js';

/** Maximum nesting depth walked inside a JSON value; containers deeper than this are not descended into. */
export const MAX_DEPTH = 64;

const MATCHERS: Readonly<Record<DetectorName, Readonly<Record<string, Matcher>>>> = {
  pii: PII_MATCHERS,
  secret: SECRET_MATCHERS,
  injection: INJECTION_MATCHERS,
};

/** Rank of each kind inside its detector (tie-break when two overlapping findings have the same length). */
const KIND_RANK: ReadonlyMap<string, number> = new Map(
  (Object.keys(DETECTOR_KINDS) as DetectorName[]).flatMap((d) =>
    (DETECTOR_KINDS[d] as readonly string[]).map((k, i) => [`${d}:${k}`, i] as const),
  ),
);

/** The matchers to run, in kind order; `kinds` entries that are not kinds of `detector` are ignored. */
function selectMatchers(detector: DetectorName, kinds: readonly string[] | undefined): Matcher[] {
  const table = MATCHERS[detector];
  const all = DETECTOR_KINDS[detector] as readonly string[];
  const out: Matcher[] = [];
  for (const k of all) {
    if (kinds !== undefined && !kinds.includes(k)) continue;
    const m = table[k];
    if (m !== undefined) out.push(m);
  }
  return out;
}

const selectionCache = new Map<DetectorName, Matcher[]>();

function matchersFor(detector: DetectorName, kinds: readonly string[] | undefined): Matcher[] {
  if (kinds === undefined) {
    let all = selectionCache.get(detector);
    if (all === undefined) {
      all = selectMatchers(detector, undefined);
      selectionCache.set(detector, all);
    }
    return all;
  }
  return selectMatchers(detector, kinds);
}

/**
 * Resolves overlapping findings: the longest wins (ties: earlier start, then kind order); the survivors are
 * returned sorted by start. Findings that merely touch (`a.end === b.start`) do not overlap.
 */
function resolveOverlaps(candidates: Finding[]): Finding[] {
  if (candidates.length <= 1) return candidates;
  const rank = (f: Finding): number => KIND_RANK.get(`${f.detector}:${f.kind}`) ?? 99;
  const byPriority = candidates
    .slice()
    .sort((a, b) => b.end - b.start - (a.end - a.start) || a.start - b.start || rank(a) - rank(b));
  // `kept` stays sorted by start; binary search for the neighbours of each candidate.
  const kept: Finding[] = [];
  for (const f of byPriority) {
    let lo = 0;
    let hi = kept.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((kept[mid] as Finding).start < f.start) lo = mid + 1;
      else hi = mid;
    }
    const prev = kept[lo - 1];
    const next = kept[lo];
    if (prev !== undefined && prev.end > f.start) continue;
    if (next !== undefined && next.start < f.end) continue;
    kept.splice(lo, 0, f);
  }
  return kept;
}

/**
 * All findings of one detector in one string.
 *
 * Findings are sorted by `start`; overlapping candidates are resolved so that the longest wins (ties: the earlier
 * start, then the kind listed first in {@link DETECTOR_KINDS}), so the result never overlaps and
 * `text.slice(f.start, f.end) === f.text` for every finding. Offsets are UTF-16 code units.
 *
 * Never throws: an unknown detector, a non-string `text` or kinds that the detector does not have yield `[]`
 * (unknown kinds are ignored).
 *
 * @param detector - `'pii' | 'secret' | 'injection'`
 * @param text - the string to scan
 * @param kinds - restrict to these kinds of `detector` (e.g. `['email', 'us_ssn']`); `undefined` means all kinds
 * @returns the findings, e.g. `[{ detector: 'pii', kind: 'email', start: 8, end: 25, text: 'ana@example.com' }]`
 */
export function scanText(detector: DetectorName, text: string, kinds?: readonly string[]): Finding[] {
  if (!isDetectorName(detector) || typeof text !== 'string') return [];
  return scanWith(matchersFor(detector, kinds), text);
}

/** All findings of the given matchers in `text`, overlaps resolved. */
function scanWith(matchers: readonly Matcher[], text: string): Finding[] {
  if (text.length === 0) return [];
  const out: Finding[] = [];
  for (const m of matchers) m(text, out);
  return resolveOverlaps(out);
}

/** Is there any finding in `text`? Stops at the first one and allocates nothing else. */
function anyIn(matchers: readonly Matcher[], text: string): boolean {
  if (text.length === 0) return false;
  for (const m of matchers) if (m(text, undefined)) return true;
  return false;
}

/** The string a detector scans for a JSON leaf, or `undefined` if the leaf is not scanned. */
function leafText(detector: DetectorName, value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (detector === 'pii' && typeof value === 'number') return String(value);
  return undefined;
}

/** `$.name` for identifier-like keys, `$["odd key"]` otherwise. */
export function childPath(parent: string, key: string): string {
  return /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(key) ? `${parent}.${key}` : `${parent}[${JSON.stringify(key)}]`;
}

/** Own enumerable keys of a plain object, or `undefined` if they cannot be read (hostile proxies). */
export function safeKeys(value: object): string[] | undefined {
  try {
    return Object.keys(value);
  } catch {
    return undefined;
  }
}

/** `obj[key]`, or `undefined` if reading it throws (hostile getters). */
export function safeGet(obj: unknown, key: string | number): unknown {
  try {
    return (obj as Record<string | number, unknown>)[key];
  } catch {
    return undefined;
  }
}

function anyInValue(detector: DetectorName, matchers: readonly Matcher[], value: unknown, depth: number): boolean {
  const s = leafText(detector, value);
  if (s !== undefined) return anyIn(matchers, s);
  if (value === null || typeof value !== 'object' || depth >= MAX_DEPTH) return false;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      if (anyInValue(detector, matchers, safeGet(value, i), depth + 1)) return true;
    }
    return false;
  }
  const keys = safeKeys(value);
  if (keys === undefined) return false;
  for (const k of keys) if (anyInValue(detector, matchers, safeGet(value, k), depth + 1)) return true;
  return false;
}

/**
 * Does any string inside a JSON value contain a finding of `detector` (restricted to `kinds`)?
 *
 * Walks object *values* (not keys) and array items, recursively, up to {@link MAX_DEPTH} (64) levels; containers
 * nested deeper are not descended into. Numbers are scanned (as `String(n)`) for `pii` only; booleans and `null`
 * never match. Short-circuits at the first finding. Never throws, whatever the input (non-JSON values, throwing
 * getters and proxies are tolerated; what cannot be read is skipped).
 *
 * @param detector - `'pii' | 'secret' | 'injection'`
 * @param value - any JSON value, e.g. a request's `args` or a tool's `result`
 * @param kinds - restrict to these kinds; `undefined` means all kinds of `detector`
 * @returns `true` iff at least one finding exists
 */
export function detect(detector: DetectorName, value: unknown, kinds?: readonly string[]): boolean {
  try {
    if (!isDetectorName(detector)) return false;
    const matchers = matchersFor(detector, kinds);
    if (matchers.length === 0) return false;
    return anyInValue(detector, matchers, value, 0);
  } catch {
    return false;
  }
}

function collect(
  detector: DetectorName,
  matchers: readonly Matcher[],
  value: unknown,
  path: string,
  depth: number,
  out: PathFinding[],
): void {
  const s = leafText(detector, value);
  if (s !== undefined) {
    for (const f of scanWith(matchers, s)) out.push({ ...f, path });
    return;
  }
  if (value === null || typeof value !== 'object' || depth >= MAX_DEPTH) return;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) collect(detector, matchers, safeGet(value, i), `${path}[${i}]`, depth + 1, out);
    return;
  }
  const keys = safeKeys(value);
  if (keys === undefined) return;
  for (const k of keys) collect(detector, matchers, safeGet(value, k), childPath(path, k), depth + 1, out);
}

/**
 * Like {@link detect}, but returns every finding with the JSON path of the string it was found in: `$` for the
 * root, `$.body`, `$.items[2].note`, `$["content-type"]` for keys that are not identifiers. Findings come in
 * document order (object key order, then array order; by `start` within a string); offsets are relative to that
 * string (for numbers, to `String(n)`). Never throws; on an unreadable part of the value, returns what was found
 * elsewhere.
 *
 * @param detector - `'pii' | 'secret' | 'injection'`
 * @param value - any JSON value
 * @param kinds - restrict to these kinds; `undefined` means all kinds of `detector`
 * @returns e.g. `[{ detector: 'pii', kind: 'us_ssn', start: 4, end: 15, text: '123-45-6789', path: '$.note' }]`
 */
export function findings(detector: DetectorName, value: unknown, kinds?: readonly string[]): PathFinding[] {
  const out: PathFinding[] = [];
  try {
    if (isDetectorName(detector)) collect(detector, matchersFor(detector, kinds), value, '$', 0, out);
  } catch {
    // fall through: report what was found
  }
  return out;
}
