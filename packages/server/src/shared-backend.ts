/**
 * State in a store shared by several processes (an {@link AsyncStateStore}: Redis). Decisions go through the
 * runtime's asynchronous API, which fails closed: when the store cannot be reached, every stateful decision
 * is a deny "state store unavailable" and stateless rules still decide.
 *
 * @packageDocumentation
 */
import type { ApprovalRecord, Approver, AsyncStateStore, Decision, Policy, ResultCheck } from '@writ/runtime';
import { RedisStateStore, type RedisStateStoreOptions } from '@writ/state-redis';
import type { ApprovalOutcome, StateBackend } from './backend.js';

export interface SharedBackendOptions {
  /** Shown by `/healthz`. Default `shared`. */
  kind?: string;
  /** Answers whether the store is reachable now. Default: always true. */
  ping?: () => Promise<boolean>;
  /** Closes the store. */
  close?: () => Promise<void>;
  /** Resolves once the store is connected; rejects if it cannot connect. Default: resolved. */
  ready?: () => Promise<void>;
}

export class SharedBackend implements StateBackend {
  readonly kind: string;
  readonly store: AsyncStateStore;
  readonly #ping: () => Promise<boolean>;
  readonly #close: () => Promise<void>;
  readonly #ready: () => Promise<void>;

  constructor(store: AsyncStateStore, options: SharedBackendOptions = {}) {
    this.store = store;
    this.kind = options.kind ?? 'shared';
    this.#ping = options.ping ?? (async () => true);
    this.#close = options.close ?? (async () => {});
    this.#ready = options.ready ?? (async () => {});
  }

  /** Resolves once the store is connected; rejects (with the reason) if it cannot connect. */
  ready(): Promise<void> {
    return this.#ready();
  }

  decide(policy: Policy, request: unknown, now: number): Promise<Decision> {
    return policy.decideAsync(request, { state: this.store, now });
  }

  checkResult(policy: Policy, request: unknown, result: unknown, now: number): Promise<ResultCheck> {
    return policy.checkResultAsync(request, result, { state: this.store, now });
  }

  approve(policy: Policy, id: string, approver: Approver, now: number): Promise<ApprovalOutcome> {
    return policy.approveAsync(id, approver, { state: this.store, now });
  }

  reject(policy: Policy, id: string, approver: Approver, reason: string | undefined, now: number): Promise<ApprovalOutcome> {
    return policy.rejectAsync(id, approver, reason, { state: this.store, now });
  }

  /** @throws (rejects) an error with `statusCode` 503 when the store cannot be read. */
  async approvals(policy: Policy, status: ApprovalRecord['status'] | undefined, now: number): Promise<ApprovalRecord[]> {
    try {
      return await policy.approvalsAsync(status === undefined ? { state: this.store, now } : { state: this.store, now, status });
    } catch (e) {
      throw Object.assign(new Error(`state store unavailable: ${(e as Error).message}`), { statusCode: 503 });
    }
  }

  healthy(): Promise<boolean> {
    return this.#ping();
  }

  close(): Promise<void> {
    return this.#close();
  }
}

/**
 * A {@link SharedBackend} on a {@link RedisStateStore} it owns (closed with the backend). `/healthz` sends
 * PING with a 500 ms limit.
 */
export function redisBackend(options: RedisStateStoreOptions): SharedBackend {
  const store = new RedisStateStore(options);
  return new SharedBackend(store, {
    kind: 'redis',
    ping: async () => {
      if (!store.connected) return false;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timeout = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), 500)));
      try {
        return await Promise.race([store.client.ping().then((r) => r === 'PONG'), timeout]);
      } catch {
        return false;
      } finally {
        clearTimeout(timer);
      }
    },
    close: () => store.close(),
    ready: () => store.ready(),
  });
}
