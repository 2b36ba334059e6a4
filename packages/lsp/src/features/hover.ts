/**
 * Hover: a tool's signature, risk and cost; a parameter's type; a role's agents; an agent's roles; a
 * label's sources; a rule's effect in one sentence (on its keyword); a unit's meaning (money, durations,
 * percentages); a detector and its kinds.
 */
import { formatDuration, parseDuration, sliceSpan, typeName, type Ast } from '@writ/compiler';
import { DETECTOR_KINDS } from '@writ/runtime';
import type { Hover, Position } from 'vscode-languageserver';
import { MarkupKind } from '../protocol.js';
import type { PolicyAnalysis } from '../analysis/analysis.js';
import { occurrenceAt, statementAt, tokenAt } from '../analysis/at-position.js';
import type { Occurrence } from '../analysis/symbol-index.js';
import { spanToRange } from '../positions.js';

const code = (s: string): string => `\`\`\`writ\n${s}\n\`\`\``;

/** `tool name(p: type, …) risk R cost C`. */
export function toolSignature(a: PolicyAnalysis, name: string): string | undefined {
  const t = a.symbols.tools.get(name);
  if (!t) return undefined;
  const params = t.order.map((p) => {
    const f = t.params.get(p)!;
    return `${p}${f.optional ? '?' : ''}: ${typeName(f.type)}`;
  });
  const risk = t.stmt.risk ? ` risk ${t.stmt.risk.name}` : '';
  const cost = t.stmt.cost ? ` cost ${t.stmt.cost.text}${t.stmt.cost.currency ? ` ${t.stmt.cost.currency.name}` : ''}` : '';
  return `tool ${name}(${params.join(', ')})${risk}${cost}`;
}

function symbolHover(a: PolicyAnalysis, o: Occurrence): string | undefined {
  const sym = a.symbols;
  switch (o.kind) {
    case 'tool': {
      const sig = toolSignature(a, o.name);
      if (!sig) return undefined;
      const t = sym.tools.get(o.name)!;
      const lines = [code(sig)];
      if (t.stmt.risk) lines.push(`Risk: **${t.stmt.risk.name}**.`);
      if (t.stmt.cost) lines.push(`Each allowed call costs ${t.stmt.cost.text} ${t.stmt.cost.currency?.name ?? ''} against budgets.`);
      const rules = a.index.all(o).filter((x) => !x.decl).length;
      lines.push(`${rules} reference${rules === 1 ? '' : 's'} in the policy.`);
      return lines.join('\n\n');
    }
    case 'group': {
      const g = sym.groups.get(o.name);
      return g ? `${code(`group ${o.name} = [${g.members.map((m) => m.name).join(', ')}]`)}\n\nA group of tools.` : undefined;
    }
    case 'param': {
      const f = o.tool ? sym.tools.get(o.tool)?.params.get(o.name) : undefined;
      if (!f) return undefined;
      return `${code(`${o.name}${f.optional ? '?' : ''}: ${typeName(f.type)}`)}\n\nParameter of \`${toolSignature(a, o.tool!)}\`${f.optional ? '\n\nOptional: a rule that reads it when it is absent is *errored* (allow rules do not match; deny and approve rules do).' : ''}`;
    }
    case 'role': {
      if (!sym.roles.has(o.name)) return `Unknown role \`${o.name}\`.`;
      const agents = [...sym.agents].filter(([, x]) => x.roles.includes(o.name)).map(([id]) => `\`${id}\``);
      return `${code(`role ${o.name}`)}\n\n${agents.length ? `Agents with this role: ${agents.join(', ')}.` : 'No declared agent has this role; agents not declared in the policy may claim it.'}`;
    }
    case 'agent': {
      const ag = sym.agents.get(o.name);
      if (!ag) return `Agent \`${o.name}\` is not declared in the policy.`;
      return `${code(`agent "${o.name}" roles [${ag.roles.join(', ')}]${ag.tenant ? ` tenant "${ag.tenant}"` : ''}`)}\n\nA declared agent has exactly these roles, whatever its requests claim.`;
    }
    case 'label': {
      const l = sym.labels.get(o.name);
      if (!l) return undefined;
      if (!l.stmt) return `${code(`label ${o.name}`)}\n\nBuilt-in label, sourced by the \`${o.name}\` detector.`;
      const f = a.byName.get(l.stmt.span.file);
      return `${code(f ? sliceSpan(f.text, l.stmt.span) : `label ${o.name}`)}\n\nA taint label: values from these sources carry it for the rest of the session.`;
    }
    case 'context': {
      const c = sym.context.get(o.name);
      return c ? `${code(`context ${o.name}: ${typeName(c.type)}`)}\n\nA field of the request's context.` : undefined;
    }
  }
}

function list(names: string[]): string {
  return names.length <= 1 ? (names[0] ?? '') : `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
}

function targetText(t: Ast.ToolTarget): string {
  return t.kind === 'all' ? 'every tool' : list(t.names.map((n) => `\`${n.name}\``));
}

