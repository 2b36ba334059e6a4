/**
 * Approvals: binding a call to an approval record by the digest of its canonical arguments, quorum,
 * expiry, and the approve / reject operations. See SEMANTICS.md §5e.
 *
 * @packageDocumentation
 */
import { canonicalJson, sha256Hex } from '../artifact/digest.js';
import type { ApprovalSpec } from '../artifact/types.js';
import type { ApprovalRecord, Reason } from '../decision/types.js';
import type { EvalCtx } from '../eval/context.js';
import type { AsyncStateStore } from '../state/async.js';
import type { StateStore } from '../state/store.js';
import { RULE_APPROVAL, makeReason } from './reasons.js';

/** One approval an approve rule or an approval-requiring flow asks for. */
export interface Requirement {
  rule: string;
  spec: ApprovalSpec;
}

/** Who approves or rejects. */
export interface Approver {
  id: string;
  roles: string[];
}

export type ApprovalOutcome =
  | { kind: 'pending'; record: ApprovalRecord }
  | { kind: 'deny'; record: ApprovalRecord; reason: Reason }
  | { kind: 'granted'; record: ApprovalRecord }
  /** Expired with `else allow`: the call proceeds. */
  | { kind: 'timeout_allow'; record: ApprovalRecord; reason: Reason };

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function randomId(): string {
  const c = (globalThis as { crypto?: { randomUUID?: () => string } }).crypto;
  if (c?.randomUUID !== undefined) return c.randomUUID();
  // Fallback for old runtimes without WebCrypto: not cryptographically strong, but unique enough for ids.
  const hex = (n: number) => Math.floor(Math.random() * 16 ** n).toString(16).padStart(n, '0');
  return `${hex(8)}-${hex(4)}-4${hex(3)}-${(8 + Math.floor(Math.random() * 4)).toString(16)}${hex(3)}-${hex(12)}`;
}

/** `sha256:` of the RFC 8785 form of `{ tool, args, agent, session }` (args normalised; no session: omitted). */
export function approvalDigest(c: EvalCtx): string {
  // The members written in canonical order (agent < args < session < tool) around the canonical `args`: the
  // bytes canonicalJson gives the whole object, without building and reordering it on every pending call.
  let text = '{"agent":' + JSON.stringify(c.agentId) + ',"args":' + canonicalJson(c.args);
  if (c.session !== undefined) text += ',"session":' + JSON.stringify(c.session);
  return sha256Hex(text + ',"tool":' + JSON.stringify(c.tool.name) + '}');
}

/**
 * True if the approvals fill every requirement with separation of duties: each requirement needs `quorum`
 * distinct approvers who approved with its role, and each approver counts toward **at most one**
 * requirement (one person holding `lead` and `cfo` fills the lead requirement or the cfo one, not both).
 * Decided as a bipartite matching of approvers to requirement slots (one slot per unit of quorum) that
 * must fill every slot: Kuhn's augmenting-path algorithm, O(slots × approvals); slots are few.
 */
export function isGranted(r: ApprovalRecord): boolean {
  // Each approver's roles, as approved.
  const rolesOf = new Map<string, Set<string>>();
  for (const a of r.approvals) {
    let roles = rolesOf.get(a.approver);
    if (roles === undefined) rolesOf.set(a.approver, (roles = new Set()));
    roles.add(a.role);
  }
  const slots: string[] = [];
  for (const q of r.requirements) for (let k = 0; k < q.quorum; k++) slots.push(q.role);
  if (slots.length > rolesOf.size) return false;
  const approvers = [...rolesOf.keys()];
  const slotOf = new Map<string, number>(); // approver -> the slot it fills
  const augment = (slot: number, seen: Set<string>): boolean => {
    for (const who of approvers) {
      if (seen.has(who) || !rolesOf.get(who)!.has(slots[slot]!)) continue;
      seen.add(who);
      const other = slotOf.get(who);
      if (other === undefined || augment(other, seen)) {
        slotOf.set(who, slot);
        return true;
      }
    }
    return false;
  };
  for (let i = 0; i < slots.length; i++) if (!augment(i, new Set())) return false;
  return true;
}

/** Parsed `expires_at` values: a repeated pending call reads the same record's expiry again (bounded). */
const expiries = new Map<string, number>();
const EXPIRIES_MAX = 1024;

function expiresAt(r: ApprovalRecord): number {
  const s = r.expires_at;
  let t = expiries.get(s);
  if (t === undefined) {
    t = Date.parse(s);
    if (Number.isNaN(t)) t = -Infinity;
    if (expiries.size >= EXPIRIES_MAX) expiries.clear();
    expiries.set(s, t);
  }
  return t;
}

/** A record is expired when `now` is past `expires_at` and it is still waiting for approvals. */
export function isExpired(r: ApprovalRecord, now: number): boolean {
  return r.status === 'expired' || (r.status === 'pending' && now > expiresAt(r));
}

