/**
 * `writ lsp`: the language server over standard input and output (the same server as the `writ-lsp` bin).
 * The server is imported only when this command runs, so other commands do not pay for loading it.
 */
import type { Command } from 'commander';

export function registerLspCommand(p: Command): void {
  p.command('lsp')
    .description('run the Writ language server (Language Server Protocol) for editors')
    .option('--stdio', 'talk over standard input and output (the default)')
    .addHelpText('after', '\nEditors start it as `writ lsp --stdio`; it runs until the editor sends `exit`.\n')
    .action(async () => {
      const { startServer } = await import('@writ/lsp');
      startServer();
      // The connection keeps the process alive; the server exits on the client's `exit` notification.
      await new Promise<void>(() => {});
    });
}
