/**
 * `writ diff`: what changed between two versions of a policy, tool by tool, as SMT queries over one shared
 * symbolic request and state.
 *
 * Both versions of a tool are encoded with prefixes `old.` and `new.` on their named terms; the request and
 * state constants are shared (the encoder names them alike), so one model is one request in one state, decided
 * by both versions. Effects are ranked deny < pending_approval < allow, and two queries are asked:
 * "some request ranks higher under new" and "some request ranks lower under new". Neither: `equivalent`;
 * only the first: `more_permissive`; only the second: `less_permissive`; both: `incomparable`. Each
 * satisfiable direction yields a witness: a concrete request and state, decided by both runtimes and by both
 * encodings, which must agree.
 *
 * When the request itself means different things to the two versions — a parameter's type or optionality
 * changed, a context field's type changed, an agent's declared roles changed while the tool's rules read
 * roles, a rate limit's count or scope changed — the tool is `incomparable` with the reason, never compared
 * approximately.
 */
import type { Artifact, Decision, FieldDecl, Policy } from '@writ/runtime';
import { loadPolicy, typeName } from '@writ/runtime';
import { pinCase, storeFor, type Case } from './concrete.js';
import { REPLAY_TIME, smtEffect } from './counterexample.js';
import { encodeTool, type ToolEncoding } from './encode.js';
import { findReadableCounterexample } from './readable.js';
import { str } from './sexpr.js';
import { script } from './script.js';
import { QuerySession, type SolverStatus } from './solver.js';
import { VarTable } from './vars.js';

export type DiffVerdict = 'equivalent' | 'more_permissive' | 'less_permissive' | 'incomparable' | 'added' | 'removed' | 'unknown';

type Effect = Decision['effect'];

/** A request and state that the two versions decide differently. */
export interface DiffWitness {
  /** `more`: the new version ranks it higher (more permissive); `less`: lower. */
  direction: 'more' | 'less';
  case: Case;
  old: { runtime: Decision; smt: Effect };
  new: { runtime: Decision; smt: Effect };
  /** False when a runtime and its encoding decided differently: an internal error. */
  agrees: boolean;
  /** False when no concrete strings could be found for the detector behaviour the model assumed. */
  confirmed: boolean;
}

export interface ToolDiff {
  tool: string;
  verdict: DiffVerdict;
  /** Why the tool was not compared (`incomparable` without witnesses), or what is unknown. */
  reason?: string;
  /** One per satisfiable direction, `more` first. */
  witnesses: DiffWitness[];
  ms: number;
}

export interface DiffReport {
  old: { name: string; version: string; digest: string };
  new: { name: string; version: string; digest: string };
  tools: ToolDiff[];
  /** Things the reader must know about the encodings (e.g. patterns kept uninterpreted). */
  notes: string[];
  ms: number;
}

export interface DiffOptions {
  /** Per query, ms. */
  timeoutMs?: number;
  /** Called after each tool. */
  onProgress?: (done: number, total: number, tool: string) => void;
}

const RANK = (enc: ToolEncoding) => `(ite ${enc.effect.allow} 2 (ite ${enc.effect.pending} 1 0))`;

const fieldText = (f: FieldDecl) => `${typeName(f.type)}${f.optional ? ' (optional)' : ''}`;
const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** Why the request to `tool` cannot be compared across the versions, or `undefined` when it can. */
function paramsReason(oldA: Artifact, newA: Artifact, tool: string): string | undefined {
  const o = oldA.tools[tool]!.params;
  const n = newA.tools[tool]!.params;
  const diffs: string[] = [];
  for (const p of new Set([...Object.keys(o), ...Object.keys(n)])) {
    const a = o[p];
    const b = n[p];
    if (!a) diffs.push(`parameter ${p} only in the new version`);
    else if (!b) diffs.push(`parameter ${p} only in the old version`);
    else if (!same(a.type, b.type) || a.optional !== b.optional) diffs.push(`parameter ${p} is ${fieldText(a)} in the old version, ${fieldText(b)} in the new`);
  }
  return diffs.length ? `the tool's signature changed (${diffs.join('; ')}): the two versions accept different requests` : undefined;
}

