/**
 * Where decisions read and write state. The server calls a {@link StateBackend} with the policy active for
 * the request; the state outlives policy reloads (one store for every policy version served).
 *
 * The in-memory backend answers synchronously (no promise on the hot path); a shared store answers with
 * promises. Handlers accept both.
 *
 * @packageDocumentation
 */
import { MemoryStateStore } from '@writ/runtime';
import type { ApprovalRecord, Approver, Decision, Policy, ResultCheck } from '@writ/runtime';

/** A value or a promise of it. */
export type MaybePromise<T> = T | Promise<T>;

/** An approval operation's outcome: the updated record, or why it was refused. */
export type ApprovalOutcome = ApprovalRecord | { error: string };

/** The state operations the server needs, all taking the policy that is active for the request. */
export interface StateBackend {
  /** `memory` or `redis`: shown by `/healthz`. */
  readonly kind: string;
  /** Decides; never rejects (a store failure is a deny naming it). */
  decide(policy: Policy, request: unknown, now: number): MaybePromise<Decision>;
  checkResult(policy: Policy, request: unknown, result: unknown, now: number): MaybePromise<ResultCheck>;
  approve(policy: Policy, id: string, approver: Approver, now: number): MaybePromise<ApprovalOutcome>;
  reject(policy: Policy, id: string, approver: Approver, reason: string | undefined, now: number): MaybePromise<ApprovalOutcome>;
  approvals(policy: Policy, status: ApprovalRecord['status'] | undefined, now: number): MaybePromise<ApprovalRecord[]>;
  /** True when the store answers (for `/healthz`). */
  healthy(): MaybePromise<boolean>;
  close(): Promise<void>;
}

/** State in this process: a {@link MemoryStateStore} shared by every policy version served. */
export class MemoryBackend implements StateBackend {
  readonly kind = 'memory';
  readonly store: MemoryStateStore;
  // One options object per `now` would allocate on every decision; `now` is written into this one instead
  // (the runtime reads the options synchronously and keeps no reference).
  readonly #opts: { state: MemoryStateStore; now: number };

  constructor(store: MemoryStateStore = new MemoryStateStore()) {
    this.store = store;
    this.#opts = { state: store, now: 0 };
  }

  decide(policy: Policy, request: unknown, now: number): Decision {
    this.#opts.now = now;
    return policy.decide(request, this.#opts);
  }

  checkResult(policy: Policy, request: unknown, result: unknown, now: number): ResultCheck {
    this.#opts.now = now;
    return policy.checkResult(request, result, this.#opts);
  }

  approve(policy: Policy, id: string, approver: Approver, now: number): ApprovalOutcome {
    return policy.approve(id, approver, { state: this.store, now });
  }

  reject(policy: Policy, id: string, approver: Approver, reason: string | undefined, now: number): ApprovalOutcome {
    return policy.reject(id, approver, reason, { state: this.store, now });
  }

  approvals(policy: Policy, status: ApprovalRecord['status'] | undefined, now: number): ApprovalRecord[] {
    return policy.approvals(status === undefined ? { state: this.store, now } : { state: this.store, now, status });
  }

  healthy(): boolean {
    return true;
  }

  async close(): Promise<void> {}
}
