/**
 * The downstream MCP server: spawned over stdio with the SDK's client, watched for exit. A server that has
 * exited stays down (the gateway answers every call with an error saying so) rather than being restarted
 * behind the client's back.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { ToolListChangedNotificationSchema, type CallToolResult, type Tool } from '@modelcontextprotocol/sdk/types.js';

/** Per-call timeout for the downstream server, in milliseconds. */
export const CALL_TIMEOUT_MS = 60_000;

export class Downstream {
  readonly #client: Client;
  readonly #transport: StdioClientTransport;
  #down: string | undefined;
  #tools: Tool[] = [];

  constructor(
    readonly command: string,
    readonly args: readonly string[],
    cwd: string,
    private readonly onStderr: (line: string) => void,
    private readonly onDown: (why: string) => void,
  ) {
    this.#transport = new StdioClientTransport({ command, args: [...args], cwd, stderr: 'pipe' });
    this.#client = new Client({ name: 'writ-mcp-gateway', version: '0.1.0' });
    this.#client.onclose = () => this.#markDown('the downstream server exited or closed its stdio');
    this.#client.onerror = (e) => this.onStderr(`transport error: ${e.message}`);
    this.#client.setNotificationHandler(ToolListChangedNotificationSchema, () => this.onToolsChanged?.());
  }

  /** Called when the server says its tool list changed (the gateway tells its client in turn). */
  onToolsChanged: (() => void) | undefined;

  /**
   * Spawns the server, initialises the MCP session and reads its tools.
   * @throws Error when the process cannot be started or does not answer `initialize`
   */
  async start(): Promise<void> {
    const stderr = this.#transport.stderr;
    let buf = '';
    stderr?.on('data', (chunk: Buffer) => {
      buf += chunk.toString('utf8');
      let nl;
      while ((nl = buf.indexOf('\n')) !== -1) {
        this.onStderr(buf.slice(0, nl));
        buf = buf.slice(nl + 1);
      }
    });
    await this.#client.connect(this.#transport);
    this.#tools = await this.#listAll();
  }

  /** Every page of the server's tools/list. */
  async #listAll(): Promise<Tool[]> {
    const tools: Tool[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < 100; page++) {
      const r = await this.#client.listTools(cursor === undefined ? undefined : { cursor }, { timeout: CALL_TIMEOUT_MS });
      tools.push(...r.tools);
      cursor = r.nextCursor;
      if (cursor === undefined) break;
    }
    return tools;
  }

  /** The server's process id (after start). */
  get pid(): number | null {
    return this.#transport.pid;
  }

  /** Why the server is not usable, or undefined while it runs. */
  get down(): string | undefined {
    return this.#down;
  }

  /** The downstream tools: asked again while the server runs, the last list once it is down. */
  async tools(): Promise<Tool[]> {
    if (this.#down === undefined) {
      try {
        this.#tools = await this.#listAll();
      } catch {
        // Keep the last list; calls will report the failure.
      }
    }
    return this.#tools;
  }

  /**
   * Forwards one call.
   * @throws Error when the server is down, the connection closes mid-call, the call times out or `signal` aborts it
   */
  async call(name: string, args: Record<string, unknown>, signal?: AbortSignal): Promise<CallToolResult> {
    if (this.#down !== undefined) throw new Error(this.#down);
    // The client's cancellation (notifications/cancelled) cancels the downstream request too.
    const result = await this.#client.callTool({ name, arguments: args }, undefined, signal === undefined ? { timeout: CALL_TIMEOUT_MS } : { timeout: CALL_TIMEOUT_MS, signal });
    return result as CallToolResult;
  }

  async close(): Promise<void> {
    this.#down ??= 'the gateway is shutting down';
    await this.#client.close().catch(() => undefined);
  }

  #markDown(why: string): void {
    if (this.#down !== undefined) return;
    this.#down = why;
    this.onDown(why);
  }
}
