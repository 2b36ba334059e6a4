/**
 * Completion from the tokens before the cursor: statement keywords at the start of a statement, tools after
 * `allow`/`deny`/…, the parameters of the rule's tools (with their types) after `args.`, context fields,
 * roles, labels, detectors and their kinds, operators after a value, units after a number, and the keywords
 * that may come next in a rule.
 */
import { KEYWORDS, typeName, type LexedToken } from '@writ/compiler';
import { DETECTOR_KINDS } from '@writ/runtime';
import type { CompletionItem } from 'vscode-languageserver';
import { CompletionItemKind, InsertTextFormat } from '../protocol.js';
import type { PolicyAnalysis } from '../analysis/analysis.js';
import { cursorContext, STATEMENT_KEYWORDS } from '../analysis/cursor.js';

const CURRENCIES = ['USD', 'EUR', 'GBP', 'JPY', 'CHF', 'CAD', 'AUD'];
const DURATION_UNITS: Array<[string, string]> = [
  ['ms', 'milliseconds'],
  ['s', 'seconds'],
  ['m', 'minutes'],
  ['h', 'hours'],
  ['d', 'days'],
];
const OPERATORS = ['==', '!=', '<', '<=', '>', '>=', 'in', 'not in', 'contains', 'starts_with', 'ends_with', 'matches'];
const TYPES = ['string', 'number', 'integer', 'boolean', 'money(USD)', 'duration', 'enum("a", "b")', 'list(string)', 'any'];

const kw = (word: string, detail?: string): CompletionItem => ({ label: word, kind: CompletionItemKind.Keyword, ...(detail ? { detail } : {}) });

function is(t: LexedToken | undefined, ...types: string[]): boolean {
  return !!t && types.includes(t.type);
}

function isKw(t: LexedToken | undefined, ...words: string[]): boolean {
  return !!t && t.keyword && words.includes(t.image);
}

/** The tools a statement is about, from its second token (a tool, a group, `*` or a list). */
function statementTools(a: PolicyAnalysis | undefined, toks: LexedToken[]): string[] {
  if (!a) return [];
  let i = 1;
  if (isKw(toks[0], 'assert')) i = 3;
  if (isKw(toks[0], 'disable') && isKw(toks[1], 'tool')) i = 2;
  const t = toks[i];
  if (!t) return [];
  if (t.type === 'Star') return [...a.symbols.tools.keys()];
  const names: string[] = [];
  if (t.type === 'LBracket') {
    for (let j = i + 1; j < toks.length && toks[j]?.type !== 'RBracket'; j++) if (toks[j]?.type === 'Identifier') names.push(toks[j]!.image);
  } else if (t.type === 'Identifier') names.push(t.image);
  return names.flatMap((n) => (a.symbols.tools.has(n) ? [n] : (a.symbols.groups.get(n)?.members.map((m) => m.name) ?? [])));
}

function toolItems(a: PolicyAnalysis | undefined, withStar: boolean): CompletionItem[] {
  const items: CompletionItem[] = [];
  if (a) {
    for (const [name, t] of a.symbols.tools) {
      const params = t.order.map((p) => `${p}: ${typeName(t.params.get(p)!.type)}`).join(', ');
      items.push({ label: name, kind: CompletionItemKind.Function, detail: `tool ${name}(${params})${t.stmt.risk ? ` risk ${t.stmt.risk.name}` : ''}` });
    }
    for (const [name, g] of a.symbols.groups) items.push({ label: name, kind: CompletionItemKind.Module, detail: `group of ${g.members.map((m) => m.name).join(', ')}` });
  }
  if (withStar) items.push({ label: '*', kind: CompletionItemKind.Operator, detail: 'every tool' });
  return items;
}

function paramItems(a: PolicyAnalysis | undefined, tools: string[]): CompletionItem[] {
  if (!a) return [];
  const seen = new Map<string, CompletionItem>();
  for (const tool of tools) {
    const t = a.symbols.tools.get(tool);
    if (!t) continue;
    for (const p of t.order) {
      const f = t.params.get(p)!;
      if (seen.has(p)) continue;
      seen.set(p, {
        label: p,
        kind: CompletionItemKind.Field,
        detail: `${p}${f.optional ? '?' : ''}: ${typeName(f.type)}`,
        documentation: `parameter of ${tools.length > 1 ? tools.filter((x) => a.symbols.tools.get(x)?.params.has(p)).join(', ') : tool}`,
      });
    }
  }
  return [...seen.values()];
}

function roleItems(a: PolicyAnalysis | undefined): CompletionItem[] {
  if (!a) return [];
  return [...a.symbols.roles.keys()].map((r) => ({
    label: r,
    kind: CompletionItemKind.Class,
    detail: `role ${r}`,
    documentation: agentsWithRole(a, r),
  }));
}

function agentsWithRole(a: PolicyAnalysis, role: string): string {
  const agents = [...a.symbols.agents].filter(([, x]) => x.roles.includes(role)).map(([id]) => id);
  return agents.length ? `agents: ${agents.join(', ')}` : 'no declared agent has this role';
}

