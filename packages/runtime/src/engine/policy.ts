/**
 * The loaded policy: the runtime's public object.
 *
 * @packageDocumentation
 */
import type { Artifact } from '../artifact/types.js';
import type { ApprovalRecord, Decision, ResultCheck } from '../decision/types.js';
import { MemoryTokenVault, restoreValue } from '../detectors/index.js';
import { toAsyncStore } from '../state/adapt.js';
import type { AsyncStateStore } from '../state/async.js';
import { MemoryStateStore } from '../state/memory.js';
import { runOnSnapshot, type SnapshotRun, type SnapshotRunOptions } from '../state/run.js';
import type { StateStore } from '../state/store.js';
import { approve, listApprovals, reject, showApprovals, voteAsync, type Approver } from './approvals.js';
import {
  STATE_BUSY,
  STATE_UNAVAILABLE,
  decide,
  internalErrorDecision,
  invalidDecision,
  readOptions,
  stateDeniedDecision,
  type DecideOptions,
  type Engine,
} from './decide.js';
import { KillSwitch, type Override } from './killswitch.js';
import type { CompiledPolicy } from './plan.js';
import { checkResult } from './post.js';

/** Options of the approval operations. */
export interface ApprovalOptions {
  state?: StateStore;
  now?: number;
}

/** Options of {@link Policy.approvals}. */
export interface ListApprovalsOptions extends ApprovalOptions {
  status?: ApprovalRecord['status'];
}

/**
 * Options of {@link Policy.decideAsync} and {@link Policy.checkResultAsync}. Without `state`, the policy's
 * own in-memory store is used, synchronously (as {@link Policy.decide} does).
 */
export interface AsyncDecideOptions extends SnapshotRunOptions {
  state?: AsyncStateStore;
  /** The clock, in epoch milliseconds; default `Date.now()`, read once per decision. */
  now?: number;
  dryRun?: boolean;
}

/** Options of the asynchronous approval operations. */
export interface AsyncApprovalOptions {
  state?: AsyncStateStore;
  now?: number;
}

/** Options of {@link Policy.approvalsAsync}. */
export interface AsyncListApprovalsOptions extends AsyncApprovalOptions {
  status?: ApprovalRecord['status'];
}

function readAsyncOptions(options: unknown): { now: number; dryRun: boolean; state: AsyncStateStore | undefined; run: SnapshotRunOptions } {
  if (options === undefined || options === null) return { now: Date.now(), dryRun: false, state: undefined, run: {} };
  if (typeof options !== 'object') throw new TypeError('options must be an object');
  const o = options as AsyncDecideOptions;
  let now = o.now;
  if (now === undefined || now === null) now = Date.now();
  else if (typeof now !== 'number' || !Number.isFinite(now)) throw new TypeError('options.now must be a finite number of epoch milliseconds');
  const run: SnapshotRunOptions = {};
  if (o.maxFetches !== undefined) run.maxFetches = o.maxFetches;
  if (o.maxConflicts !== undefined) run.maxConflicts = o.maxConflicts;
  return { now, dryRun: o.dryRun === true, state: o.state ?? undefined, run };
}

function unavailableMessage(err: unknown): string {
  return `${STATE_UNAVAILABLE}: ${err instanceof Error ? err.message : String(err)}`;
}

function errorOf(err: unknown): { error: string } {
  return { error: `internal error: ${err instanceof Error ? err.message : String(err)}` };
}

/**
 * A loaded, prepared policy. Create one with {@link loadPolicy}.
 *
 * Deciding is synchronous and never throws. State (histories, limits, budgets, taint, approvals, redaction
 * vaults) lives in a {@link StateStore}: by default a {@link MemoryStateStore} owned by this Policy;
 * pass `options.state` to share a store.
 */
export class Policy {
  /** The artifact this policy was loaded from (do not mutate). */
  readonly artifact: Artifact;
  /** The artifact's content digest, `sha256:<hex>`. */
  readonly digest: string;
  readonly name: string;
  readonly version: string;
  readonly #engine: Engine;
  #ownAsync: AsyncStateStore | undefined;

