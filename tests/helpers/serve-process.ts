/**
 * Runs `writ serve` as a user does (the built CLI, a real port) and reads its JSON event lines.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import path from 'node:path';

export const repo = path.resolve(import.meta.dirname, '../..');
export const bin = path.join(repo, 'packages/cli/dist/bin.js');

export interface ServeEvent {
  event: string;
  [k: string]: unknown;
}

export class ServeProcess {
  readonly events: ServeEvent[] = [];
  stderr = '';
  readonly exited: Promise<number | null>;
  #waiters: Array<{ pred: (e: ServeEvent) => boolean; resolve: (e: ServeEvent) => void }> = [];

  private constructor(readonly child: ChildProcessWithoutNullStreams) {
    let buf = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      buf += chunk;
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (line.trim() === '') continue;
        const e = JSON.parse(line) as ServeEvent;
        this.events.push(e);
        this.#waiters = this.#waiters.filter((w) => (w.pred(e) ? (w.resolve(e), false) : true));
      }
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (this.stderr += chunk));
    this.exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
  }

  /** Starts `writ serve --json --port 0 …args` and waits for it to listen. */
  static async start(args: string[], cwd = repo): Promise<{ proc: ServeProcess; url: string }> {
    const child = spawn(process.execPath, [bin, 'serve', '--json', '--port', '0', ...args], { cwd, env: { ...process.env, NO_COLOR: '1' } });
    const proc = new ServeProcess(child);
    const listening = proc.next((e) => e.event === 'listening', 20_000);
    const failed = proc.exited.then((code) => {
      throw new Error(`writ serve exited with ${code} before listening: ${proc.stderr}`);
    });
    const e = await Promise.race([listening, failed]);
    return { proc, url: e['url'] as string };
  }

  /** The next event (after now) matching `pred`. */
  next(pred: (e: ServeEvent) => boolean, timeoutMs = 10_000): Promise<ServeEvent> {
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no matching event within ${timeoutMs} ms; events: ${JSON.stringify(this.events)}; stderr: ${this.stderr}`)), timeoutMs);
      this.#waiters.push({ pred, resolve: (e) => (clearTimeout(t), resolve(e)) });
    });
  }

  /** SIGTERM, and the exit code. */
  async stop(): Promise<number | null> {
    if (this.child.exitCode === null) this.child.kill('SIGTERM');
    return this.exited;
  }
}
