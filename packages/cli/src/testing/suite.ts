/**
 * Test suites: `*.test.yaml` files beside a policy, read with the `yaml` package keeping every node's
 * position (LineCounter), so that a YAML error, a malformed case and a failing case all name file:line.
 *
 * ```yaml
 * policy: policy.writ            # optional: a .writ file or directory, relative to this file (default: its directory)
 * cases:
 *   - name: small refund runs
 *     request: { agent: { id: refund-agent }, tool: issue_refund, args: { order_id: A1, amount: 25, reason: x } }
 *     expect: { effect: allow, rule: policy.writ:31 }
 *   - name: refund thresholds
 *     template: { agent: { id: refund-agent }, tool: issue_refund, args: { order_id: A1, amount: "${amount}", reason: x } }
 *     rows:
 *       - { amount: 100, effect: allow }
 *       - { amount: 100.01, effect: pending_approval }
 * ```
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node as YamlNode } from 'yaml';
import { parseDuration, type Decision } from '@writ/runtime';
import { expandTemplate, TemplateError } from './template.js';

/** A position in a suite file (1-based). */
export interface Where {
  file: string;
  line: number;
  column: number;
}

/** A suite that cannot be run: bad YAML or a malformed case. The CLI exits 3. */
export class SuiteError extends Error {
  constructor(
    readonly where: Where,
    message: string,
  ) {
    super(message);
    this.name = 'SuiteError';
  }
}

/** State that exists before the case's call. */
export interface Prior {
  /** The decision's clock, epoch ms. */
  now: number;
  /** Earlier allowed calls in the request's session (for `called …`). */
  history: Array<{ tool: string; args: Record<string, unknown>; agoMs: number }>;
  /** Already used from every budget, in the request's scope (agent, tenant or session). */
  spent?: { cost?: string; tokens?: number; calls?: number };
  /** Earlier calls counted by the rate limits of a tool, in the request's scope: tool → count. */
  rate: Record<string, number>;
  /** Values the session already holds under a taint label: label → values. */
  labels: Record<string, Array<string | number>>;
  /** Approvals given for exactly this call. */
  approvals: Array<{ by: string; role: string }>;
  /** Rejections of this call. */
  rejections: Array<{ by: string; role: string; reason?: string }>;
  /**
   * How long ago the call was first asked for (creating its approval record, which the approvals and
   * rejections answer); set with `asked:` (default 1s ago when approvals or rejections are given).
   */
  askedAgoMs?: number;
}

/** An expected obligation: its type, and optionally the fields it must have (compared as JSON). */
export type ObligationExpect = { type: string } & Record<string, unknown>;

export interface Expectation {
  effect: Decision['effect'];
  denial?: NonNullable<Decision['denial']>;
  /** Rule ids (`policy.writ:31`, `writ:default-deny`) the decision's reasons must name. */
  rules?: string[];
  /** Texts each of which some reason's message must contain. */
  reasons?: string[];
  obligations?: ObligationExpect[];
  /** Post cases: the result handed to the agent (redacted). */
  result?: { value: unknown };
}

export interface TestCase {
  name: string;
  where: Where;
  request: unknown;
  prior: Prior;
  /** Post cases: the tool's result, checked with the post rules instead of deciding the request. */
  result?: { value: unknown };
  expect: Expectation;
}

export interface Suite {
  /** Absolute path of the suite file. */
  file: string;
  /** The policy: a .writ file or directory, absolute. */
  policy: string;
  cases: TestCase[];
}

/** The default clock of a case: a fixed time, so that suites are reproducible. */
export const DEFAULT_TIME = '2026-01-01T12:00:00Z';

const EFFECTS = ['allow', 'deny', 'pending_approval'] as const;
const DENIALS = ['forbidden', 'not_permitted', 'invalid_request'] as const;

/** Reads a node as a YAML map/sequence/scalar with the position of each part, failing at the right line. */
class Reader {
  constructor(
    readonly file: string,
    readonly lines: LineCounter,
  ) {}

  where(node: YamlNode | null | undefined, fallback?: Where): Where {
    const offset = node?.range?.[0];
    if (offset === undefined) return fallback ?? { file: this.file, line: 1, column: 1 };
    const { line, col } = this.lines.linePos(offset);
    return { file: this.file, line, column: col };
  }

  fail(node: YamlNode | null | undefined, message: string, fallback?: Where): never {
    throw new SuiteError(this.where(node, fallback), message);
  }

