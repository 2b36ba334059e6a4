// The language server as an editor talks to it: the built server spawned over stdio, driven with a
// JSON-RPC client (vscode-jsonrpc), on copies of the examples and on broken files.
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LspClient, uriOf, type Diag } from './helpers/lsp-client.js';

const repo = path.resolve(import.meta.dirname, '..');
const ws = mkdtempSync(path.join(tmpdir(), 'writ-lsp-'));
for (const ex of ['customer-support', 'data-protection', 'devops-governance']) cpSync(path.join(repo, 'examples', ex), path.join(ws, ex), { recursive: true });

// A policy split over two files, for cross-file navigation.
const split = path.join(ws, 'split');
cpSync(path.join(repo, 'examples', 'customer-support'), split, { recursive: true });
const splitMain = path.join(split, 'policy.writ');
const splitRules = path.join(split, 'refunds.writ');
{
  const lines = readFileSync(splitMain, 'utf8').split('\n');
  const refund = lines.findIndex((l) => l.startsWith('# Refunds:'));
  writeFileSync(splitMain, lines.slice(0, refund).join('\n') + '\n');
  writeFileSync(splitRules, lines.slice(refund).join('\n'));
}

const broken = path.join(ws, 'broken', 'policy.writ');
const BROKEN = [
  'policy "broken" version "1.0.0"',
  'role billing',
  'tool issue_refund(order_id: string, amount: money(USD))',
  'allow issue_refund when args.amount > 5m',
  'deny issue_refnd when args.amount > 500 USD because "too much"',
  'allow issue_refund when agent has role biling',
  'deny issue_refund when args.amount > 900 USD',
  'allow send_sms when agent has role billing',
  'allow issue_refund when args.amount <= 100',
  '',
].join('\n');
cpSync(path.join(repo, 'examples', 'customer-support', 'README.md'), path.join(ws, 'broken', 'README.md'));
writeFileSync(broken, BROKEN);

const syntax = path.join(ws, 'syntax', 'policy.writ');
const SYNTAX = ['policy "s" version "1"', 'role a', 'allow x when', 'deny y when args.a == because "x"', 'tool t(a: string', 'role b', ''].join('\n');
cpSync(path.join(repo, 'examples', 'customer-support', 'README.md'), path.join(ws, 'syntax', 'README.md'));
writeFileSync(syntax, SYNTAX);

let c: LspClient;
const cs = path.join(ws, 'customer-support', 'policy.writ');
const csText = readFileSync(cs, 'utf8');
const csUri = uriOf(cs);

/** Position of the `n`th occurrence of `needle` in `text` (0-based line and character), plus `delta` characters. */
function pos(text: string, needle: string, delta = 0, n = 0): { line: number; character: number } {
  let at = -1;
  for (let i = 0; i <= n; i++) at = text.indexOf(needle, at + 1);
  if (at < 0) throw new Error(`${needle} not found`);
  const before = text.slice(0, at + delta);
  const line = before.split('\n').length - 1;
  return { line, character: before.length - before.lastIndexOf('\n') - 1 };
}

const td = (uri: string) => ({ textDocument: { uri } });
const codes = (ds: Diag[]) => ds.map((d) => String(d.code)).sort();

beforeAll(async () => {
  c = await LspClient.start({ root: ws, initializationOptions: { debounceMs: 20, verifyTimeoutMs: 20_000 } });
});
afterAll(async () => {
  await c?.stop();
});

