/**
 * Out-of-band approvals through a directory, with signed decisions.
 *
 * The agent talks to the gateway over MCP; approvers never do. A pending call is written to
 * `pending/<id>.json` (what the call is: tool, arguments, agent, session, the digest an approval binds);
 * an approver signs a decision over that digest with their Ed25519 key (`approve.js`) and drops it in
 * `decisions/`; the gateway verifies the signature against the approver's public key from the approvers
 * file and records the approval in the runtime, which grants the identical call once. So an agent that can
 * write files cannot approve its own call (it has no approver key), an approval binds the exact arguments
 * shown to the approver, and the gateway holds only public keys.
 *
 * @packageDocumentation
 */
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { canonicalDigest, canonicalJson, type ApprovalRecord, type Policy, type Request } from '@writ/runtime';
import { KeyFormatError, parsePublicKey, verifyMessage, type PublicKey } from './keys.js';

/** A problem with the approvals directory or the approvers file: one line, the gateway does not start. */
export class ApprovalSetupError extends Error {}

export interface Approver {
  id: string;
  roles: string[];
  key: PublicKey;
}

/** What an approver signs. `reason` only on a rejection that gives one. */
export interface ApprovalStatement {
  format: 'writ-mcp-gateway.approval/v1';
  id: string;
  args_digest: string;
  decision: 'approve' | 'reject';
  approver: string;
  reason?: string;
}

/** A decision file in `decisions/`: the statement and its signature. */
export interface SignedDecision extends ApprovalStatement {
  /** Base64 Ed25519 signature of {@link statementBytes}. */
  signature: string;
}

/** What a pending file tells the approver. */
export interface PendingCall {
  id: string;
  tool: string;
  args: Record<string, unknown>;
  agent: string;
  session?: string;
  args_digest: string;
  requirements: ApprovalRecord['requirements'];
  expires_at: string;
  policy: { name: string; version: string; digest: string };
}

/** The bytes an approver signs: the RFC 8785 canonical JSON of the statement. */
export function statementBytes(s: ApprovalStatement): string {
  return canonicalJson(s);
}

/** The digest a runtime approval binds (SEMANTICS.md §5e), recomputed from what a pending file shows. */
export function digestOfPending(p: Pick<PendingCall, 'tool' | 'args' | 'agent' | 'session'>): string {
  return canonicalDigest({ tool: p.tool, args: p.args, agent: p.agent, session: p.session });
}

/**
 * Reads the approvers file: `{ "approvers": [{ "id", "roles": [...], "key": "<verifier key or file>" }] }`;
 * a `key` without `+` is a file (relative to the approvers file) holding the key string. The key's name
 * must be the approver's id.
 * @throws ApprovalSetupError naming the file and the problem
 */
export function readApprovers(file: string): Map<string, Approver> {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new ApprovalSetupError(`${file}: ${(e as Error).message}`);
  }
  const list = (json as { approvers?: unknown } | null)?.approvers;
  if (!Array.isArray(list)) throw new ApprovalSetupError(`${file}: expected { "approvers": [ { "id", "roles", "key" } ] }`);
  const out = new Map<string, Approver>();
  list.forEach((a: unknown, i) => {
    const where = `${file}: approvers[${i}]`;
    const { id, roles, key } = (a ?? {}) as { id?: unknown; roles?: unknown; key?: unknown };
    if (typeof id !== 'string' || id.length === 0) throw new ApprovalSetupError(`${where}.id must be a non-empty string`);
    if (!Array.isArray(roles) || !roles.every((r) => typeof r === 'string')) throw new ApprovalSetupError(`${where}.roles must be a list of strings`);
    if (typeof key !== 'string') throw new ApprovalSetupError(`${where}.key must be a verifier key or a file holding one`);
    let text = key;
    if (!key.includes('+')) {
      try {
        text = readFileSync(path.resolve(path.dirname(file), key), 'utf8');
      } catch (e) {
        throw new ApprovalSetupError(`${where}.key: ${(e as Error).message}`);
      }
    }
    let parsed: PublicKey;
    try {
      parsed = parsePublicKey(text);
    } catch (e) {
      throw new ApprovalSetupError(`${where}.key: ${e instanceof KeyFormatError ? e.message : String(e)}`);
    }
    if (parsed.name !== id) throw new ApprovalSetupError(`${where}: the key is named '${parsed.name}', not '${id}'`);
    if (out.has(id)) throw new ApprovalSetupError(`${where}: approver '${id}' is listed twice`);
    out.set(id, { id, roles: roles as string[], key: parsed });
  });
  return out;
}

