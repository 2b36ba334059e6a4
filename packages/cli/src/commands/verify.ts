/**
 * `writ verify`: proves a policy's assertions and runs the rule analyses (vacuous, shadowed, redundant rules;
 * dead tools) with the SMT verifier. A failed assertion comes with a counterexample that the runtime has
 * decided in the same run.
 */
import { shutdown, verify, type CheckResult, type VerifyReport } from '@writ/verifier';
import { EXIT, UserError } from '../errors.js';
import { encoding, loadVerifyInput, progress } from '../io/verify-input.js';
import { displayPath } from '../io/policy-files.js';
import { caseLines, decided, decisionJson } from '../render/counterexample.js';
import { renderDiagnostic, type DiagnosticLike } from '../render/diagnostics.js';
import { styler } from '../render/style.js';
import { colorEnabled } from '../render/style.js';
import { sarifLog, spanLocation, writeSarif, type SarifFinding } from '../render/sarif.js';
import { PolicyCompileError } from '../io/load-policy.js';
import { diagnosticFindings } from './check.js';
import type { Artifact } from '@writ/runtime';

export interface VerifyCommandOptions {
  json?: boolean;
  /** Per query, seconds. */
  timeout?: string;
  /** `--no-analyses` sets this to false. */
  analyses?: boolean;
  /** Also write the results (and compile errors) as SARIF 2.1.0 to this file. */
  sarif?: string;
}

/** What each kind of verifier result means, for SARIF rule descriptors. */
const KIND_DESCRIPTION: Record<CheckResult['kind'], string> = {
  assertion: 'an assertion of the policy does not hold for some request and state (a counterexample is given)',
  vacuous: 'a rule that can never match',
  shadowed: 'an allow or approve rule that a deny rule always overrides',
  redundant: 'a rule implied by another rule of the same effect',
  dead_tool: 'a tool for which no request can ever be allowed',
};

/** The results that are not proven/holding, as SARIF findings (rule id = the check's kind). */
export function verifyFindings(results: readonly CheckResult[], artifact: Artifact, root: string): SarifFinding[] {
  const out: SarifFinding[] = [];
  for (const r of results) {
    const sev = severityOf(r);
    if (sev === 'ok') continue;
    const span = r.span ?? artifact.tools[r.tool ?? '']?.span;
    const cx = r.counterexample;
    out.push({
      code: r.kind === 'dead_tool' ? 'dead-tool' : r.kind,
      description: KIND_DESCRIPTION[r.kind],
      level: sev === 'error' ? 'error' : sev === 'warning' ? 'warning' : 'note',
      message:
        headline(r) +
        (r.reason ? ` (solver: ${r.reason})` : '') +
        (cx ? `; counterexample request ${JSON.stringify(cx.case.request)}, decided by the runtime: ${decided(cx.runtime, root)}` : ''),
      ...(span ? spanLocation(root, span) : {}),
      ...(cx ? { properties: { counterexample: { request: cx.case.request, state: cx.case.state, runtime: decisionJson(cx.runtime, root), smt: cx.smtEffect } } } : {}),
    });
  }
  return out;
}

/** Exit code of `verify` (see `writ verify --help`). */
export const VERIFY_EXIT = {
  proven: EXIT.ok,
  failed: EXIT.failed,
  unknown: 2,
  policy: EXIT.policy,
  internal: EXIT.internal,
} as const;

function parseTimeout(t: string | undefined): number {
  if (t === undefined) return 30_000;
  const s = Number(t);
  if (!Number.isFinite(s) || s <= 0) throw new UserError(`--timeout: '${t}' is not a positive number of seconds`);
  return Math.round(s * 1000);
}

const KIND_ORDER = { assertion: 0, dead_tool: 1, vacuous: 2, shadowed: 3, redundant: 4 } as const;

