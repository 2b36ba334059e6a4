/**
 * Random RE2 patterns from a grammar of the subset `translateRegex` translates exactly (literals, classes
 * and ranges, `.`, `\d \w \s` and their negations, groups, alternation, `* + ?` and `{n,m}` (greedy or
 * lazy), `^` at the start, `$` at the end, a leading `(?i)`), and strings to search them in.
 */
import fc from 'fast-check';

/** Characters patterns and inputs are made of: ASCII letters (with their Unicode case-fold partners
 *  K U+212A and ſ U+017F), digits, punctuation, whitespace, a non-ASCII letter, an astral character and a
 *  lone surrogate. */
const INPUT_CHARS = ['a', 'b', 'c', 'k', 's', 'A', 'B', 'K', 'S', '\u212a', '\u017f', '0', '1', '9', '-', '_', '.', ' ', '\n', '\t', 'é', 'É', '😀', '\ud83d', 'x'];

const LITERALS = ['a', 'b', 'c', 'k', 's', 'A', 'K', 'S', '0', '1', '-', '_', ' ', '\\.', '\\-', '\\*', '\\(', '\\n', '\\t', 'é', '😀'];

/** A class item; `caseless` excludes letter ranges and non-ASCII letters (not translated under `(?i)`). */
function classItem(caseless: boolean): fc.Arbitrary<string> {
  const ranges = caseless ? ['0-9', '0-1'] : ['a-c', 'A-Z', '0-9', 'b-s', 'j-l'];
  const singles = ['a', 'b', 'k', 's', 'K', '0', '_', '.', '*', ' ', '\\-', '\\]', ...(caseless ? [] : ['é'])];
  return fc.oneof(fc.constantFrom(...singles), fc.constantFrom(...ranges), fc.constantFrom('\\d', '\\w', '\\s'));
}

function charClass(caseless: boolean): fc.Arbitrary<string> {
  return fc.tuple(fc.boolean(), fc.array(classItem(caseless), { minLength: 1, maxLength: 3 })).map(([neg, items]) => `[${neg ? '^' : ''}${items.join('')}]`);
}

const quantifier = fc.oneof(
  { weight: 4, arbitrary: fc.constant('') },
  { weight: 3, arbitrary: fc.constantFrom('*', '+', '?', '*?', '+?', '??') },
  {
    weight: 2,
    arbitrary: fc
      .tuple(fc.nat(2), fc.nat(2), fc.constantFrom('exact', 'min', 'range'), fc.boolean())
      .map(([n, d, kind, lazy]) => (kind === 'exact' ? `{${n}}` : kind === 'min' ? `{${n},}` : `{${n},${n + d}}`) + (lazy ? '?' : '')),
  },
);

function patternBody(caseless: boolean): fc.Arbitrary<string> {
  const { alt } = fc.letrec<{ alt: string; concat: string; atom: string }>((tie) => ({
    alt: fc.oneof({ depthSize: 'small', withCrossShrink: true }, tie('concat'), fc.tuple(tie('concat'), tie('concat')).map(([a, b]) => `${a}|${b}`)),
    concat: fc.array(fc.tuple(tie('atom'), quantifier).map(([a, q]) => a + q), { minLength: 1, maxLength: 4 }).map((xs) => xs.join('')),
    atom: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      fc.constantFrom(...LITERALS.filter((l) => !caseless || l !== 'é')),
      fc.constant('.'),
      charClass(caseless),
      fc.constantFrom('\\d', '\\D', '\\w', '\\W', '\\s', '\\S'),
      tie('alt').map((x) => `(${x})`),
      tie('alt').map((x) => `(?:${x})`),
    ),
  }));
  return alt;
}

/** A pattern of the translatable subset. Anchors go with a single top-level alternative (or a group). */
export const patternArb: fc.Arbitrary<string> = fc.boolean().chain((caseless) =>
  fc.tuple(patternBody(caseless), fc.boolean(), fc.boolean()).map(([body, start, end]) => {
    const anchored = start || end;
    const b = anchored && body.includes('|') ? `(${body})` : body;
    return `${caseless ? '(?i)' : ''}${start ? '^' : ''}${b}${end ? '$' : ''}`;
  }),
);

export const inputArb: fc.Arbitrary<string> = fc.array(fc.constantFrom(...INPUT_CHARS), { maxLength: 8 }).map((xs) => xs.join(''));

export const regexCaseArb = fc.record({ pattern: patternArb, input: inputArb });

/**
 * An SMT-LIB string literal for a JS string, as the encoding writes strings (`sexpr.ts`): one SMT
 * character per UTF-16 code unit, printable ASCII as is (`"` doubled), everything else `\u{…}`.
 */
export function smtString(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const u = s.charCodeAt(i);
    if (u === 0x22) out += '""';
    else if (u >= 0x20 && u <= 0x7e && u !== 0x5c) out += String.fromCharCode(u);
    else out += `\\u{${u.toString(16)}}`;
  }
  return `${out}"`;
}
