/**
 * Reads and validates a plan against a policy's artifact. Fails closed: anything the checker could not
 * decide faithfully is a {@link PlanError} naming the JSON path (`$.steps[2].args.amount`).
 */
import { parseDuration, typeName, type Artifact, type FieldDecl, type WritType } from '@writ/runtime';
import { DEFAULT_PLAN_SESSION, DEFAULT_PLAN_TIME, type Plan, type PlanArg, type PlanInitialState, type PlanStep } from './types.js';

/** A malformed plan; `path` is a JSON path into the plan (`$` is the whole plan). */
export class PlanError extends Error {
  constructor(
    readonly path: string,
    readonly detail: string,
  ) {
    super(`${path}: ${detail}`);
    this.name = 'PlanError';
  }
}

const REF = /^steps\[(\d+)\]\.result((?:\.[^.[\]]+|\[\d+\])*)$/;

/** Names accepted by `$unknown`, per parameter type kind. */
const UNKNOWN_TYPES: Record<string, readonly string[]> = {
  string: ['string'],
  enum: ['enum', 'string'],
  number: ['number'],
  money: ['money', 'number'],
  integer: ['integer', 'number'],
  duration: ['duration', 'integer'],
  boolean: ['boolean'],
  list: ['list'],
  any: ['any'],
};

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function object(v: unknown, path: string): Json {
  if (!isObject(v)) throw new PlanError(path, `must be an object, not ${describe(v)}`);
  return v;
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'object' ? 'an object' : `${typeof v} ${JSON.stringify(v)}`;
}

function onlyKeys(o: Json, allowed: readonly string[], path: string): void {
  for (const k of Object.keys(o)) {
    if (!allowed.includes(k)) throw new PlanError(`${path}.${k}`, `unknown member (expected ${allowed.map((a) => `'${a}'`).join(', ')})`);
  }
}

/** Whether a concrete JSON value fits a parameter type, as the runtime validates it (SEMANTICS.md §1). */
export function fitsType(value: unknown, t: WritType): boolean {
  switch (t.kind) {
    case 'string':
      return typeof value === 'string';
    case 'number':
    case 'money':
      return typeof value === 'number' && Number.isFinite(value);
    case 'integer':
      return Number.isSafeInteger(value);
    case 'duration':
      return (Number.isSafeInteger(value) && (value as number) >= 0) || (typeof value === 'string' && parseDuration(value) !== undefined);
    case 'boolean':
      return typeof value === 'boolean';
    case 'enum':
      return t.values.includes(value as string);
    case 'list':
      return Array.isArray(value) && value.every((x) => fitsType(x, t.of));
    default:
      return true;
  }
}

function durationMs(v: unknown, path: string): number {
  if (Number.isSafeInteger(v) && (v as number) >= 0) return v as number;
  const ms = typeof v === 'string' ? parseDuration(v) : undefined;
  if (ms === undefined) throw new PlanError(path, `must be a duration ('5m', '1h30m') or milliseconds, not ${describe(v)}`);
  return ms;
}

function nonNegative(v: unknown, path: string, integer: boolean): number {
  const ok = integer ? Number.isSafeInteger(v) && (v as number) >= 0 : typeof v === 'number' && Number.isFinite(v) && v >= 0;
  if (!ok) throw new PlanError(path, `must be a non-negative ${integer ? 'integer' : 'number'}, not ${describe(v)}`);
  return v as number;
}

function concreteArgs(artifact: Artifact, tool: string, v: unknown, path: string): Record<string, unknown> {
  const args = object(v, path);
  const decl = artifact.tools[tool]!;
  for (const [name, value] of Object.entries(args)) {
    const f = decl.params[name];
    if (!Object.hasOwn(decl.params, name) || !f) throw new PlanError(`${path}.${name}`, `tool '${tool}' has no parameter '${name}'`);
    if (!fitsType(value, f.type)) throw new PlanError(`${path}.${name}`, `${describe(value)} is not a ${typeName(f.type)}`);
  }
  return args;
}

function toolName(artifact: Artifact, v: unknown, path: string): string {
  if (typeof v !== 'string') throw new PlanError(path, `must be a tool name, not ${describe(v)}`);
  if (!Object.hasOwn(artifact.tools, v)) throw new PlanError(path, `the policy declares no tool '${v}'`);
  return v;
}

