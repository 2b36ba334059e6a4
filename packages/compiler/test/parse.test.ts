import fc from 'fast-check';
import { DiagnosticBag, KEYWORDS, parseSource } from '@writ/compiler';
import { describe, expect, it } from 'vitest';
import { compileText } from './helpers.js';
import { checkLexerDefinition } from '../src/syntax/lexer.js';
import { checkGrammar } from '../src/syntax/parser.js';

function parse(text: string) {
  const diags = new DiagnosticBag();
  const file = parseSource('p.writ', text, diags);
  return { file, diags: diags.items };
}

describe('parser', () => {
  it('passes chevrotain\'s grammar and token validations (skipped by the shared parser and lexer to start faster)', () => {
    expect(() => checkGrammar()).not.toThrow();
    expect(() => checkLexerDefinition()).not.toThrow();
  });

  it('parses the DESIGN.md sketch with no syntax errors', () => {
    const text = `policy "customer-support" version "1.0.0"
role support
tool issue_refund(order_id: string, amount: money(USD), reason: string) risk high cost 0.02 USD
allow issue_refund when agent has role support and args.amount <= 100 USD
approve issue_refund when args.amount > 100 USD and args.amount <= 500 USD
  by role support within 5m else deny
deny issue_refund when args.amount > 500 USD because "refunds above $500 are never automated"
deny * when injection(args) because "prompt or command injection"
limit issue_refund 10 per 1h per agent
budget per session cost 10 USD tokens 100000 calls 50 warn 80%
label untrusted from tool issue_refund.result
deny flow untrusted -> issue_refund.amount
post issue_refund redact pii in result
post * deny when secret(result) because "secrets never leave a tool"
assert never allow issue_refund when args.amount > 500 USD
`;
    const { file, diags } = parse(text);
    expect(diags).toEqual([]);
    expect(file.statements.map((s) => s.kind)).toEqual([
      'policy', 'role', 'tool', 'rule', 'rule', 'rule', 'rule', 'limit', 'budget', 'label', 'flow', 'post_redact', 'post_deny', 'assert',
    ]);
  });

  it('reports several syntax errors in one run, each with line and column, and keeps the good statements', () => {
    const text = [
      'policy "p" version "1"',
      'role support',
      'allow when agent has role support', // missing tool
      'tool t(a: string)',
      'deny t when args.a == because "x"', // missing right operand
      'allow t when agent has role support',
      'limit t ten per 1h per agent', // not a number
      'role billing',
    ].join('\n');
    const { file, diags } = parse(text);
    expect(diags.length).toBeGreaterThanOrEqual(3);
    expect(diags.every((d) => d.code === 'E0001' && !d.message.includes('\n'))).toBe(true);
    const lines = diags.map((d) => d.span.line);
    expect(lines).toContain(3);
    expect(lines).toContain(5);
    expect(lines).toContain(7);
    const kinds = file.statements.map((s) => s.kind);
    expect(kinds).toContain('tool');
    expect(kinds.filter((k) => k === 'role')).toHaveLength(2);
  });

  it('gives one-line messages that name what was expected', () => {
    const { diags } = parse('policy "p" version "1"\ntool t(a string)\n');
    expect(diags[0]?.message).toMatch(/expected ':' but found 'string'/);
    expect(diags[0]?.span).toMatchObject({ line: 2, column: 10 });
  });

  it('reports characters the language does not use', () => {
    const { diags } = parse('policy "p" version "1"\nrole a $ b\n');
    expect(diags.some((d) => d.code === 'E0002' && d.span.line === 2)).toBe(true);
  });

  it('keeps comments with spans for the formatter', () => {
    const { file } = parse('# top\npolicy "p" version "1" # trailing\n');
    expect(file.comments.map((c) => [c.text, c.span.line])).toEqual([['# top', 1], ['# trailing', 2]]);
  });

  it('never throws on arbitrary input (property)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (text) => {
        parse(text);
        compileText(text);
      }),
      { numRuns: 500 },
    );
  });

  it('never throws on token soup made of the language\'s own words (property)', () => {
    const token = fc.oneof(
      fc.constantFrom(...KEYWORDS, '(', ')', '[', ']', ',', ':', '.', '*', '->', '==', '<=', '>', '?', '=', '-', '%'),
      fc.constantFrom('args', 'amount', 'x', 'USD', '"s"', '100', '5m', '80%', '1.5', 'pii', 'injection', '\n'),
    );
    fc.assert(
      fc.property(fc.array(token, { maxLength: 60 }), (toks) => {
        const text = `policy "p" version "1"\n${toks.join(' ')}`;
        const r = compileText(text);
        for (const d of r.diagnostics) {
          expect(d.span.line).toBeGreaterThanOrEqual(1);
          expect(d.span.column).toBeGreaterThanOrEqual(1);
        }
      }),
      { numRuns: 1000 },
    );
  });
});