  /** The pairs of a map node, keys as strings; fails on anything else. */
  entries(node: unknown, what: string, allowed?: readonly string[]): Array<[string, YamlNode, YamlNode | null]> {
    if (!isMap(node)) this.fail(node as YamlNode, `${what} must be a mapping`);
    const out: Array<[string, YamlNode, YamlNode | null]> = [];
    for (const pair of node.items) {
      const keyNode = pair.key as YamlNode;
      const key = isScalar(keyNode) ? String(keyNode.value) : undefined;
      if (key === undefined) this.fail(keyNode, `${what}: keys must be plain names`);
      if (allowed && !allowed.includes(key)) this.fail(keyNode, `${what}: unknown key '${key}' (expected one of: ${allowed.join(', ')})`);
      out.push([key, keyNode, (pair.value as YamlNode | null) ?? null]);
    }
    return out;
  }

  items(node: unknown, what: string): YamlNode[] {
    if (!isSeq(node)) this.fail(node as YamlNode, `${what} must be a list`);
    return node.items as YamlNode[];
  }

  js(node: YamlNode | null): unknown {
    return node === null ? null : node.toJSON();
  }

  string(node: YamlNode | null, what: string, keyNode: YamlNode): string {
    const v = this.js(node);
    if (typeof v !== 'string' || v === '') this.fail(node ?? keyNode, `${what} must be a non-empty string`);
    return v;
  }

  count(node: YamlNode | null, what: string, keyNode: YamlNode): number {
    const v = this.js(node);
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) this.fail(node ?? keyNode, `${what} must be a whole number ≥ 0`);
    return v;
  }
}

/**
 * Reads and checks a suite file.
 * @throws SuiteError (with file:line) for unreadable files, YAML syntax errors and malformed cases
 */
export function readSuite(file: string): Suite {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new SuiteError({ file, line: 1, column: 1 }, `cannot read the suite: ${(e as Error).message}`);
  }
  return parseSuite(file, text);
}

/** {@link readSuite} on text already read. */
export function parseSuite(file: string, text: string): Suite {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const r = new Reader(file, lines);
  const err = doc.errors[0];
  if (err) {
    const { line, col } = lines.linePos(err.pos[0]);
    throw new SuiteError({ file, line, column: col }, `YAML: ${err.message.split('\n')[0]}`);
  }
  if (doc.contents === null) r.fail(null, 'the suite is empty: expected `cases:`');
  let policy = path.dirname(file);
  let casesNode: YamlNode | null = null;
  for (const [key, keyNode, value] of r.entries(doc.contents, 'the suite', ['policy', 'cases'])) {
    if (key === 'policy') policy = path.resolve(path.dirname(file), r.string(value, 'policy', keyNode));
    else casesNode = value ?? keyNode;
  }
  if (casesNode === null) r.fail(doc.contents, 'the suite has no `cases:`');
  const cases: TestCase[] = [];
  for (const item of r.items(casesNode, 'cases')) cases.push(...readCase(r, item));
  return { file, policy, cases };
}

const CASE_KEYS = ['name', 'request', 'template', 'rows', 'prior', 'result', 'expect'] as const;