/** A rule or control in one sentence. */
export function statementSentence(a: PolicyAnalysis, s: Ast.Statement): string | undefined {
  const f = a.byName.get(s.span.file);
  const src = (sp: Ast.Span | undefined): string => (sp && f ? sliceSpan(f.text, sp).replace(/\s+/g, ' ') : '');
  const approval = (ap: Ast.ApprovalNode | undefined): string =>
    ap?.role
      ? `approval by ${ap.quorum ? `${ap.quorum.text} ` : ''}role \`${ap.role.name}\` within ${ap.within ? describeDuration(ap.within.text) : '1 hour'} (then ${ap.onTimeout?.name ?? 'deny'})`
      : 'an approval';
  switch (s.kind) {
    case 'rule': {
      const when = s.when ? ` when \`${src(s.when.span)}\`` : '';
      if (s.effect === 'allow') return `**Allows** calls to ${targetText(s.tools)}${when}, unless a deny rule, limit, budget, flow or kill switch denies them.`;
      if (s.effect === 'deny') return `**Denies** (forbidden) calls to ${targetText(s.tools)}${when}${s.because ? `, saying "${s.because.value}"` : ''}. A deny beats every allow and approval.`;
      return `**Holds** calls to ${targetText(s.tools)}${when} for ${approval(s.approval)}; an approval for exactly these arguments lets the call through.`;
    }
    case 'limit':
      return `**Limits** ${targetText(s.tools)} to ${s.count.text} allowed calls per ${describeDuration(s.window.text)} per ${s.scope.name} (sliding window); further calls are denied.`;
    case 'budget':
      return `**Budget** per ${s.scope.name}: ${[s.cost ? `cost ${s.cost.text} ${s.cost.currency?.name ?? ''}` : '', s.tokens ? `${s.tokens.text} tokens` : '', s.calls ? `${s.calls.text} calls` : ''].filter(Boolean).join(', ')}; a call that would exceed it is denied${s.warn.length ? `, with warnings at ${s.warn.map((w) => w.text).join(', ')}` : ''}.`;
    case 'flow':
      return `**Denies** calls where data labelled \`${s.label.name}\` flows into ${s.tools.kind === 'all' ? 'any tool' : `\`${s.tools.names[0]?.name}\``}.${s.param.name}${s.approval ? `, unless ${approval(s.approval)}` : ''}.`;
    case 'post_deny':
      return `**Withholds** the result of ${targetText(s.tools)}${s.when ? ` when \`${src(s.when.span)}\`` : ''}.`;
    case 'post_redact':
      return `**Redacts** ${s.detector.name}${s.detector.kinds.length ? ` (${s.detector.kinds.map((k) => k.name).join(', ')})` : ''} findings in the result of ${targetText(s.tools)}, replacing them with session tokens.`;
    case 'pre_redact':
      return `**Tokenizes** ${s.detector.name}${s.detector.kinds.length ? ` (${s.detector.kinds.map((k) => k.name).join(', ')})` : ''} findings in the arguments of ${targetText(s.tools)} before the call.`;
    case 'disable':
      return `**Kill switch**: every call to ${targetText(s.tools)} is denied.`;
    case 'assert':
      return `**Assertion** for the verifier: ${s.quantifier === 'never' ? 'no' : 'every'} request to ${targetText(s.tools)}${s.when ? ` with \`${src(s.when.span)}\`` : ''} is ${s.quantifier === 'never' ? '' : 'always '}decided \`${s.effect.name}\`. Checked by \`writ verify\` and on save.`;
    default:
      return undefined;
  }
}

const UNIT_WORDS: Record<string, string> = { ms: 'millisecond', s: 'second', m: 'minute', h: 'hour', d: 'day' };

export function describeDuration(text: string): string {
  const parts = [...text.matchAll(/(\d+)(ms|s|m|h|d)/g)].map((m) => `${m[1]} ${UNIT_WORDS[m[2] as string]}${m[1] === '1' ? '' : 's'}`);
  return parts.join(' ');
}

function tokenHover(text: string, p: Position): Hover | undefined {
  const t = tokenAt(text, p);
  if (!t) return undefined;
  const range = { start: { line: p.line, character: t.start }, end: { line: p.line, character: t.end } };
  if (t.type === 'DurationLit') {
    const ms = parseDuration(t.image);
    return { range, contents: { kind: MarkupKind.Markdown, value: `**Duration** \`${t.image}\`: ${describeDuration(t.image)} (${ms} ms${ms !== undefined ? `, canonical \`${formatDuration(ms)}\`` : ''}).` } };
  }
  if (t.type === 'PercentLit') return { range, contents: { kind: MarkupKind.Markdown, value: `**Percentage** \`${t.image}\`: a budget warns when this share of it is used.` } };
  if (t.type === 'Identifier' && /^[A-Z]{3}$/.test(t.image)) {
    return { range, contents: { kind: MarkupKind.Markdown, value: `**Currency** \`${t.image}\` (ISO 4217): amounts are exact decimals (at most 6 decimal places) and compare only with money in ${t.image}.` } };
  }
  if (t.type === 'NumberLit') return { range, contents: { kind: MarkupKind.Markdown, value: `**Number** \`${t.image}\`: an exact decimal (at most 15 significant digits).` } };
  if (t.type === 'Identifier' && t.image in DETECTOR_KINDS) {
    const kinds = (DETECTOR_KINDS as Record<string, readonly string[]>)[t.image] ?? [];
    return { range, contents: { kind: MarkupKind.Markdown, value: `${code(`${t.image}(value, kinds…)`)}\n\nDetector; kinds: ${kinds.map((k) => `\`${k}\``).join(', ')}. No kinds means all.` } };
  }
  return undefined;
}

/** Hover at a position of a document. */
export function hover(a: PolicyAnalysis, uri: string, text: string, p: Position): Hover | null {
  const o = occurrenceAt(a, uri, p);
  if (o) {
    const value = symbolHover(a, o);
    if (value) return { range: spanToRange(o.span), contents: { kind: MarkupKind.Markdown, value } };
  }
  const s = statementAt(a, uri, p);
  const t = tokenAt(text, p);
  if (s && t?.keyword && s.span.line === p.line + 1 && s.span.column === t.start + 1) {
    const sentence = statementSentence(a, s);
    if (sentence) return { range: spanToRange(s.span), contents: { kind: MarkupKind.Markdown, value: sentence } };
  }
  return tokenHover(text, p) ?? null;
}
