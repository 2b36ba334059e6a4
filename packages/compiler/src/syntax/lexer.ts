/**
 * Tokens of the Writ language (chevrotain). The normative description is grammar/GRAMMAR.md; a test checks
 * that every keyword here appears there.
 *
 * Keywords are reserved at statement level, but any keyword may still be used as a name after a dot or as a
 * parameter name: every keyword belongs to the `Name` category alongside `Identifier`.
 */
import type { TokenType } from 'chevrotain';
import { createToken, Lexer } from './chevrotain.js';

/** Category matching identifiers and keywords, for positions where any name is acceptable. */
export const Name = createToken({ name: 'Name', pattern: Lexer.NA });

export const Identifier = createToken({
  name: 'Identifier',
  label: 'a name',
  pattern: /[A-Za-z_][A-Za-z0-9_]*/,
  categories: [Name],
});

const keywordTokens: TokenType[] = [];
function keyword(word: string): TokenType {
  const t = createToken({
    name: `Kw_${word}`,
    label: `'${word}'`,
    pattern: new RegExp(`${word}(?![A-Za-z0-9_])`),
    longer_alt: Identifier,
    categories: [Name],
  });
  keywordTokens.push(t);
  return t;
}

export const Policy = keyword('policy');
export const Version = keyword('version');
export const Role = keyword('role');
export const Roles = keyword('roles');
export const Agent = keyword('agent');
export const Tenant = keyword('tenant');
export const Tool = keyword('tool');
export const Risk = keyword('risk');
export const Cost = keyword('cost');
export const Group = keyword('group');
export const Context = keyword('context');
export const Allow = keyword('allow');
export const Deny = keyword('deny');
export const Approve = keyword('approve');
export const When = keyword('when');
export const Because = keyword('because');
export const By = keyword('by');
export const Quorum = keyword('quorum');
export const Within = keyword('within');
export const Else = keyword('else');
export const Limit = keyword('limit');
export const Per = keyword('per');
export const Budget = keyword('budget');
export const Tokens = keyword('tokens');
export const Calls = keyword('calls');
export const Warn = keyword('warn');
export const Label = keyword('label');
export const From = keyword('from');
export const Detector = keyword('detector');
export const Flow = keyword('flow');
export const Unless = keyword('unless');
export const Approved = keyword('approved');
export const Post = keyword('post');
export const Pre = keyword('pre');
export const Redact = keyword('redact');
export const In = keyword('in');
export const Disable = keyword('disable');
export const Assert = keyword('assert');
export const Never = keyword('never');
export const Always = keyword('always');
export const And = keyword('and');
export const Or = keyword('or');
export const Not = keyword('not');
export const Has = keyword('has');
export const Called = keyword('called');
export const Where = keyword('where');
export const StartsWith = keyword('starts_with');
export const EndsWith = keyword('ends_with');
export const Contains = keyword('contains');
export const Matches = keyword('matches');
export const True = keyword('true');
export const False = keyword('false');

/** Every reserved word, in declaration order. */
export const KEYWORDS: readonly string[] = keywordTokens.map((t) => (t.LABEL ?? '').slice(1, -1));

export const WhiteSpace = createToken({ name: 'WhiteSpace', pattern: /[ \t\r\n]+/, group: Lexer.SKIPPED });
export const Comment = createToken({ name: 'Comment', pattern: /#[^\n]*/, group: 'comments' });

export const StringLit = createToken({
  name: 'StringLit',
  label: 'string',
  pattern: /"(?:[^"\\\n]|\\(?:["\\/bfnrt]|u[0-9A-Fa-f]{4}))*"/,
});
/** Durations: one or more number+unit pairs, largest unit first by convention, e.g. `500ms`, `5m`, `1h30m`. */
export const DurationLit = createToken({
  name: 'DurationLit',
  label: 'duration',
  pattern: /(?:\d+(?:ms|s|m|h|d))+(?![A-Za-z0-9_])/,
});
export const PercentLit = createToken({ name: 'PercentLit', label: 'percentage', pattern: /\d+(?:\.\d+)?%/ });
export const NumberLit = createToken({
  name: 'NumberLit',
  label: 'number',
  pattern: /\d+(?:\.\d+)?(?![A-Za-z0-9_])/,
});

export const Arrow = createToken({ name: 'Arrow', label: "'->'", pattern: /->/ });
export const Le = createToken({ name: 'Le', label: "'<='", pattern: /<=/ });
export const Ge = createToken({ name: 'Ge', label: "'>='", pattern: />=/ });
export const EqEq = createToken({ name: 'EqEq', label: "'=='", pattern: /==/ });
export const Ne = createToken({ name: 'Ne', label: "'!='", pattern: /!=/ });
export const Lt = createToken({ name: 'Lt', label: "'<'", pattern: /</ });
export const Gt = createToken({ name: 'Gt', label: "'>'", pattern: />/ });
export const Equals = createToken({ name: 'Equals', label: "'='", pattern: /=/ });
export const Minus = createToken({ name: 'Minus', label: "'-'", pattern: /-/ });
export const Star = createToken({ name: 'Star', label: "'*'", pattern: /\*/ });
export const Question = createToken({ name: 'Question', label: "'?'", pattern: /\?/ });
export const LParen = createToken({ name: 'LParen', label: "'('", pattern: /\(/ });
export const RParen = createToken({ name: 'RParen', label: "')'", pattern: /\)/ });
export const LBracket = createToken({ name: 'LBracket', label: "'['", pattern: /\[/ });
export const RBracket = createToken({ name: 'RBracket', label: "']'", pattern: /]/ });
export const Comma = createToken({ name: 'Comma', label: "','", pattern: /,/ });
export const Colon = createToken({ name: 'Colon', label: "':'", pattern: /:/ });
export const Dot = createToken({ name: 'Dot', label: "'.'", pattern: /\./ });

/** Token order matters: longer and more specific patterns first. */
export const allTokens: TokenType[] = [
  WhiteSpace,
  Comment,
  StringLit,
  DurationLit,
  PercentLit,
  NumberLit,
  Arrow,
  Le,
  Ge,
  EqEq,
  Ne,
  Lt,
  Gt,
  Equals,
  Minus,
  Star,
  Question,
  LParen,
  RParen,
  LBracket,
  RBracket,
  Comma,
  Colon,
  Dot,
  ...keywordTokens,
  Name,
  Identifier,
];

/**
 * The shared lexer instance (chevrotain lexers are stateless between `tokenize` calls). chevrotain's checks of
 * the token definitions are skipped here (they cost every process start, e.g. the language server's); a test
 * runs them through {@link checkLexerDefinition}.
 */
export const writLexer = new Lexer(allTokens, { positionTracking: 'full', ensureOptimizations: false, skipValidations: true });

/** Builds the lexer with chevrotain's validations of the token definitions; throws when one fails. For tests. */
export function checkLexerDefinition(): void {
  new Lexer(allTokens, { positionTracking: 'full', ensureOptimizations: false });
}
