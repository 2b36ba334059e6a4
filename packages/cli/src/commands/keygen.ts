/**
 * `writ keygen`: an Ed25519 key pair for signing a log's checkpoints, as C2SP signed-note key strings.
 */
import { chmodSync, existsSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { formatKeyId, generateSignerKey, isValidKeyName, parseVerifierKey } from '@writ/verifier';
import { EXIT, UserError } from '../errors.js';

export interface KeygenOptions {
  name: string;
  out: string;
  force?: boolean;
  json?: boolean;
}

export function runKeygen(opts: KeygenOptions): number {
  if (!isValidKeyName(opts.name)) {
    throw new UserError(`--name '${opts.name}': a key name must be non-empty, with no space, control character or '+' (e.g. example.com/writ-log)`);
  }
  const keyFile = `${opts.out}.key`;
  const pubFile = `${opts.out}.pub`;
  if (!opts.force) {
    for (const f of [keyFile, pubFile]) if (existsSync(f)) throw new UserError(`${f} already exists; pass --force to overwrite it`);
  }
  const { signerKey, verifierKey } = generateSignerKey(opts.name);
  try {
    // The private key is created 0600 (and forced to 0600 when --force overwrites an existing file).
    writeFileSync(keyFile, `${signerKey}\n`, { mode: 0o600, flag: opts.force ? 'w' : 'wx' });
    chmodSync(keyFile, 0o600);
    writeFileSync(pubFile, `${verifierKey}\n`, { flag: opts.force ? 'w' : 'wx' });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new UserError(`${dirname(keyFile)}: no such directory`);
    if (code === 'EEXIST') throw new UserError(`${(e as NodeJS.ErrnoException).path ?? opts.out} already exists; pass --force to overwrite it`);
    throw new UserError(`${opts.out}: ${(e as Error).message}`);
  }
  const keyId = formatKeyId(parseVerifierKey(verifierKey).keyId);
  if (opts.json) {
    process.stdout.write(`${JSON.stringify({ name: opts.name, key_id: keyId, private_key_file: keyFile, public_key_file: pubFile, verifier_key: verifierKey }, null, 2)}\n`);
  } else {
    process.stdout.write(
      `wrote ${keyFile} (private signing key, mode 0600: keep it secret)\n` +
        `wrote ${pubFile} (public verifier key: give it to anyone who checks your evidence)\n` +
        `verifier key: ${verifierKey}\n`,
    );
  }
  return EXIT.ok;
}
