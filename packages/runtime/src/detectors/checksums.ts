/**
 * Check-digit algorithms used to validate PII candidates: the Luhn mod-10 check (ISO/IEC 7812-1 Annex B) with the
 * issuer identification number (IIN) ranges of the major card networks, and the IBAN mod-97 check (ISO 13616-1,
 * ISO 7064 MOD 97-10) with the IBAN length of each country in the SWIFT IBAN registry.
 *
 * All functions are pure, never throw, and work on plain ASCII strings.
 *
 * @module
 */

/**
 * Luhn mod-10 check (ISO/IEC 7812-1, Annex B), as used for payment card numbers.
 *
 * @param digits - a string of ASCII digits only (no separators), e.g. `'4111111111111111'`
 * @returns `true` iff `digits` is non-empty, all digits, and its Luhn sum is ≡ 0 (mod 10)
 */
export function luhnValid(digits: string): boolean {
  const n = digits.length;
  if (n === 0) return false;
  let sum = 0;
  let double = false;
  for (let i = n - 1; i >= 0; i--) {
    const d = digits.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return false;
    if (double) {
      const x = d * 2;
      sum += x > 9 ? x - 9 : x;
    } else {
      sum += d;
    }
    double = !double;
  }
  return sum % 10 === 0;
}

/** Card networks recognised by {@link cardBrand}. */
export type CardBrand = 'visa' | 'mastercard' | 'amex' | 'discover' | 'jcb' | 'diners';

/**
 * The card network of a primary account number, from its IIN prefix and length (ISO/IEC 7812-1 IIN ranges as
 * published by the networks): Visa `4` (13, 16, 19 digits); Mastercard `51–55`, `2221–2720` (16); American Express
 * `34`, `37` (15); Discover `6011`, `644–649`, `65` (16–19); JCB `3528–3589` (16–19); Diners Club `300–305`, `3095`,
 * `36`, `38`, `39` (14–19). The Luhn check is separate ({@link luhnValid}).
 *
 * @param digits - the account number as ASCII digits only
 * @returns the brand, or `undefined` if the prefix/length pair belongs to none of the six networks
 */
export function cardBrand(digits: string): CardBrand | undefined {
  const len = digits.length;
  if (len < 13 || len > 19) return undefined;
  const p2 = Number(digits.slice(0, 2));
  const p3 = Number(digits.slice(0, 3));
  const p4 = Number(digits.slice(0, 4));
  if (digits.charCodeAt(0) === 52 /* '4' */) return len === 13 || len === 16 || len === 19 ? 'visa' : undefined;
  if ((p2 >= 51 && p2 <= 55) || (p4 >= 2221 && p4 <= 2720)) return len === 16 ? 'mastercard' : undefined;
  if (p2 === 34 || p2 === 37) return len === 15 ? 'amex' : undefined;
  if (p4 === 6011 || (p3 >= 644 && p3 <= 649) || p2 === 65) return len >= 16 ? 'discover' : undefined;
  if (p4 >= 3528 && p4 <= 3589) return len >= 16 ? 'jcb' : undefined;
  if ((p3 >= 300 && p3 <= 305) || p4 === 3095 || p2 === 36 || p2 === 38 || p2 === 39) {
    return len >= 14 ? 'diners' : undefined;
  }
  return undefined;
}

/**
 * IBAN length per country code (ISO 3166-1 alpha-2), from the SWIFT IBAN registry (ISO 13616). Includes every SEPA
 * country (e.g. DE 22, GB 22, FR 27, ES 24, IT 27, NL 18, BE 16, CH 21) and the other registered countries.
 */
export const IBAN_LENGTHS: Readonly<Record<string, number>> = Object.freeze({
  AD: 24, AE: 23, AL: 28, AT: 20, AZ: 28, BA: 20, BE: 16, BG: 22, BH: 22, BI: 27, BR: 29, BY: 28, CH: 21, CR: 22,
  CY: 28, CZ: 24, DE: 22, DJ: 27, DK: 18, DO: 28, EE: 20, EG: 29, ES: 24, FI: 18, FK: 18, FO: 18, FR: 27, GB: 22,
  GE: 22, GI: 23, GL: 18, GR: 27, GT: 28, HR: 21, HU: 28, IE: 22, IL: 23, IQ: 23, IS: 26, IT: 27, JO: 30, KW: 30,
  KZ: 20, LB: 28, LC: 32, LI: 21, LT: 20, LU: 20, LV: 21, LY: 25, MC: 27, MD: 24, ME: 22, MK: 19, MN: 20, MR: 27,
  MT: 31, MU: 30, NI: 28, NL: 18, NO: 15, OM: 23, PK: 24, PL: 28, PS: 29, PT: 25, QA: 29, RO: 24, RS: 22, RU: 33,
  SA: 24, SC: 31, SD: 18, SE: 24, SI: 19, SK: 24, SM: 27, SO: 23, ST: 25, SV: 28, TL: 23, TN: 24, TR: 26, UA: 29,
  VA: 22, VG: 24, XK: 20,
});

/**
 * ISO 7064 MOD 97-10 remainder of an IBAN (ISO 13616-1 §6): move the first four characters to the end, map letters
 * A–Z to 10–35, and reduce the resulting decimal number modulo 97 (digit by digit, so no big integers).
 *
 * @param compact - the IBAN without spaces, uppercase, e.g. `'DE89370400440532013000'`
 * @returns the remainder (a valid IBAN gives 1), or -1 if a character is not `[0-9A-Z]` or the input is shorter than 5
 */
export function ibanMod97(compact: string): number {
  const n = compact.length;
  if (n < 5) return -1;
  let rem = 0;
  for (let k = 0; k < n; k++) {
    const c = compact.charCodeAt((k + 4) % n);
    if (c >= 48 && c <= 57) {
      rem = (rem * 10 + (c - 48)) % 97;
    } else if (c >= 65 && c <= 90) {
      rem = (rem * 100 + (c - 55)) % 97;
    } else {
      return -1;
    }
  }
  return rem;
}

/**
 * Full IBAN validation (ISO 13616-1): a registered country code, the registry length for that country, two check
 * digits, an alphanumeric BBAN, and a MOD 97-10 remainder of 1.
 *
 * @param compact - the IBAN without spaces, e.g. `'GB82WEST12345698765432'`
 * @returns `true` iff `compact` is a valid IBAN
 */
export function isValidIban(compact: string): boolean {
  const expected = IBAN_LENGTHS[compact.slice(0, 2)];
  if (expected === undefined || compact.length !== expected) return false;
  const c2 = compact.charCodeAt(2);
  const c3 = compact.charCodeAt(3);
  if (c2 < 48 || c2 > 57 || c3 < 48 || c3 > 57) return false;
  return ibanMod97(compact) === 1;
}
