/**
 * `checkResult`: taint recording from tool results, post deny rules, post redaction. See SEMANTICS.md §6.
 *
 * @packageDocumentation
 */
import type { Obligation, Reason, ResultCheck } from '../decision/types.js';
import { MemoryTokenVault, redactValue } from '../detectors/index.js';
import { walk } from '../eval/context.js';
import { internalErrorDecision, readOptions, type DecideOptions, type Engine } from './decide.js';
import { matchFailClosed } from './match.js';
import { RULE_INVALID, RULE_NO_POST, makeReason, pushReason } from './reasons.js';
import { recordResultTaint } from './taint.js';
import { validateRequest } from './validate.js';

const NO_POST_RULE = makeReason(RULE_NO_POST, 'post', 'no post rule applies');

/** Checks a tool's result against the post rules. Never throws: an internal exception denies. */
export function checkResult(e: Engine, request: unknown, result: unknown, options?: DecideOptions): ResultCheck {
  try {
    return checkResultUnsafe(e, request, result, options);
  } catch (err) {
    const d = internalErrorDecision(e.meta, err);
    return { effect: 'deny', reasons: d.reasons, obligations: [], policy: e.meta };
  }
}

function checkResultUnsafe(e: Engine, request: unknown, result: unknown, options: DecideOptions | undefined): ResultCheck {
  const { now, dryRun, store } = readOptions(options, e.store, true);
  const meta = e.meta;
  const c = validateRequest(e.compiled, request, now, store);
  if (typeof c === 'string') {
    return { effect: 'deny', reasons: [makeReason(RULE_INVALID, 'invalid', c)], obligations: [], policy: meta };
  }
  const tool = c.tool;
  c.result = result;

  // Taint first, whatever the post rules say: the values exist in the session now.
  if (!dryRun && tool.resultLabels.length > 0) recordResultTaint(c, result);

  let denied: Reason[] | undefined;
  for (const rule of tool.postDeny) {
    const r = matchFailClosed(rule, c);
    if (r !== null) pushReason((denied ??= []), r);
  }
  if (denied !== undefined) return { effect: 'deny', reasons: denied, obligations: [], policy: meta };

  if (tool.postRedact.length === 0) {
    return { effect: 'allow', reasons: [NO_POST_RULE], result, obligations: [], policy: meta };
  }
  const vault = dryRun ? new MemoryTokenVault() : store.vault(c.session ?? '');
  const reasons: Reason[] = [];
  const obligations: Obligation[] = [];
  let current = result;
  for (const pr of tool.postRedact) {
    pushReason(reasons, pr.reason);
    const sub = walk(current, pr.path);
    if (sub === undefined) continue;
    const { value, tokens } = redactValue(sub, pr.detector, pr.kinds, vault);
    if (tokens.length === 0) continue;
    current = setAt(current, pr.path, 0, value);
    const prefix = jsonPath(pr.path);
    obligations.push({
      type: 'redact',
      target: 'result',
      rule: pr.id,
      value: current,
      tokens: pr.path.length === 0 ? tokens : tokens.map((t) => ({ ...t, path: prefix + t.path.slice(1) })),
    });
  }
  return { effect: 'allow', reasons, result: current, obligations, policy: meta };
}

/** A copy of `root` with the value at `path` replaced (copy on write along the path). */
function setAt(root: unknown, path: readonly string[], i: number, value: unknown): unknown {
  if (i === path.length) return value;
  const key = path[i] as string;
  if (Array.isArray(root)) {
    const copy = root.slice();
    const idx = Number(key);
    copy[idx] = setAt(root[idx], path, i + 1, value);
    return copy;
  }
  const obj = root as Record<string, unknown>;
  const copy: Record<string, unknown> = { ...obj };
  const next = setAt(obj[key], path, i + 1, value);
  if (key === '__proto__') Object.defineProperty(copy, key, { value: next, writable: true, enumerable: true, configurable: true });
  else copy[key] = next;
  return copy;
}

/** `["items", "0", "odd key"]` → `$.items[0]["odd key"]` (the detectors' path notation). */
function jsonPath(path: readonly string[]): string {
  let out = '$';
  for (const k of path) {
    if (/^(0|[1-9][0-9]*)$/.test(k)) out += `[${k}]`;
    else if (/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(k)) out += `.${k}`;
    else out += `[${JSON.stringify(k)}]`;
  }
  return out;
}