describe('language server over stdio', () => {
  it('starts through the writ-lsp bin too, announces every capability, and exits on shutdown + exit', async () => {
    const other = await LspClient.start({ root: ws, via: 'writ-lsp' });
    const caps = other.initializeResult?.capabilities ?? {};
    await other.stop();
    expect(other.exited).toBe(true);
    expect(Object.keys(caps).sort()).toEqual(
      [
        'codeActionProvider', 'completionProvider', 'definitionProvider', 'documentFormattingProvider', 'documentSymbolProvider', 'foldingRangeProvider',
        'hoverProvider', 'referencesProvider', 'renameProvider', 'semanticTokensProvider', 'signatureHelpProvider', 'textDocumentSync',
      ].sort(),
    );
    expect(caps['textDocumentSync']).toMatchObject({ change: 2, openClose: true });
  });

  it('publishes no errors for a clean example when it is opened', async () => {
    await c.open(csUri, csText);
    const ds = await c.diagnosticsFor(csUri);
    expect(ds.filter((d) => d.severity === 1)).toEqual([]);
  });

  it('reports several errors at once in a broken file, with help and related information', async () => {
    const uri = uriOf(broken);
    await c.open(uri, BROKEN);
    const ds = await c.diagnosticsFor(uri, (x) => x.length > 0);
    expect(codes(ds)).toEqual(expect.arrayContaining(['E0100', 'E0102', 'E0201', 'W0001']));
    const unit = ds.find((d) => d.code === 'E0201')!;
    expect(unit.range.start).toEqual({ line: 3, character: 24 });
    expect(unit.message).toContain('help:');
    expect(unit.source).toBe('writ');
  });

  it('reports several syntax errors at once (parser recovery), and updates as you type (incremental sync)', async () => {
    const uri = uriOf(syntax);
    await c.open(uri, SYNTAX);
    const ds = await c.diagnosticsFor(uri, (x) => x.length > 0);
    const syntaxErrors = (x: Diag[]) => x.filter((d) => d.code === 'E0001').map((d) => `${d.range.start.line}:${d.range.start.character}`);
    expect(syntaxErrors(ds)).toEqual(['3:0', '3:22', '5:0']);
    // Fix line 3 ("allow x when") by typing a condition, in two incremental edits.
    await c.change(uri, 2, [{ range: { start: { line: 2, character: 12 }, end: { line: 2, character: 12 } }, text: ' agent has' }]);
    await c.change(uri, 3, [{ range: { start: { line: 2, character: 22 }, end: { line: 2, character: 22 } }, text: ' role a' }]);
    const after = await c.diagnosticsFor(uri, (x) => !syntaxErrors(x).includes('3:0'));
    expect(syntaxErrors(after)).toEqual(['3:22', '5:0']);
  });

  it('hover: a tool signature with risk and cost, a parameter type, a role with its agents, a unit, a rule in one sentence', async () => {
    const h = async (p: { line: number; character: number }) =>
      ((await c.request<{ contents: { value: string } } | null>('textDocument/hover', { ...td(csUri), position: p }))?.contents.value ?? '');
    const tool = await h(pos(csText, 'allow issue_refund', 8));
    expect(tool).toContain('tool issue_refund(order_id: string, amount: money(USD), reason: string) risk high cost 0.02 USD');
    expect(await h(pos(csText, 'args.amount <= 100', 6))).toContain('amount: money(USD)');
    expect(await h(pos(csText, 'role billing', 6, 1))).toContain('refund-agent');
    expect(await h(pos(csText, '30m', 1))).toMatch(/30 minutes/);
    expect(await h(pos(csText, '100 USD', 5))).toMatch(/Currency.*USD/);
    expect(await h(pos(csText, 'deny issue_refund when args.amount > 500', 1))).toMatch(/Denies.*issue_refund.*refunds above \$500/);
    expect(await h(pos(csText, 'approve issue_refund', 1))).toMatch(/Holds.*approval by role `finance_lead` within 30 minutes/);
    expect(await h(pos(csText, 'injection(args)', 2))).toMatch(/Detector.*prompt/);
  });

  it('completion: statement keywords, tools, parameters with types, roles, units, detector kinds, operators', async () => {
    const uri = uriOf(path.join(ws, 'customer-support', 'scratch.writ'));
    const lines = [
      '',
      'allow ',
      'allow issue_refund when args.',
      'allow issue_refund when agent has role ',
      'allow issue_refund when args.amount <= 100 ',
      'allow issue_refund when args.amount <= 5',
      'deny * when pii(args, ',
      'deny issue_refund when args.amount ',
      'deny flow ',
    ];
    await c.open(uri, lines.join('\n'));
    const at = async (line: number) =>
      (await c.request<Array<{ label: string; detail?: string }>>('textDocument/completion', { ...td(uri), position: { line, character: (lines[line] ?? '').length } })) ?? [];
    const labels = async (line: number) => (await at(line)).map((x) => x.label);
    expect(await labels(0)).toEqual(expect.arrayContaining(['policy', 'tool', 'allow', 'deny', 'approve', 'assert']));
    expect(await labels(1)).toEqual(expect.arrayContaining(['issue_refund', 'read_only', '*']));
    const params = await at(2);
    expect(params.map((x) => x.label)).toEqual(['order_id', 'amount', 'reason']);
    expect(params.find((x) => x.label === 'amount')?.detail).toBe('amount: money(USD)');
    expect(await labels(3)).toEqual(expect.arrayContaining(['billing', 'finance_lead']));
    expect(await labels(4)).toContain('USD');
    expect(await labels(5)).toEqual(expect.arrayContaining(['5m', '5h', '5s']));
    expect(await labels(6)).toEqual(expect.arrayContaining(['email', 'us_ssn', 'credit_card']));
    expect(await labels(7)).toEqual(expect.arrayContaining(['<=', '==', 'in']));
    expect(await labels(8)).toEqual(expect.arrayContaining(['pii', 'secret', 'injection']));
  });

  it('signature help inside a detector call', async () => {
    const uri = uriOf(path.join(ws, 'customer-support', 'scratch.writ'));
    const r = await c.request<{ signatures: Array<{ label: string }>; activeParameter: number }>('textDocument/signatureHelp', { ...td(uri), position: { line: 6, character: 22 } });
    expect(r.signatures[0]?.label).toMatch(/^pii\(value, email \| phone/);
    expect(r.activeParameter).toBe(1);
    await c.notify('textDocument/didClose', td(uri));
  });

  it('go to definition, references and rename across the files of a policy', async () => {
    const main = readFileSync(splitMain, 'utf8');
    const rules = readFileSync(splitRules, 'utf8');
    const rulesUri = uriOf(splitRules);
    await c.open(rulesUri, rules);
    await c.diagnosticsFor(rulesUri);
    const def = await c.request<Array<{ uri: string; range: { start: { line: number } } }>>('textDocument/definition', { ...td(rulesUri), position: pos(rules, 'issue_refund', 2) });
    expect(def).toEqual([{ uri: uriOf(splitMain), range: expect.objectContaining({ start: pos(main, 'issue_refund(') }) }]);
    const param = await c.request<Array<{ uri: string }>>('textDocument/definition', { ...td(rulesUri), position: pos(rules, 'args.amount', 6) });
    expect(param[0]?.uri).toBe(uriOf(splitMain));
    const refs = await c.request<Array<{ uri: string }>>('textDocument/references', { ...td(rulesUri), position: pos(rules, 'role billing', 6), context: { includeDeclaration: true } });
    expect(new Set(refs.map((r) => r.uri))).toEqual(new Set([uriOf(splitMain), rulesUri]));
    expect(refs.length).toBeGreaterThanOrEqual(4);
    const prep = await c.request<{ placeholder: string }>('textDocument/prepareRename', { ...td(rulesUri), position: pos(rules, 'finance_lead', 2) });
    expect(prep.placeholder).toBe('finance_lead');
    const edit = await c.request<{ changes: Record<string, Array<{ newText: string }>> }>('textDocument/rename', { ...td(rulesUri), position: pos(rules, 'finance_lead', 2), newName: 'finance_manager' });
    expect(Object.keys(edit.changes).sort()).toEqual([uriOf(splitMain), rulesUri].sort());
    expect(Object.values(edit.changes).flat().every((e) => e.newText === 'finance_manager')).toBe(true);
    const agent = await c.request<{ changes: Record<string, Array<{ newText: string }>> }>('textDocument/rename', { ...td(csUri), position: pos(csText, '"hacker-bot"', 2), newName: 'bad-bot' });
    expect(Object.values(agent.changes).flat().map((e) => e.newText)).toEqual(['"bad-bot"', '"bad-bot"']);
    await expect(c.request('textDocument/rename', { ...td(rulesUri), position: pos(rules, 'issue_refund', 2), newName: 'not a name' })).rejects.toThrow(/not a valid name/);
  });

  it('document symbols, folding ranges and semantic tokens', async () => {
    const syms = await c.request<Array<{ name: string; kind: number; children?: Array<{ name: string }> }>>('textDocument/documentSymbol', td(csUri));
    expect(syms.map((s) => s.name)).toEqual(expect.arrayContaining(['policy "customer-support"', 'billing', 'refund-agent', 'issue_refund', 'allow issue_refund', 'assert never allow issue_refund']));
    expect(syms.find((s) => s.name === 'issue_refund')?.children?.map((x) => x.name)).toEqual(['order_id', 'amount', 'reason']);
    const folds = await c.request<Array<{ startLine: number; endLine: number; kind?: string }>>('textDocument/foldingRange', td(csUri));
    expect(folds).toEqual(expect.arrayContaining([{ startLine: pos(csText, 'approve issue_refund').line, endLine: pos(csText, 'approve issue_refund').line + 1 }]));
    expect(folds.some((f) => f.kind === 'comment')).toBe(true);
    const init = await c.request<{ data: number[] }>('textDocument/semanticTokens/full', td(csUri));
    expect(init.data.length % 5).toBe(0);
    expect(init.data.length / 5).toBeGreaterThan(200);
  });

  it('code actions: declare a missing tool or role, take a suggestion, fix a unit, add because', async () => {
    const uri = uriOf(broken);
    const ds = await c.diagnosticsFor(uri, (x) => x.length > 0);
    const actions = await c.request<Array<{ title: string; edit: { changes: Record<string, Array<{ newText: string }>> } }>>('textDocument/codeAction', {
      ...td(uri),
      range: { start: { line: 0, character: 0 }, end: { line: 9, character: 0 } },
      context: { diagnostics: ds },
    });
    const titles = actions.map((a) => a.title);
    expect(titles).toEqual(
      expect.arrayContaining([
        'Declare tool send_sms',
        'Change to issue_refund',
        'Change to billing',
        'Declare role biling',
        'Write 5m as 5 USD',
        'Write 100 as 100 USD',
        'Add `because "…"` to this deny',
      ]),
    );
    const declare = actions.find((a) => a.title === 'Declare tool send_sms')!;
    expect(declare.edit.changes[uri]?.[0]?.newText).toBe('tool send_sms()\n');
  });

  it('formats a document with the shared formatter, and refuses a file with syntax errors', async () => {
    const uri = uriOf(path.join(ws, 'customer-support', 'messy.writ'));
    await c.open(uri, 'role   a ,b\nallow  x when agent has role a # why\n');
    const edits = await c.request<Array<{ newText: string }>>('textDocument/formatting', { ...td(uri), options: { tabSize: 2, insertSpaces: true } });
    expect(edits[0]?.newText).toBe('role a, b\nallow x when agent has role a # why\n');
    expect(await c.request('textDocument/formatting', { ...td(uriOf(syntax)), options: { tabSize: 2, insertSpaces: true } })).toEqual([]);
    await c.notify('textDocument/didClose', td(uri));
  });

  it('on save, runs the verifier: a failed assertion with its counterexample, and analyses as warnings', async () => {
    // A goodwill refund of any amount slips through the `or`: the assertion fails.
    const file = path.join(ws, 'refunds', 'policy.writ');
    cpSync(path.join(repo, 'examples', 'customer-support', 'README.md'), path.join(ws, 'refunds', 'README.md'));
    writeFileSync(
      file,
      [
        'policy "refunds" version "1.1.0"',
        'role billing',
        'role finance_lead',
        'agent "refund-agent" roles [billing]',
        'tool issue_refund(order_id: string, amount: money(USD), reason: string) risk high',
        'allow issue_refund when agent has role billing and args.amount <= 100 USD or args.reason == "goodwill"',
        'approve issue_refund when agent has role billing and args.amount > 100 USD and args.amount <= 500 USD',
        '  by role finance_lead within 30m else deny',
        'assert never allow issue_refund when args.amount > 500 USD',
        '# Shadowed: the deny below always wins where this allow matches.',
        'allow issue_refund when agent has role billing and args.amount > 2000 USD',
        'deny issue_refund when args.amount > 1000 USD because "too much"',
        '',
      ].join('\n'),
    );
    const uri = uriOf(file);
    await c.open(uri, readFileSync(file, 'utf8'));
    await c.diagnosticsFor(uri);
    await c.notify('textDocument/didSave', td(uri));
    const ds = await c.diagnosticsFor(uri, (x) => x.some((d) => d.source === 'writ verify'), 60_000);
    const failed = ds.find((d) => d.source === 'writ verify' && d.severity === 1)!;
    expect(failed.code).toBe('assertion');
    expect(failed.message).toMatch(/assertion failed/);
    expect(failed.message).toMatch(/counterexample request: \{.*"tool":"issue_refund"/);
    expect(failed.relatedInformation?.[0]?.message).toMatch(/decided allow here/);
    const analyses = ds.filter((d) => d.source === 'writ verify' && d.code !== 'assertion');
    expect(analyses.map((d) => `${String(d.code)}@${d.range.start.line}`)).toContain('shadowed@10');
    expect(analyses.every((d) => d.severity === 2)).toBe(true);
    const note = c.notifications.find((n) => n.method === 'writ/verification');
    expect(note).toBeDefined();
  }, 90_000);
});
