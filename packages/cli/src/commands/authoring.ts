/**
 * Registers the authoring commands: `fmt` and `lsp`.
 */
import type { Command } from 'commander';
import { registerFmtCommand } from './fmt.js';
import { registerLspCommand } from './lsp.js';

export function registerAuthoringCommands(p: Command, setCode: (code: number) => void): void {
  registerFmtCommand(p, setCode);
  registerLspCommand(p);
}
