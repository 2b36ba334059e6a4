/**
 * Small durable-file helpers for the file log (Node only): directory fsync, atomic replace, durable append,
 * and a process lock file.
 *
 * @module
 */
import { link, open, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';

/**
 * Flushes a directory's entries (new names, renames) to stable storage. A no-op on Windows, where directories
 * cannot be opened for fsync.
 *
 * @param dir - directory path.
 * @throws the `fs` error when the directory cannot be opened or synced (POSIX).
 */
export async function fsyncDir(dir: string): Promise<void> {
  if (process.platform === 'win32') return;
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/**
 * Writes all of `data` at `position`, looping over short writes.
 *
 * @param fh - open file handle.
 * @param data - bytes to write.
 * @param position - file offset in bytes.
 * @throws the `fs` error of a failed write.
 */
export async function writeFully(fh: FileHandle, data: Uint8Array, position: number): Promise<void> {
  let done = 0;
  while (done < data.length) {
    const { bytesWritten } = await fh.write(data, done, data.length - done, position + done);
    if (bytesWritten <= 0) throw new Error('write made no progress');
    done += bytesWritten;
  }
}

/**
 * Replaces `path` atomically and durably: writes `path.tmp`, fsyncs it, renames it over `path`, fsyncs the
 * directory. After a crash, `path` holds either the old or the new content, never a mix.
 *
 * @param dir - directory containing `path` (for the directory fsync).
 * @param path - destination file.
 * @param data - new content.
 * @throws the `fs` error of any step (the temporary file may remain; it is overwritten next time).
 */
export async function writeFileAtomic(dir: string, path: string, data: Uint8Array | string): Promise<void> {
  const tmp = `${path}.tmp`;
  const fh = await open(tmp, 'w');
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, path);
  await fsyncDir(dir);
}

/**
 * Appends `data` to `path` (creating it) and fsyncs before returning; fsyncs the directory when the file is new.
 *
 * @param dir - directory containing `path`.
 * @param path - file to append to.
 * @param data - bytes or text to append.
 * @throws the `fs` error of any step.
 */
export async function appendDurably(dir: string, path: string, data: Uint8Array | string): Promise<void> {
  let created = false;
  let fh: FileHandle;
  try {
    fh = await open(path, 'ax');
    created = true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    fh = await open(path, 'a');
  }
  try {
    await fh.appendFile(data);
    await fh.datasync();
  } finally {
    await fh.close();
  }
  if (created) await fsyncDir(dir);
}

/**
 * Tells whether a process with this id exists (signal 0 probe; EPERM means it exists but is not ours).
 *
 * @param pid - process id.
 * @returns `true` when the process exists.
 */
export function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Takes a lock file holding this process's id. The file is written under a temporary name and hard-linked into
 * place, so it never exists without its content. A lock left by a process that no longer exists is stale and
 * taken over; a lock naming this very process is treated as held. This guards against accidental concurrent opens; it is not a defence against a racing
 * adversary, and PID reuse can make a stale lock look live (then delete it by hand).
 *
 * @param path - lock file path.
 * @returns `undefined` on success, or the pid of the live holder (−1 if the lock kept changing hands).
 * @throws the `fs` error of an unexpected failure.
 */
export async function acquireLockFile(path: string): Promise<number | undefined> {
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, `${process.pid}\n`);
  try {
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        await link(tmp, path);
        return undefined;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      }
      const text = await readFile(path, 'utf8').catch(() => '');
      const pid = Number.parseInt(text, 10);
      // Our own pid means another FileLog in this process holds it (e.g. opened through a symlink): refuse.
      if (Number.isSafeInteger(pid) && pid > 0 && (pid === process.pid || processExists(pid))) return pid;
      await unlink(path).catch((e: NodeJS.ErrnoException) => {
        if (e.code !== 'ENOENT') throw e;
      });
    }
    return -1;
  } finally {
    await unlink(tmp).catch(() => undefined);
  }
}

/**
 * Removes a lock file taken by {@link acquireLockFile} if it still names this process.
 *
 * @param path - lock file path.
 */
export async function releaseLockFile(path: string): Promise<void> {
  const text = await readFile(path, 'utf8').catch(() => '');
  if (Number.parseInt(text, 10) === process.pid) await unlink(path).catch(() => undefined);
}
