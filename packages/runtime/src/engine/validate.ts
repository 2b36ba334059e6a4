/**
 * Request validation (fail closed): a request that does not fit the policy's declarations is denied with
 * `invalid_request` and a reason naming the offending field. See SEMANTICS.md §1.
 *
 * @packageDocumentation
 */
import type { WritType } from '../artifact/types.js';
import { parseDuration } from '../artifact/value.js';
import { EvalCtx } from '../eval/context.js';
import type { StateStore } from '../state/store.js';
import type { CompiledPolicy, RequestLimits } from './plan.js';

/** Returned by a {@link Validator} for a value that does not fit. */
export const BAD: unique symbol = Symbol('bad');

/** Checks a value against a type; returns the normalised value (durations in ms) or {@link BAD}. */
export type Validator = (v: unknown) => unknown;

/** `ToolPlan.check` codes: how a parameter's value is checked (low bits), and whether it is optional. */
export const CHECK_KIND = 15;
export const CHECK_OTHER = 0;
export const CHECK_STRING = 1;
export const CHECK_NUMBER = 2;
export const CHECK_INTEGER = 3;
export const CHECK_BOOLEAN = 4;
/** An enum of at most {@link SMALL_ENUM} values, listed in `ToolPlan.enums`. */
export const CHECK_ENUM = 5;
export const CHECK_OPTIONAL = 16;
export const SMALL_ENUM = 8;

/** The check code of a declared type (see {@link CHECK_KIND}); its validator handles {@link CHECK_OTHER}. */
export function checkCode(t: WritType, optional: boolean): number {
  let code: number;
  switch (t.kind) {
    case 'string':
      code = CHECK_STRING;
      break;
    case 'number':
    case 'money':
      code = CHECK_NUMBER;
      break;
    case 'integer':
      code = CHECK_INTEGER;
      break;
    case 'boolean':
      code = CHECK_BOOLEAN;
      break;
    case 'enum':
      code = new Set(t.values).size <= SMALL_ENUM ? CHECK_ENUM : CHECK_OTHER;
      break;
    default:
      code = CHECK_OTHER;
  }
  return optional ? code | CHECK_OPTIONAL : code;
}

/** Compiles a validator for a declared type. */
export function compileValidator(t: WritType, limits: RequestLimits): Validator {
  switch (t.kind) {
    case 'string': {
      const max = limits.maxStringLength;
      return (v) => (typeof v === 'string' && v.length <= max ? v : BAD);
    }
    case 'number':
    case 'money':
      return (v) => (typeof v === 'number' && Number.isFinite(v) ? v : BAD);
    case 'integer':
      return (v) => (Number.isSafeInteger(v) ? v : BAD);
    case 'boolean':
      return (v) => (typeof v === 'boolean' ? v : BAD);
    case 'duration':
      return (v) => {
        if (typeof v === 'number') return Number.isSafeInteger(v) && v >= 0 ? v : BAD;
        if (typeof v === 'string') return parseDuration(v) ?? BAD;
        return BAD;
      };
    case 'enum': {
      const values = new Set(t.values);
      if (t.values.length > 8) return (v) => (typeof v === 'string' && values.has(v) ? v : BAD);
      const list = [...values];
      return (v) => {
        if (typeof v !== 'string') return BAD;
        for (let i = 0; i < list.length; i++) if (list[i] === v) return v;
        return BAD;
      };
    }
    case 'list': {
      const item = compileValidator(t.of, limits);
      const max = limits.maxListLength;
      return (v) => {
        if (!Array.isArray(v) || v.length > max) return BAD;
        let out: unknown[] | undefined;
        for (let i = 0; i < v.length; i++) {
          const x: unknown = v[i];
          const y = item(x);
          if (y === BAD) return BAD;
          if (y !== x) {
            out ??= v.slice();
            out[i] = y;
          }
        }
        return out ?? v;
      };
    }
    case 'any':
      return (v) => v;
  }
}

