/**
 * textDocument/formatting with the shared formatter (the one `writ fmt` uses): one edit replacing the
 * whole document, or none when it is already formatted or does not parse.
 */
import { formatSource } from '@writ/compiler';
import type { TextEdit } from 'vscode-languageserver';
import { positionAt } from '../positions.js';

export function formatDocument(text: string): TextEdit[] {
  const r = formatSource(text);
  if (r.text === undefined || !r.changed) return [];
  return [{ range: { start: { line: 0, character: 0 }, end: positionAt(text, text.length) }, newText: r.text }];
}
