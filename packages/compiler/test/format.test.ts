import { formatSource } from '@writ/compiler';
import { describe, expect, it } from 'vitest';

const fmt = (text: string, width?: number): string => {
  const r = formatSource(text, width ? { width } : {});
  expect(r.diagnostics).toEqual([]);
  return r.text as string;
};

describe('formatter', () => {
  it('lays out declarations canonically: single spaces, no space before , ) ] . : ?', () => {
    expect(fmt('policy   "p"  version "1"\nrole a,b ,  c\nagent "x"   roles [ a , b ]   tenant "t"\ntool f( a : string , n ? : money( USD ) ) risk  high cost 0.02   USD\ngroup g = [ f ]\ncontext c ? : enum( "a" , "b" )\n')).toBe(
      'policy "p" version "1"\nrole a, b, c\nagent "x" roles [a, b] tenant "t"\ntool f(a: string, n?: money(USD)) risk high cost 0.02 USD\ngroup g = [f]\ncontext c?: enum("a", "b")\n',
    );
  });

  it('keeps every statement kind on one line when it fits', () => {
    const src = [
      'limit send_sms 10 per 1h per agent',
      'budget per session cost 10 USD tokens 100000 calls 50 warn 80%, 90%',
      'label untrusted from tool web_fetch.result, context.user_message, detector pii(email)',
      'deny flow untrusted -> issue_refund.amount unless approved by role r within 1h because "no"',
      'post lookup_order redact pii in result.body',
      'post * deny when secret(result) because "secrets never leave a tool"',
      'pre send_message redact pii(us_ssn, email) in args',
      'disable tool delete_database because "kill switch"',
      'assert never allow issue_refund when args.amount > -500.5 USD',
      'deny x when called y where (prior.a == args.b) within 1h30m because "z"',
      'allow x when not (args.s contains "..") and args.e in ["a", "b"] and args.s matches "^a\\\\.b$"',
      '',
    ].join('\n');
    expect(fmt(src)).toBe(src);
  });

  it('breaks a long rule before by and because, and before and/or with deeper indentation', () => {
    const src =
      'approve issue_refund when agent has role billing and args.amount > 100 USD and args.amount <= 500 USD by role finance_lead within 30m else deny because "needs a lead"\n';
    expect(fmt(src)).toBe(
      [
        'approve issue_refund when agent has role billing',
        '    and args.amount > 100 USD',
        '    and args.amount <= 500 USD',
        '  by role finance_lead within 30m else deny',
        '  because "needs a lead"',
        '',
      ].join('\n'),
    );
    expect(fmt('deny t when a == 1 and b == 2 or c == 3 and d == 4 because "x"\n', 30)).toBe(
      ['deny t when a == 1 and b == 2', '    or c == 3 and d == 4', '  because "x"', ''].join('\n'),
    );
  });

  it('breaks inside parentheses and long parameter lists', () => {
    expect(fmt('deny t when (aaaa == 1 or bbbb == 2) and cccc == 3\n', 24)).toBe(
      ['deny t when (', '      aaaa == 1', '      or bbbb == 2', '    )', '    and cccc == 3', ''].join('\n'),
    );
    expect(fmt('tool f(first: string, second: money(USD)) risk low\n', 30)).toBe(['tool f(', '  first: string,', '  second: money(USD)', ') risk low', ''].join('\n'));
  });

  it('keeps comments: own-line, trailing, inside statements; one blank line between groups', () => {
    const src = '\n\n# head\npolicy "p" version "1"   # trailing   \n\n\n\n# about r\nrole r\nallow t when a # why a\n  # and b too\n  and b\n# end\n\n';
    expect(fmt(src)).toBe('# head\npolicy "p" version "1" # trailing\n\n# about r\nrole r\nallow t when a # why a\n    # and b too\n    and b\n# end\n');
  });

  it('is the identity on its own output and reports unchanged text', () => {
    const once = fmt('role   a\n');
    const r = formatSource(once);
    expect(r.text).toBe(once);
    expect(r.changed).toBe(false);
  });

  it('does not format a file with syntax errors and returns them', () => {
    const r = formatSource('role a\nallow x when\n€', { file: 'bad.writ' });
    expect(r.text).toBeUndefined();
    expect(r.changed).toBe(false);
    expect(r.diagnostics.map((d) => d.code).sort()).toEqual(['E0001', 'E0002']);
    expect(r.diagnostics[0]?.span.file).toBe('bad.writ');
  });

  it('formats an empty file or a file of comments only', () => {
    expect(fmt('')).toBe('');
    expect(fmt('\n\n  \n')).toBe('');
    expect(fmt('# a\n\n\n# b')).toBe('# a\n\n# b\n');
  });
});