/** A readable name of a type: `money(USD)`, `list(string)`, `enum(a|b)`. */
export function typeName(t: WritType): string {
  switch (t.kind) {
    case 'money':
      return `money(${t.currency})`;
    case 'enum':
      return `enum(${t.values.join('|')})`;
    case 'list':
      return `list(${typeName(t.of)})`;
    default:
      return t.kind;
  }
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  switch (typeof v) {
    case 'string':
      return v.length > 40 ? `a string of ${v.length} characters` : `string ${JSON.stringify(v)}`;
    case 'number':
      return `number ${String(v)}`;
    case 'object':
      return 'an object';
    default:
      return `a ${typeof v}`;
  }
}

/** Why `v` does not fit `t` (called only after a validator returned {@link BAD}). */
export function explainInvalid(t: WritType, v: unknown, path: string, limits: RequestLimits): string {
  switch (t.kind) {
    case 'string':
      if (typeof v === 'string') {
        return `${path} is a string of ${v.length} characters; at most ${limits.maxStringLength} are accepted`;
      }
      return `${path} must be a string, got ${describe(v)}`;
    case 'number':
      return `${path} must be a finite number, got ${describe(v)}`;
    case 'money':
      return `${path} must be ${typeName(t)}: a finite number in ${t.currency}, got ${describe(v)}`;
    case 'integer':
      return `${path} must be an integer (a safe integer number), got ${describe(v)}`;
    case 'boolean':
      return `${path} must be a boolean, got ${describe(v)}`;
    case 'duration':
      if (typeof v === 'string') {
        return `${path}: invalid duration ${JSON.stringify(v.length > 40 ? v.slice(0, 40) + '…' : v)} (use milliseconds or a duration such as 500ms, 90s, 5m, 1h30m, 2d)`;
      }
      return `${path} must be a duration (non-negative integer milliseconds or a string such as 90s, 5m, 1h30m), got ${describe(v)}`;
    case 'enum':
      return `${path} must be one of ${t.values.map((x) => JSON.stringify(x)).join(', ')}, got ${describe(v)}`;
    case 'list': {
      if (!Array.isArray(v)) return `${path} must be a list, got ${describe(v)}`;
      if (v.length > limits.maxListLength) {
        return `${path} has ${v.length} items; at most ${limits.maxListLength} are accepted`;
      }
      const item = compileValidator(t.of, limits);
      for (let i = 0; i < v.length; i++) {
        if (item(v[i]) === BAD) return explainInvalid(t.of, v[i], `${path}[${i}]`, limits);
      }
      return `${path} is not a valid ${typeName(t)}`;
    }
    case 'any':
      return `${path} is invalid`;
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function ownValue(o: Record<string, unknown>, k: string): unknown {
  return Object.hasOwn(o, k) ? o[k] : undefined;
}

const RESERVED_CONTEXT = new Set(['session', 'time', 'labels', 'usage']);

/** Reserved context keys; a policy may not declare context fields with these names. */
export function isReservedContextKey(k: string): boolean {
  return RESERVED_CONTEXT.has(k);
}

/**
 * Validates a request against the compiled policy. Returns the evaluation context, or a message naming
 * the first problem found (with the field path).
 */
export function validateRequest(
  p: CompiledPolicy,
  req: unknown,
  now: number,
  store: StateStore,
): EvalCtx | string {
  const limits = p.limits;
  if (!isObject(req)) return `request must be an object, got ${describe(req)}`;
  // The request's members: own enumerable properties, as JSON has (one pass; unknown members are ignored).
  let agent: unknown;
  let toolName: unknown;
  let rawArgs: unknown;
  let rawContext: unknown;
  for (const k in req) {
    if (!hasOwn.call(req, k)) continue;
    switch (k) {
      case 'agent':
        agent = req[k];
        break;
      case 'tool':
        toolName = req[k];
        break;
      case 'args':
        rawArgs = req[k];
        break;
      case 'context':
        rawContext = req[k];
        break;
    }
  }

  // agent
  if (agent === undefined) return 'missing agent';
  if (!isObject(agent)) return `agent must be an object, got ${describe(agent)}`;
  let agentId: unknown;
  let roles: unknown;
  let tenant: unknown;
  let attrs: unknown;
  for (const k in agent) {
    if (!hasOwn.call(agent, k)) continue;
    switch (k) {
      case 'id':
        agentId = agent[k];
        break;
      case 'roles':
        roles = agent[k];
        break;
      case 'tenant':
        tenant = agent[k];
        break;
      case 'attrs':
        attrs = agent[k];
        break;
    }
  }
  if (typeof agentId !== 'string' || agentId.length === 0) {
    return `agent.id must be a non-empty string, got ${describe(agentId)}`;
  }
  if (agentId.length > limits.maxStringLength) return `agent.id is longer than ${limits.maxStringLength} characters`;
  if (roles !== undefined) {
    if (!Array.isArray(roles)) return `agent.roles must be a list of strings, got ${describe(roles)}`;
    for (let i = 0; i < roles.length; i++) {
      if (typeof roles[i] !== 'string') return `agent.roles[${i}] must be a string, got ${describe(roles[i])}`;
    }
  }
  if (tenant !== undefined && typeof tenant !== 'string') return `agent.tenant must be a string, got ${describe(tenant)}`;
  if (attrs !== undefined && !isObject(attrs)) return `agent.attrs must be an object, got ${describe(attrs)}`;

  // tool
  if (typeof toolName !== 'string') return `tool must be a string, got ${describe(toolName)}`;
  const tool = p.tools.get(toolName);
  if (tool === undefined) {
    return `unknown tool '${toolName.length > 100 ? toolName.slice(0, 100) + '…' : toolName}'`;
  }

  // args: one pass over the keys (own enumerable ones, as JSON has), each value validated into its slot
  let args: Record<string, unknown>;
  if (rawArgs === undefined) args = EMPTY_ARGS;
  else if (!isObject(rawArgs)) return `args must be an object, got ${describe(rawArgs)}`;
  else args = rawArgs;
  const params = tool.params;
  const names = tool.paramNames;
  const check = tool.check;
  const enums = tool.enums;
  const maxString = limits.maxStringLength;
  const count = names.length;
  const vals = tool.blank.slice();
  let required = 0;
  let firstBad = count;
  let normalised: Record<string, unknown> | undefined;
  let guess = 0;
  for (const k in args) {
    // Keys usually come in declaration order: try the next slot before the map.
    let slot: number | undefined = guess < count && names[guess] === k ? guess : tool.slots.get(k);
    if (slot === undefined) return `unexpected argument args.${k} for tool '${toolName}'`;
    guess = slot + 1;
    if (!hasOwn.call(args, k)) continue;
    const v = args[k];
    if (v === undefined) continue;
    // The common types checked in place; the others by the parameter's validator.
    const code = check[slot] as number;
    let w: unknown;
    switch (code & CHECK_KIND) {
      case CHECK_STRING:
        w = typeof v === 'string' && v.length <= maxString ? v : BAD;
        break;
      case CHECK_NUMBER:
        w = Number.isFinite(v) ? v : BAD;
        break;
      case CHECK_INTEGER:
        w = Number.isSafeInteger(v) ? v : BAD;
        break;
      case CHECK_BOOLEAN:
        w = typeof v === 'boolean' ? v : BAD;
        break;
      case CHECK_ENUM: {
        w = BAD;
        if (typeof v === 'string') {
          const values = enums[slot] as readonly string[];
          for (let i = 0; i < values.length; i++) {
            if (values[i] === v) {
              w = v;
              break;
            }
          }
        }
        break;
      }
      default:
        w = params[slot]!.validate(v);
    }
    if (w === BAD) {
      if (slot < firstBad) firstBad = slot;
      continue;
    }
    vals[slot] = w;
    if ((code & CHECK_OPTIONAL) === 0) required++;
    if (w !== v) {
      normalised ??= { ...args };
      normalised[k] = w;
    }
  }
  if (required !== tool.required || firstBad < count) {
    // The first problem in declaration order: a missing argument or an ill-typed one.
    for (let i = 0; i < count; i++) {
      const param = params[i]!;
      if (i === firstBad) return explainInvalid(param.type, args[param.name], `args.${param.name}`, limits);
      if (!param.optional && vals[i] === undefined) {
        return `missing argument args.${param.name} (${typeName(param.type)}) for tool '${toolName}'`;
      }
    }
  }
  if (normalised !== undefined) args = normalised;

  // context
  let context: Record<string, unknown>;
  let session: string | undefined;
  let labels: Record<string, string[]> | undefined;
  let usageTokens = 0;
  let usageCost = 0;
  if (rawContext === undefined) context = EMPTY_CONTEXT;
  else if (!isObject(rawContext)) return `context must be an object, got ${describe(rawContext)}`;
  else {
    context = rawContext;
    const s = ownValue(context, 'session');
    if (s !== undefined) {
      if (typeof s !== 'string' || s.length === 0) return `context.session must be a non-empty string, got ${describe(s)}`;
      if (s.length > limits.maxStringLength) return `context.session is longer than ${limits.maxStringLength} characters`;
      session = s;
    }
    const time = ownValue(context, 'time');
    if (time !== undefined && typeof time !== 'string') return `context.time must be a string, got ${describe(time)}`;
    const l = ownValue(context, 'labels');
    if (l !== undefined) {
      if (!isObject(l)) return `context.labels must be an object of label lists, got ${describe(l)}`;
      for (const k in l) {
        const list = ownValue(l, k);
        if (!Array.isArray(list)) return `context.labels.${k} must be a list of label names, got ${describe(list)}`;
        for (let i = 0; i < list.length; i++) {
          if (typeof list[i] !== 'string') return `context.labels.${k}[${i}] must be a string, got ${describe(list[i])}`;
        }
      }
      labels = l as Record<string, string[]>;
    }
    const usage = ownValue(context, 'usage');
    if (usage !== undefined) {
      if (!isObject(usage)) return `context.usage must be an object, got ${describe(usage)}`;
      const tokens = ownValue(usage, 'tokens');
      if (tokens !== undefined) {
        if (!Number.isSafeInteger(tokens) || (tokens as number) < 0) {
          return `context.usage.tokens must be a non-negative integer, got ${describe(tokens)}`;
        }
        usageTokens = tokens as number;
      }
      const cost = ownValue(usage, 'cost');
      if (cost !== undefined) {
        if (typeof cost !== 'number' || !Number.isFinite(cost) || cost < 0) {
          return `context.usage.cost must be a non-negative finite number, got ${describe(cost)}`;
        }
        usageCost = cost;
      }
    }
    const fields = p.contextFields;
    let normalisedContext: Record<string, unknown> | undefined;
    for (let i = 0; i < fields.length; i++) {
      const f = fields[i]!;
      const v = Object.hasOwn(context, f.name) ? context[f.name] : undefined;
      if (v === undefined) continue;
      const w = f.validate(v);
      if (w === BAD) return explainInvalid(f.type, v, `context.${f.name}`, limits);
      if (w !== v) {
        normalisedContext ??= { ...context };
        normalisedContext[f.name] = w;
      }
    }
    if (normalisedContext !== undefined) context = normalisedContext;
  }

  return new EvalCtx(
    tool,
    args,
    vals,
    context,
    agentId,
    tenant as string | undefined,
    p.agents.get(agentId),
    roles as string[] | undefined,
    attrs as Record<string, unknown> | undefined,
    session,
    labels,
    usageTokens,
    usageCost,
    now,
    store,
  );
}

const EMPTY_CONTEXT: Record<string, unknown> = Object.freeze({}) as Record<string, unknown>;
const EMPTY_ARGS: Record<string, unknown> = Object.freeze({}) as Record<string, unknown>;
const hasOwn = Object.prototype.hasOwnProperty;