function sorted(results: CheckResult[]): CheckResult[] {
  const key = (r: CheckResult) => [KIND_ORDER[r.kind], r.span?.file ?? '', r.span?.line ?? 0, r.span?.column ?? 0] as const;
  return [...results].sort((a, b) => {
    const x = key(a);
    const y = key(b);
    for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return x[i]! < y[i]! ? -1 : 1;
    return 0;
  });
}

/** `ok`, `error`, `warning` or `unknown`: how a result is shown. */
export function severityOf(r: CheckResult): 'ok' | 'error' | 'warning' | 'unknown' {
  if (r.status === 'unknown') return 'unknown';
  if (r.kind === 'assertion') return r.status === 'proven' ? 'ok' : 'error';
  return r.status === 'failed' ? 'warning' : 'ok';
}

export function verifyExitCode(report: VerifyReport): number {
  if (report.results.some((r) => r.counterexample && !r.counterexample.agrees)) return VERIFY_EXIT.internal;
  if (report.results.some((r) => r.kind === 'assertion' && r.status === 'failed')) return VERIFY_EXIT.failed;
  if (report.results.some((r) => r.status === 'unknown')) return VERIFY_EXIT.unknown;
  return VERIFY_EXIT.proven;
}

const DISAGREE = 'internal error: the runtime and the SMT encoding disagree on this request';

export async function runVerify(input: string, opts: VerifyCommandOptions): Promise<number> {
  const timeoutMs = parseTimeout(opts.timeout);
  let loaded: ReturnType<typeof loadVerifyInput>;
  try {
    loaded = loadVerifyInput(input);
  } catch (e) {
    if (e instanceof PolicyCompileError && opts.sarif !== undefined) writeSarif(opts.sarif, sarifLog('verify', diagnosticFindings(e.diagnostics, e.root)));
    throw e;
  }
  const { artifact, root, texts } = loaded;
  const bar = progress('verifying tool');
  let report: VerifyReport;
  try {
    report = await encoding(input, () =>
      verify(artifact, { timeoutMs, analyses: opts.analyses !== false, onProgress: (i, n, tool) => bar.update(i, n, tool) }),
    );
  } finally {
    bar.clear();
    await shutdown();
  }
  const results = sorted(report.results);
  const code = verifyExitCode(report);
  if (opts.sarif !== undefined) writeSarif(opts.sarif, sarifLog('verify', verifyFindings(results, artifact, root)));
  if (opts.json) {
    process.stdout.write(`${JSON.stringify(reportJson(report, results, root, code), null, 2)}\n`);
    return code;
  }
  const color = colorEnabled();
  const s = styler(color);
  const out: string[] = [];
  for (const r of results) {
    const sev = severityOf(r);
    const where = r.span ? `${displayPath(root, r.span.file)}:${r.span.line}` : '';
    if (sev === 'ok') {
      if (out.length && out[out.length - 1] !== '' && !out[out.length - 1]!.startsWith(s(['bold', 'green'], 'ok'))) out.push('');
      out.push(`${s(['bold', 'green'], 'ok')}: ${r.message}${where ? s('dim', `  (${where})`) : ''}`);
      continue;
    }
    const d: DiagnosticLike = {
      code: r.kind === 'dead_tool' ? 'dead tool' : r.kind,
      severity: sev,
      message: headline(r),
      span: r.span ?? artifact.tools[r.tool ?? '']?.span ?? { file: '', line: 0, column: 0, endLine: 0, endColumn: 0 },
    };
    if (r.reason) d.help = `the solver answered unknown (${r.reason}); raise --timeout or simplify the query`;
    out.push('');
    out.push(renderDiagnostic(d, texts, root, color));
    if (r.kind === 'assertion' && r.status === 'failed') out.push(...counterexampleLines(r, root, s));
  }
  if (report.notes.length) out.push('');
  for (const n of report.notes) out.push(`${s(['bold', 'blue'], 'note')}: ${n}`);
  out.push('');
  out.push(summaryLine(report, results, code));
  process.stdout.write(`${out.join('\n')}\n`);
  if (code === VERIFY_EXIT.internal) process.stderr.write(`writ: ${DISAGREE}\n`);
  return code;
}