function parseArg(f: FieldDecl, v: unknown, path: string, step: number, name: string): PlanArg {
  if (isObject(v) && Object.hasOwn(v, '$unknown')) {
    onlyKeys(v, ['$unknown'], path);
    const t = v['$unknown'];
    const accepted = UNKNOWN_TYPES[f.type.kind] ?? [f.type.kind];
    if (typeof t !== 'string' || !accepted.includes(t)) {
      throw new PlanError(`${path}.$unknown`, `parameter '${name}' has type ${typeName(f.type)}: expected ${accepted.map((a) => `"${a}"`).join(' or ')}, not ${describe(t)}`);
    }
    return { kind: 'unknown', type: t };
  }
  if (isObject(v) && Object.hasOwn(v, '$ref')) {
    onlyKeys(v, ['$ref'], path);
    const text = v['$ref'];
    const m = typeof text === 'string' ? REF.exec(text) : null;
    if (!m) throw new PlanError(`${path}.$ref`, `must be "steps[i].result" or "steps[i].result.<path>", not ${describe(text)}`);
    const i = Number(m[1]);
    if (i >= step) throw new PlanError(`${path}.$ref`, `refers to steps[${i}], which does not run before steps[${step}]`);
    const segs = [...(m[2] as string).matchAll(/\.([^.[\]]+)|\[(\d+)\]/g)].map((x) => (x[1] ?? x[2]) as string);
    return { kind: 'ref', step: i, path: segs, text: text as string };
  }
  if (!fitsType(v, f.type)) throw new PlanError(path, `${describe(v)} is not a ${typeName(f.type)} (use {"$unknown": "${f.type.kind}"} for a value not known yet)`);
  return { kind: 'value', value: v };
}

function parseStep(artifact: Artifact, v: unknown, i: number): PlanStep {
  const path = `$.steps[${i}]`;
  const o = object(v, path);
  onlyKeys(o, ['tool', 'args', 'usage'], path);
  const tool = toolName(artifact, o['tool'], `${path}.tool`);
  const decl = artifact.tools[tool]!;
  const rawArgs = object(o['args'] ?? {}, `${path}.args`);
  const args: Record<string, PlanArg> = {};
  for (const [name, value] of Object.entries(rawArgs)) {
    const f = decl.params[name];
    if (!Object.hasOwn(decl.params, name) || !f) {
      throw new PlanError(`${path}.args.${name}`, `tool '${tool}' has no parameter '${name}' (it takes ${decl.order.join(', ') || 'none'})`);
    }
    args[name] = parseArg(f, value, `${path}.args.${name}`, i, name);
  }
  for (const name of decl.order) {
    if (!decl.params[name]!.optional && !(name in args)) {
      throw new PlanError(`${path}.args`, `missing argument '${name}' (${typeName(decl.params[name]!.type)}); use {"$unknown": "${decl.params[name]!.type.kind}"} if it is not known yet`);
    }
  }
  const step: PlanStep = { tool, args };
  if (o['usage'] !== undefined) {
    const u = object(o['usage'], `${path}.usage`);
    onlyKeys(u, ['tokens', 'cost'], `${path}.usage`);
    step.usage = {};
    if (u['tokens'] !== undefined) step.usage.tokens = nonNegative(u['tokens'], `${path}.usage.tokens`, true);
    if (u['cost'] !== undefined) step.usage.cost = nonNegative(u['cost'], `${path}.usage.cost`, false);
  }
  return step;
}

function parseContext(artifact: Artifact, v: unknown): Plan['context'] {
  const ctx = object(v ?? {}, '$.context');
  const out: Record<string, unknown> = {};
  for (const [k, value] of Object.entries(ctx)) {
    const path = `$.context.${k}`;
    if (k === 'session') {
      if (typeof value !== 'string' || value === '') throw new PlanError(path, `must be a non-empty string, not ${describe(value)}`);
    } else if (k === 'labels') {
      const labels = object(value, path);
      for (const [p, ls] of Object.entries(labels)) {
        if (!Array.isArray(ls) || !ls.every((l) => typeof l === 'string')) throw new PlanError(`${path}.${p}`, 'must be a list of label names');
      }
    } else if (k === 'usage' || k === 'time') {
      throw new PlanError(path, k === 'usage' ? 'give usage per step (steps[i].usage)' : "give the plan's time as $.time");
    } else {
      const f = artifact.context[k];
      if (!Object.hasOwn(artifact.context, k) || !f) throw new PlanError(path, `the policy declares no context field '${k}'`);
      if (!fitsType(value, f.type)) throw new PlanError(path, `${describe(value)} is not a ${typeName(f.type)}`);
    }
    out[k] = value;
  }
  out['session'] ??= DEFAULT_PLAN_SESSION;
  return out as Plan['context'];
}

