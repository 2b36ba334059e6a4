/**
 * `writ diff`: how two versions of a policy differ, tool by tool, with a witness request for every
 * difference. It reports; it does not judge (exit 0 whatever the verdicts).
 */
import { diff, shutdown, type DiffReport, type DiffWitness, type ToolDiff } from '@writ/verifier';
import { EXIT, UserError } from '../errors.js';
import { encoding, loadVerifyInput, progress } from '../io/verify-input.js';
import { caseLines, decided, decisionJson } from '../render/counterexample.js';
import { colorEnabled, styler } from '../render/style.js';
import { DISAGREE } from './verify.js';

export interface DiffCommandOptions {
  json?: boolean;
  timeout?: string;
}

const VERDICT_TEXT: Record<ToolDiff['verdict'], string> = {
  equivalent: 'equivalent',
  more_permissive: 'more permissive',
  less_permissive: 'less permissive',
  incomparable: 'incomparable',
  added: 'added',
  removed: 'removed',
  unknown: 'unknown',
};

export async function runDiff(oldInput: string, newInput: string, opts: DiffCommandOptions): Promise<number> {
  let timeoutMs = 30_000;
  if (opts.timeout !== undefined) {
    const s = Number(opts.timeout);
    if (!Number.isFinite(s) || s <= 0) throw new UserError(`--timeout: '${opts.timeout}' is not a positive number of seconds`);
    timeoutMs = Math.round(s * 1000);
  }
  const oldIn = loadVerifyInput(oldInput);
  const newIn = loadVerifyInput(newInput);
  const bar = progress('comparing tool');
  let report: DiffReport;
  try {
    report = await encoding(`${oldInput} → ${newInput}`, () => diff(oldIn.artifact, newIn.artifact, { timeoutMs, onProgress: (i, n, t) => bar.update(i, n, t) }));
  } finally {
    bar.clear();
    await shutdown();
  }
  const disagree = report.tools.some((t) => t.witnesses.some((w) => !w.agrees));
  const code = disagree ? EXIT.internal : EXIT.ok;
  if (opts.json) {
    const json = {
      old: report.old,
      new: report.new,
      tools: report.tools.map((t) => ({
        tool: t.tool,
        verdict: t.verdict,
        ...(t.reason ? { reason: t.reason } : {}),
        witnesses: t.witnesses.map((w) => ({
          direction: w.direction,
          request: w.case.request,
          state: w.case.state,
          old: { ...decisionJson(w.old.runtime, oldIn.root), smt: w.old.smt },
          new: { ...decisionJson(w.new.runtime, newIn.root), smt: w.new.smt },
          agrees: w.agrees,
          confirmed: w.confirmed,
        })),
        ms: Math.round(t.ms),
      })),
      summary: Object.fromEntries(Object.keys(VERDICT_TEXT).map((v) => [v, report.tools.filter((t) => t.verdict === v).length])),
      notes: report.notes,
      ms: Math.round(report.ms),
    };
    process.stdout.write(`${JSON.stringify(json, null, 2)}\n`);
    return code;
  }
  const s = styler(colorEnabled());
  const id = (p: DiffReport['old']) => `${p.name}@${p.version} (${p.digest.slice(0, 19)}…)`;
  const out = [`old: ${id(report.old)}  ${oldInput}`, `new: ${id(report.new)}  ${newInput}`, ''];
  const width = Math.max(...report.tools.map((t) => t.tool.length));
  for (const t of report.tools) {
    const v = VERDICT_TEXT[t.verdict];
    const colored =
      t.verdict === 'equivalent' ? s('green', v) : t.verdict === 'more_permissive' || t.verdict === 'incomparable' ? s(['bold', 'yellow'], v) : t.verdict === 'unknown' ? s(['bold', 'red'], v) : s('bold', v);
    out.push(`${t.tool.padEnd(width)}  ${colored}`);
    if (t.reason) out.push(`  ${t.reason}`);
    for (const w of t.witnesses) out.push(...witnessLines(w, oldIn.root, newIn.root, s));
  }
  if (report.notes.length) out.push('');
  for (const n of report.notes) out.push(`${s(['bold', 'blue'], 'note')}: ${n}`);
  const counts = (Object.keys(VERDICT_TEXT) as Array<ToolDiff['verdict']>)
    .map((v) => [VERDICT_TEXT[v], report.tools.filter((t) => t.verdict === v).length] as const)
    .filter(([, n]) => n > 0)
    .map(([v, n]) => `${n} ${v}`);
  out.push('', `${report.tools.length} tool${report.tools.length === 1 ? '' : 's'}: ${counts.join(', ')} (${(report.ms / 1000).toFixed(1)} s)`);
  process.stdout.write(`${out.join('\n')}\n`);
  if (disagree) process.stderr.write(`writ: ${DISAGREE}\n`);
  return code;
}

function witnessLines(w: DiffWitness, oldRoot: string, newRoot: string, s: ReturnType<typeof styler>): string[] {
  const what = w.direction === 'more' ? 'decided more permissively by the new version' : 'decided less permissively by the new version';
  const out = [`  witness: ${what}`];
  out.push(...caseLines(w.case, '    '));
  out.push(`    old: ${decided(w.old.runtime, oldRoot)}${w.old.smt !== w.old.runtime.effect ? `  SMT: ${w.old.smt}` : ''}`);
  out.push(`    new: ${decided(w.new.runtime, newRoot)}${w.new.smt !== w.new.runtime.effect ? `  SMT: ${w.new.smt}` : ''}`);
  if (!w.agrees) out.push(s(['bold', 'red'], `    ${DISAGREE}`));
  return out;
}
