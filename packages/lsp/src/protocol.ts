/**
 * The vscode-languageserver values the server uses, loaded with `require`. The package is CommonJS: imported
 * from ES modules, Node first scans it and every module it re-exports for export names (cjs-module-lexer),
 * which cost about 80 ms of CPU of the server's start to first diagnostics; `require` skips that scan.
 * Types still come from the package itself (`import type`).
 */
import { createRequire } from 'node:module';

type Lsp = typeof import('vscode-languageserver/node');
const lsp = createRequire(import.meta.url)('vscode-languageserver/node') as Lsp;

export const {
  CodeActionKind,
  CompletionItemKind,
  DiagnosticSeverity,
  FoldingRangeKind,
  InsertTextFormat,
  MarkupKind,
  ProposedFeatures,
  ResponseError,
  SymbolKind,
  TextDocumentSyncKind,
  TextDocuments,
  createConnection,
} = lsp;

// The names above that are also types (a namespace of constants and its union type, a class).
export type DiagnosticSeverity = import('vscode-languageserver').DiagnosticSeverity;
export type SymbolKind = import('vscode-languageserver').SymbolKind;
export type TextDocuments<T extends { uri: string }> = import('vscode-languageserver').TextDocuments<T>;