function readCase(r: Reader, node: YamlNode): TestCase[] {
  const where = r.where(node);
  const get = new Map<string, { key: YamlNode; value: YamlNode | null }>();
  for (const [k, key, value] of r.entries(node, 'a case', CASE_KEYS)) get.set(k, { key, value });
  const nameEntry = get.get('name');
  if (!nameEntry) r.fail(node, 'a case needs a `name:`');
  const name = r.string(nameEntry.value, 'name', nameEntry.key);
  const prior = get.has('prior') ? readPrior(r, get.get('prior')!.value, get.get('prior')!.key) : emptyPrior();
  const result = get.has('result') ? { value: r.js(get.get('result')!.value) } : undefined;
  const expectEntry = get.get('expect');
  const request = get.get('request');
  const template = get.get('template');
  const rows = get.get('rows');
  if (request && (template || rows)) r.fail(template?.key ?? rows!.key, `case '${name}': give either \`request:\` or \`template:\` with \`rows:\`, not both`);
  if (request) {
    if (!expectEntry) r.fail(node, `case '${name}' has no \`expect:\``);
    const expect = readExpect(r, expectEntry.value, expectEntry.key, !!result);
    return [{ name, where, request: r.js(request.value), prior, ...(result ? { result } : {}), expect }];
  }
  if (!template || !rows) r.fail(node, `case '${name}' needs \`request:\`, or \`template:\` and \`rows:\``);
  const base: Partial<Expectation> = expectEntry ? readExpect(r, expectEntry.value, expectEntry.key, !!result, true) : {};
  const tpl = r.js(template.value);
  return r.items(rows.value, 'rows').map((rowNode, i) => {
    const rowWhere = r.where(rowNode);
    const vars: Record<string, unknown> = {};
    let expect: Partial<Expectation> = { ...base };
    let rowName: string | undefined;
    for (const [k, key, value] of r.entries(rowNode, `row ${i + 1}`)) {
      if (k === 'name') rowName = r.string(value, 'name', key);
      else if (k === 'expect') expect = { ...expect, ...readExpect(r, value, key, !!result, true) };
      else if (k === 'effect') expect.effect = readEffect(r, value, key, !!result);
      else if (k === 'denial') expect.denial = readDenial(r, value, key);
      else if (k === 'rule') expect.rules = stringList(r, value, key, 'rule');
      else vars[k] = r.js(value);
    }
    if (expect.effect === undefined) r.fail(rowNode, `row ${i + 1} of '${name}': no expected effect (give \`effect:\` in the row or in the case's \`expect:\`)`);
    let req: unknown;
    try {
      req = expandTemplate(tpl, vars);
    } catch (e) {
      if (e instanceof TemplateError) r.fail(rowNode, `row ${i + 1} of '${name}': ${e.message}`);
      throw e;
    }
    const label = rowName ?? Object.entries(vars).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(', ');
    return { name: `${name} [${label}]`, where: rowWhere, request: req, prior, ...(result ? { result } : {}), expect: expect as Expectation };
  });
}

function readDenial(r: Reader, node: YamlNode | null, key: YamlNode): NonNullable<Decision['denial']> {
  const v = r.js(node);
  if (typeof v !== 'string' || !(DENIALS as readonly string[]).includes(v)) r.fail(node ?? key, `denial must be one of ${DENIALS.join(', ')}`);
  return v as NonNullable<Decision['denial']>;
}

function readEffect(r: Reader, node: YamlNode | null, key: YamlNode, post: boolean): Decision['effect'] {
  const v = r.js(node);
  const allowed: readonly string[] = post ? ['allow', 'deny'] : EFFECTS;
  if (typeof v !== 'string' || !allowed.includes(v)) r.fail(node ?? key, `effect must be one of ${allowed.join(', ')}${post ? ' (a post case checks a tool result)' : ''}, not ${JSON.stringify(v)}`);
  return v as Decision['effect'];
}

function stringList(r: Reader, node: YamlNode | null, key: YamlNode, what: string): string[] {
  const v = r.js(node);
  const list = typeof v === 'string' ? [v] : v;
  if (!Array.isArray(list) || list.some((x) => typeof x !== 'string' || x === '')) r.fail(node ?? key, `${what} must be a string or a list of strings`);
  return list as string[];
}

function readExpect(r: Reader, node: YamlNode | null, key: YamlNode, post: boolean, partial = false): Expectation {
  const out: Partial<Expectation> = {};
  if (typeof r.js(node) === 'string') {
    out.effect = readEffect(r, node, key, post);
    return out as Expectation;
  }
  for (const [k, kn, value] of r.entries(node ?? key, 'expect', ['effect', 'denial', 'rule', 'reasons', 'obligations', 'result'])) {
    switch (k) {
      case 'effect':
        out.effect = readEffect(r, value, kn, post);
        break;
      case 'denial':
        out.denial = readDenial(r, value, kn);
        break;
      case 'rule':
        out.rules = stringList(r, value, kn, 'rule');
        break;
      case 'reasons':
        out.reasons = stringList(r, value, kn, 'reasons');
        break;
      case 'obligations': {
        const v = r.js(value);
        if (!Array.isArray(v)) r.fail(value ?? kn, 'obligations must be a list');
        out.obligations = v.map((o, i) => {
          if (typeof o === 'string') return { type: o };
          if (typeof o === 'object' && o !== null && typeof (o as { type?: unknown }).type === 'string') return o as ObligationExpect;
          return r.fail(isSeq(value) ? (value.items[i] as YamlNode) : value, 'an obligation is a type (`redact`, `warn`) or a mapping with `type:`');
        });
        break;
      }
      case 'result':
        if (!post) r.fail(kn, '`expect.result` is for post cases: give the tool result in the case\'s `result:`');
        out.result = { value: r.js(value) };
        break;
    }
  }
  if (!partial && out.effect === undefined) r.fail(node ?? key, 'expect needs an `effect:`');
  if (out.denial !== undefined && out.effect !== undefined && out.effect !== 'deny') r.fail(node ?? key, '`denial:` only goes with `effect: deny`');
  return out as Expectation;
}

