#!/usr/bin/env node
/**
 * `writ-lsp`: the Writ language server over standard input and output (`--stdio`, the default).
 */
import { startServer } from './server.js';

startServer();
