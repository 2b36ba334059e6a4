/**
 * Verifier results as diagnostics, computed when a file is saved: a failed assertion is an error whose
 * message holds the counterexample request (and related information points at the rule that decided it);
 * vacuous, shadowed and redundant rules and dead tools are warnings. `@writ/verifier` (and with it Z3) is
 * imported on the first save only, never on the typing path.
 */
import type { Artifact } from '@writ/runtime';
import type { Diagnostic } from 'vscode-languageserver';
import { DiagnosticSeverity } from '../protocol.js';
import { spanToRange } from '../positions.js';

type VerifierModule = typeof import('@writ/verifier');
type CheckResult = Awaited<ReturnType<VerifierModule['verify']>>['results'][number];

let verifier: Promise<VerifierModule> | undefined;

/** Loads the verifier (and so Z3) once. */
function loadVerifier(): Promise<VerifierModule> {
  verifier ??= import('@writ/verifier');
  return verifier;
}

/** Whether the verifier has been loaded (for tests: typing must not load it). */
export function verifierLoaded(): boolean {
  return verifier !== undefined;
}

export interface VerifyOutcome {
  digest: string;
  /** Diagnostics per file name (relative to the policy root). */
  byFile: Map<string, Diagnostic[]>;
  /** A problem running the verifier, reported as one message instead of diagnostics. */
  error?: string;
}

const KIND_TEXT: Record<string, string> = {
  vacuous: 'this rule can never fire',
  shadowed: 'this rule is shadowed: wherever it matches, a deny also matches',
  redundant: 'this rule is redundant: another rule of the same effect already covers it',
  dead_tool: 'no request to this tool can ever be allowed',
};

function describe(r: CheckResult): string {
  if (r.kind === 'assertion') {
    const lines = [`assertion failed: ${r.message}`];
    const c = r.counterexample;
    if (c) {
      lines.push(`counterexample request: ${JSON.stringify(c.case.request)}`);
      const state = c.case.state;
      if (state.history.length || state.full_limits.length || state.approval !== 'none') lines.push(`in state: ${JSON.stringify(state)}`);
      lines.push(`decided: ${c.runtime.effect}${c.runtime.denial ? ` (${c.runtime.denial})` : ''}${c.runtime.reasons[0] ? ` by ${c.runtime.reasons[0].rule}` : ''}`);
    }
    return lines.join('\n');
  }
  return `${KIND_TEXT[r.kind] ?? r.kind}: ${r.message}`;
}

/**
 * Runs the verifier on an artifact.
 * @param uriOf - maps a span's file name to a URI, for related information
 */
export async function verifyArtifact(artifact: Artifact, uriOf: (name: string) => string | undefined, timeoutMs: number): Promise<VerifyOutcome> {
  const byFile = new Map<string, Diagnostic[]>();
  try {
    const v = await loadVerifier();
    const report = await v.verify(artifact, { timeoutMs, analyses: true });
    for (const r of report.results) {
      if (r.status !== 'failed' || !r.span) continue;
      const d: Diagnostic = {
        range: spanToRange(r.span),
        severity: r.kind === 'assertion' ? DiagnosticSeverity.Error : DiagnosticSeverity.Warning,
        code: r.kind,
        source: 'writ verify',
        message: describe(r),
      };
      const reason = r.counterexample?.runtime.reasons[0];
      const uri = reason?.span ? uriOf(reason.span.file) : undefined;
      if (reason?.span && uri) {
        d.relatedInformation = [
          {
            location: { uri, range: spanToRange({ ...reason.span, endLine: reason.span.line, endColumn: reason.span.column + 1 }) },
            message: `the counterexample is decided ${r.counterexample?.runtime.effect} here: ${reason.message}`,
          },
        ];
      }
      const list = byFile.get(r.span.file) ?? [];
      list.push(d);
      byFile.set(r.span.file, list);
    }
    return { digest: artifact.digest, byFile };
  } catch (e) {
    return { digest: artifact.digest, byFile, error: (e as Error)?.message ?? String(e) };
  }
}

/** Stops the solver's threads, if it was loaded. */
export async function shutdownVerifier(): Promise<void> {
  if (!verifier) return;
  try {
    await (await verifier).shutdown();
  } catch {
    // the process is ending anyway
  }
}
