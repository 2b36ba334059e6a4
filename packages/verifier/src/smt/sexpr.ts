/**
 * SMT-LIB 2.6 text helpers: symbols, string and numeric literals, and small term builders.
 * Source: SMT-LIB Standard 2.6 §3.1 (lexicon) and the Unicode Strings theory (strings with \u{…} escapes).
 */

/** A quoted symbol `|…|`; `|` and `\` cannot appear inside, so they are replaced. */
export function sym(name: string): string {
  return `|${name.replace(/[|\\]/g, '_')}|`;
}

/**
 * A string literal. Printable ASCII stays as is except `"` (doubled) and `\` (escaped, so it never starts an
 * escape sequence); everything else is `\u{…}` by code point. Lone UTF-16 surrogates have no code point and
 * are written as the surrogate value itself, which SMT-LIB solvers accept as a character.
 * @throws RangeError for a code point above U+2FFFF, which SMT-LIB strings cannot hold
 */
export function str(value: string): string {
  let out = '"';
  for (let i = 0; i < value.length; i++) {
    const cp = value.codePointAt(i) as number;
    if (cp > 0xffff) i++;
    if (cp > 0x2ffff) throw new RangeError(`character U+${cp.toString(16).toUpperCase()} is outside the SMT-LIB string alphabet (up to U+2FFFF)`);
    if (cp === 0x22) out += '""';
    else if (cp >= 0x20 && cp <= 0x7e && cp !== 0x5c) out += String.fromCharCode(cp);
    else out += `\\u{${cp.toString(16)}}`;
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
