/**
 * `writ test` as a user runs it: the built binary on the example suites and on broken suites, every
 * reporter, the coverage gate, and the exit codes; plus properties of the pieces it is built from (template
 * rows, suite parsing with line numbers, the runtime's clause-by-clause condition probe).
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { compile } from '@writ/compiler';
import { ConditionProbe, loadPolicy, clausesOf } from '@writ/runtime';
import { describe, expect, it } from 'vitest';
import { expandTemplate, placeholders, TemplateError } from '../packages/cli/dist/testing/template.js';
import { parseSuite, SuiteError } from '../packages/cli/dist/testing/suite.js';

const repo = path.resolve(import.meta.dirname, '..');
const bin = path.join(repo, 'packages/cli/dist/bin.js');
const fixtures = 'tests/fixtures/writ-test';

function writ(args: string[], cwd = repo) {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const tmp = mkdtempSync(path.join(tmpdir(), 'writ-test-cli-'));
const cs = path.join(repo, 'examples/customer-support');

/** Writes a suite file in its own temporary directory and returns its path. */
function suite(name: string, text: string): string {
  const dir = path.join(tmp, name);
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${name}.test.yaml`);
  writeFileSync(file, text);
  return file;
}

interface JsonReport {
  ok: boolean;
  exit: number;
  summary: { suites: number; invalid: number; cases: number; passed: number; failed: number; errors: number };
  suites: Array<{
    file: string;
    error?: { file: string; line: number; column: number; message: string };
    cases: Array<{ name: string; file: string; line: number; status: string; problems: string[]; actual?: { effect: string; reasons: Array<{ rule: string }>; result?: unknown } }>;
  }>;
  coverage?: Array<{
    policy: { name: string };
    rules: { percent: number; total: number; exercised: number; items: Array<{ id: string; kind: string; exercised: boolean; file: string; line: number; column: number }> };
    clauses: { percent: number; total: number; items: Array<{ rule: string; line: number; column: number; text: string; true: boolean; false: boolean }> };
    gate?: { what: string; pct: number; met: boolean };
  }>;
}

/**
 * A small XML 1.0 well-formedness check (no parser is installed): one root element, properly nested and
 * closed tags, attributes quoted and unique, no raw `<` or bare `&` in text or attribute values, and only
 * the five predefined entities or character references.
 */
function checkXml(xml: string): { root: string; elements: Array<{ name: string; attrs: Record<string, string>; text: string }> } {
  let s = xml.replace(/^<\?xml [^?]*\?>\s*/, '');
  const stack: string[] = [];
  const elements: Array<{ name: string; attrs: Record<string, string>; text: string }> = [];
  let root = '';
  const entity = /&(?:amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);/g;
  const checkText = (t: string) => {
    if (t.includes('<')) throw new Error(`raw < in ${JSON.stringify(t.slice(0, 40))}`);
    if (t.replace(entity, '').includes('&')) throw new Error(`bare & in ${JSON.stringify(t.slice(0, 40))}`);
  };
  while (s.length) {
    const lt = s.indexOf('<');
    if (lt < 0) {
      if (s.trim()) throw new Error('text after the root element');
      break;
    }
    const text = s.slice(0, lt);
    checkText(text);
    if (!stack.length && text.trim()) throw new Error('text outside the root element');
    if (elements.length && stack.length) elements[elements.length - 1]!.text += text;
    s = s.slice(lt);
    const close = /^<\/([A-Za-z_][\w.-]*)\s*>/.exec(s);
    if (close) {
      if (stack.pop() !== close[1]) throw new Error(`mismatched </${close[1]}>`);
      s = s.slice(close[0].length);
      continue;
    }
    const open = /^<([A-Za-z_][\w.-]*)((?:\s+[A-Za-z_][\w.-]*\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*(\/?)>/.exec(s);
    if (!open) throw new Error(`malformed tag at ${JSON.stringify(s.slice(0, 60))}`);
    if (!stack.length) {
      if (root) throw new Error('two root elements');
      root = open[1]!;
    }
    const attrs: Record<string, string> = {};
    for (const m of open[2]!.matchAll(/([A-Za-z_][\w.-]*)\s*=\s*(?:"([^"]*)"|'([^']*)')/g)) {
      if (Object.hasOwn(attrs, m[1]!)) throw new Error(`duplicate attribute ${m[1]}`);
      const v = m[2] ?? m[3] ?? '';
      checkText(v);
      attrs[m[1]!] = v.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, '&');
    }
    elements.push({ name: open[1]!, attrs, text: '' });
    if (!open[3]) stack.push(open[1]!);
    s = s.slice(open[0].length);
  }
  if (stack.length) throw new Error(`unclosed <${stack.join('>, <')}>`);
  return { root, elements };
}

describe('writ test (end to end)', () => {
  it('runs every example suite and passes (exit 0)', () => {
    const r = writ(['test', 'examples']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    for (const ex of ['customer-support', 'data-protection', 'devops-governance', 'broken-refunds']) {
      expect(r.stdout).toMatch(new RegExp(`^ok +examples/${ex}/policy\\.test\\.yaml \\(${ex}@`, 'm'));
    }
    expect(r.stdout).toMatch(/^\d+ suites, \d+ cases: (\d+) passed, 0 failed\b/m);
  });

  it('covers every rule of every example (rules 100%) and reports clause coverage', () => {
    const r = writ(['test', 'examples', '--min-coverage', '100', '--reporter', 'json']);
    expect(r.code).toBe(0);
    const rep = JSON.parse(r.stdout) as JsonReport;
    expect(rep.coverage!.map((c) => c.policy.name)).toEqual(expect.arrayContaining(['broken-refunds', 'customer-support', 'data-protection', 'devops-governance']));
    for (const c of rep.coverage!) {
      expect(c.rules.percent, c.policy.name).toBe(100);
      expect(c.rules.items.every((i) => i.exercised)).toBe(true);
      expect(c.gate).toEqual({ what: 'rules', pct: 100, met: true });
      expect(c.clauses.total).toBeGreaterThan(0);
    }
    // Every example policy has a suite, and each suite's policy is in the coverage report.
    const examples = readdirSync(path.join(repo, 'examples'), { withFileTypes: true }).filter((d) => d.isDirectory() && readdirSync(path.join(repo, 'examples', d.name)).some((f) => f.endsWith('.writ')));
    for (const d of examples) expect(readdirSync(path.join(repo, 'examples', d.name)).some((f) => f.endsWith('.test.yaml')), d.name).toBe(true);
    expect(rep.coverage!.length).toBe(examples.length);
    // Every rule of customer-support's artifact is in the list (rules, flows, limits: 12 + 2 + 1).
    expect(rep.coverage!.find((c) => c.policy.name === 'customer-support')!.rules.total).toBe(15);
  });

  it('a wrong expectation fails (exit 1) naming the suite file:line, expected and actual, and the deciding rule', () => {
    const r = writ(['test', `${fixtures}/wrong-expectation`]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`FAIL ${fixtures}/wrong-expectation/refunds.test.yaml:8  a $250 refund runs at once (wrong)`);
    expect(r.stdout).toContain('expected allow, got pending_approval');
    expect(r.stdout).toContain('expected rule policy.writ:32 among the reasons, got policy.writ:33');
    // The deciding rule's source excerpt.
    expect(r.stdout).toContain('--> examples/customer-support/policy.writ:33:1');
    expect(r.stdout).toContain('33 | approve issue_refund when agent has role billing');
    expect(r.stdout).toMatch(/^1 suite, 2 cases: 1 passed, 1 failed/m);
    expect(r.stdout + r.stderr).not.toMatch(/\n\s+at .*\.js:\d+/);
  });

  it('a YAML syntax error is exit 3 with file:line:column', () => {
    const r = writ(['test', `${fixtures}/bad-yaml`]);
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(/error\[suite\]: YAML: /);
    expect(r.stdout).toContain(`--> ${fixtures}/bad-yaml/broken.test.yaml:6:5`);
  });

  it('a malformed case is exit 3 at the offending key', () => {
    const r = writ(['test', `${fixtures}/bad-case`]);
    expect(r.code).toBe(3);
    expect(r.stdout).toContain("unknown key 'expcet'");
    expect(r.stdout).toContain(`--> ${fixtures}/bad-case/typo.test.yaml:9:5`);
  });

  it('invalid beats failed: broken and failing suites together exit 3, and every suite is still reported', () => {
    const r = writ(['test', fixtures, 'examples/broken-refunds']);
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(/^4 suites \(2 invalid\), 16 cases: 15 passed, 1 failed/m);
  });

  it('the suite tests the policy: changing a threshold in a copy makes cases fail', () => {
    const dir = path.join(tmp, 'mutated');
    cpSync(cs, dir, { recursive: true });
    const p = path.join(dir, 'policy.writ');
    writeFileSync(p, readFileSync(p, 'utf8').replace('args.amount <= 100 USD\n', 'args.amount <= 99 USD\n'));
    const r = writ(['test', dir, '--reporter', 'json']);
    expect(r.code).toBe(1);
    const rep = JSON.parse(r.stdout) as JsonReport;
    const failed = rep.suites[0]!.cases.filter((c) => c.status === 'fail').map((c) => c.name);
    expect(failed).toEqual(['refund thresholds for billing [amount=100]']);
  });

  it('--reporter json: counts, lines and the actual decision', () => {
    const r = writ(['test', `${fixtures}/wrong-expectation`, '--reporter', 'json']);
    expect(r.code).toBe(1);
    const rep = JSON.parse(r.stdout) as JsonReport;
    expect(rep).toMatchObject({ ok: false, exit: 1, summary: { suites: 1, cases: 2, passed: 1, failed: 1, errors: 0 } });
    const bad = rep.suites[0]!.cases[1]!;
    expect(bad).toMatchObject({ status: 'fail', line: 8, file: `${fixtures}/wrong-expectation/refunds.test.yaml` });
    expect(bad.actual!.effect).toBe('pending_approval');
    expect(bad.actual!.reasons[0]!.rule).toBe('policy.writ:33');
    expect((bad as unknown as { expected: unknown }).expected).toEqual({ effect: 'allow', rule: ['policy.writ:32'] });
    const invalid = JSON.parse(writ(['test', `${fixtures}/bad-case`, '--reporter', 'json']).stdout) as JsonReport;
    expect(invalid.exit).toBe(3);
    expect(invalid.suites[0]!.error).toMatchObject({ line: 9, column: 5 });
  });

  it('--reporter junit: well-formed XML with the right counts, escaped text, and one testcase per case', () => {
    const out = path.join(tmp, 'junit.xml');
    const r = writ(['test', fixtures, 'examples/data-protection', '--reporter', 'junit', '--out', out]);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/report written to/);
    const xml = readFileSync(out, 'utf8');
    const { root, elements } = checkXml(xml);
    expect(root).toBe('testsuites');
    const top = elements[0]!;
    const cases = elements.filter((e) => e.name === 'testcase');
    const failures = elements.filter((e) => e.name === 'failure');
    const errors = elements.filter((e) => e.name === 'error');
    expect(Number(top.attrs['tests'])).toBe(cases.length);
    expect(Number(top.attrs['failures'])).toBe(failures.length);
    expect(Number(top.attrs['errors'])).toBe(errors.length);
    expect(failures).toHaveLength(1);
    expect(errors).toHaveLength(2);
    // Escaping round-trips: the payloads with < > ' " & are in the names, as written.
    const names = cases.map((c) => c.attrs['name']);
    expect(names).toContain(`each injection class has its own reason [tool="post_comment", param="html", payload="<script>alert(document.cookie)</script>"]`);
    expect(failures[0]!.text).toContain('args.amount &gt; 100 USD');
    for (const s of elements.filter((e) => e.name === 'testsuite')) {
      expect(Number(s.attrs['tests'])).toBeGreaterThan(0);
      expect(s.attrs['file']).toMatch(/\.test\.yaml$/);
    }
    // A case name with characters XML cannot hold at all (U+0001) is still well-formed.
    const odd = suite('odd', `policy: ${cs}\ncases:\n  - name: "odd \\u0001 & <name>"\n    request: { agent: { id: support-agent }, tool: search_knowledge_base, args: { query: q } }\n    expect: deny\n`);
    const x = writ(['test', odd, '--reporter', 'junit']);
    expect(x.code).toBe(1);
    const parsed = checkXml(x.stdout);
    expect(parsed.elements.find((e) => e.name === 'testcase')!.attrs['name']).toBe('odd \uFFFD & <name>');
  });

  it('--filter runs only the matching cases', () => {
    const rep = JSON.parse(writ(['test', 'examples/customer-support', '--filter', '^refund thresholds', '--reporter', 'json']).stdout) as JsonReport;
    expect(rep.summary.cases).toBe(6);
    expect(rep.suites[0]!.cases.every((c) => c.name.startsWith('refund thresholds'))).toBe(true);
    expect(writ(['test', 'examples', '--filter', '(']).code).toBe(2);
  });

  it('--coverage lists unexercised rules and clauses with their spans; --min-coverage gates (exit 1)', () => {
    const one = suite('one', `policy: ${cs}\ncases:\n  - name: a small refund\n    request: { agent: { id: refund-agent }, tool: issue_refund, args: { order_id: O-1, amount: 25, reason: x } }\n    expect: allow\n`);
    const r = writ(['test', one, '--coverage']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/coverage customer-support@1\.0\.0: rules 1\/15 \(6\.6%\)/);
    expect(r.stdout).toMatch(/rule not exercised +examples\/customer-support\/policy\.writ:36:1 +deny: deny issue_refund when args\.amount <= 0 USD/);
    expect(r.stdout).toMatch(/rule not exercised +examples\/customer-support\/policy\.writ:37:1 +limit: limit issue_refund 20 per 1h per agent/);
    // args.amount <= 100 USD (line 32, column 52) was true for $25 and never false.
    expect(r.stdout).toMatch(/clause never false +examples\/customer-support\/policy\.writ:32:52 +args\.amount <= 100 USD/);
    const gated = writ(['test', one, '--min-coverage', '50']);
    expect(gated.code).toBe(1);
    expect(gated.stdout).toContain('coverage below the gate: customer-support rules 6.6% < 50%');
    expect(writ(['test', 'examples', '--min-coverage', 'clauses=100']).code).toBe(1);
    // In JUnit, the gate is a test case per policy, failing below it with the unexercised rules listed.
    const junit = writ(['test', one, '--min-coverage', '50', '--reporter', 'junit']);
    expect(junit.code).toBe(1);
    const gateCase = checkXml(junit.stdout).elements.filter((e) => e.name === 'testcase' && e.attrs['classname'] === 'coverage');
    expect(gateCase.map((e) => e.attrs['name'])).toEqual(['customer-support rules coverage >= 50%']);
    expect(junit.stdout).toContain('<failure message="rules coverage 6.6% &lt; 50%"');
    expect(junit.stdout).toContain('examples/customer-support/policy.writ:37:1 limit: limit issue_refund 20 per 1h per agent');
    expect(writ(['test', 'examples', '--min-coverage', 'lots']).code).toBe(2);
  });

  it('prior history: earlier calls in the same session only; a prior that does not fit the request is exit 3', () => {
    const f = suite(
      'prior',
      [
        `policy: ${cs}`,
        'cases:',
        '  - name: export after a refund in the session',
        '    request: { agent: { id: refund-agent }, tool: export_customer_data, args: { customer_id: C-1 }, context: { session: s } }',
        '    prior: { history: [{ tool: issue_refund, args: { order_id: O, amount: 5, reason: x }, ago: 2m }] }',
        '    expect: { effect: deny, rule: policy.writ:48 }',
        '  - name: the same refund history in another session does not count',
        '    request: { agent: { id: refund-agent }, tool: export_customer_data, args: { customer_id: C-1 }, context: { session: other } }',
        '    expect: pending_approval',
        '  - name: history without a session',
        '    request: { agent: { id: refund-agent }, tool: export_customer_data, args: { customer_id: C-1 } }',
        '    prior: { history: [{ tool: issue_refund, args: {} }] }',
        '    expect: deny',
      ].join('\n'),
    );
    const r = writ(['test', f]);
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(/error\[case\]: case 'history without a session' cannot be set up: prior\.history lives in a session, but the request has no context\.session/);
    expect(r.stdout).toMatch(/prior\.test\.yaml:10:5/);
    expect(r.stdout).toMatch(/3 cases: 2 passed, 0 failed, 1 could not be set up/);
  });

  it('prior labels taint the session: a labelled value flowing into a guarded argument is denied by the flow', () => {
    const dir = path.join(tmp, 'flows');
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      path.join(dir, 'policy.writ'),
      [
        'policy "flows" version "1.0.0"',
        'role billing',
        'agent "a" roles [billing]',
        'tool web_fetch(url: string)',
        'tool issue_refund(order_id: string, amount: number)',
        'allow [web_fetch, issue_refund] when agent has role billing',
        'label untrusted from tool web_fetch.result',
        'deny flow untrusted -> issue_refund.amount',
        '',
      ].join('\n'),
    );
    const req = (amount: number) => `{ agent: { id: a }, tool: issue_refund, args: { order_id: O, amount: ${amount} }, context: { session: s } }`;
    writeFileSync(
      path.join(dir, 'flows.test.yaml'),
      [
        'cases:',
        '  - name: an amount read from a web page',
        `    request: ${req(640)}`,
        '    prior: { labels: { untrusted: [640, "some page text"] } }',
        '    expect: { effect: deny, denial: forbidden, rule: policy.writ:8 }',
        '  - name: another amount',
        `    request: ${req(20)}`,
        '    prior: { labels: { untrusted: [640] } }',
        '    expect: allow',
        '  - name: no labels held',
        `    request: ${req(640)}`,
        '    expect: allow',
      ].join('\n'),
    );
    const r = writ(['test', dir, '--coverage']);
    expect(r.stdout).toMatch(/3 cases: 3 passed, 0 failed/);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/rules 2\/2 \(100%\)/);
  });

  it('approvals are cast only on a call that waits for one: an approval does not open a denied call', () => {
    const f = suite(
      'approvals',
      [
        `policy: ${cs}`,
        'cases:',
        '  - name: approved $600 refund is still denied',
        '    request: { agent: { id: refund-agent }, tool: issue_refund, args: { order_id: O, amount: 600, reason: x } }',
        '    prior: { approvals: [{ by: lead-1, role: finance_lead }] }',
        '    expect: { effect: deny, rule: policy.writ:35 }',
        '  - name: an approval by someone without the role is refused',
        '    request: { agent: { id: refund-agent }, tool: issue_refund, args: { order_id: O, amount: 300, reason: x } }',
        '    prior: { approvals: [{ by: bob, role: support }] }',
        '    expect: allow',
      ].join('\n'),
    );
    const r = writ(['test', f]);
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(/case 'an approval by someone without the role is refused' cannot be set up: prior\.approvals: bob \(support\): approver 'bob' has none of the required roles \(finance_lead\)/);
    expect(r.stdout).toMatch(/2 cases: 1 passed, 0 failed, 1 could not be set up/);
  });

  it('post cases compare the redacted result', () => {
    const dp = path.join(repo, 'examples/data-protection');
    const f = suite(
      'post',
      [
        `policy: ${dp}`,
        'cases:',
        '  - name: ssn left in the result (wrong)',
        '    request: { agent: { id: chat-assistant }, tool: fetch_profile, args: { customer_id: C-1 } }',
        '    result: { ssn: 123-45-6789 }',
        '    expect: { effect: allow, result: { ssn: 123-45-6789 } }',
      ].join('\n'),
    );
    const r = writ(['test', f]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('expected the result {"ssn":"123-45-6789"}, got {"ssn":"<US_SSN_1>"}');
  });

  it('a template row without a value for a placeholder is exit 3 at the row', () => {
    const f = suite('rows', `policy: ${cs}\ncases:\n  - name: t\n    template: { agent: { id: "\${who}" }, tool: lookup_order, args: { order_id: O } }\n    rows:\n      - { who: refund-agent, effect: allow }\n      - { effect: allow }\n`);
    const r = writ(['test', f]);
    expect(r.code).toBe(3);
    expect(r.stdout).toContain("row 2 of 't': the template uses ${who}, but the row gives no 'who'");
    expect(r.stdout).toContain('rows.test.yaml:7:9');
  });

  it('a policy that does not compile is exit 3 with its diagnostics', () => {
    const dir = path.join(tmp, 'badpolicy');
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'p.writ'), 'policy "p" version "1"\ntool t(a: string)\nallow t when args.b == "x"\n');
    writeFileSync(path.join(dir, 'p.test.yaml'), 'cases:\n  - name: x\n    request: { agent: { id: a }, tool: t, args: { a: "1" } }\n    expect: allow\n');
    const r = writ(['test', dir]);
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(/error\[E0104\]/);
    expect(r.stdout).toMatch(/p\.writ:3:/);
  });

  it('usage errors are exit 2; help documents the format and exit codes', () => {
    expect(writ(['test', 'examples', '--reporter', 'xml']).code).toBe(2);
    const none = writ(['test', 'grammar']);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('no *.test.yaml suites found');
    const help = writ(['test', '--help']);
    expect(help.code).toBe(0);
    for (const w of ['Exit codes:', '0   every case passed', '1   a case failed', '3   a suite or its policy is invalid', 'template', 'prior', '--min-coverage']) expect(help.stdout).toContain(w);
    expect(writ(['--help']).stdout).toContain('test: 0 every case passed, 1 a case failed or coverage is below --min-coverage, 3 a suite or its');
  });
});

describe('template rows (property)', () => {
  const scalar = fc.oneof(fc.string(), fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.boolean(), fc.constant(null));
  const value = fc.oneof(scalar, fc.array(scalar, { maxLength: 3 }), fc.dictionary(fc.string(), scalar, { maxKeys: 3 }));
  const name = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,6}$/);

  it('a whole-string placeholder becomes the row value itself (type kept); expansion leaves no placeholder', () => {
    fc.assert(
      fc.property(fc.dictionary(name, value, { minKeys: 1, maxKeys: 4 }), (row) => {
        const keys = Object.keys(row);
        const template = { args: Object.fromEntries(keys.map((k) => [k, `\${${k}}`])), text: keys.map((k) => `<\${${k}}>`).join('') };
        expect(placeholders(template)).toEqual([...keys].sort());
        const out = expandTemplate(template, row) as { args: Record<string, unknown>; text: string };
        for (const k of keys) expect(out.args[k]).toEqual(row[k]);
        expect(out.text).toBe(keys.map((k) => `<${typeof row[k] === 'string' ? row[k] : JSON.stringify(row[k])}>`).join(''));
        // The template is not modified, and a row value that looks like a placeholder is not expanded again.
        expect(template.args[keys[0]!]).toBe(`\${${keys[0]}}`);
      }),
    );
  });

  it('a template without placeholders is returned equal; a missing variable throws TemplateError naming it', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        fc.pre(placeholders(v).length === 0 && !JSON.stringify(v).includes('$${'));
        expect(expandTemplate(v, {})).toEqual(v);
      }),
    );
    fc.assert(
      fc.property(name, (n) => {
        expect(() => expandTemplate({ a: [`x\${${n}}y`] }, {})).toThrow(TemplateError);
        expect(() => expandTemplate({ a: [`x\${${n}}y`] }, {})).toThrow(`\${${n}}`);
      }),
    );
    expect(expandTemplate('cost: $${x} and ${x}', { x: 5 })).toBe('cost: ${x} and 5');
  });

  it('parsing a table case gives one case per row, each at its own YAML line, with expectations merged', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 1000 }), { minLength: 1, maxLength: 12 }), fc.integer({ min: 0, max: 3 }), (amounts, blank) => {
        const head = `cases:\n${'\n'.repeat(blank)}  - name: t\n    template: { tool: x, args: { amount: "\${a}" } }\n    expect: { rule: r.writ:1 }\n    rows:\n`;
        const text = head + amounts.map((a) => `      - { a: ${a}, effect: ${a > 500 ? 'deny' : 'allow'} }\n`).join('');
        const s = parseSuite('/x/s.test.yaml', text);
        expect(s.cases).toHaveLength(amounts.length);
        const first = head.split('\n').length;
        s.cases.forEach((c, i) => {
          expect(c.where.line).toBe(first + i);
          expect(c.request).toEqual({ tool: 'x', args: { amount: amounts[i] } });
          expect(c.expect).toEqual({ rules: ['r.writ:1'], effect: amounts[i]! > 500 ? 'deny' : 'allow' });
        });
      }),
    );
  });

  it('never throws anything but SuiteError on arbitrary text', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (text) => {
        try {
          parseSuite('/x/s.test.yaml', text);
        } catch (e) {
          expect(e).toBeInstanceOf(SuiteError);
          expect((e as SuiteError).where.line).toBeGreaterThanOrEqual(1);
        }
      }),
      { numRuns: 300 },
    );
    // Structured but arbitrary suites (JSON is YAML): cases of random shape, with the keys a case may have.
    const key = fc.constantFrom('name', 'request', 'template', 'rows', 'prior', 'result', 'expect', 'effect', 'time', 'history', 'approvals', 'rate', 'spent', 'labels', 'asked', 'x');
    const node: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
      v: fc.oneof({ depthSize: 'small' }, fc.jsonValue({ maxDepth: 1 }), fc.dictionary(key, tie('v'), { maxKeys: 5 }), fc.array(tie('v'), { maxLength: 3 })),
    })).v;
    fc.assert(
      fc.property(fc.array(node, { maxLength: 3 }), (cases) => {
        try {
          parseSuite('/x/s.test.yaml', JSON.stringify({ cases }, null, 1));
        } catch (e) {
          expect(e).toBeInstanceOf(SuiteError);
        }
      }),
      { numRuns: 1000 },
    );
  });
});

describe('ConditionProbe (runtime)', () => {
  const source = readFileSync(path.join(repo, 'examples/broken-refunds/policy.writ'), 'utf8');
  const artifact = compile([{ file: 'policy.writ', text: source }]).artifact!;
  const policy = loadPolicy(artifact);
  const probe = new ConditionProbe(artifact);
  const allowIx = artifact.rules.findIndex((r) => r.id === 'policy.writ:20');

  it('evaluates each clause of `billing and amount <= 100 or reason == goodwill`', () => {
    const when = artifact.rules[allowIx]!.when;
    expect(clausesOf(when).map((c) => c.path)).toEqual([[], [0], [0, 0], [0, 1], [1]]);
    const r = probe.probe({ agent: { id: 'support-agent' }, tool: 'issue_refund', args: { order_id: 'o', amount: 5000, reason: 'goodwill' } });
    if ('invalid' in r) throw new Error(r.invalid);
    const allow = r.rules.find((x) => x.target.id === 'policy.writ:20')!;
    expect(allow.value).toBe(true);
    // or: true; and: false; has role billing: false; amount <= 100: false; goodwill: true.
    expect(allow.clauses).toEqual([true, false, false, false, true]);
    expect(probe.probe({ agent: { id: 'x' }, tool: 'nope', args: {} })).toHaveProperty('invalid');
  });

  it('agrees with the runtime: a rule decides only when its condition holds (property)', () => {
    const agent = fc.constantFrom('refund-agent', 'support-agent', 'hacker-bot', 'someone');
    const amount = fc.oneof(fc.integer({ min: -10, max: 1000 }), fc.double({ min: -10, max: 1000, noNaN: true }));
    const reason = fc.constantFrom('goodwill', 'damaged', '');
    fc.assert(
      fc.property(agent, amount, reason, (a, amt, why) => {
        const req = { agent: { id: a }, tool: 'issue_refund', args: { order_id: 'o', amount: amt, reason: why } };
        const d = policy.decide(req, { dryRun: true, now: 0 });
        const p = probe.probe(req, { now: 0 });
        if ('invalid' in p) throw new Error(p.invalid);
        for (const rule of p.rules) {
          // Every rule named in the decision's reasons had its condition hold.
          if (d.reasons.some((x) => x.rule === rule.target.id)) expect(rule.value, rule.target.id).toBe(true);
          // A matching deny rule always decides (deny beats everything).
          if (artifact.rules[rule.target.index]!.effect === 'deny' && rule.value) expect(d.effect).toBe('deny');
          // The whole condition is the first clause.
          if (rule.clauses.length) expect(rule.clauses[0]).toBe(rule.value);
        }
      }),
      { numRuns: 500 },
    );
  });
});