/** Rate limits of the tool kept under one id (one state key) whose meaning changed. */
function limitsReason(oldA: Artifact, newA: Artifact, tool: string): string | undefined {
  const ids = (a: Artifact) => (a.index[tool]?.limits ?? []).map((i) => a.limits[i]!);
  const oldLimits = new Map(ids(oldA).map((l) => [l.id, l]));
  for (const l of ids(newA)) {
    const o = oldLimits.get(l.id);
    if (o && (o.count !== l.count || o.windowMs !== l.windowMs || o.scope !== l.scope)) {
      return `rate limit ${l.id} changed (${o.count} per ${o.windowMs} ms per ${o.scope} → ${l.count} per ${l.windowMs} ms per ${l.scope}); diff models whether a window is full, not how many calls it holds`;
    }
  }
  const oldBudgets = new Map(oldA.budgets.map((b) => [b.id, b]));
  for (const b of newA.budgets) {
    const o = oldBudgets.get(b.id);
    if (o && o.scope !== b.scope) return `budget ${b.id} changed scope (${o.scope} → ${b.scope}): its usage is kept under a different key`;
  }
  return undefined;
}

/** Agents declared differently in the two versions (their effective roles differ). */
function changedAgents(oldA: Artifact, newA: Artifact): string[] {
  const ids = new Set([...Object.keys(oldA.agents), ...Object.keys(newA.agents)]);
  return [...ids].filter((id) => !same(oldA.agents[id]?.roles ?? null, newA.agents[id]?.roles ?? null)).sort();
}

const historyEntries = (enc: ToolEncoding) => [...enc.vars.vars.values()].filter((v) => v.origin.kind === 'hist_present').length;

/**
 * One encoding over the shared request and state with both versions' named terms; effects, matches and
 * `condition` are the new version's (so a counterexample search for it is one over the new policy).
 */
