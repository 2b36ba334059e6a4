#!/usr/bin/env node
// Committed entry point, so the `writ-lsp` bin link exists right after `npm ci`; the code is in dist/ after `npm run build`.
// Speaks the Language Server Protocol over stdio (`--stdio` is accepted and is the default).
import('../dist/bin.js').catch((e) => {
  if (e && e.code === 'ERR_MODULE_NOT_FOUND' && String(e.message).includes('dist/bin.js')) {
    process.stderr.write('writ-lsp: not built yet; run `npm run build` first\n');
    process.exit(2);
  }
  throw e;
});
