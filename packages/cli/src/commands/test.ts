/**
 * `writ test`: runs policy test suites (`*.test.yaml` beside the policies), reports failures with the
 * suite's file:line and the deciding rule's source, optionally measures rule and clause coverage, and
 * writes text, JSON or JUnit XML.
 */
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ConditionProbe, loadPolicy, type Artifact, type Reason, type Span } from '@writ/runtime';
import { EXIT, UserError } from '../errors.js';
import { displayPath } from '../io/policy-files.js';
import { loadVerifyInput } from '../io/verify-input.js';
import { PolicyCompileError } from '../io/load-policy.js';
import { renderDiagnostic, type DiagnosticLike } from '../render/diagnostics.js';
import { colorEnabled, styler } from '../render/style.js';
import { coverageOf, type Coverage } from '../testing/coverage.js';
import { junitXml, type JUnitSuite } from '../testing/junit.js';
import { runCase, type CaseResult, type TestTarget } from '../testing/run.js';
import { readSuite, SuiteError, type Expectation, type Suite, type Where } from '../testing/suite.js';

export interface TestCommandOptions {
  filter?: string;
  reporter?: string;
  coverage?: boolean;
  minCoverage?: string;
  out?: string;
}

/** Exit codes of `writ test` (see `writ test --help`). */
export const TEST_EXIT = { passed: EXIT.ok, failed: EXIT.failed, usage: EXIT.usage, invalid: EXIT.policy } as const;

const SKIP_DIRS = new Set(['node_modules', 'dist']);

/** The suite files under `inputs`, sorted, as given (not resolved). */
export function findSuites(inputs: readonly string[]): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) {
        if (!SKIP_DIRS.has(e.name) && !e.name.startsWith('.')) walk(p);
      } else if (e.isFile() && e.name.endsWith('.test.yaml')) out.push(p);
    }
  };
  for (const input of inputs) {
    let st;
    try {
      st = statSync(input);
    } catch {
      throw new UserError(`${input}: no such file or directory`);
    }
    if (st.isDirectory()) walk(input);
    else out.push(input);
  }
  return [...new Set(out)];
}

interface Gate {
  what: 'rules' | 'clauses';
  pct: number;
}

function parseGate(s: string | undefined): Gate | undefined {
  if (s === undefined) return undefined;
  const m = /^(?:(rules|clauses)=)?(\d+(?:\.\d+)?)%?$/.exec(s.trim());
  const pct = m ? Number(m[2]) : NaN;
  if (!m || !(pct >= 0 && pct <= 100)) throw new UserError(`--min-coverage: '${s}' is not a percentage (e.g. 100, 90.5, clauses=75)`);
  return { what: (m[1] as Gate['what'] | undefined) ?? 'rules', pct };
}

/** A suite as run: its cases' results, or why it could not run. */
interface SuiteRun {
  file: string;
  suite?: Suite;
  target?: TestTarget;
  /** Set when the suite or its policy is invalid. */
  invalid?: { where: Where; message: string; diagnostics?: string[] };
  results: CaseResult[];
  ms: number;
}

interface PolicyLoad {
  target?: TestTarget;
  error?: { message: string; diagnostics: string[] };
}

function loadTarget(policyPath: string, coverage: boolean, color: boolean): PolicyLoad {
  try {
    const { artifact, root, texts } = loadVerifyInput(policyPath);
    const policy = loadPolicy(artifact);
    const target: TestTarget = { policy, artifact, root, texts };
    if (coverage) target.probe = new ConditionProbe(artifact);
    return { target };
  } catch (e) {
    if (e instanceof PolicyCompileError) {
      return {
        error: {
          message: `the policy ${displayPath(process.cwd(), policyPath)} does not compile: ${e.message}`,
          diagnostics: e.diagnostics.filter((d) => d.severity === 'error').map((d) => renderDiagnostic(d, e.texts, e.root, color)),
        },
      };
    }
    if (e instanceof UserError) return { error: { message: e.message, diagnostics: [] } };
    throw e;
  }
}

