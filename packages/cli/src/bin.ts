#!/usr/bin/env node
/**
 * The `writ` command: runs the program and turns errors into one line and an exit code.
 */
import { CommanderError } from 'commander';
import { EXIT, PolicyCompileError, UserError } from './errors.js';
import { program } from './program/program.js';
import { renderDiagnostic } from './render/diagnostics.js';
import { colorEnabled } from './render/style.js';

// A reader that goes away (`writ … | head`) is not an error: stop quietly with the exit code so far.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? EXIT.ok);
    throw e;
  });
}

async function main(): Promise<void> {
  try {
    await program().parseAsync(process.argv);
  } catch (e) {
    if (e instanceof CommanderError) {
      // Help and version exit 0; usage mistakes 2 (commander already printed the message).
      process.exitCode = e.exitCode === 0 ? EXIT.ok : EXIT.usage;
      return;
    }
    if (e instanceof PolicyCompileError) {
      const color = colorEnabled(process.stderr);
      for (const d of e.diagnostics.filter((x) => x.severity === 'error')) process.stderr.write(`${renderDiagnostic(d, e.texts, e.root, color)}\n\n`);
      process.stderr.write(`writ: ${e.message}\n`);
      process.exitCode = e.exitCode;
      return;
    }
    if (e instanceof UserError) {
      process.stderr.write(`writ: ${e.message}\n`);
      process.exitCode = e.exitCode;
      return;
    }
    process.stderr.write(`writ: internal error: ${(e as Error)?.stack ?? String(e)}\nThis is a bug in writ; please report it.\n`);
    process.exitCode = EXIT.internal;
  }
}

/** Resolves once everything written to `stream` so far has been handed to the operating system. */
function flushed(stream: NodeJS.WriteStream): Promise<void> {
  return new Promise((resolve) => {
    if (stream.destroyed || !stream.writable) resolve();
    else stream.write('', () => resolve());
  });
}

await main();
// Every command has finished here (serve and lsp return only when they stop). Z3's worker threads (verify,
// diff, smt, plan) can still hold the event loop open after their last query, seen as a process that never
// exits: leave now, once standard output and error are flushed.
await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
process.exit();
