/**
 * @writ/lsp: the Writ language server (Language Server Protocol over stdio, on vscode-languageserver).
 * `startServer()` runs it on standard input and output; `writ lsp --stdio` and the `writ-lsp` bin call it.
 * @packageDocumentation
 */
export { createServer, startServer, VERIFICATION_NOTIFICATION, type ServerOptions } from './server.js';
export { LEGEND as SEMANTIC_TOKENS_LEGEND } from './features/semantic-tokens.js';
