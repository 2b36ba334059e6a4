/**
 * Nesting depth of JSON text, checked before parsing: a body nested thousands of levels deep parses, but
 * serializing it back (a result echoed by check-result) or walking it recursively overflows the stack.
 *
 * @packageDocumentation
 */

/** Default deepest nesting of arrays and objects accepted in a body. */
export const DEFAULT_MAX_DEPTH = 256;

/**
 * True when `text` opens more than `limit` arrays/objects at once. Brackets inside strings do not count;
 * the text need not be valid JSON (JSON.parse judges that). At most one pass, no allocation.
 */
export function deeperThan(text: string, limit: number): boolean {
  // Going past `limit` takes more than `limit` opening brackets, one code unit each: most request bodies are
  // shorter than that, and skipping the scan saves about a third of the cost of parsing them.
  if (text.length <= limit) return false;
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > limit) return true;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return false;
}
