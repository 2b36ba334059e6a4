/**
 * The compiler pipeline: parse every file, bind declarations, check and elaborate statements, emit the
 * decision table. Each phase keeps going after errors so one run reports as much as it can.
 */
import type { Artifact, Span } from '@writ/runtime';
import { emitArtifact } from './backend/table.js';
import { DiagnosticBag, sortDiagnostics, type Diagnostic } from './diagnostics.js';
import { PolicyChecker } from './semantics/check-policy.js';
import { bind, type Symbols } from './semantics/symbols.js';
import type { SourceFile } from './syntax/ast.js';
import { parseSource } from './syntax/parse.js';

/** One input file: `file` is the name used in spans and rule ids (conventionally relative to the policy root). */
export interface Source {
  file: string;
  text: string;
}

export interface CompileResult {
  /** Present only when there are no errors (warnings allowed). */
  artifact?: Artifact;
  /** Sorted by file, line, column. */
  diagnostics: Diagnostic[];
  files: SourceFile[];
  symbols: Symbols;
}

/**
 * Compiles the `.writ` files of one policy to a decision-table artifact.
 * Never throws on user input: every problem is a diagnostic.
 * @param sources - the policy's files; their order does not change the result's decisions
 */
export function compile(sources: readonly Source[]): CompileResult {
  const diags = new DiagnosticBag();
  const files = sources.map((s) => parseSource(s.file, s.text, diags));
  const symbols = bind(files, diags);
  if (!symbols.policy) {
    const file = sources[0]?.file ?? '<input>';
    diags.add('E0300', { file, line: 1, column: 1, endLine: 1, endColumn: 1 }, 'missing `policy "name" version "x.y.z"` header');
  }
  // Line start offsets per file, computed once: rule messages quote their source.
  const lineStarts = new Map(files.map((f) => [f.file, { text: f.text, starts: lineOffsets(f.text) }]));
  const sourceText = (span: Span): string => {
    const f = lineStarts.get(span.file);
    if (!f) return '';
    const from = (f.starts[span.line - 1] ?? f.text.length) + span.column - 1;
    const to = (f.starts[span.endLine - 1] ?? f.text.length) + span.endColumn - 1;
    return f.text.slice(from, to);
  };
  const checked = new PolicyChecker(symbols, diags, sourceText).check(files);
  const diagnostics = sortDiagnostics(diags.items);
  if (diags.hasErrors) return { diagnostics, files, symbols };
  return { artifact: emitArtifact(symbols, checked, sources), diagnostics, files, symbols };
}

/** The source text a span covers (1-based lines and columns, end exclusive). */
export function sliceSpan(text: string, span: Span): string {
  const lines = text.split('\n');
  if (span.line === span.endLine) return (lines[span.line - 1] ?? '').slice(span.column - 1, span.endColumn - 1);
  const out = [(lines[span.line - 1] ?? '').slice(span.column - 1)];
  for (let l = span.line; l < span.endLine - 1; l++) out.push(lines[l] ?? '');
  out.push((lines[span.endLine - 1] ?? '').slice(0, span.endColumn - 1));
  return out.join('\n');
}

/** Offsets at which each line of `text` starts. */
function lineOffsets(text: string): number[] {
  const starts = [0];
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return starts;
}
