// Robustness of the language server under editing: thousands of random edits (insertions, deletions,
// half-typed rules, junk) sent through didChange to example files, with requests in between. The server
// never crashes, every response is well formed, and after each run the diagnostics it publishes for the
// final text are exactly the compiler's.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { compile } from '@writ/compiler';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LspClient, uriOf, type Diag } from './helpers/lsp-client.js';

const repo = path.resolve(import.meta.dirname, '..');
const EXAMPLES = ['customer-support', 'data-protection', 'devops-governance'].map((ex) => path.join(repo, 'examples', ex, 'policy.writ'));

const SNIPPETS = [
  'allow ', 'deny ', 'approve ', 'when ', 'and ', 'or ', 'not ', 'args.', 'args.amount ', '<= ', '100 USD', '5m', '80%', '"', '"x"', '(', ')', '[', ']', ',',
  'agent has role ', 'billing', 'issue_refund ', 'because "why"', 'by role finance_lead within 1h else deny', '\n', '\n\n', '  ', '# note\n', 'pii(args, email',
  'injection(args.query, sql)', 'called lookup_order where (prior.order_id == args.order_id) within 1h', 'tool t(a: string, b?: money(EUR)) risk high cost 1 USD\n',
  'limit t 5 per 1m per agent\n', 'budget per session cost 5 USD warn 50%\n', 'label l from tool t.result\n', 'deny flow l -> t.a\n', 'post * redact pii in result\n',
  'assert never allow * when ', '€', '\\', '->', '==', 'matches "^(a+)+$"', 'policy "p" version "2"\n', 'role ', 'context c: string\n', '\t', '\r\n',
];

type Edit = { kind: 'insert'; at: number; text: string } | { kind: 'delete'; at: number; len: number } | { kind: 'replace'; at: number; len: number; text: string };

const editArb: fc.Arbitrary<Edit> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), text: fc.constantFrom(...SNIPPETS) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), text: fc.string({ maxLength: 6 }) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), len: fc.integer({ min: 1, max: 40 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('replace' as const), at: fc.nat(), len: fc.integer({ min: 1, max: 12 }), text: fc.constantFrom(...SNIPPETS) }) },
);

/** LSP position of an offset (never between a \r and its \n): lines end at \n, \r\n or a lone \r. */
function position(text: string, offset: number): { line: number; character: number } {
  let line = 0;
  let start = 0;
  for (let i = 0; i < offset; i++) {
    const ch = text[i];
    if (ch === '\r' && text[i + 1] === '\n') i++;
    if (ch === '\n' || ch === '\r') {
      line++;
      start = i + 1;
    }
  }
  return { line, character: offset - start };
}

function validRange(r: Diag['range'], lines: number): boolean {
  const ok = (p: { line: number; character: number }) => Number.isInteger(p.line) && Number.isInteger(p.character) && p.line >= 0 && p.character >= 0 && p.line <= lines;
  return ok(r.start) && ok(r.end) && (r.start.line < r.end.line || (r.start.line === r.end.line && r.start.character <= r.end.character));
}

let c: LspClient;
beforeAll(async () => {
  c = await LspClient.start({ root: path.join(repo, 'examples'), initializationOptions: { debounceMs: 0, verifyOnSave: false } });
});
afterAll(async () => {
  await c?.stop();
});

