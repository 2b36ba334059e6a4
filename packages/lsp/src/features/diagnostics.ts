/**
 * Compiler diagnostics as LSP diagnostics, one list per file of the policy.
 */
import type { Diagnostic as WritDiagnostic } from '@writ/compiler';
import type { Diagnostic } from 'vscode-languageserver';
import { DiagnosticSeverity } from '../protocol.js';
import type { PolicyAnalysis } from '../analysis/analysis.js';
import { spanToRange } from '../positions.js';

const SEVERITY: Record<string, DiagnosticSeverity> = {
  error: DiagnosticSeverity.Error,
  warning: DiagnosticSeverity.Warning,
  info: DiagnosticSeverity.Information,
};

/** Data attached to each LSP diagnostic, read back by code actions. */
export interface DiagnosticData {
  help?: string;
}

/** Converts one diagnostic; `uriOf` maps a span's file name to its URI (related locations in other files). */
export function toLspDiagnostic(d: WritDiagnostic, uriOf: (name: string) => string | undefined): Diagnostic {
  const out: Diagnostic = {
    range: spanToRange(d.span),
    severity: SEVERITY[d.severity] ?? DiagnosticSeverity.Error,
    code: d.code,
    source: 'writ',
    message: d.help ? `${d.message}\nhelp: ${d.help}` : d.message,
    data: { ...(d.help ? { help: d.help } : {}) } satisfies DiagnosticData,
  };
  const related = (d.related ?? []).flatMap((r) => {
    const uri = uriOf(r.span.file);
    return uri ? [{ location: { uri, range: spanToRange(r.span) }, message: r.message }] : [];
  });
  if (related.length) out.relatedInformation = related;
  return out;
}

/** Every file's diagnostics (an empty list for a clean file, so the client clears old ones). */
export function diagnosticsByUri(a: PolicyAnalysis): Map<string, Diagnostic[]> {
  const out = new Map<string, Diagnostic[]>(a.files.map((f) => [f.uri, []]));
  const uriOf = (name: string) => a.uriOfName(name);
  for (const d of a.output.diagnostics) {
    const uri = uriOf(d.span.file) ?? a.files[0]?.uri;
    if (uri) out.get(uri)?.push(toLspDiagnostic(d, uriOf));
  }
  return out;
}
