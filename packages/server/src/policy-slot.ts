/**
 * The policy being served, swapped atomically on reload: each request reads the slot once when it arrives
 * and uses that policy to the end, so a reload never changes a request mid-way and never drops one.
 *
 * @packageDocumentation
 */
import type { Policy } from '@writ/runtime';

/** A policy with what the server precomputes for it. */
export interface ActivePolicy {
  readonly policy: Policy;
  readonly digest: string;
  /** Declared tool names (metrics label only these). */
  readonly tools: ReadonlySet<string>;
}

export function activate(policy: Policy): ActivePolicy {
  return Object.freeze({ policy, digest: policy.digest, tools: new Set(Object.keys(policy.artifact.tools)) });
}

export class PolicySlot {
  #current: ActivePolicy;
  readonly #listeners: Array<(p: ActivePolicy) => void> = [];

  constructor(policy: Policy) {
    this.#current = activate(policy);
  }

  get current(): ActivePolicy {
    return this.#current;
  }

  /** Serves `policy` from the next request on; returns false (and changes nothing) if it has the same digest. */
  swap(policy: Policy): boolean {
    if (policy.digest === this.#current.digest) return false;
    this.#current = activate(policy);
    for (const l of this.#listeners) l(this.#current);
    return true;
  }

  onSwap(listener: (p: ActivePolicy) => void): void {
    this.#listeners.push(listener);
  }
}
