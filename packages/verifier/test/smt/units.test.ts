import fc from 'fast-check';
import { rationalToDecimal, readValue, translateRegex } from '@writ/verifier';
import { describe, expect, it } from 'vitest';
import { decimalOf, literalOf } from '../../src/smt/concrete.js';
import { decimalMicros } from '../../src/smt/encode.js';
import { str } from '../../src/smt/sexpr.js';

describe('model values', () => {
  it('reads Z3 numerals, rationals, strings and sequences exactly', () => {
    expect(readValue('501.0', 'Real')).toEqual({ decimal: '501' });
    expect(readValue('(/ 1001.0 2.0)', 'Real')).toEqual({ decimal: '500.5' });
    expect(readValue('(- (/ 1.0 8.0))', 'Real')).toEqual({ decimal: '-0.125' });
    expect(readValue('(/ 1.0 3.0)', 'Real')).toHaveProperty('irrational');
    expect(readValue('(- 7)', 'Int')).toBe(-7n);
    expect(readValue('"a""b\\u{e9}\\u{1f600}"', 'String')).toBe('a"bé😀');
    expect(readValue('(seq.++ (seq.unit "x") (seq.unit "y"))', '(Seq String)')).toEqual(['x', 'y']);
    expect(readValue('(as seq.empty (Seq String))', '(Seq String)')).toEqual([]);
  });

  it('string literals round-trip through SMT-LIB escapes (property)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary' }), fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((u) => String.fromCharCode(u)) })), (s) => {
        expect(readValue(str(s), 'String')).toBe(s);
      }),
    );
  });

  it('SMT strings are UTF-16 code units, as the runtime counts them (lengths, prefixes, lone surrogates)', () => {
    expect(str('😀')).toBe('"\\u{d83d}\\u{de00}"');
    expect(str('\u{30000}')).toBe('"\\u{d880}\\u{dc00}"');
    expect(str('a\ud83d')).toBe('"a\\u{d83d}"');
  });

  it('terminating rationals become the exact decimal; others do not', () => {
    expect(rationalToDecimal({ n: 1n, d: 4n })).toBe('0.25');
    expect(rationalToDecimal({ n: -3n, d: 1n })).toBe('-3');
    expect(rationalToDecimal({ n: 2n, d: 3n })).toBeUndefined();
  });

  it('JS numbers pin to the decimal the runtime reads', () => {
    expect(decimalOf(1e21)).toBe('1000000000000000000000');
    expect(decimalOf(1.5e-7)).toBe('0.00000015');
    expect(decimalOf(-0.1)).toBe('-0.1');
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (x) => {
        expect(Number(decimalOf(x))).toBe(x === 0 ? 0 : x);
      }),
    );
    expect(literalOf(100.01, 'Real')).toBe('100.01');
    expect(literalOf(-5, 'Int')).toBe('(- 5)');
    expect(decimalMicros('0.02')).toBe('20000');
    expect(decimalMicros('10')).toBe('10000000');
  });
});

describe('RE2 to SMT regex', () => {
  it('translates the exact subset and refuses the rest, naming why', () => {
    expect(translateRegex('^abc$')).toEqual({ regex: '(re.++ (str.to_re "a") (str.to_re "b") (str.to_re "c"))' });
    expect('regex' in translateRegex('(?i)internal\\.corp')).toBe(true);
    expect('regex' in translateRegex('[a-z0-9_]+@[a-z]+\\.(com|org){1,2}')).toBe(true);
    expect(translateRegex('\\bword\\b')).toEqual({ unsupported: 'escape \\b' });
    expect(translateRegex('^a|b$')).toEqual({ unsupported: 'anchor with top-level alternation' });
    expect('unsupported' in translateRegex('a^b')).toBe(true);
  });
});