/** Runs `writ test`; returns the exit code. */
export function runTest(paths: string[], o: TestCommandOptions): number {
  const reporter = o.reporter ?? 'text';
  if (!['text', 'json', 'junit'].includes(reporter)) throw new UserError(`--reporter: '${reporter}' is not one of text, json, junit`);
  let filter: RegExp | undefined;
  if (o.filter !== undefined) {
    try {
      filter = new RegExp(o.filter);
    } catch (e) {
      throw new UserError(`--filter: ${(e as Error).message}`);
    }
  }
  const gate = parseGate(o.minCoverage);
  const coverage = o.coverage === true || gate !== undefined;
  const files = findSuites(paths.length ? paths : ['.']);
  if (files.length === 0) throw new UserError(`${(paths.length ? paths : ['.']).join(', ')}: no *.test.yaml suites found`);
  const color = reporter === 'text' && o.out === undefined && colorEnabled();
  const start = performance.now();

  const targets = new Map<string, PolicyLoad>();
  const runs: SuiteRun[] = files.map((file) => {
    const t0 = performance.now();
    let suite: Suite;
    try {
      suite = readSuite(path.resolve(file));
    } catch (e) {
      if (e instanceof SuiteError) return { file, invalid: { where: e.where, message: e.message }, results: [], ms: performance.now() - t0 };
      throw e;
    }
    let load = targets.get(suite.policy);
    if (!load) targets.set(suite.policy, (load = loadTarget(suite.policy, coverage, color)));
    if (!load.target) {
      return { file, suite, invalid: { where: { file: suite.file, line: 1, column: 1 }, ...load.error! }, results: [], ms: performance.now() - t0 };
    }
    const cases = filter ? suite.cases.filter((c) => filter.test(c.name)) : suite.cases;
    const results = cases.map((c) => runCase(load.target!, c));
    return { file, suite, target: load.target, results, ms: performance.now() - t0 };
  });

  // Coverage per policy, over every suite that tests it.
  const covered: Array<{ target: TestTarget; coverage: Coverage }> = [];
  if (coverage) {
    for (const load of targets.values()) {
      if (!load.target) continue;
      const results = runs.filter((r) => r.target === load.target).flatMap((r) => r.results);
      covered.push({ target: load.target, coverage: coverageOf(load.target, results) });
    }
  }
  const belowGate = gate
    ? covered.filter(({ coverage: c }) => (gate.what === 'rules' ? c.rulePercent : c.clausePercent) < gate.pct)
    : [];

  const all = runs.flatMap((r) => r.results);
  const invalid = runs.some((r) => r.invalid) || all.some((r) => r.status === 'error');
  const failed = all.some((r) => r.status === 'fail') || belowGate.length > 0;
  const code = invalid ? TEST_EXIT.invalid : failed ? TEST_EXIT.failed : TEST_EXIT.passed;
  const ms = performance.now() - start;

  let report: string;
  if (reporter === 'json') report = `${JSON.stringify(jsonReport(runs, covered, gate, belowGate, code, ms), null, 2)}\n`;
  else if (reporter === 'junit') report = junitXml([...junitSuites(runs), ...junitGate(covered, gate)], new Date().toISOString());
  else report = textReport(runs, covered, gate, belowGate, ms, color);
  if (o.out !== undefined) {
    try {
      writeFileSync(o.out, report);
    } catch (e) {
      throw new UserError(`${o.out}: ${(e as Error).message}`);
    }
    if (reporter !== 'text') process.stderr.write(`${summaryLine(runs, ms)}; report written to ${o.out}\n`);
  } else process.stdout.write(report);
  return code;
}

// ---- text ------------------------------------------------------------------------------------------------

/** The full span of the control a reason names (for the excerpt's underline), or a one-character span. */
export function spanOfReason(a: Artifact, r: Reason): Span | undefined {
  if (!r.span) return undefined;
  for (const list of [a.rules, a.post, a.flows, a.limits, a.budgets, a.pre] as Array<Array<{ id: string; span: Span }>>) {
    const hit = list.find((x) => x.id === r.rule);
    if (hit) return hit.span;
  }
  return { ...r.span, endLine: r.span.line, endColumn: r.span.column + 1 };
}

