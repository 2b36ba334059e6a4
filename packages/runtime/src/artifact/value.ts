/**
 * Exact-number helpers shared by the loader and the engine.
 *
 * The artifact writes exact constants (money, decimals) as decimal strings. The runtime converts each once,
 * at load, to an IEEE double with `Number()`; the compiler emits at most 15 significant digits, so comparing
 * a request's double with the constant's double agrees with the exact decimal comparison of the request
 * number's shortest representation. Money that is *accumulated* (budgets) is kept as integer micro-units
 * (millionths of the currency unit) so that 500 × 0.02 is exactly 10.
 *
 * @packageDocumentation
 */

const DECIMAL = /^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?$/;

/** True if `s` is a plain decimal literal such as `"100"`, `"-3"`, `"0.02"` (no exponent, no `+`). */
export function isDecimalString(s: string): boolean {
  return s.length <= 64 && DECIMAL.test(s);
}

/** Converts a decimal string to a double; `undefined` if it is not a plain decimal literal. */
export function decimalToNumber(s: string): number | undefined {
  if (!isDecimalString(s)) return undefined;
  const n = Number(s);
  return Number.isFinite(n) ? n : undefined;
}

/** Micro-units per currency unit. */
export const MICROS = 1_000_000;

/**
 * Exact conversion of a decimal string to integer micro-units, rounding half away from zero at the 7th
 * fractional digit. `undefined` if `s` is not a decimal literal or the result is not a safe integer.
 */
export function decimalToMicros(s: string): number | undefined {
  if (!isDecimalString(s)) return undefined;
  const negative = s.startsWith('-');
  const body = negative ? s.slice(1) : s;
  const dot = body.indexOf('.');
  const intPart = dot < 0 ? body : body.slice(0, dot);
  const frac = dot < 0 ? '' : body.slice(dot + 1);
  const frac6 = (frac + '000000').slice(0, 6);
  let micros = Number(intPart) * MICROS + Number(frac6);
  if (frac.length > 6 && frac.charCodeAt(6) >= 53 /* '5' */) micros += 1;
  if (!Number.isSafeInteger(micros)) return undefined;
  return negative ? -micros : micros;
}

/** Converts a JS number amount to integer micro-units (`Math.round(x * 1e6)`). */
export function numberToMicros(x: number): number {
  return Math.round(x * MICROS);
}

/** Formats integer micro-units as a decimal string without trailing zeros: `10020000` → `"10.02"`. */
export function formatMicros(micros: number): string {
  const negative = micros < 0;
  const abs = Math.abs(micros);
  const int = Math.floor(abs / MICROS);
  const frac = String(abs % MICROS).padStart(6, '0').replace(/0+$/, '');
  return (negative ? '-' : '') + String(int) + (frac.length > 0 ? '.' + frac : '');
}

const DURATION = /^(?:([0-9]+)d)?(?:([0-9]+)h)?(?:([0-9]+)m)?(?:([0-9]+)s)?(?:([0-9]+)ms)?$/;
const UNIT_MS = [86_400_000, 3_600_000, 60_000, 1000, 1];

/**
 * Parses a duration string — one or more `<digits><unit>` parts with units in the order `d h m s ms`, each
 * at most once (`"90s"`, `"5m"`, `"1h30m"`, `"2d"`, `"500ms"`) — to integer milliseconds. `undefined` if the
 * string is malformed or the total is not a safe integer.
 */
export function parseDuration(s: string): number | undefined {
  if (s.length === 0 || s.length > 64) return undefined;
  const m = DURATION.exec(s);
  if (m === null) return undefined;
  let total = 0;
  for (let i = 0; i < 5; i++) {
    const part = m[i + 1];
    if (part !== undefined) total += Number(part) * (UNIT_MS[i] as number);
  }
  return Number.isSafeInteger(total) ? total : undefined;
}

/** Formats milliseconds as a duration string: `5400000` → `"1h30m"`, `0` → `"0ms"`. */
export function formatDuration(ms: number): string {
  if (!Number.isSafeInteger(ms) || ms < 0) return `${ms}ms`;
  if (ms === 0) return '0ms';
  const units = ['d', 'h', 'm', 's', 'ms'];
  let rest = ms;
  let out = '';
  for (let i = 0; i < 5; i++) {
    const size = UNIT_MS[i] as number;
    const n = Math.floor(rest / size);
    if (n > 0) {
      out += `${n}${units[i] as string}`;
      rest -= n * size;
    }
  }
  return out;
}
