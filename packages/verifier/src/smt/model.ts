/**
 * Reads the SMT-LIB text of model values (as Z3 prints them) back into JSON values.
 */

export class ModelValueError extends Error {}

type SExpr = string | SExpr[];

function tokenize(text: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i] as string;
    if (/\s/.test(c)) i++;
    else if (c === '(' || c === ')') {
      out.push(c);
      i++;
    } else if (c === '"') {
      let j = i + 1;
      for (;;) {
        if (j >= text.length) throw new ModelValueError('unterminated string');
        if (text[j] === '"') {
          if (text[j + 1] === '"') j += 2;
          else break;
        } else j++;
      }
      out.push(text.slice(i, j + 1));
      i = j + 1;
    } else {
      let j = i;
      while (j < text.length && !/[\s()]/.test(text[j] as string)) j++;
      out.push(text.slice(i, j));
      i = j;
    }
  }
  return out;
}

function parse(tokens: string[]): SExpr {
  let pos = 0;
  const read = (): SExpr => {
    const t = tokens[pos++];
    if (t === undefined) throw new ModelValueError('unexpected end');
    if (t === '(') {
      const list: SExpr[] = [];
      while (tokens[pos] !== ')') {
        if (pos >= tokens.length) throw new ModelValueError('unbalanced');
        list.push(read());
      }
      pos++;
      return list;
    }
    return t;
  };
  return read();
}

/** Decodes an SMT-LIB string literal (`""` and `\u{…}` / `\ud…` escapes). */
export function decodeString(lit: string): string {
  const body = lit.slice(1, -1).replace(/""/g, '"');
  return body.replace(/\\u\{([0-9a-fA-F]{1,6})\}|\\u([0-9a-fA-F]{4})/g, (_m, a: string | undefined, b: string | undefined) => {
    const cp = parseInt((a ?? b) as string, 16);
    return cp >= 0xd800 && cp <= 0xdfff ? String.fromCharCode(cp) : String.fromCodePoint(cp);
  });
}

/** An exact rational as numerator/denominator bigints. */
interface Rational {
  n: bigint;
  d: bigint;
}

function decimalToRational(t: string): Rational {
  const [i = '0', f = ''] = t.split('.');
  return { n: BigInt(i + f), d: 10n ** BigInt(f.length) };
}

function rational(e: SExpr): Rational {
  if (typeof e === 'string') {
    if (!/^\d+(\.\d+)?$/.test(e)) throw new ModelValueError(`not a number: ${e}`);
    return decimalToRational(e);
  }
  const [op, a, b] = e;
  if (op === '-' && a !== undefined && b === undefined) {
    const r = rational(a);
    return { n: -r.n, d: r.d };
  }
  if (op === '/' && a !== undefined && b !== undefined) {
    const x = rational(a);
    const y = rational(b);
    return { n: x.n * y.d, d: x.d * y.n };
  }
  throw new ModelValueError(`not a number: ${JSON.stringify(e)}`);
}

/**
 * A rational as the shortest decimal string when its expansion terminates; otherwise `undefined`.
 * (A counterexample must be a JSON number the runtime reads exactly.)
 */
export function rationalToDecimal(r: Rational): string | undefined {
  let { n, d } = r;
  if (d < 0n) {
    n = -n;
    d = -d;
  }
  const neg = n < 0n;
  if (neg) n = -n;
  let rest = d;
  let twos = 0;
  let fives = 0;
  while (rest % 2n === 0n) {
    rest /= 2n;
    twos++;
  }
  while (rest % 5n === 0n) {
    rest /= 5n;
    fives++;
  }
  if (rest !== 1n && n % rest !== 0n) return undefined;
  const places = Math.max(twos, fives);
  const scaled = (n * 10n ** BigInt(places)) / d;
  let s = scaled.toString().padStart(places + 1, '0');
  if (places > 0) s = `${s.slice(0, -places)}.${s.slice(-places)}`.replace(/\.?0+$/, '');
  return neg && s !== '0' ? `-${s}` : s;
}

export type ModelValue = boolean | string | number | bigint | ModelValue[] | { decimal: string } | { irrational: string };

/**
 * Converts a model value by sort: `Bool`, `Int` (a bigint), `Real` (`{ decimal }` exact, or
 * `{ irrational }` when the rational has no finite decimal form), `String`, `(Seq S)`.
 */
export function readValue(text: string, sort: string): ModelValue {
  const e = parse(tokenize(text));
  return convert(e, sort);
}

function convert(e: SExpr, sort: string): ModelValue {
  switch (sort) {
    case 'Bool':
      if (e === 'true' || e === 'false') return e === 'true';
      break;
    case 'Int': {
      const r = rational(e);
      return r.n / r.d;
    }
    case 'Real': {
      const r = rational(e);
      const d = rationalToDecimal(r);
      return d === undefined ? { irrational: `${r.n}/${r.d}` } : { decimal: d };
    }
    case 'String':
      if (typeof e === 'string' && e.startsWith('"')) return decodeString(e);
      break;
    default: {
      const m = /^\(Seq (.+)\)$/.exec(sort);
      if (m) return seq(e, m[1] as string);
    }
  }
  throw new ModelValueError(`cannot read ${JSON.stringify(e)} as ${sort}`);
}

function seq(e: SExpr, of: string): ModelValue[] {
  if (Array.isArray(e)) {
    if (e[0] === 'as' && e[1] === 'seq.empty') return [];
    if (e[0] === 'seq.unit' && e[1] !== undefined) return [convert(e[1], of)];
    if (e[0] === 'seq.++') return e.slice(1).flatMap((x) => seq(x, of));
  }
  throw new ModelValueError(`cannot read ${JSON.stringify(e)} as a sequence`);
}