function labelItems(a: PolicyAnalysis | undefined): CompletionItem[] {
  if (!a) return [];
  return [...a.symbols.labels.keys()].map((l) => ({ label: l, kind: CompletionItemKind.EnumMember, detail: `label ${l}` }));
}

function detectorItems(call: boolean): CompletionItem[] {
  return Object.entries(DETECTOR_KINDS).map(([d, kinds]) => ({
    label: d,
    kind: CompletionItemKind.Function,
    detail: `${d}(value, kinds…): ${kinds.join(', ')}`,
    ...(call ? { insertText: `${d}($1)`, insertTextFormat: InsertTextFormat.Snippet } : {}),
  }));
}

function kindItems(detector: string): CompletionItem[] {
  const kinds = (DETECTOR_KINDS as Record<string, readonly string[]>)[detector] ?? [];
  return kinds.map((k) => ({ label: k, kind: CompletionItemKind.EnumMember, detail: `${detector} kind` }));
}

const CONDITION_STARTS: CompletionItem[] = [
  { label: 'agent has role', kind: CompletionItemKind.Keyword, detail: 'the agent has a role' },
  { label: 'args.', kind: CompletionItemKind.Variable, detail: "the call's arguments", command: { title: 'parameters', command: 'editor.action.triggerSuggest' } },
  { label: 'context.', kind: CompletionItemKind.Variable, detail: "the request's context", command: { title: 'fields', command: 'editor.action.triggerSuggest' } },
  { label: 'agent.id', kind: CompletionItemKind.Variable, detail: 'the agent id' },
  kw('called', 'the session already made a call: called TOOL [where (…)] [within D]'),
  kw('not'),
  ...detectorItems(true),
];

/** An unclosed `detector(` before the cursor: its name, for kinds. */
export function openDetectorCall(toks: LexedToken[]): { name: string; commas: number; index: number } | undefined {
  let depth = 0;
  let commas = 0;
  for (let i = toks.length - 1; i >= 0; i--) {
    const t = toks[i]!;
    if (t.type === 'RParen') depth++;
    else if (t.type === 'LParen') {
      if (depth === 0) {
        const name = toks[i - 1];
        return name?.type === 'Identifier' && name.image in DETECTOR_KINDS ? { name: name.image, commas, index: i - 1 } : undefined;
      }
      depth--;
    } else if (t.type === 'Comma' && depth === 0) commas++;
  }
  return undefined;
}