function combine(oldEnc: ToolEncoding, newEnc: ToolEncoding, oldA: Artifact, newA: Artifact, dropAgents: string[]): ToolEncoding | { conflict: string } {
  const vars = new VarTable(newEnc.vars.maxString);
  for (const table of [newEnc.vars, oldEnc.vars]) {
    for (const [symbol, info] of table.vars) {
      const prev = vars.vars.get(symbol);
      if (!prev) vars.vars.set(symbol, info);
      else if (prev.sort !== info.sort || !same(prev.origin, info.origin)) {
        return { conflict: `${symbol.slice(1, -1)} has a different type in the two versions` };
      }
    }
  }
  // History entries may name any tool of either version.
  const tools = [...new Set([...Object.keys(oldA.tools), ...Object.keys(newA.tools)])];
  const histTool = /^\(or \(= (\|hist\.\d+\.tool\|) /;
  const dropped = new Set(dropAgents.map((id) => `(=> (= |agent.id| ${str(id)}) `));
  const domain = new Set<string>();
  for (const d of [...newEnc.vars.domain, ...oldEnc.vars.domain]) {
    const h = histTool.exec(d);
    if (h) domain.add(`(or ${tools.map((t) => `(= ${h[1]} ${str(t)})`).join(' ')})`);
    else if (![...dropped].some((p) => d.startsWith(p))) domain.add(d);
  }
  vars.domain.push(...domain);
  return {
    ...newEnc,
    vars,
    definitions: [...oldEnc.definitions, ...newEnc.definitions],
    notes: [...new Set([...oldEnc.notes, ...newEnc.notes])],
  };
}

async function witness(
  direction: 'more' | 'less',
  query: string,
  oldPolicy: Policy,
  newPolicy: Policy,
  combined: ToolEncoding,
  oldEnc: ToolEncoding,
  timeoutMs: number,
): Promise<DiffWitness | undefined> {
  const cx = await findReadableCounterexample(newPolicy, combined, [query], timeoutMs);
  if (!cx) return undefined;
  const pins = pinCase(newPolicy.artifact, combined, cx.case);
  const oldRuntime = oldPolicy.decide(cx.case.request, { state: storeFor(oldPolicy, cx.case, REPLAY_TIME), now: REPLAY_TIME });
  const oldSmt = await smtEffect({ ...combined, effect: oldEnc.effect }, pins, timeoutMs);
  return {
    direction,
    case: cx.case,
    old: { runtime: oldRuntime, smt: oldSmt === 'unknown' ? oldRuntime.effect : oldSmt },
    new: { runtime: cx.runtime, smt: cx.smtEffect },
    agrees: cx.agrees && oldSmt === oldRuntime.effect,
    confirmed: cx.confirmed,
  };
}

async function diffTool(oldPolicy: Policy, newPolicy: Policy, tool: string, timeoutMs: number, notes: Set<string>): Promise<ToolDiff> {
  const t0 = performance.now();
  const oldA = oldPolicy.artifact;
  const newA = newPolicy.artifact;
  const done = (verdict: DiffVerdict, witnesses: DiffWitness[] = [], reason?: string): ToolDiff => ({
    tool,
    verdict,
    ...(reason ? { reason } : {}),
    witnesses,
    ms: performance.now() - t0,
  });
  if (!oldA.tools[tool]) return done('added');
  if (!newA.tools[tool]) return done('removed');
  const why = paramsReason(oldA, newA, tool) ?? limitsReason(oldA, newA, tool);
  if (why) return done('incomparable', [], why);

  let oldEnc = encodeTool(oldA, tool, { prefix: 'old.' });
  let newEnc = encodeTool(newA, tool, { prefix: 'new.' });
  const k = Math.max(historyEntries(oldEnc), historyEntries(newEnc));
  if (historyEntries(oldEnc) !== k) oldEnc = encodeTool(oldA, tool, { prefix: 'old.', minHistory: k });
  if (historyEntries(newEnc) !== k) newEnc = encodeTool(newA, tool, { prefix: 'new.', minHistory: k });

  const agents = changedAgents(oldA, newA);
  const readsRoles = [...oldEnc.definitions, ...newEnc.definitions].some((d) => d.includes('|role.'));
  if (agents.length && readsRoles) {
    return done(
      'incomparable',
      [],
      `agent${agents.length === 1 ? '' : 's'} ${agents.map((a) => `'${a}'`).join(', ')} ${agents.length === 1 ? 'is' : 'are'} declared with different roles in the two versions, and this tool's rules read roles: the same request carries different roles under each`,
    );
  }
  const combined = combine(oldEnc, newEnc, oldA, newA, agents);
  if ('conflict' in combined) return done('incomparable', [], combined.conflict);
  for (const n of combined.notes) notes.add(`${tool}: ${n}`);

  const more = `(> ${RANK(newEnc)} ${RANK(oldEnc)})`;
  const less = `(< ${RANK(newEnc)} ${RANK(oldEnc)})`;
  const session = await QuerySession.open(script([combined], []), timeoutMs);
  let status: Record<'more' | 'less', { status: SolverStatus; reason?: string }>;
  try {
    const m = await session.check([more]);
    const l = await session.check([less]);
    status = { more: m, less: l };
  } finally {
    session.close();
  }
  const witnesses: DiffWitness[] = [];
  for (const [dir, q] of [['more', more], ['less', less]] as const) {
    if (status[dir].status !== 'sat') continue;
    const w = await witness(dir, q, oldPolicy, newPolicy, combined, oldEnc, timeoutMs);
    if (w) witnesses.push(w);
  }
  const unknown = (['more', 'less'] as const).filter((d) => status[d].status === 'unknown');
  if (unknown.length) {
    const reason = unknown.map((d) => `whether some request is ${d === 'more' ? 'more' : 'less'} permitted by the new version (${status[d].reason ?? 'unknown'})`).join('; ');
    return done('unknown', witnesses, `the solver could not decide ${reason}`);
  }
  const isMore = status.more.status === 'sat';
  const isLess = status.less.status === 'sat';
  return done(isMore && isLess ? 'incomparable' : isMore ? 'more_permissive' : isLess ? 'less_permissive' : 'equivalent', witnesses);
}

/**
 * Compares two versions of a policy tool by tool (tools of either version, in the new version's order, then
 * removed ones).
 * @throws EncodingError when either artifact uses a construct without an exact encoding
 */
export async function diff(oldArtifact: Artifact, newArtifact: Artifact, options: DiffOptions = {}): Promise<DiffReport> {
  const t0 = performance.now();
  const timeoutMs = options.timeoutMs ?? 30_000;
  const oldPolicy = loadPolicy(oldArtifact);
  const newPolicy = loadPolicy(newArtifact);
  const tools = [...Object.keys(newArtifact.tools), ...Object.keys(oldArtifact.tools).filter((t) => !newArtifact.tools[t])];
  const notes = new Set<string>();
  const out: ToolDiff[] = [];
  for (const tool of tools) {
    out.push(await diffTool(oldPolicy, newPolicy, tool, timeoutMs, notes));
    options.onProgress?.(out.length, tools.length, tool);
  }
  const id = (a: Artifact) => ({ name: a.policy.name, version: a.policy.version, digest: a.digest });
  return { old: id(oldArtifact), new: id(newArtifact), tools: out, notes: [...notes], ms: performance.now() - t0 };
}