function suiteDiagnostic(where: Where, message: string, color: boolean, code = 'test'): string {
  let text: string | undefined;
  try {
    text = readFileSync(where.file, 'utf8');
  } catch {
    text = undefined;
  }
  const base = path.basename(where.file);
  const d: DiagnosticLike = { code, severity: 'error', message, span: { file: base, line: where.line, column: where.column, endLine: where.line, endColumn: where.column + 1 } };
  return renderDiagnostic(d, new Map(text === undefined ? [] : [[base, text]]), path.dirname(where.file), color);
}

function whereText(w: Where): string {
  return `${displayPath(process.cwd(), w.file)}:${w.line}`;
}

function actualText(r: CaseResult, root: string): string {
  const d = r.decision ?? r.check;
  if (!d) return '';
  const denial = r.decision?.denial;
  const first = d.reasons[0];
  const at = first?.span ? ` by ${first.rule} (${displayPath(root, first.span.file)}:${first.span.line})` : first ? ` by ${first.rule}` : '';
  return `${d.effect}${denial ? ` (${denial.replace('_', ' ')})` : ''}${at}${first ? `: ${first.message}` : ''}`;
}

function textReport(
  runs: SuiteRun[],
  covered: Array<{ target: TestTarget; coverage: Coverage }>,
  gate: Gate | undefined,
  below: Array<{ target: TestTarget; coverage: Coverage }>,
  ms: number,
  color: boolean,
): string {
  const s = styler(color);
  const out: string[] = [];
  for (const run of runs) {
    const shown = displayPath(process.cwd(), path.resolve(run.file));
    if (run.invalid) {
      out.push(suiteDiagnostic(run.invalid.where, run.invalid.message, color, 'suite'));
      for (const d of run.invalid.diagnostics ?? []) out.push(d);
      out.push('');
      continue;
    }
    const t = run.target!;
    const pass = run.results.filter((r) => r.status === 'pass').length;
    const policy = `${t.artifact.policy.name}@${t.artifact.policy.version}`;
    const bad = run.results.length - pass;
    out.push(`${bad ? s(['bold', 'red'], 'FAIL') : s(['bold', 'green'], 'ok')}   ${shown} (${policy}): ${pass}/${run.results.length} passed`);
    for (const r of run.results) {
      if (r.status === 'pass') continue;
      if (r.status === 'error') {
        out.push(suiteDiagnostic(r.case.where, `case '${r.case.name}' cannot be set up: ${r.problems.join('; ')}`, color, 'case'));
        continue;
      }
      out.push(`  ${s(['bold', 'red'], 'FAIL')} ${whereText(r.case.where)}  ${s('bold', r.case.name)}`);
      for (const p of r.problems) out.push(`       ${p}`);
      out.push(`       actual: ${actualText(r, t.root)}`);
      const reason = (r.decision ?? r.check)?.reasons[0];
      const span = reason && spanOfReason(t.artifact, reason);
      if (reason && span) {
        const d: DiagnosticLike = { code: reason.kind, severity: 'note', message: `decided by ${reason.rule}`, span };
        out.push(...renderDiagnostic(d, t.texts, t.root, color).split('\n').map((l) => `       ${l}`));
      }
    }
  }
  for (const { target: t, coverage: c } of covered) {
    const p = t.artifact.policy;
    const exercised = c.rules.filter((r) => r.exercised).length;
    const outcomes = c.clauses.reduce((n, x) => n + (x.true ? 1 : 0) + (x.false ? 1 : 0), 0);
    out.push('');
    out.push(`${s('bold', `coverage ${p.name}@${p.version}`)}: rules ${exercised}/${c.rules.length} (${c.rulePercent}%), clause outcomes ${outcomes}/${c.clauses.length * 2} (${c.clausePercent}%)`);
    for (const r of c.rules.filter((x) => !x.exercised)) {
      out.push(`  ${s('yellow', 'rule not exercised')}  ${displayPath(t.root, r.span.file)}:${r.span.line}:${r.span.column}  ${r.kind}: ${r.text}`);
    }
    for (const x of c.clauses.filter((x) => !x.true || !x.false)) {
      const never = !x.true && !x.false ? 'never evaluated' : !x.true ? 'never true' : 'never false';
      out.push(`  ${s('dim', `clause ${never.padEnd(15)}`)}  ${displayPath(t.root, x.span.file)}:${x.span.line}:${x.span.column}  ${x.text}`);
    }
  }
  for (const { target: t, coverage: c } of below) {
    const v = gate!.what === 'rules' ? c.rulePercent : c.clausePercent;
    out.push(s(['bold', 'red'], `coverage below the gate: ${t.artifact.policy.name} ${gate!.what} ${v}% < ${gate!.pct}%`));
  }
  out.push('');
  out.push(summaryLine(runs, ms));
  return `${out.join('\n').replace(/\n{3,}/g, '\n\n')}\n`;
}

