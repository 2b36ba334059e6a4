/**
 * Hot reload: watch a policy file, directory or artifact; on a change, load it again and swap it into the
 * {@link PolicySlot}. A policy that fails to load is refused (reported) and the old one keeps serving.
 *
 * Editors save by writing a temporary file and renaming it over the original, which ends a watch on the file
 * itself; so the watch is on the directory (the file's parent, or the policy directory, recursively) and
 * events are debounced.
 *
 * @packageDocumentation
 */
import { watch, statSync, type FSWatcher } from 'node:fs';
import path from 'node:path';
import type { Policy } from '@writ/runtime';
import type { ServerMetrics } from './metrics.js';
import type { PolicySlot } from './policy-slot.js';

export type ReloadOutcome = { outcome: 'swapped'; digest: string } | { outcome: 'unchanged'; digest: string } | { outcome: 'refused'; error: unknown };

export interface ReloaderOptions {
  /** Loads the policy again; throws when it does not compile or the artifact is refused. */
  load: () => Policy;
  /** Called after every attempt (log it). */
  onReload?: (r: ReloadOutcome) => void;
  metrics?: ServerMetrics;
  /** Quiet period after the last file event before reloading, ms. Default 100. */
  debounceMs?: number;
}

/**
 * Calls `onChange` (debounced) when `target` changes: a file (watched through its directory, so that a rename
 * over it counts) or a directory (recursively, files matching `filter` only).
 *
 * @returns a function that stops watching.
 * @throws the `fs.watch` error when the path cannot be watched.
 */
export function watchPath(target: string, onChange: () => void, options: { debounceMs?: number; filter?: RegExp } = {}): () => void {
  const abs = path.resolve(target);
  const isDir = statSync(abs).isDirectory();
  const dir = isDir ? abs : path.dirname(abs);
  const base = path.basename(abs);
  const debounce = options.debounceMs ?? 100;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const watcher: FSWatcher = watch(dir, { recursive: isDir, persistent: false }, (_event, file) => {
    if (!isDir && file !== null && file !== base) return;
    if (isDir && file !== null && options.filter !== undefined && !options.filter.test(file)) return;
    if (timer !== undefined) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = undefined;
      onChange();
    }, debounce);
  });
  watcher.on('error', () => {
    // The watched directory went away: keep what was loaded.
  });
  return () => {
    if (timer !== undefined) clearTimeout(timer);
    watcher.close();
  };
}

export class PolicyReloader {
  readonly #slot: PolicySlot;
  readonly #opts: ReloaderOptions;
  #unwatch: (() => void) | undefined;

  constructor(slot: PolicySlot, options: ReloaderOptions) {
    this.#slot = slot;
    this.#opts = options;
  }

  /** Loads and swaps now (synchronously: requests in flight keep the policy they started with). */
  reload(): ReloadOutcome {
    let r: ReloadOutcome;
    try {
      const policy = this.#opts.load();
      r = this.#slot.swap(policy) ? { outcome: 'swapped', digest: policy.digest } : { outcome: 'unchanged', digest: policy.digest };
    } catch (error) {
      r = { outcome: 'refused', error };
    }
    this.#opts.metrics?.reload(r.outcome);
    this.#opts.onReload?.(r);
    return r;
  }

  /**
   * Watches `target` (a file or a directory) and reloads on changes.
   *
   * @throws the `fs.watch` error when the path cannot be watched.
   */
  watch(target: string): void {
    this.#unwatch?.();
    this.#unwatch = watchPath(target, () => this.reload(), { debounceMs: this.#opts.debounceMs ?? 100, filter: /\.writ$|\.json$/ });
  }

  close(): void {
    this.#unwatch?.();
    this.#unwatch = undefined;
  }
}
