/**
 * Taint: which request arguments carry a label, and recording values into a session's taint sets.
 * See SEMANTICS.md §5c and §6.
 *
 * @packageDocumentation
 */
import { detect } from '../detectors/index.js';
import { own, walk, type EvalCtx } from '../eval/context.js';
import type { TaintValue } from '../state/store.js';
import type { CompiledPolicy, FlowPlan } from './plan.js';

/** Most values kept per label per session. */
export const TAINT_CAP = 10_000;
/** Shortest string recorded into a taint set. */
export const MIN_TAINT_STRING = 3;
/** Shortest recorded string that also taints a string *containing* it. */
export const MIN_CONTAINED_STRING = 8;

const EMPTY: ReadonlySet<TaintValue> = new Set();

/**
 * The taint values of a JSON value: its string leaves of at least {@link MIN_TAINT_STRING} code units and
 * its finite number leaves (booleans and null carry no taint), at most `max` of them, depth first.
 */
export function taintValuesOf(value: unknown, max = TAINT_CAP): TaintValue[] {
  const out: TaintValue[] = [];
  const stack: unknown[] = [value];
  while (stack.length > 0 && out.length < max) {
    const v = stack.pop();
    if (typeof v === 'string') {
      if (v.length >= MIN_TAINT_STRING) out.push(v);
    } else if (typeof v === 'number') {
      if (Number.isFinite(v)) out.push(v);
    } else if (typeof v === 'object' && v !== null) {
      if (Array.isArray(v)) {
        for (let i = v.length - 1; i >= 0; i--) stack.push(v[i]);
      } else {
        const keys = Object.keys(v);
        for (let i = keys.length - 1; i >= 0; i--) stack.push((v as Record<string, unknown>)[keys[i] as string]);
      }
    }
  }
  return out;
}

/** True if a scalar leaf equals a value of `set`, or a string leaf contains a long enough string of it. */
function leafTainted(leaf: string | number, set: ReadonlySet<TaintValue>): boolean {
  if (set.has(leaf)) return true;
  if (typeof leaf === 'string' && leaf.length >= MIN_CONTAINED_STRING) {
    for (const s of set) {
      if (typeof s === 'string' && s.length >= MIN_CONTAINED_STRING && leaf.includes(s)) return true;
    }
  }
  return false;
}

/** True if any scalar leaf of `value` is tainted by `set`. */
export function valueTainted(value: unknown, set: ReadonlySet<TaintValue>): boolean {
  if (set.size === 0) return false;
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const v = stack.pop();
    if (typeof v === 'string' || typeof v === 'number') {
      if (leafTainted(v, set)) return true;
    } else if (typeof v === 'object' && v !== null) {
      if (Array.isArray(v)) for (let i = 0; i < v.length; i++) stack.push(v[i]);
      else for (const k of Object.keys(v)) stack.push((v as Record<string, unknown>)[k]);
    }
  }
  return false;
}

function claimed(labels: Record<string, string[]> | undefined, param: string, label: string): boolean {
  if (labels === undefined) return false;
  const l = own(labels, param);
  if (Array.isArray(l) && l.includes(label)) return true;
  const all = own(labels, '*');
  return Array.isArray(all) && all.includes(label);
}

function argLabeled(f: FlowPlan, c: EvalCtx, param: string, value: unknown, session: ReadonlySet<TaintValue>): boolean {
  if (claimed(c.labels, param, f.label)) return true;
  if (valueTainted(value, session)) return true;
  const sources = f.sources;
  if (sources === undefined) return false;
  for (const d of sources.detectors) if (detect(d.detector, value, d.kinds)) return true;
  for (const field of sources.contextFields) {
    const cv = own(c.context, field);
    if (cv !== undefined && valueTainted(value, new Set(taintValuesOf(cv)))) return true;
  }
  return false;
}

/**
 * Whether the flow's parameter (every present argument for `*`) carries the flow's label: claimed by
 * `context.labels`, tainted by the session's recorded values, fired on by a detector source, or tainted by
 * a context source's current value.
 */
export function flowLabeled(f: FlowPlan, c: EvalCtx): boolean {
  const session = c.session === undefined ? EMPTY : c.store.taint(c.session, f.label);
  if (f.param !== null) {
    const v = own(c.args, f.param);
    return v !== undefined && argLabeled(f, c, f.param, v, session);
  }
  for (const p of c.tool.params) {
    const v = own(c.args, p.name);
    if (v !== undefined && argLabeled(f, c, p.name, v, session)) return true;
  }
  return false;
}

/** On an allowed call: records the values of context label sources into the session's taint sets. */
export function recordContextTaint(p: CompiledPolicy, c: EvalCtx): void {
  if (c.session === undefined) return;
  for (const { label, field } of p.contextTaint) {
    const v = own(c.context, field);
    if (v === undefined) continue;
    c.store.taintAdd(c.session, label, taintValuesOf(v), TAINT_CAP);
  }
}

/** On a tool result: records the values at each `label L from tool T.result.path` into the session. */
export function recordResultTaint(c: EvalCtx, result: unknown): void {
  if (c.session === undefined) return;
  for (const { label, path } of c.tool.resultLabels) {
    const v = walk(result, path);
    if (v === undefined) continue;
    c.store.taintAdd(c.session, label, taintValuesOf(v), TAINT_CAP);
  }
}