/** What `reqs` ask of a record: the deduplicated requirements, the shortest window, and the timeout effect. */
interface Wanted {
  requirements: ApprovalRecord['requirements'];
  on_timeout: 'deny' | 'allow';
  withinMs: number;
}

function wantedBy(reqs: readonly Requirement[]): Wanted {
  const seen = new Set<string>();
  const requirements: ApprovalRecord['requirements'] = [];
  let within = Infinity;
  let onTimeout: 'deny' | 'allow' = 'allow';
  for (const { rule, spec } of reqs) {
    within = Math.min(within, spec.withinMs);
    if (spec.onTimeout === 'deny') onTimeout = 'deny';
    const key = `${rule}\u0000${spec.role}\u0000${spec.quorum}`;
    if (seen.has(key)) continue;
    seen.add(key);
    requirements.push({ rule, role: spec.role, quorum: spec.quorum });
  }
  return { requirements, on_timeout: onTimeout, withinMs: within };
}

function newRecord(w: Wanted, c: EvalCtx, digest: string): ApprovalRecord {
  const record: ApprovalRecord = {
    id: randomId(),
    args_digest: digest,
    tool: c.tool.name,
    agent: c.agentId,
    requirements: w.requirements,
    approvals: [],
    rejections: [],
    status: 'pending',
    created_at: iso(c.now),
    expires_at: iso(c.now + w.withinMs),
    on_timeout: w.on_timeout,
  };
  if (c.session !== undefined) record.session = c.session;
  return record;
}

/**
 * True if an approval under `held`'s requirements is an approval under `wanted`'s: for every role, `held`
 * asks for at least as many approvers of that role (the sum of its requirements' quorums; approvers count
 * toward one requirement each, so that sum is how many distinct approvers of the role a grant had), and a
 * timeout that denies is not weakened to one that allows. Which rule asked does not matter.
 */
export function coversRequirements(held: ApprovalRecord, wanted: Pick<ApprovalRecord, 'requirements' | 'on_timeout'>): boolean {
  if (wanted.on_timeout === 'deny' && held.on_timeout !== 'deny') return false;
  const need = new Map<string, number>();
  for (const q of wanted.requirements) need.set(q.role, (need.get(q.role) ?? 0) + q.quorum);
  for (const q of held.requirements) need.set(q.role, (need.get(q.role) ?? 0) - q.quorum);
  for (const left of need.values()) if (left > 0) return false;
  return true;
}

/**
 * Finds or creates the approval record for this exact call and says what it means now:
 * - none live (never asked, or the last one was used or already expired), or a pending or granted one
 *   whose requirements do not cover what the call requires now ({@link coversRequirements}: the context,
 *   the agent's attributes, the time or a reloaded policy ask for more): a new pending record (stored
 *   unless `dryRun`, superseding the old one) → pending;
 * - pending, not expired → pending; pending and past `expires_at` → marked expired, then `on_timeout`
 *   decides (deny, or proceed as allowed);
 * - rejected → deny naming the rejector; granted → the caller may allow (and marks it used).
 */
export function resolveApproval(reqs: readonly Requirement[], c: EvalCtx, dryRun: boolean): ApprovalOutcome {
  const store = c.store;
  const digest = approvalDigest(c);
  let record = store.approvalFind(digest);
  if (record !== undefined && (record.status === 'used' || record.status === 'expired')) record = undefined;
  // A rejection stands whatever is asked now; a pending or granted record counts only if it asks enough.
  // (The id and timestamps of a new record are made only when one is created: a repeated pending call
  // compares requirements only.)
  let supersedes: string | undefined;
  let wanted: Wanted | undefined;
  if (record !== undefined && record.status !== 'rejected') {
    wanted = wantedBy(reqs);
    if (!coversRequirements(record, wanted)) {
      supersedes = record.id;
      record = undefined;
    }
  }
  if (record === undefined) {
    const fresh = newRecord(wanted ?? wantedBy(reqs), c, digest);
    record = dryRun ? fresh : store.approvalCreate(fresh, supersedes);
  }
  switch (record.status) {
    case 'granted':
      return { kind: 'granted', record };
    case 'rejected': {
      const last = record.rejections[record.rejections.length - 1];
      const by = last === undefined ? 'an approver' : `'${last.approver}' (${last.role})`;
      const why = last?.reason === undefined ? '' : `: ${last.reason}`;
      return { kind: 'deny', record, reason: makeReason(RULE_APPROVAL, 'approval', `approval ${record.id} rejected by ${by}${why}`) };
    }
    default: {
      if (c.now <= expiresAt(record)) return { kind: 'pending', record };
      const expired: ApprovalRecord = { ...record, status: 'expired' };
      if (!dryRun) store.approvalSwap(expired, record);
      if (expired.on_timeout === 'deny') {
        return { kind: 'deny', record: expired, reason: makeReason(RULE_APPROVAL, 'approval', `approval ${record.id} expired`) };
      }
      return {
        kind: 'timeout_allow',
        record: expired,
        reason: makeReason(RULE_APPROVAL, 'approval', `approval ${record.id} expired; on timeout the call is allowed`),
      };
    }
  }
}

