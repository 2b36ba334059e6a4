/**
 * SMT-LIB 2.6 text helpers: symbols, string and numeric literals, and small term builders.
 * Source: SMT-LIB Standard 2.6 §3.1 (lexicon) and the Unicode Strings theory (strings with \u{…} escapes).
 */

/** A quoted symbol `|…|`; `|` and `\` cannot appear inside, so they are replaced. */
export function sym(name: string): string {
  return `|${name.replace(/[|\\]/g, '_')}|`;
}

/**
 * A string literal. SMT strings hold JS strings as they are, one SMT character per UTF-16 code unit (the
 * runtime's string operations, lengths and limits are on code units, SEMANTICS.md §1, §4): a surrogate pair
 * is two characters, a lone surrogate one. Every code unit is at most U+FFFF, inside every solver's string
 * alphabet. Printable ASCII stays as is except `"` (doubled) and `\` (escaped, so it never starts an escape
 * sequence); every other unit is `\u{…}`.
 */
export function str(value: string): string {
  let out = '"';
  for (let i = 0; i < value.length; i++) {
    const u = value.charCodeAt(i);
    if (u === 0x22) out += '""';
    else if (u >= 0x20 && u <= 0x7e && u !== 0x5c) out += String.fromCharCode(u);
    else out += `\\u{${u.toString(16)}}`;
  }
  return `${out}"`;
}

/** A Real literal from an exact decimal string (`"100"`, `"-0.5"`): `100.0`, `(- 0.5)`. */
export function real(decimal: string): string {
  const neg = decimal.startsWith('-');
  const d = neg ? decimal.slice(1) : decimal;
  const lit = d.includes('.') ? d : `${d}.0`;
  return neg ? `(- ${lit})` : lit;
}

/** An Int literal from a safe integer or an integer decimal string. */
export function int(n: number | string): string {
  const s = String(n);
  return s.startsWith('-') ? `(- ${s.slice(1)})` : s;
}

export function and(terms: readonly string[]): string {
  const t = terms.filter((x) => x !== 'true');
  if (t.includes('false')) return 'false';
  if (t.length === 0) return 'true';
  return t.length === 1 ? (t[0] as string) : `(and ${t.join(' ')})`;
}

export function or(terms: readonly string[]): string {
  const t = terms.filter((x) => x !== 'false');
  if (t.includes('true')) return 'true';
  if (t.length === 0) return 'false';
  return t.length === 1 ? (t[0] as string) : `(or ${t.join(' ')})`;
}

export function not(term: string): string {
  if (term === 'true') return 'false';
  if (term === 'false') return 'true';
  return `(not ${term})`;
}

export function implies(a: string, b: string): string {
  return `(=> ${a} ${b})`;
}
