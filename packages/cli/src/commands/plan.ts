/**
 * `writ plan`: checks an agent's plan (a sequence of tool calls, some arguments unknown until run time)
 * against a policy before any step runs, with the session's state carried from step to step. Optionally
 * certifies the verdict in the evidence log.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import type { Decision } from '@writ/runtime';
import {
  bundleJson,
  certifyDecision,
  checkPlan,
  jsonErrorOffset,
  jsonPathOffset,
  lineColumnOf,
  parsePlan,
  PlanError,
  shutdown,
  type Bundle,
  type PlanReport,
  type StepReport,
} from '@writ/verifier';
import { EXIT, UserError } from '../errors.js';
import { appendCertified, readSignerKeyFile, readTextFile } from '../io/evidence.js';
import { loadPolicyFrom } from '../io/load-policy.js';
import { encoding, progress } from '../io/verify-input.js';
import { whereOf } from '../render/decision.js';
import { styler, colorEnabled } from '../render/style.js';

export interface PlanCommandOptions {
  policy: string;
  json?: boolean;
  timeout?: string;
  certify?: boolean;
  log?: string;
  key?: string;
  bundle?: string;
}

/** Exit codes of `writ plan` (see `writ plan --help`). */
export const PLAN_EXIT = {
  admissible: EXIT.ok,
  /** Inadmissible, or some step depends on values not known yet. */
  rejected: EXIT.failed,
  unknown: 2,
  invalid: EXIT.policy,
  internal: EXIT.internal,
} as const;

function parseTimeout(t: string | undefined): number {
  const s = Number(t ?? '10');
  if (!Number.isFinite(s) || s <= 0) throw new UserError(`--timeout: '${t}' is not a positive number of seconds`);
  return Math.round(s * 1000);
}

function readPlanJson(file: string): { text: string; value: unknown } {
  let text: string;
  try {
    text = file === '-' ? readFileSync(0, 'utf8') : readTextFile(file);
  } catch (e) {
    if (e instanceof UserError) throw e;
    throw new UserError(`${file}: ${(e as Error).message}`);
  }
  try {
    return { text, value: JSON.parse(text) };
  } catch (e) {
    const offset = jsonErrorOffset(text);
    if (offset === undefined) throw new UserError(`${file}: the plan is not JSON: ${(e as Error).message}`, PLAN_EXIT.invalid);
    const { line, column } = lineColumnOf(text, offset);
    const near = offset >= text.length ? 'end of input' : JSON.stringify(text.slice(offset, offset + 12));
    throw new UserError(`${file}:${line}:${column}: the plan is not JSON: unexpected ${near}`, PLAN_EXIT.invalid);
  }
}

/** `file:line:column` of the value a plan error names (or of its nearest enclosing value). */
function whereInPlan(file: string, text: string, path: string): string {
  for (let p = path; p.length > 0; p = p.replace(/(\.[^.[\]]*|\[\d+\])$/, '')) {
    const offset = jsonPathOffset(text, p);
    if (offset !== undefined) {
      const { line, column } = lineColumnOf(text, offset);
      return `${file}:${line}:${column}`;
    }
    if (p === '$') break;
  }
  return file;
}

