/**
 * `writ decide`: one request against a policy.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { bundleJson, certifiableRequest, certifyDecision, Checkpointer, makeBundle } from '@writ/verifier';
import type { Decision } from '@writ/runtime';
import type { Bundle, FileLog, NoteSignerKey } from '@writ/verifier';
import { EXIT, UserError } from '../errors.js';
import { openLogForAppend, readSignerKeyFile } from '../io/evidence.js';
import { loadPolicyFrom } from '../io/load-policy.js';
import { renderDecision } from '../render/decision.js';
import { colorEnabled } from '../render/style.js';

export interface DecideOptions {
  policy: string;
  request: string;
  json?: boolean;
  now?: string;
  /** Append the decision's certificate to the log in this directory (created if absent). */
  log?: string;
  /** Signer key file (`writ keygen`'s `<prefix>.key`); required with `log`. */
  key?: string;
  /** Write the evidence bundle here; needs `log`. */
  bundle?: string;
  /** Embed the request itself in the certificate (default: only its digest). */
  includeRequest?: boolean;
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

export async function runDecide(opts: DecideOptions): Promise<number> {
  if (opts.log === undefined) {
    for (const [given, flag] of [[opts.key, '--key'], [opts.bundle, '--bundle'], [opts.includeRequest, '--include-request']] as const) {
      if (given !== undefined) throw new UserError(`${flag} needs --log <dir>`);
    }
  } else if (opts.key === undefined) {
    throw new UserError('--log needs --key <prefix>.key to sign the log\'s checkpoints (create one with writ keygen)');
  }
  const now = parseNow(opts.now);
  const loaded = loadPolicyFrom(opts.policy);
  const text = readInput(opts.request);
  if (opts.log === undefined || opts.key === undefined) {
    const decision = loaded.policy.decideJson(text, now === undefined ? {} : { now });
    printDecision(decision, loaded.root, opts.json);
    return EXIT.ok;
  }
  // Certified: open the log first (so that a bad key or log fails before anything is decided), decide, log the
  // certificate, sign a checkpoint covering it, and only then print the decision.
  const key = readSignerKeyFile(opts.key);
  const log = await openLogForAppend(opts.log, key);
  let bundle: Bundle;
  let decision: Decision;
  try {
    const time = now ?? Date.now();
    decision = loaded.policy.decideJson(text, { now: time });
    bundle = await certify(log, key, text, decision, time, opts);
  } finally {
    await log.close();
  }
  if (opts.bundle !== undefined) {
    try {
      writeFileSync(opts.bundle, bundleJson(bundle)); // canonical JSON, no trailing newline: every byte counts
    } catch (e) {
      throw new UserError(`${opts.bundle}: ${(e as Error).message} (the decision was logged as entry ${bundle.leaf_index} of ${opts.log})`);
    }
  }
  printDecision(decision, loaded.root, opts.json);
  if (!opts.json) {
    process.stderr.write(
      `certified: entry ${bundle.leaf_index} of log ${opts.log} (tree size ${bundle.tree_size})${opts.bundle !== undefined ? `; bundle: ${opts.bundle}` : ''}\n`,
    );
  }
  return EXIT.ok;
}

function printDecision(decision: Decision, root: string, json: boolean | undefined): void {
  if (json) process.stdout.write(`${JSON.stringify(decision)}\n`);
  else process.stdout.write(`${renderDecision(decision, root, colorEnabled())}\n`);
}

/**
 * Appends the decision's certificate to the log and signs a checkpoint covering it (a one-shot command cannot
 * wait for the next batch), so that the bundle is complete when the command returns.
 */
async function certify(log: FileLog, key: NoteSignerKey, text: string, decision: Decision, time: number, opts: DecideOptions): Promise<Bundle> {
  const request = certifiableRequest(text);
  const embed = opts.includeRequest === true && !(request instanceof Uint8Array);
  if (opts.includeRequest && !embed && !opts.json) process.stderr.write('note: the request is not JSON; the certificate carries only its digest\n');
  const { bytes } = certifyDecision(request, decision, { time, includeRequest: embed });
  const { index } = await log.append(bytes);
  const checkpointer = new Checkpointer(log, key, { everyEntries: Infinity, everyMs: Infinity });
  try {
    return makeBundle(log, index, await checkpointer.flush());
  } finally {
    await checkpointer.close();
  }
}
