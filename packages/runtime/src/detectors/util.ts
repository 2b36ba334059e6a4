/**
 * Internal helpers shared by the kind matchers: building {@link Matcher}s from precompiled regular expressions.
 *
 * Every regular expression handed to these helpers is one of our own fixed patterns, written so that its
 * backtracking is bounded: no nested quantifiers over overlapping classes, bounded repetition counts, and
 * alternatives that start with distinct characters where possible.
 *
 * @module
 */
import type { DetectorName, Finding, Matcher } from './types.js';

/**
 * Checks one regex match and says where the finding ends: return `m.index + m[0].length` to keep it whole, a
 * smaller offset to trim it, or -1 to reject it.
 */
export type Validate = (m: RegExpExecArray, text: string) => number;

/** Appends one finding. */
export function push(out: Finding[], detector: DetectorName, kind: string, text: string, start: number, end: number): void {
  out.push({ detector, kind, start, end, text: text.slice(start, end) });
}

function globalOf(re: RegExp): RegExp {
  return re.global ? re : new RegExp(re.source, re.flags + 'g');
}

/**
 * Non-global regexes equivalent, for `test`, to "any of `patterns` matches": patterns with the same flags and no
 * backreferences are joined into one alternation (one pass over the text instead of one per pattern); patterns with
 * backreferences (whose group numbers would shift) stay on their own.
 */
function combineForTest(patterns: readonly RegExp[]): RegExp[] {
  const groups = new Map<string, string[]>();
  const alone: RegExp[] = [];
  for (const p of patterns) {
    const flags = p.flags.replace('g', '');
    if (/\\[1-9]/.test(p.source)) {
      alone.push(new RegExp(p.source, flags));
      continue;
    }
    const list = groups.get(flags) ?? [];
    list.push(`(?:${p.source})`);
    groups.set(flags, list);
  }
  return [...[...groups].map(([flags, sources]) => new RegExp(sources.join('|'), flags)), ...alone];
}

/**
 * A matcher that runs several regular expressions and reports every match of each (optionally validated).
 *
 * With no validator and no `out`, it answers with `RegExp#test` on non-global copies, which allocate nothing.
 * `prefilter`, if given, is a cheap necessary condition checked first (e.g. "contains '@'").
 */
export function regexMatcher(
  detector: DetectorName,
  kind: string,
  patterns: readonly RegExp[],
  validate?: Validate,
  prefilter?: (text: string) => boolean,
): Matcher {
  const all = patterns.map(globalOf);
  const tests = combineForTest(patterns);
  return (text, out) => {
    if (prefilter !== undefined && !prefilter(text)) return false;
    if (out === undefined && validate === undefined) {
      for (const re of tests) if (re.test(text)) return true;
      return false;
    }
    if (all.length > 1) {
      // One combined pass first: most texts match nothing, and then the per-pattern passes are skipped.
      let any = false;
      for (const re of tests) {
        if (re.test(text)) {
          any = true;
          break;
        }
      }
      if (!any) return false;
    }
    let found = false;
    for (const re of all) {
      re.lastIndex = 0;
      let m: RegExpExecArray | null;
      while ((m = re.exec(text)) !== null) {
        const start = m.index;
        const full = start + m[0].length;
        if (m[0].length === 0) {
          re.lastIndex = start + 1;
          continue;
        }
        const end = validate === undefined ? full : validate(m, text);
        if (end > start) {
          if (out === undefined) {
            re.lastIndex = 0;
            return true;
          }
          found = true;
          push(out, detector, kind, text, start, end);
        } else {
          // Rejected: retry one position later so a valid candidate starting inside this match is not missed.
          re.lastIndex = start + 1;
        }
      }
    }
    return found;
  };
}

/** Is the UTF-16 code unit an ASCII letter, digit or underscore (`\w`)? */
export function isWordCode(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
}

/** Is the UTF-16 code unit an ASCII digit? */
export function isDigitCode(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** Does `text` contain an ASCII digit? (Cheap prefilter for the numeric PII kinds.) */
export function hasDigit(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) return true;
  }
  return false;
}