function summaryLine(runs: SuiteRun[], ms: number): string {
  const all = runs.flatMap((r) => r.results);
  const n = (st: CaseResult['status']) => all.filter((r) => r.status === st).length;
  const invalid = runs.filter((r) => r.invalid).length;
  const plural = (k: number, w: string) => `${k} ${w}${k === 1 ? '' : 's'}`;
  return (
    `${plural(runs.length, 'suite')}${invalid ? ` (${invalid} invalid)` : ''}, ${plural(all.length, 'case')}: ` +
    `${n('pass')} passed, ${n('fail')} failed${n('error') ? `, ${n('error')} could not be set up` : ''} (${(ms / 1000).toFixed(2)} s)`
  );
}

// ---- json ------------------------------------------------------------------------------------------------

function jsonReport(
  runs: SuiteRun[],
  covered: Array<{ target: TestTarget; coverage: Coverage }>,
  gate: Gate | undefined,
  below: Array<{ target: TestTarget; coverage: Coverage }>,
  code: number,
  ms: number,
): unknown {
  const all = runs.flatMap((r) => r.results);
  const loc = (root: string, sp: Span) => ({ file: displayPath(root, sp.file), line: sp.line, column: sp.column, endLine: sp.endLine, endColumn: sp.endColumn });
  return {
    ok: code === TEST_EXIT.passed,
    exit: code,
    summary: {
      suites: runs.length,
      invalid: runs.filter((r) => r.invalid).length,
      cases: all.length,
      passed: all.filter((r) => r.status === 'pass').length,
      failed: all.filter((r) => r.status === 'fail').length,
      errors: all.filter((r) => r.status === 'error').length,
    },
    suites: runs.map((run) => ({
      file: displayPath(process.cwd(), path.resolve(run.file)),
      ...(run.target ? { policy: { name: run.target.artifact.policy.name, version: run.target.artifact.policy.version, digest: run.target.artifact.digest } } : {}),
      ...(run.invalid ? { error: { file: displayPath(process.cwd(), run.invalid.where.file), line: run.invalid.where.line, column: run.invalid.where.column, message: run.invalid.message } } : {}),
      cases: run.results.map((r) => {
        const d = r.decision ?? r.check;
        return {
          name: r.case.name,
          file: displayPath(process.cwd(), r.case.where.file),
          line: r.case.where.line,
          status: r.status,
          problems: r.problems,
          expected: expectationJson(r.case.expect),
          ...(d
            ? {
                actual: {
                  effect: d.effect,
                  ...(r.decision?.denial ? { denial: r.decision.denial } : {}),
                  reasons: d.reasons.map((x) => ({ rule: x.rule, kind: x.kind, message: x.message, ...(x.span ? { file: displayPath(run.target!.root, x.span.file), line: x.span.line, column: x.span.column } : {}) })),
                  obligations: d.obligations,
                  ...(r.check ? { result: r.check.result } : {}),
                },
              }
            : {}),
          ms: Math.round(r.ms * 1000) / 1000,
        };
      }),
    })),
    ...(covered.length
      ? {
          coverage: covered.map(({ target: t, coverage: c }) => ({
            policy: { name: t.artifact.policy.name, version: t.artifact.policy.version, digest: t.artifact.digest },
            rules: { percent: c.rulePercent, total: c.rules.length, exercised: c.rules.filter((r) => r.exercised).length, items: c.rules.map((r) => ({ id: r.id, kind: r.kind, exercised: r.exercised, ...loc(t.root, r.span), text: r.text })) },
            clauses: {
              percent: c.clausePercent,
              total: c.clauses.length,
              items: c.clauses.map((x) => ({ rule: x.rule, ...loc(t.root, x.span), text: x.text, true: x.true, false: x.false })),
            },
            ...(gate ? { gate: { ...gate, met: !below.some((b) => b.target === t) } } : {}),
          })),
        }
      : {}),
    ms: Math.round(ms),
  };
}

