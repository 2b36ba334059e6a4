/**
 * One-line syntax error messages in place of chevrotain's multi-line defaults.
 */
import type { IParserErrorMessageProvider, IToken, TokenType } from 'chevrotain';
import { EOF } from './chevrotain.js';

const RULE_WORDS: Record<string, string> = {
  statement: 'a statement (policy, role, agent, tool, group, context, allow, deny, approve, limit, budget, label, post, pre, disable, assert)',
  expr: 'a condition',
  andExpr: 'a condition',
  notExpr: 'a condition',
  primary: 'a condition',
  comparison: 'a condition',
  value: 'a value (args.x, context.x, a string, a number, a duration or a list)',
  toolTarget: "a tool name, a group, '*' or [a, b]",
  typeRef: 'a type (string, number, integer, boolean, money(USD), duration, enum("a", "b"), list(T))',
  labelSource: "a label source (tool NAME.result, context.FIELD or detector NAME)",
  scope: 'a scope (agent, tenant, session or global)',
  cmpOp: 'a comparison operator',
};

/** Describes a token as the user sees it. */
export function describeToken(t: IToken | undefined): string {
  if (!t || t.tokenType === EOF) return 'end of file';
  return `'${t.image.length > 40 ? `${t.image.slice(0, 37)}...` : t.image}'`;
}

function labelOf(t: TokenType): string {
  if (t === EOF) return 'end of file';
  return t.LABEL ?? t.name;
}

function firstTokens(paths: TokenType[][][]): string {
  const seen = new Set<string>();
  for (const alt of paths) for (const path of alt) if (path[0]) seen.add(labelOf(path[0]));
  const list = [...seen];
  if (list.length === 0) return '';
  return list.length > 8 ? `${list.slice(0, 8).join(', ')}, …` : list.join(', ');
}

export const errorMessageProvider: IParserErrorMessageProvider = {
  buildMismatchTokenMessage({ expected, actual }) {
    return `expected ${labelOf(expected)} but found ${describeToken(actual)}`;
  },
  buildNotAllInputParsedMessage({ firstRedundant }) {
    return `unexpected ${describeToken(firstRedundant)}: expected a new statement`;
  },
  buildNoViableAltMessage({ expectedPathsPerAlt, actual, ruleName }) {
    const want = RULE_WORDS[ruleName];
    const first = firstTokens(expectedPathsPerAlt);
    return `unexpected ${describeToken(actual[0])}: expected ${want ?? first}`;
  },
  buildEarlyExitMessage({ expectedIterationPaths, actual, ruleName }) {
    const want = RULE_WORDS[ruleName];
    const first = firstTokens([expectedIterationPaths]);
    return `unexpected ${describeToken(actual[0])}: expected ${want ?? (first || 'more input')}`;
  },
};
