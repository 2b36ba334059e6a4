/**
 * Command line of the gateway: `gateway.js --workspace <dir> [options] -- <downstream command...>`.
 */
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

/** A mistake in the command line: printed as one line, exit 2. */
export class UsageError extends Error {}

export interface GatewayOptions {
  /** The directory the agent may work in, as given (resolved by the gateway). */
  workspace: string;
  /** A `.writ` file, a directory of them, or a compiled artifact (`.json`). */
  policy: string;
  /** The agent id every request is decided as. */
  agent: string;
  /** Approvals directory (pending/, decisions/, done/). */
  approvals: string;
  /** Approvers file (ids, roles, Ed25519 verifier keys); without one, no call can be approved. */
  approvers: string | undefined;
  /** List tools the policy does not declare (marked, and still denied) instead of hiding them. */
  showUndeclared: boolean;
  /** How often the approvals directory is scanned, in milliseconds. */
  pollMs: number;
  /** The downstream MCP server, spawned over stdio. */
  downstream: { command: string; args: string[] };
}

/** The example's own policy, next to `dist/`. */
export const DEFAULT_POLICY = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'policy.writ');

function defaultApprovalsDir(): string {
  const state = process.env['XDG_STATE_HOME'] ?? path.join(os.homedir(), '.local', 'state');
  return path.join(state, 'writ-mcp-gateway');
}

export const HELP = `Usage: node examples/mcp-gateway/dist/gateway.js --workspace <dir> [options] -- <command> [args...]

An MCP server over stdio that fronts another MCP server (<command>, spawned over stdio). Every tools/call
is decided by a Writ policy before it is forwarded, and every result is post-checked before it is returned.

Options:
  --workspace <dir>     the directory the agent may work in (required); its real path (symlinks resolved)
                        is given to the policy as context.workspace and context.workspace_prefix
  --policy <path>       .writ file, directory of .writ files, or compiled artifact (.json)
                        (default: the example's policy.writ)
  --agent <id>          agent id the calls are decided as (default: mcp-client)
  --approvals <dir>     approvals directory: pending/ (written by the gateway), decisions/ (signed decisions
                        written by approvers), done/ (default: $XDG_STATE_HOME/writ-mcp-gateway)
  --approvers <file>    JSON file of approvers: [{ "id", "roles": [...], "key": "<file.pub or key>" }];
                        without it no pending call can be approved
  --show-undeclared     list tools the policy does not declare (marked as denied) instead of hiding them
  --poll <ms>           how often decisions/ is scanned (default: 500)
  -h, --help            show this help

Approve a pending call with: node examples/mcp-gateway/dist/approve.js --approvals <dir> --key <you>.key <id>

Exit codes: 0 stopped cleanly, 2 usage error, 3 the policy does not compile or load, 4 the downstream server
could not be started, 70 internal error.`;

/**
 * @throws UsageError for unknown options, a missing --workspace or downstream command, a bad --poll
 */
export function parseGatewayArgs(argv: readonly string[]): GatewayOptions | 'help' {
  const dash = argv.indexOf('--');
  const own = dash === -1 ? [...argv] : argv.slice(0, dash);
  const downstream = dash === -1 ? [] : argv.slice(dash + 1);
  let values;
  try {
    ({ values } = parseArgs({
      args: own,
      strict: true,
      allowPositionals: false,
      options: {
        workspace: { type: 'string' },
        policy: { type: 'string' },
        agent: { type: 'string' },
        approvals: { type: 'string' },
        approvers: { type: 'string' },
        'show-undeclared': { type: 'boolean' },
        poll: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  if (values.help) return 'help';
  if (values.workspace === undefined) throw new UsageError('--workspace <dir> is required');
  const [command, ...args] = downstream;
  if (command === undefined) throw new UsageError('no downstream server: put its command after `--`');
  const pollMs = values.poll === undefined ? 500 : Number(values.poll);
  if (!Number.isSafeInteger(pollMs) || pollMs < 10) throw new UsageError(`--poll ${values.poll}: a whole number of milliseconds, at least 10`);
  if (values.agent !== undefined && values.agent.length === 0) throw new UsageError('--agent must not be empty');
  return {
    workspace: values.workspace,
    policy: values.policy ?? DEFAULT_POLICY,
    agent: values.agent ?? 'mcp-client',
    approvals: values.approvals ?? defaultApprovalsDir(),
    approvers: values.approvers,
    showUndeclared: values['show-undeclared'] ?? false,
    pollMs,
    downstream: { command, args },
  };
}
