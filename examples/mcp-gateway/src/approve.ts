#!/usr/bin/env node
/**
 * `node examples/mcp-gateway/dist/approve.js --approvals <dir> --key <you>.key [--reject [--reason <text>]] <id>`
 * and `… --approvals <dir> --list`: the approver's side of the approvals directory.
 *
 * Shows the pending call, checks that what it shows is what the approval binds (the digest is recomputed
 * from the tool, arguments, agent and session shown), signs the decision with the approver's Ed25519 key
 * and drops it in `decisions/`, where the gateway picks it up.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { digestOfPending, statementBytes, writeAtomically, type ApprovalStatement, type PendingCall, type SignedDecision } from './approvals.js';
import { KeyFormatError, parsePrivateKey, signMessage, type PrivateKey } from './keys.js';

const HELP = `Usage: node examples/mcp-gateway/dist/approve.js --approvals <dir> --key <you>.key [--reject [--reason <text>]] <approval-id>
       node examples/mcp-gateway/dist/approve.js --approvals <dir> --list

Approves (or rejects) a tool call that a Writ MCP gateway holds pending. The decision is signed with your
Ed25519 key (the .key file of \`writ keygen --name <your id> --out <you>\`); the gateway accepts it only if
your id and public key are in its --approvers file and you hold a role the approval requires.

Options:
  --approvals <dir>   the gateway's approvals directory
  --key <file>        your private key file
  --reject            reject instead of approving (every identical call is then denied)
  --reason <text>     why (with --reject)
  --list              list the pending calls
  --json              print the pending call or the written decision as JSON

Exit codes: 0 written (or listed), 1 the pending call does not check out, 2 usage error.`;

class UsageError extends Error {}

function readPending(file: string): PendingCall {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as PendingCall;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UsageError(code === 'ENOENT' ? `${file}: no such pending call (already decided, expired, or a wrong id?)` : `${file}: ${(e as Error).message}`);
  }
}

function describe(p: PendingCall): string {
  const roles = p.requirements.map((r) => `${r.quorum} x ${r.role} (rule ${r.rule})`).join(', ');
  return `${p.id}  ${p.tool} ${JSON.stringify(p.args)}\n  agent ${p.agent}, session ${p.session ?? '-'}, needs ${roles}, expires ${p.expires_at}`;
}

function run(argv: string[]): number {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        approvals: { type: 'string' },
        key: { type: 'string' },
        reject: { type: 'boolean' },
        reason: { type: 'string' },
        list: { type: 'boolean' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  if (values.approvals === undefined) throw new UsageError('--approvals <dir> is required');
  const pendingDir = path.join(values.approvals, 'pending');
  if (values.list) {
    let names: string[];
    try {
      names = readdirSync(pendingDir).filter((n) => n.endsWith('.json') && !n.startsWith('.'));
    } catch (e) {
      throw new UsageError(`${pendingDir}: ${(e as Error).message}`);
    }
    const calls = names.map((n) => readPending(path.join(pendingDir, n)));
    if (values.json) process.stdout.write(`${JSON.stringify(calls, null, 2)}\n`);
    else process.stdout.write(calls.length === 0 ? 'no pending calls\n' : `${calls.map(describe).join('\n')}\n`);
    return 0;
  }
  const [id, ...extra] = positionals;
  if (id === undefined || extra.length > 0) throw new UsageError('give exactly one approval id (see --list)');
  if (!/^[0-9a-f-]{36}$/i.test(id)) throw new UsageError(`'${id}' is not an approval id`);
  if (values.key === undefined) throw new UsageError('--key <file> is required');
  if (values.reason !== undefined && !values.reject) throw new UsageError('--reason goes with --reject');
  let key: PrivateKey;
  try {
    key = parsePrivateKey(readFileSync(values.key, 'utf8'));
  } catch (e) {
    throw new UsageError(`${values.key}: ${e instanceof KeyFormatError ? e.message : (e as Error).message}`);
  }

  const pending = readPending(path.join(pendingDir, `${id}.json`));
  // Sign only what was shown: the digest the runtime binds must be the digest of the call on screen.
  const digest = digestOfPending(pending);
  if (pending.id !== id || digest !== pending.args_digest) {
    process.stderr.write(`approve: the pending call ${id} does not match its digest (${digest} != ${String(pending.args_digest)}); not signing\n`);
    return 1;
  }
  const statement: ApprovalStatement = {
    format: 'writ-mcp-gateway.approval/v1',
    id,
    args_digest: pending.args_digest,
    decision: values.reject ? 'reject' : 'approve',
    approver: key.name,
  };
  if (values.reason !== undefined) statement.reason = values.reason;
  const decision: SignedDecision = { ...statement, signature: signMessage(key, statementBytes(statement)) };
  const file = path.join(values.approvals, 'decisions', `${id}.${key.name}.json`);
  try {
    writeAtomically(file, `${JSON.stringify(decision, null, 2)}\n`);
  } catch (e) {
    throw new UsageError(`${file}: ${(e as Error).message}`);
  }
  if (values.json) process.stdout.write(`${JSON.stringify({ file, decision }, null, 2)}\n`);
  else process.stdout.write(`${describe(pending)}\n${statement.decision === 'approve' ? 'approved' : 'rejected'} by ${key.name}: wrote ${file}\n`);
  return 0;
}

try {
  process.exitCode = run(process.argv.slice(2));
} catch (e) {
  if (!(e instanceof UsageError)) throw e;
  process.stderr.write(`approve: ${e.message}\n`);
  process.exitCode = 2;
}
