import { describe, expect, it } from 'vitest';
import { detect, scanText } from '../../src/detectors/index.js';

/** The texts of the findings of one kind. */
function kindTexts(text: string, kind: string): string[] {
  return scanText('pii', text, [kind]).map((f) => f.text);
}

describe('pii: email', () => {
  it.each([
    ['contact ana@example.com today', 'ana@example.com'],
    ['Mail: first.last+tag@mail.example.co.uk.', 'first.last+tag@mail.example.co.uk'],
    ['<bob_99@sub-domain.example.org>', 'bob_99@sub-domain.example.org'],
    ['x%y@example.io', 'x%y@example.io'],
    ['mailto:ops@example.travel?subject=hi', 'ops@example.travel'],
  ])('finds the address in %j', (text, email) => expect(kindTexts(text, 'email')).toEqual([email]));

  it.each([
    'user@localhost',
    'a@b.c',
    '@example.com',
    'name@',
    'bad..dots@example.com',
    'x@-example.com',
    'x@example-.com',
    'x@example.c0m',
    'price 5@3.50',
    'twitter @handle',
    'a@b.com@c.org',
    'git clone git@github.com:org/repo.git',
    'scp build.tgz deploy@host.example.com:/srv/app',
  ])('no email in %j', (text) => expect(kindTexts(text, 'email')).toEqual([]));

  it('finds several addresses in order', () => {
    const f = scanText('pii', 'cc a@x.io, b@y.org; c@z.net', ['email']);
    expect(f.map((x) => x.text)).toEqual(['a@x.io', 'b@y.org', 'c@z.net']);
  });
});

describe('pii: phone', () => {
  it.each([
    ['call (415) 555-0100 now', '(415) 555-0100'],
    ['415-555-0100', '415-555-0100'],
    ['415.555.0100', '415.555.0100'],
    ['tel 415 555 0100.', '415 555 0100'],
    ['+1 415 555 0100', '+1 415 555 0100'],
    ['+1 (415) 555-0100', '+1 (415) 555-0100'],
    ['1-800-555-0199', '1-800-555-0199'],
    ['+14155550100', '+14155550100'],
    ['+44 20 7946 0958', '+44 20 7946 0958'],
    ['+44 (0) 20 7946 0958', '+44 (0) 20 7946 0958'],
    ['+49-30-1234567', '+49-30-1234567'],
    ['ring +33 1 23 45 67 89!', '+33 1 23 45 67 89'],
  ])('finds the number in %j', (text, phone) => expect(kindTexts(text, 'phone')).toEqual([phone]));

  it.each([
    'order 1234567890123',
    'order 4155550100',
    'id 123-456-7890', // area code cannot start with 1
    'id 415-155-0100', // exchange cannot start with 1
    'date 2023-10-12',
    'score +1234567', // 7 digits: too short for E.164
    '+1234567890123456', // 16 digits: too long for E.164
    '+0123456789', // E.164 country codes do not start with 0
    '3+12345678', // arithmetic
    'version 415-555-0100-2', // part of a longer dashed identifier
    'ratio 415.555.0100.5',
    '+12345678abc',
    'I dropped my phone',
  ])('no phone in %j', (text) => expect(kindTexts(text, 'phone')).toEqual([]));
});

describe('pii: us_ssn', () => {
  it.each([
    ['SSN 123-45-6789.', '123-45-6789'],
    ['ssn: 123 45 6789, ok', '123 45 6789'],
    ['078-05-1120', '078-05-1120'],
    ['899-99-9999', '899-99-9999'],
    ['667-01-0001', '667-01-0001'],
  ])('finds the SSN in %j', (text, ssn) => expect(kindTexts(text, 'us_ssn')).toEqual([ssn]));

  it.each([
    ['666-12-3456', 'area 666'],
    ['000-12-3456', 'area 000'],
    ['900-12-3456', 'area 9xx'],
    ['999-12-3456', 'area 9xx'],
    ['123-00-4567', 'group 00'],
    ['123-45-0000', 'serial 0000'],
    ['123-45 6789', 'mixed separators'],
    ['123456789', 'no separators'],
    ['1123-45-6789', 'longer number'],
    ['123-45-67890', 'longer number'],
    ['A123-45-6789', 'inside a word'],
    ['12.123-45-6789', 'after a decimal'],
  ])('rejects %s (%s)', (text) => expect(kindTexts(text, 'us_ssn')).toEqual([]));
});

