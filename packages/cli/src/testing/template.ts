/**
 * Request templates for table-driven test cases: a template is any JSON value whose strings may hold
 * `${name}` placeholders; a row gives the values. A string that is exactly one placeholder is replaced by
 * the row's value itself (so `amount: ${amount}` stays a number); a placeholder inside a longer string is
 * replaced by the value's text. `$${` writes a literal `${`.
 */

/** A placeholder name: letters, digits, `_` and `-`, starting with a letter or `_`. */
const NAME = '[A-Za-z_][A-Za-z0-9_-]*';
const WHOLE = new RegExp(`^\\$\\{(${NAME})\\}$`);
const ANY = new RegExp(`\\$\\$\\{|\\$\\{(${NAME})\\}`, 'g');

/** A placeholder without a value in the row. */
export class TemplateError extends Error {
  constructor(readonly variable: string) {
    super(`the template uses \${${variable}}, but the row gives no '${variable}'`);
    this.name = 'TemplateError';
  }
}

/** The placeholder names a template uses, sorted, without repeats. */
export function placeholders(template: unknown): string[] {
  const out = new Set<string>();
  const visit = (v: unknown): void => {
    if (typeof v === 'string') {
      for (const m of v.matchAll(ANY)) if (m[1] !== undefined) out.add(m[1]);
    } else if (Array.isArray(v)) v.forEach(visit);
    else if (typeof v === 'object' && v !== null) for (const [k, x] of Object.entries(v)) (visit(k), visit(x));
  };
  visit(template);
  return [...out].sort();
}

function text(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}

/**
 * The template with every placeholder replaced from `row` (object keys too, as text). Does not modify
 * `template`.
 * @throws TemplateError for a placeholder the row does not give
 */
export function expandTemplate(template: unknown, row: Readonly<Record<string, unknown>>): unknown {
  const lookup = (name: string): unknown => {
    if (!Object.hasOwn(row, name)) throw new TemplateError(name);
    return row[name];
  };
  const str = (s: string): string => s.replace(ANY, (m, name: string | undefined) => (name === undefined ? '${' : text(lookup(name))));
  const visit = (v: unknown): unknown => {
    if (typeof v === 'string') {
      const whole = WHOLE.exec(v);
      return whole ? structuredClone(lookup(whole[1]!)) : str(v);
    }
    if (Array.isArray(v)) return v.map(visit);
    if (typeof v === 'object' && v !== null) {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) {
        const key = str(k);
        if (key === '__proto__') Object.defineProperty(out, key, { value: visit(x), writable: true, enumerable: true, configurable: true });
        else out[key] = visit(x);
      }
      return out;
    }
    return v;
  };
  return visit(template);
}