function inside(child: string, parent: string): boolean {
  const rel = path.relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/** Writes a file whole or not at all (a reader never sees half of it). */
export function writeAtomically(file: string, text: string): void {
  const tmp = path.join(path.dirname(file), `.tmp-${process.pid}-${Date.now()}-${path.basename(file)}`);
  writeFileSync(tmp, text, { mode: 0o600 });
  renameSync(tmp, file);
}

export type DeskEvent =
  | { kind: 'applied'; id: string; approver: string; decision: 'approve' | 'reject'; status: ApprovalRecord['status'] }
  | { kind: 'refused'; file: string; reason: string };

/** The gateway's side of the approvals directory. */
export class ApprovalDesk {
  readonly pendingDir: string;
  readonly decisionsDir: string;
  readonly doneDir: string;
  /** Approvals this gateway wrote a pending file for and has not yet seen decided or expired. */
  readonly #pendingIds = new Set<string>();

  /**
   * Creates `dir/{pending,decisions,done}` (mode 0700).
   * @throws ApprovalSetupError when `dir` is inside the workspace (the agent could reach it through the
   *   downstream server) or `decisions/` is writable by group or others
   */
  constructor(
    readonly dir: string,
    workspace: string,
    private readonly policy: Policy,
    private readonly approvers: ReadonlyMap<string, Approver>,
    private readonly onEvent: (e: DeskEvent) => void,
  ) {
    this.pendingDir = path.join(dir, 'pending');
    this.decisionsDir = path.join(dir, 'decisions');
    this.doneDir = path.join(dir, 'done');
    try {
      for (const d of [dir, this.pendingDir, this.decisionsDir, this.doneDir]) {
        if (!existsSync(d)) {
          mkdirSync(d, { recursive: true, mode: 0o700 });
          chmodSync(d, 0o700);
        }
      }
    } catch (e) {
      throw new ApprovalSetupError(`--approvals ${dir}: ${(e as Error).message}`);
    }
    const real = realpathSync(dir);
    if (inside(real, workspace) || inside(workspace, real)) {
      throw new ApprovalSetupError(`--approvals ${dir} overlaps the workspace ${workspace}: the agent could write approvals there`);
    }
    const mode = statSync(this.decisionsDir).mode;
    if ((mode & 0o022) !== 0) {
      throw new ApprovalSetupError(`${this.decisionsDir} is writable by group or others (mode ${(mode & 0o777).toString(8)}): chmod 700 it`);
    }
  }

  /**
   * Writes `pending/<id>.json` for a call waiting for approval (once per approval id).
   * @throws Error when the file cannot be written
   */
  recordPending(record: ApprovalRecord, request: Request): string {
    const file = path.join(this.pendingDir, `${record.id}.json`);
    if (!existsSync(file)) {
      const pending: PendingCall = {
        id: record.id,
        tool: record.tool,
        args: request.args,
        agent: record.agent,
        args_digest: record.args_digest,
        requirements: record.requirements,
        expires_at: record.expires_at,
        policy: { name: this.policy.name, version: this.policy.version, digest: this.policy.digest },
      };
      if (record.session !== undefined) pending.session = record.session;
      writeAtomically(file, `${JSON.stringify(pending, null, 2)}\n`);
    }
    this.#pendingIds.add(record.id);
    return file;
  }

  /**
   * Applies every signed decision in `decisions/` that names one of this gateway's pending approvals,
   * then drops pending files whose approval is no longer pending. Decision files for approvals this gateway
   * does not know are left for the gateway that does. Never throws.
   */
  scan(): void {
    let names: string[];
    try {
      names = readdirSync(this.decisionsDir).filter((n) => n.endsWith('.json') && !n.startsWith('.'));
    } catch {
      return;
    }
    if (names.length > 0) {
      const records = new Map(this.policy.approvals().map((r) => [r.id, r]));
      for (const name of names) {
        try {
          this.#apply(path.join(this.decisionsDir, name), records);
        } catch (e) {
          this.onEvent({ kind: 'refused', file: name, reason: `internal error: ${(e as Error).message}` });
        }
      }
    }
    if (this.#pendingIds.size === 0) return;
    const status = new Map(this.policy.approvals().map((r) => [r.id, r.status]));
    for (const id of this.#pendingIds) {
      if (status.get(id) === 'pending') continue;
      this.#pendingIds.delete(id);
      rmSync(path.join(this.pendingDir, `${id}.json`), { force: true });
    }
  }

  /** Applies one decision file if it names one of this gateway's approvals. */
  #apply(file: string, records: Map<string, ApprovalRecord>): void {
    let d: SignedDecision;
    try {
      d = JSON.parse(readFileSync(file, 'utf8')) as SignedDecision;
    } catch (e) {
      this.#finish(file, { error: `not JSON: ${(e as Error).message}` });
      return;
    }
    if (typeof d !== 'object' || d === null || typeof d.id !== 'string') {
      this.#finish(file, { error: 'not a signed approval decision' });
      return;
    }
    const record = records.get(d.id);
    if (record === undefined) return;
    const refusal = this.#check(d, record);
    if (refusal !== undefined) {
      this.#finish(file, { error: refusal });
      return;
    }
    const approver = this.approvers.get(d.approver) as Approver;
    const who = { id: approver.id, roles: approver.roles };
    const result = d.decision === 'approve' ? this.policy.approve(d.id, who) : this.policy.reject(d.id, who, d.reason);
    if ('error' in result) {
      this.#finish(file, { error: result.error });
      return;
    }
    records.set(d.id, result);
    this.#finish(file, { record: result });
    this.onEvent({ kind: 'applied', id: d.id, approver: d.approver, decision: d.decision, status: result.status });
  }

  /** Why a decision is refused, or undefined when its signature and contents are good. */
  #check(d: SignedDecision, record: ApprovalRecord): string | undefined {
    if (d.format !== 'writ-mcp-gateway.approval/v1') return `unknown format ${JSON.stringify(d.format)}`;
    if (d.decision !== 'approve' && d.decision !== 'reject') return `decision must be "approve" or "reject"`;
    if (typeof d.approver !== 'string') return 'approver must be a string';
    const approver = this.approvers.get(d.approver);
    if (approver === undefined) return `'${d.approver}' is not in the approvers file`;
    if (d.reason !== undefined && typeof d.reason !== 'string') return 'reason must be a string';
    if (d.args_digest !== record.args_digest) return `signed for arguments ${String(d.args_digest)}, but the call's are ${record.args_digest}`;
    const statement: ApprovalStatement = { format: d.format, id: d.id, args_digest: d.args_digest, decision: d.decision, approver: d.approver };
    if (d.reason !== undefined) statement.reason = d.reason;
    if (typeof d.signature !== 'string' || !verifyMessage(approver.key, statementBytes(statement), d.signature)) {
      return `bad signature: not signed by ${d.approver}'s key`;
    }
    return undefined;
  }

  /** Removes the pending files of this gateway's approvals (at exit: the records live in its memory). */
  clearPending(): void {
    for (const id of this.#pendingIds) rmSync(path.join(this.pendingDir, `${id}.json`), { force: true });
    this.#pendingIds.clear();
  }

  /** Moves a processed decision to `done/` with its outcome beside it. */
  #finish(file: string, outcome: { error: string } | { record: ApprovalRecord }): void {
    const base = path.basename(file, '.json');
    try {
      renameSync(file, path.join(this.doneDir, `${base}.json`));
      writeAtomically(path.join(this.doneDir, `${base}.outcome.json`), `${JSON.stringify(outcome, null, 2)}\n`);
    } catch {
      // Another gateway sharing the directory took it first.
      return;
    }
    if ('error' in outcome) this.onEvent({ kind: 'refused', file, reason: outcome.error });
  }
}
