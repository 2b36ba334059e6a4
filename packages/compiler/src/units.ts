/**
 * Units and exact numbers: durations in integer milliseconds, decimals as validated strings.
 */

const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * Parses a Writ duration literal (`500ms`, `90s`, `5m`, `1h30m`, `2d`) to integer milliseconds.
 * @returns the milliseconds, or `undefined` if the text is not a duration or exceeds 2^53 - 1 ms.
 */
export function parseDuration(text: string): number | undefined {
  const re = /(\d+)(ms|s|m|h|d)/gy;
  let total = 0;
  let pos = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text)) !== null) {
    total += Number(m[1]) * (UNIT_MS[m[2] as string] as number);
    pos = re.lastIndex;
  }
  if (pos === 0 || pos !== text.length || !Number.isSafeInteger(total)) return undefined;
  return total;
}

/** Formats milliseconds as the shortest Writ duration literal, e.g. 5400000 → `1h30m`. */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  let rest = ms;
  let out = '';
  for (const [unit, size] of [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1_000], ['ms', 1]] as const) {
    const n = Math.floor(rest / size);
    if (n > 0) {
      out += `${n}${unit}`;
      rest -= n * size;
    }
  }
  return out;
}

/** Number of significant digits of a decimal literal such as `0.020` (→ 2) or `100` (→ 1… counted as 3). */
export function significantDigits(text: string): number {
  const digits = text.replace('.', '').replace(/^0+/, '');
  return digits.length === 0 ? 1 : digits.length;
}

/** Digits after the decimal point. */
export function decimalPlaces(text: string): number {
  const i = text.indexOf('.');
  return i < 0 ? 0 : text.length - i - 1;
}

/**
 * Normalises a decimal literal: strips leading zeros and trailing fractional zeros (`007.50` → `7.5`),
 * applying the sign. The result is what the artifact stores.
 */
export function normaliseDecimal(text: string, negative = false): string {
  let [int = '0', frac = ''] = text.split('.');
  int = int.replace(/^0+(?=\d)/, '');
  frac = frac.replace(/0+$/, '');
  const s = frac ? `${int}.${frac}` : int;
  return negative && s !== '0' ? `-${s}` : s;
}

/** ISO 4217-shaped currency code. */
export function isCurrencyCode(s: string): boolean {
  return /^[A-Z]{3}$/.test(s);
}