function emptyPrior(): Prior {
  return { now: Date.parse(DEFAULT_TIME), history: [], rate: {}, labels: {}, approvals: [], rejections: [] };
}

function duration(r: Reader, node: YamlNode | null, key: YamlNode): number {
  const v = r.js(node);
  const ms = typeof v === 'string' ? parseDuration(v) : undefined;
  if (ms === undefined) r.fail(node ?? key, `'${String(v)}' is not a duration (e.g. 90s, 10m, 2h)`);
  return ms;
}

function readPrior(r: Reader, node: YamlNode | null, key: YamlNode): Prior {
  const p = emptyPrior();
  for (const [k, kn, value] of r.entries(node ?? key, 'prior', ['time', 'history', 'spent', 'rate', 'labels', 'approvals', 'rejections', 'asked'])) {
    switch (k) {
      case 'asked':
        p.askedAgoMs = duration(r, value, kn);
        break;
      case 'time': {
        const v = r.js(value);
        const t = typeof v === 'string' ? Date.parse(v) : NaN;
        if (!Number.isFinite(t)) r.fail(value ?? kn, `time must be an RFC 3339 time such as ${DEFAULT_TIME}`);
        p.now = t;
        break;
      }
      case 'history':
        for (const item of r.items(value, 'history')) {
          let tool: string | undefined;
          let args: Record<string, unknown> = {};
          let agoMs = 60_000;
          for (const [hk, hkn, hv] of r.entries(item, 'a history entry', ['tool', 'args', 'ago'])) {
            if (hk === 'tool') tool = r.string(hv, 'tool', hkn);
            else if (hk === 'ago') agoMs = duration(r, hv, hkn);
            else {
              const a = r.js(hv);
              if (typeof a !== 'object' || a === null || Array.isArray(a)) r.fail(hv ?? hkn, 'args must be a mapping');
              args = a as Record<string, unknown>;
            }
          }
          if (tool === undefined) r.fail(item, 'a history entry needs `tool:`');
          p.history.push({ tool, args, agoMs });
        }
        break;
      case 'spent': {
        const spent: NonNullable<Prior['spent']> = {};
        for (const [sk, skn, sv] of r.entries(value ?? kn, 'spent', ['cost', 'tokens', 'calls'])) {
          if (sk === 'cost') {
            const v = r.js(sv);
            const amount = typeof v === 'number' ? String(v) : typeof v === 'string' ? v.replace(/\s*[A-Z]{3}$/, '') : '';
            if (!/^\d+(\.\d+)?$/.test(amount)) r.fail(sv ?? skn, 'cost must be an amount such as 4.50 or "4.50 USD"');
            spent.cost = amount;
          } else spent[sk as 'tokens' | 'calls'] = r.count(sv, sk, skn);
        }
        p.spent = spent;
        break;
      }
      case 'rate':
        for (const [tool, tkn, tv] of r.entries(value ?? kn, 'rate')) p.rate[tool] = r.count(tv, `rate.${tool}`, tkn);
        break;
      case 'labels':
        for (const [label, lkn, lv] of r.entries(value ?? kn, 'labels')) {
          const v = r.js(lv);
          const list = Array.isArray(v) ? v : [v];
          if (list.some((x) => typeof x !== 'string' && typeof x !== 'number')) r.fail(lv ?? lkn, `labels.${label} must be a list of strings and numbers`);
          p.labels[label] = list as Array<string | number>;
        }
        break;
      case 'approvals':
      case 'rejections':
        for (const item of r.items(value, k)) {
          const e: { by?: string; role?: string; reason?: string } = {};
          for (const [ak, akn, av] of r.entries(item, k === 'approvals' ? 'an approval' : 'a rejection', k === 'approvals' ? ['by', 'role'] : ['by', 'role', 'reason'])) {
            e[ak as 'by' | 'role' | 'reason'] = r.string(av, ak, akn);
          }
          if (e.by === undefined || e.role === undefined) r.fail(item, `${k === 'approvals' ? 'an approval' : 'a rejection'} needs \`by:\` (who) and \`role:\``);
          (k === 'approvals' ? p.approvals : p.rejections).push(e as { by: string; role: string });
        }
        break;
    }
  }
  return p;
}