/** Completion items at `offset` of `text`. */
export function completions(a: PolicyAnalysis | undefined, text: string, offset: number): CompletionItem[] {
  const cx = cursorContext(text, offset);
  const toks = cx.before;
  const last = toks[toks.length - 1];
  const prev = toks[toks.length - 2];
  const first = toks[0];

  // A number being typed: duration units and percent directly after it.
  if (/^\d+(?:\.\d+)?[a-z]*$/.test(cx.prefix) && /^\d/.test(cx.prefix)) {
    const digits = cx.prefix.match(/^\d+(?:\.\d+)?/)![0];
    return [
      ...DURATION_UNITS.map(([u, what]) => ({ label: `${digits}${u}`, kind: CompletionItemKind.Unit, detail: `duration in ${what}` })),
      { label: `${digits}%`, kind: CompletionItemKind.Unit, detail: 'percentage' },
    ];
  }
  // After a number and a space: a currency (money) code.
  if (is(last, 'NumberLit') && cx.spaced) {
    const used = new Set<string>(CURRENCIES);
    if (a) for (const t of a.symbols.tools.values()) for (const p of t.params.values()) if (p.type.kind === 'money') used.add(p.type.currency);
    return [...used].map((c) => ({ label: c, kind: CompletionItemKind.Unit, detail: `money in ${c}` }));
  }
  const atLineStart = cx.prefixStart === 0 || text[cx.prefixStart - 1] === '\n';
  if (!first || atLineStart) {
    return STATEMENT_KEYWORDS.map((k) => kw(k));
  }
  // Paths: args.P, prior.P, context.F, agent.id, T.result / T.param in flows.
  if (is(last, 'Dot') && prev) {
    if (prev.image === 'args') return paramItems(a, statementTools(a, toks));
    if (prev.image === 'prior') {
      const called = [...toks].reverse().find((t, i, r) => isKw(r[i + 1], 'called') && t.type === 'Identifier');
      return paramItems(a, called ? [called.image] : []);
    }
    if (prev.image === 'context') return a ? [...a.symbols.context].map(([f, d]) => ({ label: f, kind: CompletionItemKind.Property, detail: `${f}: ${typeName(d.type)}` })) : [];
    if (prev.image === 'agent') return [kw('id', 'the agent id'), kw('tenant', "the agent's tenant")];
    if (isKw(first, 'deny') && isKw(toks[1], 'flow') && prev.type === 'Identifier') return paramItems(a, [prev.image]);
    if (isKw(toks[toks.length - 3], 'tool')) return [kw('result', "the tool's result")];
    return [];
  }
  const detector = openDetectorCall(toks);
  if (detector) {
    if (detector.commas === 0 && is(last, 'LParen')) return [...CONDITION_STARTS.slice(1, 4), { label: 'args', kind: CompletionItemKind.Variable, detail: 'all arguments' }, { label: 'result', kind: CompletionItemKind.Variable }];
    return kindItems(detector.name);
  }
  // Role positions.
  if (isKw(last, 'role') && (isKw(prev, 'has', 'by') || isKw(prev, 'role'))) return roleItems(a);
  if (isKw(last, 'role') && toks.length === 1) return [];
  if (isKw(first, 'role')) return [];
  if (isKw(first, 'agent') && (is(last, 'LBracket') || (is(last, 'Comma') && toks.some((t) => t.type === 'LBracket')))) return roleItems(a);
  if (isKw(last, 'has')) return [kw('role')];
  if (isKw(last, 'by')) return [kw('role')];
  // Tool positions.
  if ((toks.length === 1 && isKw(first, 'allow', 'deny', 'approve', 'limit', 'post', 'pre', 'disable')) || isKw(last, 'called') || (isKw(first, 'disable') && isKw(last, 'tool'))) {
    const items = toolItems(a, !isKw(first, 'disable') && !isKw(last, 'called'));
    return isKw(first, 'deny') && toks.length === 1 ? [kw('flow', 'deny flow LABEL -> TOOL.PARAM'), ...items] : items;
  }
  if (isKw(first, 'group') && (is(last, 'LBracket') || is(last, 'Comma'))) return toolItems(a, false);
  if ((is(last, 'LBracket') || is(last, 'Comma')) && toks.length <= 4 && isKw(first, 'allow', 'deny', 'approve', 'limit', 'post', 'pre')) return toolItems(a, false);
  if (isKw(first, 'assert')) {
    if (toks.length === 1) return [kw('never'), kw('always')];
    if (toks.length === 2) return [kw('allow'), kw('deny'), { label: 'pending_approval', kind: CompletionItemKind.EnumMember }];
    if (toks.length === 3) return toolItems(a, true);
  }
  // Flows and labels.
  if (isKw(first, 'deny') && isKw(toks[1], 'flow')) {
    if (toks.length === 2) return labelItems(a);
    if (is(last, 'Arrow')) return toolItems(a, true);
  }
  if (isKw(last, 'detector')) return detectorItems(false);
  if (isKw(last, 'redact')) return detectorItems(false);
  if (isKw(first, 'label') && (isKw(last, 'from') || is(last, 'Comma'))) return [kw('tool'), kw('context'), kw('detector')];
  if (isKw(first, 'label') && isKw(last, 'tool')) return toolItems(a, false);
  // Declarations.
  if (isKw(last, 'risk')) return ['low', 'medium', 'high', 'critical'].map((r) => ({ label: r, kind: CompletionItemKind.EnumMember, detail: 'risk' }));
  if (is(last, 'Colon') || (is(last, 'LParen') && isKw(first, 'tool') && toks.length > 3 && is(prev, 'Identifier') && prev?.image === 'list')) {
    return TYPES.map((t) => ({ label: t, kind: CompletionItemKind.TypeParameter, detail: 'type' }));
  }
  if (isKw(last, 'per')) {
    if (isKw(first, 'budget') || toks.filter((t) => isKw(t, 'per')).length >= 2) return ['agent', 'tenant', 'session', 'global'].map((s) => ({ label: s, kind: CompletionItemKind.EnumMember, detail: 'scope' }));
    return [];
  }
  if (isKw(last, 'else')) return [kw('deny'), kw('allow')];
  if (isKw(last, 'unless')) return [kw('approved')];
  // Conditions.
  if (isKw(last, 'when', 'and', 'or', 'not') || is(last, 'LParen')) return CONDITION_STARTS;
  if (is(last, 'Identifier', 'Kw_true', 'Kw_false') || isKw(last, 'id', 'tenant')) {
    const inCondition = toks.some((t) => isKw(t, 'when'));
    if (inCondition && is(prev, 'Dot')) return OPERATORS.map((o) => ({ label: o, kind: CompletionItemKind.Operator }));
  }
  // After a complete value in a condition: connectives and closing clauses.
  if (toks.some((t) => isKw(t, 'when')) && is(last, 'StringLit', 'NumberLit', 'DurationLit', 'RParen', 'RBracket', 'Identifier')) {
    const items = [kw('and'), kw('or')];
    if (isKw(first, 'deny', 'post')) items.push(kw('because'));
    if (isKw(first, 'approve')) items.push({ label: 'by role', kind: CompletionItemKind.Keyword });
    return items;
  }
  if (toks.length === 2 && isKw(first, 'allow', 'deny', 'approve', 'post')) {
    const items = [kw('when')];
    if (isKw(first, 'deny')) items.push(kw('because'));
    if (isKw(first, 'approve')) items.push({ label: 'by role', kind: CompletionItemKind.Keyword });
    if (isKw(first, 'post')) items.push(kw('deny'), kw('redact'));
    return items;
  }
  return [...STATEMENT_KEYWORDS.map((k) => kw(k)), ...KEYWORDS.filter((k) => !(STATEMENT_KEYWORDS as readonly string[]).includes(k)).map((k) => kw(k))];
}