/** An expectation as the suite writes it. */
function expectationJson(e: Expectation): Record<string, unknown> {
  return {
    effect: e.effect,
    ...(e.denial ? { denial: e.denial } : {}),
    ...(e.rules ? { rule: e.rules } : {}),
    ...(e.reasons ? { reasons: e.reasons } : {}),
    ...(e.obligations ? { obligations: e.obligations } : {}),
    ...(e.result ? { result: e.result.value } : {}),
  };
}

// ---- junit -----------------------------------------------------------------------------------------------

/** With a gate: one test case per policy, failing when its coverage is below the gate. */
function junitGate(covered: Array<{ target: TestTarget; coverage: Coverage }>, gate: Gate | undefined): JUnitSuite[] {
  if (!gate) return [];
  return [
    {
      name: 'coverage',
      file: '',
      time: 0,
      cases: covered.map(({ target: t, coverage: c }) => {
        const v = gate.what === 'rules' ? c.rulePercent : c.clausePercent;
        const name = `${t.artifact.policy.name} ${gate.what} coverage >= ${gate.pct}%`;
        const below = v < gate.pct;
        const at = (sp: Span) => `${displayPath(t.root, sp.file)}:${sp.line}:${sp.column}`;
        const unexercised =
          gate.what === 'rules'
            ? c.rules.filter((r) => !r.exercised).map((r) => `${at(r.span)} ${r.kind}: ${r.text}`)
            : c.clauses.filter((x) => !x.true || !x.false).map((x) => `${at(x.span)} never ${x.true ? 'false' : x.false ? 'true' : 'evaluated'}: ${x.text}`);
        return {
          name,
          classname: 'coverage',
          file: displayPath(process.cwd(), t.root),
          line: 1,
          time: 0,
          ...(below ? { failure: { message: `${gate.what} coverage ${v}% < ${gate.pct}%`, details: unexercised.join('\n') } } : {}),
        };
      }),
    },
  ];
}

function junitSuites(runs: SuiteRun[]): JUnitSuite[] {
  return runs.map((run) => {
    const file = displayPath(process.cwd(), path.resolve(run.file));
    const classname = file.replace(/\.test\.yaml$/, '').replace(/[\\/]/g, '.');
    if (run.invalid) {
      const w = run.invalid.where;
      return {
        name: file,
        file,
        time: run.ms / 1000,
        cases: [{ name: '(suite)', classname, file, line: w.line, time: 0, error: { message: run.invalid.message, details: `${whereText(w)}: ${run.invalid.message}` } }],
      };
    }
    return {
      name: file,
      file,
      time: run.ms / 1000,
      cases: run.results.map((r) => {
        const details = [`${whereText(r.case.where)}: ${r.case.name}`, ...r.problems, ...(r.status === 'fail' ? [`actual: ${actualText(r, run.target!.root)}`] : [])].join('\n');
        const body = { message: r.problems.join('; '), details };
        return {
          name: r.case.name,
          classname,
          file,
          line: r.case.where.line,
          time: r.ms / 1000,
          ...(r.status === 'fail' ? { failure: body } : r.status === 'error' ? { error: body } : {}),
        };
      }),
    };
  });
}