function parseState(artifact: Artifact, v: unknown): PlanInitialState {
  const s = object(v ?? {}, '$.state');
  onlyKeys(s, ['history', 'budgets', 'rate'], '$.state');
  const state: PlanInitialState = { history: [], budgets: {}, rate: {} };
  const history = s['history'] ?? [];
  if (!Array.isArray(history)) throw new PlanError('$.state.history', `must be a list of calls, not ${describe(history)}`);
  history.forEach((h, i) => {
    const path = `$.state.history[${i}]`;
    const o = object(h, path);
    onlyKeys(o, ['tool', 'args', 'age'], path);
    const tool = toolName(artifact, o['tool'], `${path}.tool`);
    state.history.push({ tool, args: concreteArgs(artifact, tool, o['args'] ?? {}, `${path}.args`), ageMs: durationMs(o['age'] ?? 0, `${path}.age`) });
  });
  for (const [id, u] of Object.entries(object(s['budgets'] ?? {}, '$.state.budgets'))) {
    const path = `$.state.budgets.${id}`;
    if (!artifact.budgets.some((b) => b.id === id)) {
      throw new PlanError(path, `no budget has id '${id}' (ids: ${artifact.budgets.map((b) => b.id).join(', ') || 'none'})`);
    }
    const o = object(u, path);
    onlyKeys(o, ['cost', 'tokens', 'calls'], path);
    state.budgets[id] = {
      cost: nonNegative(o['cost'] ?? 0, `${path}.cost`, false),
      tokens: nonNegative(o['tokens'] ?? 0, `${path}.tokens`, true),
      calls: nonNegative(o['calls'] ?? 0, `${path}.calls`, true),
    };
  }
  for (const [id, n] of Object.entries(object(s['rate'] ?? {}, '$.state.rate'))) {
    const path = `$.state.rate.${id}`;
    if (!artifact.limits.some((l) => l.id === id)) {
      throw new PlanError(path, `no rate limit has id '${id}' (ids: ${artifact.limits.map((l) => l.id).join(', ') || 'none'})`);
    }
    state.rate[id] = nonNegative(n, path, true);
  }
  return state;
}

/**
 * Parses a plan (a JSON value) for a policy.
 * @throws PlanError naming the JSON path of the first problem
 */
export function parsePlan(artifact: Artifact, input: unknown): Plan {
  const o = object(input, '$');
  onlyKeys(o, ['agent', 'context', 'time', 'state', 'steps', 'description'], '$');
  const a = object(o['agent'], '$.agent');
  onlyKeys(a, ['id', 'roles', 'tenant'], '$.agent');
  if (typeof a['id'] !== 'string' || a['id'] === '') throw new PlanError('$.agent.id', `must be a non-empty string, not ${describe(a['id'])}`);
  const agent: Plan['agent'] = { id: a['id'] };
  if (a['roles'] !== undefined) {
    if (!Array.isArray(a['roles']) || !a['roles'].every((r) => typeof r === 'string')) throw new PlanError('$.agent.roles', 'must be a list of role names');
    agent.roles = a['roles'] as string[];
  }
  if (a['tenant'] !== undefined) {
    if (typeof a['tenant'] !== 'string') throw new PlanError('$.agent.tenant', `must be a string, not ${describe(a['tenant'])}`);
    agent.tenant = a['tenant'];
  }
  const timeText = o['time'] ?? DEFAULT_PLAN_TIME;
  const now = typeof timeText === 'string' && /^\d{4}-\d\d-\d\dT/.test(timeText) ? Date.parse(timeText) : NaN;
  if (!Number.isFinite(now)) throw new PlanError('$.time', `must be an RFC 3339 time, not ${describe(timeText)}`);
  if (o['description'] !== undefined && typeof o['description'] !== 'string') throw new PlanError('$.description', 'must be a string');
  const rawSteps = o['steps'];
  if (!Array.isArray(rawSteps) || rawSteps.length === 0) throw new PlanError('$.steps', `must be a non-empty list of steps, not ${describe(rawSteps)}`);
  return {
    agent,
    context: parseContext(artifact, o['context']),
    now,
    state: parseState(artifact, o['state']),
    steps: rawSteps.map((s, i) => parseStep(artifact, s, i)),
  };
}
