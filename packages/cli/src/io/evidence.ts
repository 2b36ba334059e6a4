/**
 * Files of the evidence commands: key files, log directories, bundles. Every problem becomes a one-line
 * `UserError`.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import {
  Checkpointer,
  EvidenceFormatError,
  makeBundle,
  FileLog,
  formatKeyId,
  LogError,
  LogSnapshot,
  parseNote,
  parseSignerKey,
  parseVerifierKey,
  verifierKeyOf,
  verifyCheckpoint,
} from '@writ/verifier';
import type { Bundle, NoteSignerKey, NoteVerifierKey } from '@writ/verifier';
import { EXIT, UserError } from '../errors.js';

/** Reads a text file; a missing or unreadable file is a usage error (exit 2). */
export function readTextFile(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new UserError(`${file}: no such file or directory`);
    if (code === 'EISDIR') throw new UserError(`${file}: is a directory`);
    throw new UserError(`${file}: ${(e as Error).message}`);
  }
}

/** Reads a signer key file (`writ keygen`'s `<prefix>.key`). */
export function readSignerKeyFile(file: string): NoteSignerKey {
  const text = readTextFile(file).trim();
  try {
    return parseSignerKey(text);
  } catch (e) {
    if (!(e instanceof EvidenceFormatError)) throw e;
    const hint = text.startsWith('PRIVATE+KEY+') ? '' : ' (pass the private <prefix>.key that writ keygen wrote)';
    throw new UserError(`${file}: not a signer key: ${e.message}${hint}`);
  }
}

/** Reads a verifier key file (`writ keygen`'s `<prefix>.pub`). */
export function readVerifierKeyFile(file: string): NoteVerifierKey {
  const text = readTextFile(file).trim();
  if (text.startsWith('PRIVATE+KEY+')) throw new UserError(`${file}: this is a private key; pass the public <prefix>.pub instead`);
  try {
    return parseVerifierKey(text);
  } catch (e) {
    if (!(e instanceof EvidenceFormatError)) throw e;
    throw new UserError(`${file}: not a verifier key: ${e.message}`);
  }
}

function isLogDir(dir: string): boolean {
  return existsSync(path.join(dir, 'entries.log'));
}

/** Opens an existing log read-only (no lock). */
export async function openSnapshot(dir: string): Promise<LogSnapshot> {
  try {
    return await LogSnapshot.open(dir);
  } catch (e) {
    if (e instanceof LogError && e.code === 'not-found') {
      throw new UserError(existsSync(dir) ? `${dir}: not a Writ log` : `${dir}: no such file or directory`);
    }
    throw e;
  }
}

/**
 * Opens (creating if absent) the log at `dir` to append to it with `key`: refuses a directory that holds
 * something else, and a log whose checkpoints another key signed.
 */
export async function openLogForAppend(dir: string, key: NoteSignerKey): Promise<FileLog> {
  if (existsSync(dir)) {
    if (!statSync(dir).isDirectory()) throw new UserError(`${dir}: not a directory`);
    if (!isLogDir(dir) && readdirSync(dir).length > 0) {
      throw new UserError(`${dir}: not a Writ log (and not empty): give a new or empty directory for a new log`);
    }
  }
  let log: FileLog;
  try {
    log = await FileLog.open(dir);
  } catch (e) {
    if (e instanceof LogError) throw new UserError(`${dir}: ${e.message}`, e.code === 'locked' ? EXIT.usage : EXIT.failed);
    throw e;
  }
  const latest = log.latestCheckpoint();
  if (latest !== undefined) {
    const v = verifyCheckpoint(latest, verifierKeyOf(key));
    if (!v.ok) {
      await log.close();
      let signers = '';
      try {
        signers = ` (${parseNote(latest).signatures.map((s) => `${s.name}+${formatKeyId(s.keyId)}`).join(', ')})`;
      } catch {
        // a malformed checkpoint: v.reason says so
      }
      const reason = v.code === 'no-verified-signature' ? `the log is signed by another key${signers}` : v.reason;
      throw new UserError(`${dir}: ${reason}, not by ${key.name}+${formatKeyId(key.keyId)}`);
    }
  }
  return log;
}

/**
 * Appends a certificate's bytes to the log at `dir` (opened with {@link openLogForAppend}) and signs a
 * checkpoint covering it at once (a one-shot command cannot wait for the next batch), so that the returned
 * bundle is complete.
 */
export async function appendCertified(dir: string, key: NoteSignerKey, bytes: Uint8Array): Promise<Bundle> {
  const log = await openLogForAppend(dir, key);
  try {
    const { index } = await log.append(bytes);
    const checkpointer = new Checkpointer(log, key, { everyEntries: Infinity, everyMs: Infinity });
    try {
      return makeBundle(log, index, await checkpointer.flush());
    } finally {
      await checkpointer.close();
    }
  } finally {
    await log.close();
  }
}