  /** @internal Use {@link loadPolicy}. */
  constructor(artifact: Artifact, compiled: CompiledPolicy) {
    this.artifact = artifact;
    this.digest = artifact.digest;
    this.name = artifact.policy.name;
    this.version = artifact.policy.version;
    this.#engine = {
      compiled,
      killSwitch: new KillSwitch(),
      meta: Object.freeze({ name: this.name, version: this.version, digest: this.digest }),
      store: new MemoryStateStore(),
    };
  }

  /** The policy's default state store. */
  get state(): StateStore {
    return this.#engine.store;
  }

  /**
   * Decides whether a tool call may run (SEMANTICS.md §5). Never throws: a malformed request is an
   * `invalid_request` deny, an internal failure a deny naming it.
   *
   * Synchronous. Stateless decisions allocate almost nothing: the `reasons` objects and the `policy` object
   * of a Decision are frozen and shared between decisions (copy them before modifying).
   */
  decide(request: unknown, options?: DecideOptions): Decision {
    return decide(this.#engine, request, options);
  }

  /**
   * {@link decide} on JSON text: text that is not JSON is an `invalid_request` deny. Never throws.
   */
  decideJson(text: string, options?: DecideOptions): Decision {
    let request: unknown;
    try {
      request = JSON.parse(text);
    } catch (err) {
      return invalidDecision(this.#engine.meta, `request is not valid JSON: ${err instanceof Error ? err.message : String(err)}`);
    }
    return decide(this.#engine, request, options);
  }

  /** Applies the post rules to a tool's result (SEMANTICS.md §6). Never throws. */
  checkResult(request: unknown, result: unknown, options?: DecideOptions): ResultCheck {
    return checkResult(this.#engine, request, result, options);
  }

  /** Records an approval; the record is `granted` once every requirement's quorum is met. */
  approve(approvalId: string, approver: Approver, options?: ApprovalOptions): ApprovalRecord | { error: string } {
    try {
      const { now, store } = readOptions(options, this.#engine.store);
      return approve(store, approvalId, approver, now);
    } catch (err) {
      return errorOf(err);
    }
  }

  /** Rejects a pending approval: the call it binds is denied. */
  reject(approvalId: string, approver: Approver, reason?: string, options?: ApprovalOptions): ApprovalRecord | { error: string } {
    try {
      const { now, store } = readOptions(options, this.#engine.store);
      return reject(store, approvalId, approver, now, reason);
    } catch (err) {
      return errorOf(err);
    }
  }

  /** Approval records, oldest first (pending ones past expiry shown as `expired`), optionally by status. */
  approvals(options?: ListApprovalsOptions): ApprovalRecord[] {
    const { now, store } = readOptions(options, this.#engine.store);
    return listApprovals(store, now, options?.status);
  }

  /**
   * {@link decide} with the state in an {@link AsyncStateStore} shared by several processes (Redis). The
   * engine runs synchronously on a snapshot of the store (see {@link AsyncStateStore}): the values it reads
   * are fetched in one batch (more batches if a rerun reaches new reads), and its writes are committed
   * together, each conditional write (rate-limit hit, budget charge, approval create or swap; for a
   * decision that read a session history, that no call was appended since) re-checked atomically, so
   * concurrent gateways never overshoot a limit or a budget nor pass two sequence rules that exclude each
   * other (a store without `commit` cannot do that last check and fails closed); a commit that loses to a
   * concurrent decision is redone on fresh values (at most `maxConflicts` times, default 16, with a growing random pause; then a deny
   * `"state store busy: …"`). A decision that needs no state never touches the store.
   *
   * Never rejects. If the store fails (unreachable, timed out), a decision that needs state is a
   * `forbidden` deny whose reason is `{ rule: "writ:state-store", kind: "state", message: "state store
   * unavailable" }` (fail closed); nothing of it was applied, except that a commit whose reply was lost may
   * have applied (a rate hit or charge spent on a denied call: never an overshoot).
   */
  async decideAsync(request: unknown, options?: AsyncDecideOptions): Promise<Decision> {
    try {
      const { now, dryRun, state, run } = readAsyncOptions(options);
      // The policy's own in-memory store: the synchronous engine on it directly (atomic in-process).
      if (state === undefined) return decide(this.#engine, request, { now, dryRun });
      const r = await runOnSnapshot(state, (snap) => decide(this.#engine, request, { state: snap, now, dryRun }), run);
      return this.#settle(r, (message) => stateDeniedDecision(this.#engine.meta, message));
    } catch (err) {
      return internalErrorDecision(this.#engine.meta, err);
    }
  }

  /** {@link checkResult} on an {@link AsyncStateStore}, as {@link decideAsync}. Never rejects: a store failure is a deny. */
  async checkResultAsync(request: unknown, result: unknown, options?: AsyncDecideOptions): Promise<ResultCheck> {
    const meta = this.#engine.meta;
    const denied = (d: Decision): ResultCheck => ({ effect: 'deny', reasons: d.reasons, obligations: [], policy: meta });
    try {
      const { now, dryRun, state, run } = readAsyncOptions(options);
      if (state === undefined) return checkResult(this.#engine, request, result, { now, dryRun });
      const r = await runOnSnapshot(state, (snap) => checkResult(this.#engine, request, result, { state: snap, now, dryRun }), run);
      return this.#settle(r, (message) => denied(stateDeniedDecision(meta, message)));
    } catch (err) {
      return denied(internalErrorDecision(meta, err));
    }
  }

  /**
   * {@link approve} on an {@link AsyncStateStore}. Never rejects: a store failure is
   * `{ error: "state store unavailable: …" }`.
   */
  async approveAsync(approvalId: string, approver: Approver, options?: AsyncApprovalOptions): Promise<ApprovalRecord | { error: string }> {
    try {
      const { now, state } = readAsyncOptions(options);
      return await voteAsync(state ?? this.#asyncStore(), approvalId, approver, now, 'approve');
    } catch (err) {
      return { error: unavailableMessage(err) };
    }
  }

  /** {@link reject} on an {@link AsyncStateStore}. Never rejects: a store failure is `{ error: "state store unavailable: …" }`. */
  async rejectAsync(
    approvalId: string,
    approver: Approver,
    reason?: string,
    options?: AsyncApprovalOptions,
  ): Promise<ApprovalRecord | { error: string }> {
    try {
      const { now, state } = readAsyncOptions(options);
      return await voteAsync(state ?? this.#asyncStore(), approvalId, approver, now, 'reject', reason);
    } catch (err) {
      return { error: unavailableMessage(err) };
    }
  }

  /**
   * {@link approvals} on an {@link AsyncStateStore}.
   *
   * @throws rejects with an Error `"state store unavailable: …"` if the store fails.
   */
  async approvalsAsync(options?: AsyncListApprovalsOptions): Promise<ApprovalRecord[]> {
    const { now, state } = readAsyncOptions(options);
    let records: ApprovalRecord[];
    try {
      records = await (state ?? this.#asyncStore()).approvalList();
    } catch (err) {
      throw new Error(unavailableMessage(err), { cause: err });
    }
    return showApprovals(records, now, options?.status);
  }

  /**
   * {@link restore} on an {@link AsyncStateStore}.
   *
   * @throws rejects with an Error `"state store unavailable: …"` if the store fails.
   */
  async restoreAsync(session: string | undefined, value: unknown, options?: { state?: AsyncStateStore }): Promise<unknown> {
    let entries: ReadonlyArray<readonly [string, string]>;
    try {
      entries = await (options?.state ?? this.#asyncStore()).vaultEntries(session ?? '');
    } catch (err) {
      throw new Error(unavailableMessage(err), { cause: err });
    }
    return restoreValue(value, new MemoryTokenVault(entries.map(([t, v]) => [t, v] as [string, string])));
  }

  #asyncStore(): AsyncStateStore {
    return (this.#ownAsync ??= toAsyncStore(this.#engine.store));
  }

  #settle<T>(r: SnapshotRun<T>, deny: (message: string) => T): T {
    switch (r.kind) {
      case 'done':
        return r.value;
      case 'unavailable':
        return deny(STATE_UNAVAILABLE);
      case 'busy':
        return deny(STATE_BUSY);
    }
  }

  /** Kill switch: disables a tool (or every tool with `*`) until {@link enable}d. */
  disable(tool: string, reason: string): void {
    this.#checkTool(tool);
    this.#engine.killSwitch.disable(tool, reason);
  }

  /**
   * Re-enables a tool: clears a runtime disable and overrides the artifact's `disabled`. `enable('*')`
   * clears the global switch and every per-tool runtime disable.
   */
  enable(tool: string): void {
    this.#checkTool(tool);
    this.#engine.killSwitch.enable(tool);
  }

  /** The runtime kill-switch overrides in effect. */
  overrides(): Override[] {
    return this.#engine.killSwitch.list();
  }

  /** Puts back the originals of redaction tokens issued in `session` (undefined: calls without a session). */
  restore(session: string | undefined, value: unknown, options?: { state?: StateStore }): unknown {
    const store = options?.state ?? this.#engine.store;
    return restoreValue(value, store.vault(session ?? ''));
  }

  #checkTool(tool: string): void {
    if (tool !== '*' && !this.#engine.compiled.tools.has(tool)) throw new Error(`unknown tool '${tool}'`);
  }
}
