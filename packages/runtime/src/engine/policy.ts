/**
 * The loaded policy: the runtime's public object.
 *
 * @packageDocumentation
 */
import type { Artifact } from '../artifact/types.js';
import type { ApprovalRecord, Decision, ResultCheck } from '../decision/types.js';
import { restoreValue } from '../detectors/index.js';
import { MemoryStateStore } from '../state/memory.js';
import type { StateStore } from '../state/store.js';
import { approve, listApprovals, reject, type Approver } from './approvals.js';
import { decide, invalidDecision, readOptions, type DecideOptions, type Engine } from './decide.js';
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
