/**
 * The MCP server the client talks to: lists the downstream tools the policy declares and decides every
 * `tools/call` with the embedded runtime before forwarding it, then post-checks the result.
 *
 * The arguments are decided exactly as the client sent them (the gateway normalises no path, so the
 * policy sees every `..`), and what is forwarded is what was decided (or the pre-redacted arguments a
 * `pre … redact` rule asks for).
 */
import { randomUUID } from 'node:crypto';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { CallToolRequestSchema, ListToolsRequestSchema, type CallToolResult, type Tool } from '@modelcontextprotocol/sdk/types.js';
import type { Decision, Policy, Request } from '@writ/runtime';
import type { ApprovalDesk } from './approvals.js';
import type { Downstream } from './downstream.js';
import { deniedResult, downstreamFailed, META_KEY, pendingResult, withheldResult, type DecisionMeta } from './results.js';

export interface ProxyOptions {
  policy: Policy;
  downstream: Downstream;
  desk: ApprovalDesk;
  agent: string;
  /** Real path of the workspace, without a trailing separator. */
  workspace: string;
  showUndeclared: boolean;
  /** The command an approver runs for approval `id`. */
  approveCommand: (id: string) => string;
  /** One line per decision, for the operator (stderr). */
  log: (line: string) => void;
}

/** Tools that an approve rule (or `*` approve rule) covers: marked in tools/list. */
function approvalTools(policy: Policy): Set<string> {
  const out = new Set<string>();
  for (const r of policy.artifact.rules) if (r.effect === 'approve') for (const t of r.tools) out.add(t);
  return out;
}

export class GatewayProxy {
  readonly server: Server;
  /** One session per gateway process (one client per stdio gateway): scopes approvals, taint, vaults. */
  readonly session = `mcp-${randomUUID()}`;
  readonly #approval: Set<string>;

  constructor(private readonly o: ProxyOptions) {
    this.#approval = approvalTools(o.policy);
    this.server = new Server({ name: 'writ-mcp-gateway', version: '0.1.0' }, { capabilities: { tools: { listChanged: true } } });
    this.server.setRequestHandler(ListToolsRequestSchema, async () => ({ tools: await this.listTools() }));
    this.server.setRequestHandler(CallToolRequestSchema, async (req, extra) => this.callTool(req.params.name, req.params.arguments, extra.signal));
    o.downstream.onToolsChanged = () => void this.server.sendToolListChanged().catch(() => undefined);
  }

  /** Declared downstream tools (marked when they need approval); undeclared ones hidden or marked as denied. */
  async listTools(): Promise<Tool[]> {
    const declared = this.o.policy.artifact.tools;
    const out: Tool[] = [];
    for (const t of await this.o.downstream.tools()) {
      if (!Object.hasOwn(declared, t.name)) {
        if (this.o.showUndeclared) out.push({ ...t, description: `[Writ: not declared in the policy; every call is denied] ${t.description ?? ''}`.trim() });
        continue;
      }
      const all = this.#approval.has('*') || this.#approval.has(t.name);
      out.push(all ? { ...t, description: `[Writ: calls may wait for human approval] ${t.description ?? ''}`.trim() } : t);
    }
    return out;
  }

  /** Decides, forwards and post-checks one call. Never throws: every failure is a tool error result. */
  async callTool(tool: string, args: Record<string, unknown> | undefined, signal?: AbortSignal): Promise<CallToolResult> {
    this.o.desk.scan();
    const request: Request = {
      agent: { id: this.o.agent },
      tool,
      args: args ?? {},
      context: { session: this.session, workspace: this.o.workspace, workspace_prefix: `${this.o.workspace}/` },
    };
    const decision = this.o.policy.decide(request);
    this.#logDecision('call', tool, decision.effect, decision);
    if (decision.effect === 'deny') return deniedResult(tool, decision, Object.hasOwn(this.o.policy.artifact.tools, tool));
    if (decision.effect === 'pending_approval') {
      const id = decision.approval?.id ?? '';
      let file = '(no record)';
      try {
        if (decision.approval !== undefined) file = this.o.desk.recordPending(decision.approval, request);
      } catch (e) {
        // The call stays pending either way; the approver cannot see it until the directory is fixed.
        file = `(not written: ${(e as Error).message})`;
        this.o.log(`pending ${id}: could not write the pending file: ${(e as Error).message}`);
      }
      return pendingResult(tool, decision, file, this.o.approveCommand(id));
    }
    let forward = request.args;
    for (const ob of decision.obligations) {
      if (ob.type === 'redact' && ob.target === 'args') forward = ob.value as Record<string, unknown>;
    }
    let result: CallToolResult;
    try {
      result = await this.o.downstream.call(tool, forward, signal);
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      this.o.log(`downstream ${tool}: ${message}`);
      return downstreamFailed(tool, message);
    }
    const check = this.o.policy.checkResult(request, result);
    if (check.effect === 'deny' || check.result === undefined) {
      this.#logDecision('result', tool, 'deny', check);
      return withheldResult(tool, check);
    }
    const redactions = [...new Set(check.obligations.flatMap((o) => (o.type === 'redact' ? o.tokens.map((t) => t.token) : [])))];
    this.o.log(`result ${tool} -> allow${redactions.length > 0 ? ` with ${redactions.join(', ')} redacted` : ''}`);
    const checked = check.result as CallToolResult;
    const meta: DecisionMeta = { stage: 'result', effect: 'allow', reasons: decision.reasons.map((r) => ({ rule: r.rule, message: r.message })), policy: decision.policy };
    if (redactions.length > 0) meta.redacted = redactions;
    return { ...checked, _meta: { ...(checked._meta ?? {}), [META_KEY]: meta } };
  }

  #logDecision(stage: string, tool: string, effect: string, d: Pick<Decision, 'reasons'>): void {
    const r = d.reasons[0];
    const rule = r === undefined ? '' : ` ${r.rule}: ${r.message}`;
    this.o.log(`${stage} ${tool} -> ${effect}${rule}`);
  }
}
