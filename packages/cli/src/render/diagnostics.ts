/**
 * Diagnostics for people (rustc style: a header line, the location, the source line with a caret underline,
 * help) and for machines (JSON).
 */
import type { Diagnostic } from '@writ/compiler';
import { displayPath } from '../io/policy-files.js';
import { styler } from './style.js';

/** What `renderDiagnostic` needs: a compiler diagnostic, or a verifier result shaped like one. */
export type DiagnosticLike = Omit<Diagnostic, 'code' | 'severity'> & { code: string; severity: string };

/**
 * Renders one diagnostic with a source excerpt.
 * @param texts - source text per span file name, for the excerpt
 * @param root - directory span files are relative to
 */
export function renderDiagnostic(d: DiagnosticLike, texts: ReadonlyMap<string, string>, root: string, color: boolean): string {
  const s = styler(color);
  const sevColor = d.severity === 'error' ? 'red' : d.severity === 'warning' ? 'yellow' : 'blue';
  const out: string[] = [];
  out.push(`${s(['bold', sevColor], `${d.severity}[${d.code}]`)}${s('bold', `: ${d.message}`)}`);
  const loc = `${displayPath(root, d.span.file)}:${d.span.line}:${d.span.column}`;
  const text = texts.get(d.span.file);
  const lineText = text?.split('\n')[d.span.line - 1];
  const gutter = String(d.span.line).length;
  const pad = ' '.repeat(gutter);
  out.push(`${pad}${s('blue', '-->')} ${loc}`);
  if (lineText !== undefined) {
    const shown = lineText.replace(/\t/g, ' ');
    const start = Math.max(0, d.span.column - 1);
    const end = d.span.endLine === d.span.line ? Math.max(start + 1, d.span.endColumn - 1) : shown.length;
    out.push(`${pad} ${s('blue', '|')}`);
    out.push(`${s('blue', `${d.span.line} |`)} ${shown}`);
    out.push(`${pad} ${s('blue', '|')} ${' '.repeat(start)}${s(sevColor, '^'.repeat(Math.max(1, Math.min(end, shown.length + 1) - start)))}`);
  }
  for (const r of d.related ?? []) {
    out.push(`${pad} ${s('blue', '=')} note: ${r.message} at ${displayPath(root, r.span.file)}:${r.span.line}:${r.span.column}`);
  }
  if (d.help) out.push(`${pad} ${s('blue', '=')} help: ${d.help}`);
  return out.join('\n');
}

/** A one-line summary such as `2 errors, 1 warning`. */
export function summary(ds: readonly Diagnostic[]): string {
  const e = ds.filter((d) => d.severity === 'error').length;
  const w = ds.filter((d) => d.severity === 'warning').length;
  const part = (n: number, w: string) => `${n} ${w}${n === 1 ? '' : 's'}`;
  return `${part(e, 'error')}, ${part(w, 'warning')}`;
}

/** The JSON form: diagnostics with file paths as the user gave them. */
export function diagnosticsJson(ds: readonly Diagnostic[], root: string): unknown[] {
  return ds.map((d) => ({
    code: d.code,
    severity: d.severity,
    message: d.message,
    file: displayPath(root, d.span.file),
    line: d.span.line,
    column: d.span.column,
    endLine: d.span.endLine,
    endColumn: d.span.endColumn,
    ...(d.help ? { help: d.help } : {}),
    ...(d.related ? { related: d.related.map((r) => ({ message: r.message, file: displayPath(root, r.span.file), line: r.span.line, column: r.span.column })) } : {}),
  }));
}