describe('language server robustness', () => {
  it('survives thousands of random edits with requests in between; final diagnostics equal the compiler\'s', async () => {
    let run = 0;
    let edits = 0;
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...EXAMPLES), fc.array(editArb, { minLength: 60, maxLength: 120 }), fc.nat(), async (file, script, probe) => {
        run++;
        // A fresh, unsaved document beside the example, so each run starts from the example's text.
        const uri = uriOf(path.join(path.dirname(file), `scratch-${run}.writ`));
        let text = readFileSync(file, 'utf8');
        await c.open(uri, text);
        let version = 1;
        for (const [i, e] of script.entries()) {
          // LSP positions cannot point between the \r and \n of a line break: keep edits off that spot.
          const snap = (o: number) => (text[o - 1] === '\r' && text[o] === '\n' ? o - 1 : o);
          const at = snap(text.length === 0 ? 0 : e.at % (text.length + 1));
          const end = e.kind === 'insert' ? at : snap(Math.min(text.length, at + e.len));
          const insert = e.kind === 'delete' ? '' : e.text;
          const range = { start: position(text, at), end: position(text, end) };
          text = text.slice(0, at) + insert + text.slice(end);
          await c.change(uri, ++version, [{ range, text: insert }]);
          edits++;
          if (i % 15 === 0) {
            const p = position(text, text.length === 0 ? 0 : (probe + i) % (text.length + 1));
            const td = { textDocument: { uri } };
            const [hover, completion, symbols, folding, tokens, sig, def, fmt] = await Promise.all([
              c.request<{ contents: { value: string } } | null>('textDocument/hover', { ...td, position: p }),
              c.request<Array<{ label: string }>>('textDocument/completion', { ...td, position: p }),
              c.request<Array<{ name: string; range: Diag['range'] }>>('textDocument/documentSymbol', td),
              c.request<Array<{ startLine: number; endLine: number }>>('textDocument/foldingRange', td),
              c.request<{ data: number[] }>('textDocument/semanticTokens/full', td),
              c.request<unknown>('textDocument/signatureHelp', { ...td, position: p }),
              c.request<unknown[]>('textDocument/definition', { ...td, position: p }),
              c.request<Array<{ newText: string }>>('textDocument/formatting', { ...td, options: { tabSize: 2, insertSpaces: true } }),
            ]);
            const lines = text.split(/\r\n|\r|\n/).length;
            expect(hover === null || typeof hover.contents.value === 'string').toBe(true);
            expect(Array.isArray(completion) && completion.every((x) => typeof x.label === 'string' && x.label.length > 0)).toBe(true);
            expect(symbols.every((s) => typeof s.name === 'string' && validRange(s.range, lines))).toBe(true);
            expect(folding.every((f) => f.startLine <= f.endLine && f.endLine < lines)).toBe(true);
            expect(tokens.data.length % 5).toBe(0);
            expect(tokens.data.every((n) => Number.isInteger(n) && n >= 0)).toBe(true);
            expect(sig === null || typeof sig === 'object').toBe(true);
            expect(Array.isArray(def)).toBe(true);
            expect(Array.isArray(fmt) && fmt.length <= 1).toBe(true);
          }
        }
        const ds = await c.until(() => (c.diagnosticsVersion.get(uri) === version ? c.diagnostics.get(uri) : undefined), 20_000, `diagnostics for version ${version}`);
        const lines = text.split(/\r\n|\r|\n/).length;
        expect(ds.every((d) => validRange(d.range, lines) && typeof d.message === 'string' && d.message.length > 0)).toBe(true);
        // The example's own file is also part of this policy; compare this file's share of the diagnostics.
        const name = path.basename(uri);
        const expected = compile([
          { file: 'policy.writ', text: readFileSync(file, 'utf8') },
          { file: name, text },
        ]).diagnostics.filter((d) => d.span.file === name);
        const key = (code: unknown, line: number, col: number) => `${String(code)}@${line}:${col}`;
        expect(ds.map((d) => key(d.code, d.range.start.line, d.range.start.character)).sort()).toEqual(
          expected.map((d) => key(d.code, d.span.line - 1, d.span.column - 1)).sort(),
        );
        await c.notify('textDocument/didClose', { textDocument: { uri } });
        expect(c.exited).toBe(false);
      }),
      { numRuns: Number(process.env.LSP_FUZZ_RUNS ?? 30), endOnFailure: true },
    );
    expect(edits).toBeGreaterThan(Number(process.env.LSP_FUZZ_RUNS ?? 30) * 60 - 1);
    expect(c.stderr.join('')).not.toMatch(/internal|TypeError|RangeError/);
  }, 600_000);
});
