/**
 * `writ decide`: one request against a policy.
 */
import { readFileSync } from 'node:fs';
import { EXIT, UserError } from '../errors.js';
import { loadPolicyFrom } from '../io/load-policy.js';
import { renderDecision } from '../render/decision.js';
import { colorEnabled } from '../render/style.js';

export interface DecideOptions {
  policy: string;
  request: string;
  json?: boolean;
  now?: string;
}

/** Reads a file, or standard input for `-`. */
export function readInput(file: string): string {
  try {
    return readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (e) {
    throw new UserError(`${file}: ${(e as Error).message}`);
  }
}

export function parseNow(now: string | undefined): number | undefined {
  if (now === undefined) return undefined;
  const t = Date.parse(now);
  if (!Number.isFinite(t)) throw new UserError(`--now: '${now}' is not an RFC 3339 time`);
  return t;
}

export function runDecide(opts: DecideOptions): number {
  const now = parseNow(opts.now);
  const loaded = loadPolicyFrom(opts.policy);
  const text = readInput(opts.request);
  const decision = loaded.policy.decideJson(text, now === undefined ? {} : { now });
  if (opts.json) process.stdout.write(`${JSON.stringify(decision)}\n`);
  else process.stdout.write(`${renderDecision(decision, loaded.root, colorEnabled())}\n`);
  return EXIT.ok;
}
