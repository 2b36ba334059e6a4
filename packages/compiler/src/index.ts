/**
 * @writ/compiler: `.writ` source to diagnostics and decision-table artifacts.
 * @packageDocumentation
 */
export { compile, sliceSpan, type CompileResult, type Source } from './compile.js';
export { DIAGNOSTIC_CODES, DiagnosticBag, sortDiagnostics, type Diagnostic, type DiagnosticCode, type Severity } from './diagnostics.js';
export { parseSource } from './syntax/parse.js';
export { KEYWORDS } from './syntax/lexer.js';
export { grammarRuleNames } from './syntax/parser.js';
export type * as Ast from './syntax/ast.js';
export { parseDuration, formatDuration } from './units.js';
export { typeName } from './semantics/check-expr.js';
export { formatSource, DEFAULT_WIDTH, type FormatOptions, type FormatResult } from './format/index.js';
export { lexTokens, type LexedToken } from './syntax/tokens.js';
export type { Symbols } from './semantics/symbols.js';
export { IncrementalCompiler } from './incremental.js';
export { parseIncremental, reparseIncremental, type IncrementalFile } from './syntax/incremental.js';