describe('pii: credit_card', () => {
  it.each([
    ['card 4111 1111 1111 1111 exp 12/29', '4111 1111 1111 1111'],
    ['4111-1111-1111-1111', '4111-1111-1111-1111'],
    ['4111111111111111', '4111111111111111'],
    ['amex 3782 822463 10005', '3782 822463 10005'],
    ['378282246310005', '378282246310005'],
    ['5555555555554444', '5555555555554444'],
    ['2223003122003222', '2223003122003222'],
    ['6011111111111117', '6011111111111117'],
    ['3530111333300000', '3530111333300000'],
    ['30569309025904', '30569309025904'],
    ['4222222222222', '4222222222222'],
    ['1. 4111 1111 1111 1111', '4111 1111 1111 1111'],
  ])('finds the card in %j', (text, card) => expect(kindTexts(text, 'credit_card')).toEqual([card]));

  it.each([
    ['4111111111111112', 'bad Luhn'],
    ['4111 1111 1111 1112', 'bad Luhn, grouped'],
    ['order 1234567890123', 'no network starts with 1'],
    ['7992739871379927', 'Luhn-valid but no IIN'],
    ['411111111111111', 'Visa of length 15'],
    ['4111 1111-1111 1111', 'mixed separators'],
    ['41 11111111111111', 'first group is not 4 digits'],
    ['4 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1', 'one digit per group'],
    ['41111111111111110000', '20 digits'],
    ['x4111111111111111', 'inside a word'],
    ['3.4111111111111111', 'decimal fraction digits'],
    ['1.4111111111111111e-200', 'float mantissa'],
    ['1234 4111 1111 1111 1111', 'part of a longer grouped number'],
  ])('rejects %s (%s)', (text) => expect(kindTexts(text, 'credit_card')).toEqual([]));
});

describe('pii: iban', () => {
  it.each([
    ['IBAN DE89 3704 0044 0532 0130 00 please', 'DE89 3704 0044 0532 0130 00'],
    ['DE89370400440532013000', 'DE89370400440532013000'],
    ['GB82 WEST 1234 5698 7654 32', 'GB82 WEST 1234 5698 7654 32'],
    ['FR14 2004 1010 0505 0001 3M02 606', 'FR14 2004 1010 0505 0001 3M02 606'],
    ['ES91 2100 0418 4502 0005 1332', 'ES91 2100 0418 4502 0005 1332'],
    ['IT60X0542811101000000123456', 'IT60X0542811101000000123456'],
    ['NL91ABNA0417164300', 'NL91ABNA0417164300'],
    ['to BE68 5390 0754 7034 BANK XYZ', 'BE68 5390 0754 7034'],
    ['CH93 0076 2011 6238 5295 7', 'CH93 0076 2011 6238 5295 7'],
  ])('finds the IBAN in %j', (text, iban) => expect(kindTexts(text, 'iban')).toEqual([iban]));

  it.each([
    ['DE89 3704 0044 0532 0130 01', 'check digits do not verify'],
    ['DE88370400440532013000', 'check digits do not verify'],
    ['DE8937040044053201300', 'one character short'],
    ['DE893704004405320130000', 'one character long'],
    ['XX89370400440532013000', 'unknown country'],
    ['de89370400440532013000', 'lowercase'],
    ['ABDE89370400440532013000', 'inside a word'],
  ])('rejects %s (%s)', (text) => expect(kindTexts(text, 'iban')).toEqual([]));
});

describe('pii: ip', () => {
  it.each([
    ['from 192.168.1.1.', ['192.168.1.1']],
    ['0.0.0.0 and 255.255.255.255', ['0.0.0.0', '255.255.255.255']],
    ['host=10.0.0.7:8080', ['10.0.0.7']],
    ['fe80::1', ['fe80::1']],
    ['2001:db8::ff00:42:8329', ['2001:db8::ff00:42:8329']],
    ['2001:0db8:0000:0000:0000:ff00:0042:8329', ['2001:0db8:0000:0000:0000:ff00:0042:8329']],
    ['::ffff:192.0.2.1', ['::ffff:192.0.2.1']],
    ['[::1]:443', ['::1']],
    ['GET http://203.0.113.9/admin', ['203.0.113.9']],
  ])('finds %j', (text, ips) => expect(kindTexts(text, 'ip')).toEqual(ips));

  it.each([
    '256.1.1.1',
    '1.2.3',
    '1.2.3.4.5',
    '01.2.3.4',
    'v1.2.3.4',
    '3.14159',
    'at 10:30:45',
    'MAC 00:1A:2B:3C:4D:5E',
    'C++ std::vector',
    '::',
    '1:2:3:4:5:6:7:8:9',
    'Mozilla/5.0 (X11) Chrome/120.0.0.0 Safari/537.36',
    'System.Runtime, Version=4.0.0.0, Culture=neutral',
    'release version 1.2.3.4',
  ])('no IP in %j', (text) => expect(kindTexts(text, 'ip')).toEqual([]));
});

describe('pii: benign support-ticket text', () => {
  it.each([
    'Please select the blue shirt in size M.',
    'I dropped my phone and the screen cracked.',
    'My order 1234567890123 arrived late; tracking 1Z999AA10123456784.',
    'I paid $45.99 on 2024-03-05 at 10:30 for item #5567 (ref 4929-1234).',
    'Version 3.14.159 of the app crashes. Build 20240305.1.',
    'Write to me at bob at example dot com.',
    'Invoice 2023-0001-4567 total 1,234,567.89 EUR',
  ])('no pii in %j', (text) => expect(detect('pii', text)).toBe(false));
});