function headline(r: CheckResult): string {
  if (r.kind !== 'assertion') return r.message;
  if (r.status === 'unknown') return `could not prove (solver: ${r.reason ?? 'unknown'}) for ${r.tool}: ${r.message}`;
  return `assertion fails for ${r.tool}: ${r.message}`;
}

function counterexampleLines(r: CheckResult, root: string, s: ReturnType<typeof styler>): string[] {
  const pad = ' '.repeat(String(r.span?.line ?? 0).length);
  const cx = r.counterexample;
  if (!cx) return [`${pad} = no counterexample could be built within the time limit (the query was satisfiable)`];
  const out = [`${pad} = counterexample:`];
  out.push(...caseLines(cx.case, `${pad}   `));
  out.push(`${pad}   runtime decision: ${decided(cx.runtime, root)}`);
  out.push(`${pad}   SMT:              ${cx.smtEffect}`);
  if (!cx.confirmed) out.push(`${pad}   note: the solver assumed detector verdicts on strings it could not make concrete; the runtime decided the request as shown`);
  if (!cx.agrees) out.push(s(['bold', 'red'], DISAGREE));
  return out;
}

function summaryLine(report: VerifyReport, results: CheckResult[], code: number): string {
  const a = results.filter((r) => r.kind === 'assertion');
  const n = (st: CheckResult['status']) => a.filter((r) => r.status === st).length;
  const warnings = results.filter((r) => severityOf(r) === 'warning').length;
  const unknownAnalyses = results.filter((r) => r.kind !== 'assertion' && r.status === 'unknown').length;
  const p = report.policy;
  const verdict = code === VERIFY_EXIT.proven ? 'verified' : code === VERIFY_EXIT.failed ? 'failed' : code === VERIFY_EXIT.unknown ? 'unknown' : 'internal error';
  const plural = (k: number, w: string) => `${k} ${w}${k === 1 ? '' : 's'}`;
  return (
    `${verdict}: ${p.name}@${p.version} (${p.digest.slice(0, 19)}…): ` +
    `${plural(a.length, 'assertion')}: ${n('proven')} proven, ${n('failed')} failed, ${n('unknown')} unknown; ` +
    `${plural(warnings, 'warning')}${unknownAnalyses ? `, ${plural(unknownAnalyses, 'analysis')} unknown` : ''} (${(report.ms / 1000).toFixed(1)} s)`
  );
}

function reportJson(report: VerifyReport, results: CheckResult[], root: string, code: number): unknown {
  const a = results.filter((r) => r.kind === 'assertion');
  return {
    policy: report.policy,
    exit: code,
    ok: code === VERIFY_EXIT.proven,
    summary: {
      assertions: { total: a.length, proven: a.filter((r) => r.status === 'proven').length, failed: a.filter((r) => r.status === 'failed').length, unknown: a.filter((r) => r.status === 'unknown').length },
      warnings: results.filter((r) => severityOf(r) === 'warning').length,
      unknown: results.filter((r) => r.status === 'unknown').length,
    },
    results: results.map((r) => ({
      kind: r.kind,
      status: r.status,
      severity: severityOf(r),
      id: r.id,
      ...(r.tool ? { tool: r.tool } : {}),
      message: r.message,
      ...(r.span ? { file: displayPath(root, r.span.file), line: r.span.line, column: r.span.column, endLine: r.span.endLine, endColumn: r.span.endColumn } : {}),
      ...(r.reason ? { reason: r.reason } : {}),
      ms: Math.round(r.ms * 1000) / 1000,
      ...(r.counterexample
        ? {
            counterexample: {
              request: r.counterexample.case.request,
              state: r.counterexample.case.state,
              runtime: decisionJson(r.counterexample.runtime, root),
              smt: r.counterexample.smtEffect,
              agrees: r.counterexample.agrees,
              confirmed: r.counterexample.confirmed,
            },
          }
        : {}),
    })),
    notes: report.notes,
    ms: Math.round(report.ms),
  };
}

export { DISAGREE };
