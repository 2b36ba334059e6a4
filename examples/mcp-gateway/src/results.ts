/**
 * MCP tool results the gateway produces itself: a deny, a pending approval, a withheld result, a
 * downstream failure. Each is a tool error result (`isError: true`, so the model sees the call did not
 * happen) with the reason in text, and the decision in `_meta["dev.writ/decision"]` for programs.
 */
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { Decision, Reason, ResultCheck } from '@writ/runtime';

/** `_meta` key of the gateway's decision summary on every result. */
export const META_KEY = 'dev.writ/decision';

export interface DecisionMeta {
  stage: 'call' | 'result' | 'downstream';
  effect: Decision['effect'] | 'error';
  denial?: Decision['denial'];
  reasons: Array<{ rule: string; message: string }>;
  approval?: { id: string; status: string; expires_at: string };
  policy?: { name: string; version: string; digest: string };
  /** Redaction tokens that replaced findings in the result (post `redact` rules). */
  redacted?: string[];
}

function reasonsOf(reasons: readonly Reason[]): DecisionMeta['reasons'] {
  return reasons.map((r) => ({ rule: r.rule, message: r.message }));
}

function ruleLines(reasons: readonly Reason[]): string {
  return reasons.map((r) => `  - ${r.message} (rule ${r.rule})`).join('\n');
}

function policyName(p: { name: string; version: string }): string {
  return `${p.name}@${p.version}`;
}

export function errorResult(text: string, meta: DecisionMeta): CallToolResult {
  return { content: [{ type: 'text', text }], isError: true, _meta: { [META_KEY]: meta } };
}

const DENIAL_TEXT: Record<NonNullable<Decision['denial']>, string> = {
  forbidden: 'a rule forbids it',
  not_permitted: 'no rule permits it',
  invalid_request: 'the call is malformed or unknown to the policy',
};

/** The call was denied before reaching the server. */
export function deniedResult(tool: string, d: Decision, declared: boolean): CallToolResult {
  const why = d.denial === undefined ? '' : ` (${DENIAL_TEXT[d.denial]})`;
  let text = `Denied by Writ policy ${policyName(d.policy)}${why}: ${tool} was not called.\n${ruleLines(d.reasons)}`;
  if (!declared) text += `\nThe policy does not declare the tool '${tool}'; undeclared tools are always denied.`;
  return errorResult(text, { stage: 'call', effect: 'deny', denial: d.denial, reasons: reasonsOf(d.reasons), policy: d.policy });
}

/** The call waits for an approver; `approveCommand` tells the user how to approve it. */
export function pendingResult(tool: string, d: Decision, pendingFile: string, approveCommand: string): CallToolResult {
  const a = d.approval;
  const id = a?.id ?? '(none)';
  const who = (a?.requirements ?? []).map((r) => `${r.quorum} approver(s) with role ${r.role}`).join(' and ');
  const text =
    `Pending approval ${id}: ${tool} needs ${who || 'an approval'} before it runs; it was not called.\n` +
    `${ruleLines(d.reasons)}\n` +
    `The approval expires at ${a?.expires_at ?? '?'}. The call is described in ${pendingFile}.\n` +
    `An approver approves it out of band with:\n  ${approveCommand}\n` +
    `Then call ${tool} again with exactly the same arguments; any other arguments need their own approval.`;
  const meta: DecisionMeta = { stage: 'call', effect: 'pending_approval', reasons: reasonsOf(d.reasons), policy: d.policy };
  if (a !== undefined) meta.approval = { id: a.id, status: a.status, expires_at: a.expires_at };
  return errorResult(text, meta);
}

/** The server ran the call but a post rule withholds the result. */
export function withheldResult(tool: string, c: ResultCheck): CallToolResult {
  const text = `Result withheld by Writ policy ${policyName(c.policy)}: ${tool} ran, but its result may not be shown.\n${ruleLines(c.reasons)}`;
  return errorResult(text, { stage: 'result', effect: 'deny', reasons: reasonsOf(c.reasons), policy: c.policy });
}

/** The call was allowed but the downstream server failed it (down, closed mid-call, timed out). */
export function downstreamFailed(tool: string, message: string): CallToolResult {
  return errorResult(`${tool} was allowed, but the downstream MCP server failed: ${message}`, {
    stage: 'downstream',
    effect: 'error',
    reasons: [{ rule: 'gateway:downstream', message }],
  });
}
