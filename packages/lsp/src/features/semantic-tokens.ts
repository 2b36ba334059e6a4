/**
 * Semantic tokens: the lexer's tokens, classified with the symbol index (a name is a tool, a parameter, a
 * role, …) and by position (types in declarations, units after numbers, patterns after `matches`).
 */
import { lexTokens } from '@writ/compiler';
import { DETECTOR_KINDS } from '@writ/runtime';
import type { SemanticTokens, SemanticTokensLegend } from 'vscode-languageserver';
import type { PolicyAnalysis } from '../analysis/analysis.js';
import type { SymbolKind } from '../analysis/symbol-index.js';

export const TOKEN_TYPES = ['keyword', 'function', 'namespace', 'parameter', 'class', 'variable', 'enumMember', 'property', 'type', 'macro', 'string', 'number', 'regexp', 'operator', 'comment'] as const;
export const TOKEN_MODIFIERS = ['declaration', 'defaultLibrary'] as const;

export const LEGEND: SemanticTokensLegend = { tokenTypes: [...TOKEN_TYPES], tokenModifiers: [...TOKEN_MODIFIERS] };

type TokenType = (typeof TOKEN_TYPES)[number];

const BY_SYMBOL: Record<SymbolKind, TokenType> = {
  tool: 'function',
  group: 'namespace',
  param: 'parameter',
  role: 'class',
  agent: 'variable',
  label: 'enumMember',
  context: 'property',
};

const OPERATORS = new Set(['Arrow', 'Le', 'Ge', 'EqEq', 'Ne', 'Lt', 'Gt', 'Equals', 'Minus', 'Star', 'Question']);

/** The full semantic tokens of one file. */
export function semanticTokens(a: PolicyAnalysis | undefined, uri: string, text: string): SemanticTokens {
  const occ = new Map<string, { type: TokenType; decl: boolean }>();
  const f = a?.fileOfUri(uri);
  if (a && f) for (const o of a.index.inFile(f.name)) occ.set(`${o.span.line}:${o.span.column}`, { type: BY_SYMBOL[o.kind], decl: o.decl });
  const data: number[] = [];
  let prevLine = 0;
  let prevChar = 0;
  const toks = lexTokens(text);
  toks.forEach((t, i) => {
    const prev = toks[i - 1];
    let type: TokenType | undefined;
    let mods = 0;
    const known = occ.get(`${t.line}:${t.column}`);
    if (known) {
      type = known.type;
      if (known.decl) mods |= 1;
    } else if (t.comment) type = 'comment';
    else if (t.type === 'StringLit') type = prev?.image === 'matches' ? 'regexp' : 'string';
    else if (t.type === 'NumberLit' || t.type === 'DurationLit' || t.type === 'PercentLit') type = 'number';
    else if (prev?.type === 'Dot') type = 'property';
    else if (t.keyword) type = 'keyword';
    else if (t.type === 'Identifier') {
      if (prev?.type === 'NumberLit' && /^[A-Z]{3}$/.test(t.image)) type = 'type';
      else if (prev?.type === 'Colon' || (prev?.type === 'LParen' && toks[i - 2]?.type === 'Identifier' && ['list', 'money'].includes(toks[i - 2]!.image))) type = 'type';
      else if (t.image in DETECTOR_KINDS) {
        type = 'macro';
        mods |= 2;
      } else if (prev?.image === 'risk') type = 'enumMember';
      else if (['args', 'result', 'prior'].includes(t.image) && toks[i + 1]?.type === 'Dot') type = 'variable';
      else type = 'variable';
    } else if (OPERATORS.has(t.type)) type = 'operator';
    if (!type) return;
    const line = t.line - 1;
    const char = t.column - 1;
    data.push(line - prevLine, line === prevLine ? char - prevChar : char, t.image.length, TOKEN_TYPES.indexOf(type), mods);
    prevLine = line;
    prevChar = char;
  });
  return { data };
}