function checkApprover(approver: unknown): Approver | string {
  if (typeof approver !== 'object' || approver === null) return 'approver must be an object { id, roles }';
  const { id, roles } = approver as { id?: unknown; roles?: unknown };
  if (typeof id !== 'string' || id.length === 0) return 'approver.id must be a non-empty string';
  if (!Array.isArray(roles) || !roles.every((r) => typeof r === 'string')) return 'approver.roles must be a list of strings';
  return { id, roles: roles as string[] };
}

type Vote = 'approve' | 'reject';

/** The record after `approver`'s vote on `r` as stored, or why the vote is refused. */
function castVote(r: ApprovalRecord | undefined, id: string, approver: Approver, now: number, kind: Vote, reason?: string): ApprovalRecord | { error: string } {
  if (r === undefined) return { error: `no approval '${id}'` };
  if (isExpired(r, now)) return { error: `approval ${id} expired at ${r.expires_at}` };
  if (r.status !== 'pending') return { error: `approval ${id} is ${r.status}` };
  if (approver.id === r.agent) return { error: `agent '${r.agent}' may not decide on its own call` };
  const wanted = [...new Set(r.requirements.map((q) => q.role))];
  const roles = wanted.filter((role) => approver.roles.includes(role));
  if (roles.length === 0) {
    return { error: `approver '${approver.id}' has none of the required roles (${wanted.join(', ')})` };
  }
  const time = new Date(now).toISOString();
  if (kind === 'approve') {
    if (r.approvals.some((a) => a.approver === approver.id)) {
      return { error: `approver '${approver.id}' has already approved ${id}` };
    }
    const next: ApprovalRecord = { ...r, approvals: [...r.approvals, ...roles.map((role) => ({ approver: approver.id, role, time }))] };
    next.status = isGranted(next) ? 'granted' : 'pending';
    return next;
  }
  const rejection: ApprovalRecord['rejections'][number] = { approver: approver.id, role: roles[0] as string, time };
  if (reason !== undefined) rejection.reason = reason;
  return { ...r, rejections: [...r.rejections, rejection], status: 'rejected' };
}

const VOTE_ATTEMPTS = 5;

function vote(store: StateStore, id: string, approverIn: unknown, now: number, kind: Vote, reason?: string): ApprovalRecord | { error: string } {
  const approver = checkApprover(approverIn);
  if (typeof approver === 'string') return { error: approver };
  for (let attempt = 0; attempt < VOTE_ATTEMPTS; attempt++) {
    const r = store.approvalGet(id);
    const next = castVote(r, id, approver, now, kind, reason);
    if ('error' in next) return next;
    if (store.approvalSwap(next, r!)) return next;
  }
  return { error: `approval ${id} changed concurrently; try again` };
}

/**
 * {@link approve} or {@link reject} on an {@link AsyncStateStore}: one compare-and-set on the stored record,
 * retried on a concurrent change. Rejects if the store does (unavailable).
 */
export async function voteAsync(
  store: AsyncStateStore,
  id: string,
  approverIn: unknown,
  now: number,
  kind: Vote,
  reason?: string,
): Promise<ApprovalRecord | { error: string }> {
  const approver = checkApprover(approverIn);
  if (typeof approver === 'string') return { error: approver };
  for (let attempt = 0; attempt < VOTE_ATTEMPTS; attempt++) {
    const r = await store.approvalGet(id);
    const next = castVote(r, id, approver, now, kind, reason);
    if ('error' in next) return next;
    if (await store.approvalSwap(next, r!)) return next;
  }
  return { error: `approval ${id} changed concurrently; try again` };
}

/** Pending records past their expiry shown as `expired`; optionally filtered by status. */
export function showApprovals(records: readonly ApprovalRecord[], now: number, status?: ApprovalRecord['status']): ApprovalRecord[] {
  const out: ApprovalRecord[] = [];
  for (const r of records) {
    const shown = r.status === 'pending' && isExpired(r, now) ? { ...r, status: 'expired' as const } : r;
    if (status === undefined || shown.status === status) out.push(shown);
  }
  return out;
}

/**
 * Records an approval by `approver` (with every required role it holds); the record becomes `granted` once
 * every requirement's quorum is met by distinct approvers, each counting toward one requirement only
 * ({@link isGranted}).
 */
export function approve(store: StateStore, id: string, approver: unknown, now: number): ApprovalRecord | { error: string } {
  return vote(store, id, approver, now, 'approve');
}

/** Rejects a pending approval; every later identical call is denied. */
export function reject(store: StateStore, id: string, approver: unknown, now: number, reason?: string): ApprovalRecord | { error: string } {
  return vote(store, id, approver, now, 'reject', reason);
}

/** Approval records, with pending records past their expiry reported as `expired`; optionally filtered. */
export function listApprovals(store: StateStore, now: number, status?: ApprovalRecord['status']): ApprovalRecord[] {
  return showApprovals(store.approvalList(), now, status);
}
