/**
 * `writ check`: diagnostics for a policy.
 */
import { compile, DIAGNOSTIC_CODES, type Diagnostic } from '@writ/compiler';
import { EXIT } from '../errors.js';
import { readPolicySources } from '../io/policy-files.js';
import { diagnosticsJson, renderDiagnostic, summary } from '../render/diagnostics.js';
import { colorEnabled } from '../render/style.js';
import { sarifLog, spanLocation, writeSarif, type SarifFinding } from '../render/sarif.js';

export interface CheckOptions {
  json?: boolean;
  denyWarnings?: boolean;
  /** Also write the diagnostics as SARIF 2.1.0 to this file. */
  sarif?: string;
}

/** Compiler diagnostics as SARIF findings (rule id = diagnostic code). */
export function diagnosticFindings(ds: readonly Diagnostic[], root: string): SarifFinding[] {
  return ds.map((d) => ({
    code: d.code,
    description: DIAGNOSTIC_CODES[d.code],
    level: d.severity === 'error' ? 'error' : d.severity === 'warning' ? 'warning' : 'note',
    message: d.help ? `${d.message} (help: ${d.help})` : d.message,
    ...spanLocation(root, d.span),
  }));
}

export function runCheck(paths: string[], opts: CheckOptions): number {
  const { root, sources } = readPolicySources(paths);
  const result = compile(sources);
  const ds = result.diagnostics;
  const errors = ds.some((d) => d.severity === 'error' || (opts.denyWarnings && d.severity === 'warning'));
  if (opts.sarif !== undefined) writeSarif(opts.sarif, sarifLog('check', diagnosticFindings(ds, root)));
  if (opts.json) {
    process.stdout.write(
      `${JSON.stringify({ ok: !errors, files: sources.length, digest: result.artifact?.digest ?? null, diagnostics: diagnosticsJson(ds, root) }, null, 2)}\n`,
    );
  } else {
    const texts = new Map(sources.map((s) => [s.file, s.text]));
    const color = colorEnabled();
    for (const d of ds) process.stdout.write(`${renderDiagnostic(d, texts, root, color)}\n\n`);
    const what = `${sources.length} file${sources.length === 1 ? '' : 's'}`;
    process.stdout.write(
      result.artifact
        ? `ok: ${result.artifact.policy.name}@${result.artifact.policy.version}, ${what}, ${summary(ds)}\n`
        : `failed: ${what}, ${summary(ds)}\n`,
    );
  }
  return errors ? EXIT.failed : EXIT.ok;
}
