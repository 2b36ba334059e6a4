// A small LSP client over stdio for tests and benchmarks: spawns the built server, speaks JSON-RPC with
// vscode-jsonrpc, records published diagnostics and lets a test wait for them.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter, type MessageConnection } from 'vscode-jsonrpc/node';

const repo = path.resolve(import.meta.dirname, '..', '..');

export interface Diag {
  range: { start: { line: number; character: number }; end: { line: number; character: number } };
  severity?: number;
  code?: string | number;
  source?: string;
  message: string;
  relatedInformation?: Array<{ location: { uri: string }; message: string }>;
  data?: unknown;
}

export interface StartOptions {
  /** Workspace folder. */
  root: string;
  initializationOptions?: Record<string, unknown>;
  /** `writ` (packages/cli, `writ lsp --stdio`) or `writ-lsp` (the lsp package's bin shim). */
  via?: 'writ' | 'writ-lsp';
}

export const uriOf = (p: string): string => pathToFileURL(p).href;

export class LspClient {
  readonly diagnostics = new Map<string, Diag[]>();
  readonly diagnosticsVersion = new Map<string, number | undefined>();
  readonly notifications: Array<{ method: string; params: unknown }> = [];
  readonly stderr: string[] = [];
  initializeResult: { capabilities: Record<string, unknown> } | undefined;
  private waiters: Array<() => void> = [];
  exited = false;

  private constructor(
    readonly proc: ChildProcess,
    readonly conn: MessageConnection,
  ) {}

  static async start(o: StartOptions): Promise<LspClient> {
    const args = o.via === 'writ-lsp' ? [path.join(repo, 'packages/lsp/bin/writ-lsp.js'), '--stdio'] : [path.join(repo, 'packages/cli/dist/bin.js'), 'lsp', '--stdio'];
    const proc = spawn(process.execPath, args, { cwd: repo, stdio: ['pipe', 'pipe', 'pipe'] });
    const conn = createMessageConnection(new StreamMessageReader(proc.stdout!), new StreamMessageWriter(proc.stdin!));
    const c = new LspClient(proc, conn);
    proc.stderr!.on('data', (b: Buffer) => c.stderr.push(b.toString()));
    proc.on('exit', () => {
      c.exited = true;
      c.wake();
    });
    conn.onNotification('textDocument/publishDiagnostics', (p: { uri: string; version?: number; diagnostics: Diag[] }) => {
      c.diagnostics.set(p.uri, p.diagnostics);
      c.diagnosticsVersion.set(p.uri, p.version);
      c.wake();
    });
    conn.onNotification((method: string, params: unknown) => {
      c.notifications.push({ method, params });
      c.wake();
    });
    conn.onRequest('workspace/configuration', () => []);
    conn.onRequest('client/registerCapability', () => null);
    conn.onRequest('window/workDoneProgress/create', () => null);
    conn.listen();
    c.initializeResult = (await conn.sendRequest('initialize', {
      processId: process.pid,
      rootUri: uriOf(o.root),
      workspaceFolders: [{ uri: uriOf(o.root), name: path.basename(o.root) }],
      capabilities: { textDocument: { publishDiagnostics: { relatedInformation: true } } },
      initializationOptions: o.initializationOptions ?? {},
    })) as LspClient['initializeResult'];
    await conn.sendNotification('initialized', {});
    return c;
  }

  private wake(): void {
    const ws = this.waiters;
    this.waiters = [];
    for (const w of ws) w();
  }

  /** Resolves when `cond()` holds (checked after every message), or rejects after `ms`. */
  async until<T>(cond: () => T | undefined | false, ms = 10_000, what = 'condition'): Promise<T> {
    const deadline = Date.now() + ms;
    for (;;) {
      const v = cond();
      if (v) return v;
      if (this.exited) throw new Error(`server exited while waiting for ${what}; stderr: ${this.stderr.join('')}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(left, 200));
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** Waits for a diagnostics publication for `uri` that satisfies `pred`. */
  diagnosticsFor(uri: string, pred: (ds: Diag[]) => boolean = () => true, ms = 10_000): Promise<Diag[]> {
    return this.until(() => {
      const ds = this.diagnostics.get(uri);
      return ds && pred(ds) ? ds : undefined;
    }, ms, `diagnostics for ${uri}`);
  }

  request<T = unknown>(method: string, params: unknown): Promise<T> {
    return this.conn.sendRequest(method, params) as Promise<T>;
  }

  notify(method: string, params: unknown): Promise<void> {
    return this.conn.sendNotification(method, params);
  }

  open(uri: string, text: string, version = 1): Promise<void> {
    return this.notify('textDocument/didOpen', { textDocument: { uri, languageId: 'writ', version, text } });
  }

  change(uri: string, version: number, contentChanges: unknown[]): Promise<void> {
    return this.notify('textDocument/didChange', { textDocument: { uri, version }, contentChanges });
  }

  async stop(): Promise<void> {
    if (this.exited) return;
    try {
      await Promise.race([this.request('shutdown', null), new Promise((r) => setTimeout(r, 5000))]);
      await this.notify('exit', null);
    } catch {
      // already gone
    }
    await Promise.race([this.until(() => this.exited, 5000, 'exit').catch(() => undefined), new Promise((r) => setTimeout(r, 5000))]);
    if (!this.exited) this.proc.kill();
    this.conn.dispose();
  }
}
