/**
 * Which ASCII letters (case-folded) and which punctuation marks a text contains, found in one pass: the cheapest
 * necessary condition for a pattern. A pattern that needs a mark, or a word, cannot match a text that lacks the
 * mark or one of the word's letters; most argument values (ids, names, short phrases) lack them, and so skip
 * the regular expressions, whose fixed cost per call is larger than the whole scan.
 *
 * Case folding is ASCII only, as in the patterns (case-insensitive, without the `u` flag, where no non-ASCII
 * character folds to an ASCII letter).
 *
 * @module
 */

/** Punctuation marks, one bit each in {@link marksOf}. */
export const MARK = {
  squote: 1 << 0,
  dquote: 1 << 1,
  backtick: 1 << 2,
  semicolon: 1 << 3,
  equals: 1 << 4,
  lparen: 1 << 5,
  pipe: 1 << 6,
  amp: 1 << 7,
  dollar: 1 << 8,
  slash: 1 << 9,
  backslash: 1 << 10,
  dot: 1 << 11,
  percent: 1 << 12,
  tilde: 1 << 13,
  lt: 1 << 14,
  colon: 1 << 15,
  lbracket: 1 << 16,
  dash: 1 << 17,
} as const;

/** Mark bit per ASCII code (0: not a tracked mark). */
const MARK_OF = new Int32Array(128);
for (const [ch, bit] of [
  ["'", MARK.squote], ['"', MARK.dquote], ['`', MARK.backtick], [';', MARK.semicolon], ['=', MARK.equals], ['(', MARK.lparen],
  ['|', MARK.pipe], ['&', MARK.amp], ['$', MARK.dollar], ['/', MARK.slash], ['\\', MARK.backslash], ['.', MARK.dot],
  ['%', MARK.percent], ['~', MARK.tilde], ['<', MARK.lt], [':', MARK.colon], ['[', MARK.lbracket], ['-', MARK.dash],
] as const) {
  MARK_OF[ch.charCodeAt(0)] = bit;
}

// The last text scanned: the injection kinds ask about the same text one after another. Long texts are not kept
// (the cache would hold them alive); scanning them again costs little beside the patterns that follow.
const CACHE_MAX = 4096;
let lastText: string | undefined;
let lastLetters = 0;
let lastMarks = 0;

function scan(text: string): void {
  if (text === lastText) return;
  let letters = 0;
  let marks = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 128) continue;
    const lower = c | 0x20;
    if (lower >= 97 && lower <= 122) letters |= 1 << (lower - 97);
    else marks |= MARK_OF[c] as number;
  }
  lastText = text.length <= CACHE_MAX ? text : undefined;
  lastLetters = letters;
  lastMarks = marks;
}

/** The ASCII letters of `text`, case-folded: bit 0 for a/A … bit 25 for z/Z. */
export function lettersOf(text: string): number {
  scan(text);
  return lastLetters;
}

/** The {@link MARK}s `text` contains. */
export function marksOf(text: string): number {
  scan(text);
  return lastMarks;
}

/** The letter bits of a lowercase ASCII word (other characters ignored). */
export function wordLetters(word: string): number {
  let m = 0;
  for (let i = 0; i < word.length; i++) {
    const c = word.charCodeAt(i);
    if (c >= 97 && c <= 122) m |= 1 << (c - 97);
  }
  return m;
}

/** True when `letters` holds every letter of at least one of `words` (each from {@link wordLetters}). */
export function mayHoldWord(letters: number, words: readonly number[]): boolean {
  for (let i = 0; i < words.length; i++) {
    const w = words[i] as number;
    if ((letters & w) === w) return true;
  }
  return false;
}
