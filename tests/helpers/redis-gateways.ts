/**
 * Gateway child processes (tests/helpers/redis-gateway.mjs), each with its own RedisStateStore.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import path from 'node:path';

const SCRIPT = path.join(import.meta.dirname, 'redis-gateway.mjs');

export class Gateway {
  readonly #proc: ChildProcess;
  readonly #waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  readonly #ready: Promise<void>;
  #seq = 0;

  constructor(artifactPath: string, url: string, prefix: string) {
    this.#proc = spawn(process.execPath, [SCRIPT, artifactPath, url, prefix], { stdio: ['pipe', 'pipe', 'inherit'] });
    let markReady!: () => void;
    this.#ready = new Promise((r) => (markReady = r));
    const lines = createInterface({ input: this.#proc.stdout! });
    lines.on('line', (line) => {
      const msg = JSON.parse(line) as { ready?: boolean; seq?: number; out?: unknown; error?: string };
      if (msg.ready === true) return markReady();
      const w = this.#waiting.get(msg.seq!);
      this.#waiting.delete(msg.seq!);
      if (msg.error !== undefined) w?.reject(new Error(msg.error));
      else w?.resolve(msg.out);
    });
    this.#proc.once('exit', (code) => {
      for (const w of this.#waiting.values()) w.reject(new Error(`gateway exited with ${code}`));
      this.#waiting.clear();
    });
  }

  ready(): Promise<void> {
    return this.#ready;
  }

  call<T>(op: string, args: Record<string, unknown>): Promise<T> {
    const seq = ++this.#seq;
    return new Promise<T>((resolve, reject) => {
      this.#waiting.set(seq, { resolve: resolve as (v: unknown) => void, reject });
      this.#proc.stdin!.write(`${JSON.stringify({ seq, op, ...args })}\n`);
    });
  }

  /** Ends stdin (the child closes its store and exits) and waits for the exit. */
  async close(): Promise<void> {
    if (this.#proc.exitCode !== null || this.#proc.signalCode !== null) return;
    const exited = new Promise<void>((r) => this.#proc.once('exit', () => r()));
    this.#proc.stdin!.end();
    const timer = setTimeout(() => this.#proc.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }
}
