import { describe, expect, it } from 'vitest';
import { cardBrand, IBAN_LENGTHS, ibanMod97, isValidIban, luhnValid } from '../../src/detectors/index.js';

describe('luhnValid (ISO/IEC 7812-1 Annex B)', () => {
  it.each(['4111111111111111', '5555555555554444', '378282246310005', '6011111111111117', '3530111333300000', '30569309025904', '79927398713', '0'])(
    'accepts %s',
    (n) => expect(luhnValid(n)).toBe(true),
  );
  it.each(['4111111111111112', '5555555555554440', '378282246310006', '79927398710', '', '4111-1111', 'abc'])('rejects %j', (n) =>
    expect(luhnValid(n)).toBe(false),
  );
});

describe('cardBrand (IIN ranges and lengths)', () => {
  it.each([
    ['4111111111111111', 'visa'],
    ['4222222222222', 'visa'],
    ['5555555555554444', 'mastercard'],
    ['2223003122003222', 'mastercard'],
    ['378282246310005', 'amex'],
    ['371449635398431', 'amex'],
    ['6011111111111117', 'discover'],
    ['6445644564456445', 'discover'],
    ['3530111333300000', 'jcb'],
    ['30569309025904', 'diners'],
    ['36227206271667', 'diners'],
  ] as const)('%s is %s', (n, brand) => expect(cardBrand(n)).toBe(brand));

  it.each(['1234567890123', '9999999999999999', '411111111111111' /* visa, 15 digits */, '37828224631000' /* amex, 14 */, '55555555555544445'])(
    'no brand for %s',
    (n) => expect(cardBrand(n)).toBeUndefined(),
  );
});

describe('IBAN (ISO 13616, ISO 7064 MOD 97-10)', () => {
  const valid = [
    'DE89370400440532013000',
    'GB82WEST12345698765432',
    'FR1420041010050500013M02606',
    'ES9121000418450200051332',
    'IT60X0542811101000000123456',
    'NL91ABNA0417164300',
    'BE68539007547034',
    'CH9300762011623852957',
    'NO9386011117947',
    'MT84MALT011000012345MTLCAST001S',
  ];
  it.each(valid)('accepts %s', (iban) => {
    expect(ibanMod97(iban)).toBe(1);
    expect(isValidIban(iban)).toBe(true);
  });
  it('has the registry length for the common SEPA countries', () => {
    expect([IBAN_LENGTHS.DE, IBAN_LENGTHS.GB, IBAN_LENGTHS.FR, IBAN_LENGTHS.ES, IBAN_LENGTHS.IT, IBAN_LENGTHS.NL, IBAN_LENGTHS.BE, IBAN_LENGTHS.CH]).toEqual([
      22, 22, 27, 24, 27, 18, 16, 21,
    ]);
    for (const iban of valid) expect(iban.length).toBe(IBAN_LENGTHS[iban.slice(0, 2)]);
  });
  it.each([
    ['DE89370400440532013001', 'wrong check'],
    ['DE88370400440532013000', 'wrong check digits'],
    ['DE8937040044053201300', 'too short for DE'],
    ['XX89370400440532013000', 'unknown country'],
    ['GB82WEST1234569876543A', 'wrong check'],
    ['de89370400440532013000', 'lowercase'],
  ])('rejects %s (%s)', (iban) => expect(isValidIban(iban)).toBe(false));
  it('reports malformed input as -1', () => {
    expect(ibanMod97('DE8')).toBe(-1);
    expect(ibanMod97('DE89 3704')).toBe(-1);
  });
});