export async function runPlan(file: string, o: PlanCommandOptions): Promise<number> {
  if (o.certify) {
    if (o.log === undefined || o.key === undefined) throw new UserError('--certify needs --log <dir> and --key <prefix>.key (create a key with writ keygen)');
  } else {
    for (const [given, flag] of [[o.log, '--log'], [o.key, '--key'], [o.bundle, '--bundle']] as const) {
      if (given !== undefined) throw new UserError(`${flag} needs --certify`);
    }
  }
  const timeoutMs = parseTimeout(o.timeout);
  const key = o.certify ? readSignerKeyFile(o.key!) : undefined; // a bad key fails before any work
  const loaded = loadPolicyFrom(o.policy);
  const { text, value: raw } = readPlanJson(file);
  let plan;
  try {
    plan = parsePlan(loaded.policy.artifact, raw);
  } catch (e) {
    if (e instanceof PlanError) throw new UserError(`${whereInPlan(file, text, e.path)}: ${e.message}`, PLAN_EXIT.invalid);
    throw e;
  }
  const bar = progress('plan');
  let report: PlanReport;
  try {
    report = await encoding(file, () => checkPlan(loaded.policy, plan, { timeoutMs, onStep: (i, n, tool) => bar.update(i, n, tool) }));
  } finally {
    bar.clear();
    await shutdown();
  }
  let bundle: Bundle | undefined;
  // A check that reported internal errors proves nothing: certify nothing (exit 70 below).
  if (o.certify && key && report.internalErrors.length === 0) {
    const { bytes } = certifyDecision(raw, planDecision(report), { time: Date.now(), verification: { plan: planVerification(report) } });
    bundle = await appendCertified(o.log!, key, bytes);
    if (o.bundle !== undefined) {
      try {
        writeFileSync(o.bundle, bundleJson(bundle));
      } catch (err) {
        throw new UserError(`${o.bundle}: ${(err as Error).message} (the plan was logged as entry ${bundle.leaf_index} of ${o.log})`);
      }
    }
  }
  if (o.json) {
    const out = { plan: file, ...reportJson(report, loaded.root), ...(bundle ? { certified: { log: o.log, entry: bundle.leaf_index, tree_size: bundle.tree_size, ...(o.bundle ? { bundle_file: o.bundle } : { bundle }) } } : {}) };
    process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
  } else {
    process.stdout.write(`${renderReport(report, file, loaded.root, colorEnabled())}\n`);
    if (bundle) {
      process.stderr.write(`certified: entry ${bundle.leaf_index} of log ${o.log} (tree size ${bundle.tree_size})${o.bundle ? `; bundle: ${o.bundle}` : ''}\n`);
    }
  }
  if (report.internalErrors.length) {
    for (const e of report.internalErrors) process.stderr.write(`writ: internal error: ${e}\nThis is a bug in writ; please report it.\n`);
    if (o.certify) process.stderr.write('writ: the plan was not certified (internal errors)\n');
    return PLAN_EXIT.internal;
  }
  if (report.verdict === 'admissible') return PLAN_EXIT.admissible;
  if (report.verdict === 'unknown') return PLAN_EXIT.unknown;
  return PLAN_EXIT.rejected;
}

// ---- the certificate ------------------------------------------------------------------------------------

/**
 * The plan's verdict as a certificate decision: admissible → allow; admissible after approvals →
 * pending_approval (the approval steps' reasons); inadmissible → deny `forbidden` with the denied step's
 * reasons; depends or unknown → deny `not_permitted` (the plan is not shown to be admissible); any internal
 * error → deny `not_permitted` whatever the verdict (the check itself is in doubt).
 */
export function planDecision(r: PlanReport): Decision {
  const base = { obligations: [], policy: r.policy };
  const summary = { rule: 'writ:plan', kind: 'plan', message: r.reason } as unknown as Decision['reasons'][number];
  if (r.internalErrors.length) {
    const message = `the plan check reported ${r.internalErrors.length} internal error(s): ${r.internalErrors[0]}`;
    return { ...base, effect: 'deny', denial: 'not_permitted', reasons: [{ ...summary, message }] };
  }
  if (r.verdict === 'inadmissible') {
    const step = r.steps[r.at!]!;
    return { ...base, effect: 'deny', denial: 'forbidden', reasons: step.decision?.reasons.length ? step.decision.reasons : [summary] };
  }
  if (r.verdict !== 'admissible') return { ...base, effect: 'deny', denial: 'not_permitted', reasons: [summary] };
  if (r.approvals.length) {
    const reasons = r.approvals.flatMap((i) => r.steps[i]!.decision?.reasons ?? []);
    return { ...base, effect: 'pending_approval', reasons: reasons.length ? reasons : [summary] };
  }
  return { ...base, effect: 'allow', reasons: [summary] };
}

/** The plan-specific record under the certificate's `verification` (JSON only: no undefined members). */
export function planVerification(r: PlanReport): Record<string, unknown> {
  return {
    type: 'writ.plan-check/v0',
    verdict: r.verdict,
    approvals: r.approvals,
    ...(r.at !== undefined ? { at: r.at } : {}),
    reason: r.reason,
    steps: r.steps.map((s) => ({
      index: s.index,
      tool: s.tool,
      verdict: s.verdict,
      method: s.method,
      unknowns: s.unknowns,
      labels: s.labels,
      leaves: s.leaves,
      // Rule ids are `file:line` relative to the policy root, so the certificate does not depend on the working directory.
      ...(s.decision?.reasons[0] ? { rule: s.decision.reasons[0].rule } : {}),
      ...(s.counterexample
        ? {
            counterexample: {
              args: s.counterexample.args,
              effect: s.counterexample.decision.effect,
              ...(s.counterexample.assumes ? { assumes: s.counterexample.assumes } : {}),
              ...(s.counterexample.labels ? { labels: s.counterexample.labels } : {}),
            },
          }
        : {}),
      ...(s.witness ? { witness: s.witness } : {}),
    })),
  };
}

