// Incremental parsing and checking give exactly what a whole parse and `compile` give, after any sequence
// of edits (random insertions, deletions and half-typed statements, on the examples).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { compile, DiagnosticBag, IncrementalCompiler, parseIncremental, parseSource, reparseIncremental } from '@writ/compiler';
import { describe, expect, it } from 'vitest';

const repo = path.resolve(import.meta.dirname, '..', '..', '..');
const EXAMPLES = ['customer-support', 'data-protection', 'devops-governance'].map((ex) => readFileSync(path.join(repo, 'examples', ex, 'policy.writ'), 'utf8'));

const SNIPPETS = [
  'allow ', 'deny ', 'when ', 'and ', 'or ', 'not ', 'args.', 'args.amount ', '<= ', '100 USD', '5m', '"', '"x"', '(', ')', '[', ']', ',', 'agent has role ',
  'billing', 'issue_refund ', 'because "why"', 'by role finance_lead within 1h else ', 'deny', '\n', '\n\n', '  ', '# note\n', 'pii(args, email', '€',
  'tool t(a: string) risk high\n', 'role extra\n', 'label l from tool t.result\n', 'deny flow l -> t.a\n', '\r\n', '\r', 'policy "p" version "2"\n',
  'allow x when', 'approve issue_refund when args.amount > 1 USD\n', 'limit t 5 per 1m per agent\n', 'role ', 'disable ', 'else allow\n',
];

const edit = fc.record({ at: fc.nat(), len: fc.nat({ max: 30 }), insert: fc.oneof(fc.constantFrom(...SNIPPETS), fc.string({ maxLength: 4 })) });

function apply(text: string, e: { at: number; len: number; insert: string }): string {
  const at = e.at % (text.length + 1);
  return text.slice(0, at) + e.insert + text.slice(Math.min(text.length, at + e.len));
}

function full(text: string) {
  const bag = new DiagnosticBag();
  const f = parseSource('p.writ', text, bag);
  return { statements: f.statements, comments: f.comments, diagnostics: bag.items };
}

describe('incremental parsing', () => {
  it('equals a whole parse after every edit', () => {
    fc.assert(
      fc.property(fc.constantFrom(...EXAMPLES), fc.array(edit, { minLength: 1, maxLength: 40 }), (start, edits) => {
        let text = start;
        let inc = parseIncremental('p.writ', text);
        for (const e of edits) {
          text = apply(text, e);
          inc = reparseIncremental(inc, text);
          const want = full(text);
          expect(inc.sourceFile.statements).toEqual(want.statements);
          expect(inc.sourceFile.comments).toEqual(want.comments);
          expect(inc.diagnostics).toEqual(want.diagnostics);
        }
      }),
      { numRuns: 150 },
    );
  });

  it('re-parses only the statements around an edit', () => {
    const text = EXAMPLES[0] as string;
    const inc = parseIncremental('p.writ', text);
    const before = inc.sourceFile.statements;
    const at = text.indexOf('allow create_support_ticket');
    const next = reparseIncremental(inc, `${text.slice(0, at)}\n\n${text.slice(at)}`);
    const kept = next.sourceFile.statements.filter((s) => before.includes(s)).length;
    expect(kept).toBeGreaterThanOrEqual(before.length - 4);
    expect(next.sourceFile.statements).toEqual(full(next.text).statements);
  });
});

describe('incremental compilation', () => {
  it('reports exactly the diagnostics of compile after every edit, over two files', () => {
    fc.assert(
      fc.property(fc.constantFrom(...EXAMPLES), fc.array(edit, { minLength: 1, maxLength: 30 }), fc.boolean(), (start, edits, second) => {
        let text = start;
        const extra = { file: 'extra.writ', text: 'allow lookup_order when agent has role support\n' };
        const ic = new IncrementalCompiler();
        ic.update([{ file: 'policy.writ', text }, ...(second ? [extra] : [])]);
        for (const e of edits) {
          text = apply(text, e);
          const sources = [{ file: 'policy.writ', text }, ...(second ? [extra] : [])];
          const got = ic.update(sources);
          const want = compile(sources);
          expect(got.diagnostics).toEqual(want.diagnostics);
          expect(got.files.map((f) => f.statements)).toEqual(want.files.map((f) => f.statements));
          expect([...got.symbols.tools.keys()]).toEqual([...want.symbols.tools.keys()]);
        }
      }),
      { numRuns: 120 },
    );
  });
});