// ---- output ---------------------------------------------------------------------------------------------

function stepJson(s: StepReport, root: string): Record<string, unknown> {
  const r = s.decision?.reasons[0];
  return {
    index: s.index,
    tool: s.tool,
    verdict: s.verdict,
    method: s.method,
    unknowns: s.unknowns,
    labels: s.labels,
    leaves: s.leaves,
    ...(r ? { rule: r.rule, at: whereOf(r, root), message: r.message } : {}),
    ...(s.decision ? { decision: s.decision } : {}),
    ...(s.counterexample ? { counterexample: s.counterexample } : {}),
    ...(s.witness ? { witness: s.witness } : {}),
    ...(s.reason ? { reason: s.reason } : {}),
    notes: s.notes,
  };
}

export function reportJson(r: PlanReport, root: string): Record<string, unknown> {
  return {
    verdict: r.verdict,
    approvals: r.approvals,
    ...(r.at !== undefined ? { at: r.at } : {}),
    reason: r.reason,
    policy: r.policy,
    steps: r.steps.map((s) => stepJson(s, root)),
    internal_errors: r.internalErrors,
  };
}

export function renderReport(r: PlanReport, file: string, root: string, color: boolean): string {
  const s = styler(color);
  const verdictText = (v: StepReport['verdict']) => {
    const pad = v.padEnd(17);
    if (v === 'allow') return s('green', pad);
    if (v === 'pending_approval') return s('yellow', pad);
    if (v === 'depends') return s('magenta', pad);
    return s('red', pad);
  };
  const nameWidth = Math.max(...r.steps.map((x) => `steps[${x.index}] ${x.tool}`.length));
  const reasonOf = (x: StepReport) => x.counterexample?.decision.reasons[0] ?? x.decision?.reasons[0];
  const whereWidth = Math.max(0, ...r.steps.map((x) => whereOf(reasonOf(x), root).length));
  const out = [`plan ${file}: ${r.steps.length} step(s), policy ${r.policy.name}@${r.policy.version} ${s('dim', r.policy.digest)}`];
  for (const step of r.steps) {
    const reason = reasonOf(step);
    const where = whereOf(reason, root);
    const unknown = step.unknowns.length ? s('dim', ` [unknown: ${step.unknowns.map((u) => (step.labels[u]?.length ? `${u} (${step.labels[u]!.join(', ')})` : u)).join(', ')}]`) : '';
    const why = step.verdict === 'unknown' ? step.reason : reason?.message;
    out.push(`  ${`steps[${step.index}] ${step.tool}`.padEnd(nameWidth)}  ${verdictText(step.verdict)}${where.padEnd(whereWidth)}  ${why ?? ''}${unknown}`);
    if (step.counterexample) {
      const cex = step.counterexample;
      const assumes = cex.assumes?.length ? ` ${cex.assumes.join(' and ')}` : '';
      out.push(`    counterexample: ${JSON.stringify(cex.args)}${assumes} -> runtime: ${cex.decision.effect}${cex.agrees ? '' : s('red', ' (DISAGREES with the SMT encoding)')}`);
    }
    if (step.verdict === 'depends' && step.witness) {
      out.push(s('dim', `    assumed to run with ${JSON.stringify(step.witness)} for the later steps${step.leaves === 'ran_after_approval' ? ' (after its approval)' : ''}`));
    }
    if (step.verdict === 'pending_approval' && step.decision?.approval) {
      out.push(s('dim', `    needs ${step.decision.approval.requirements.map((q) => `${q.quorum} × ${q.role}`).join(' and ')}; assumed granted for the later steps`));
    }
    for (const n of step.notes) out.push(s('dim', `    note: ${n}`));
  }
  const head =
    r.verdict === 'admissible'
      ? s(['bold', 'green'], r.approvals.length ? `admissible after approvals at steps [${r.approvals.join(', ')}]` : 'admissible')
      : r.verdict === 'inadmissible'
        ? s(['bold', 'red'], `inadmissible`)
        : r.verdict === 'depends'
          ? s(['bold', 'magenta'], `depends`)
          : s(['bold', 'yellow'], `unknown`);
  out.push(r.verdict === 'admissible' ? head : `${head}: ${r.reason}`);
  return out.join('\n');
}
