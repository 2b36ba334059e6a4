/**
 * Prometheus metrics of the decision service (prom-client, its own registry so that embedding the server
 * in a process with other metrics does not clash).
 *
 * - `writ_decisions_total{effect,tool}`: decisions by effect and tool. `tool` is the requested tool when the
 *   active policy declares it, otherwise `(unknown)`: label values never come unchecked from a request, so
 *   random tool names cannot grow the series without bound.
 * - `writ_decision_duration_seconds`: time to decide (state store included), histogram.
 * - `writ_result_checks_total{effect}`, `writ_approval_actions_total{action,outcome}`,
 *   `writ_policy_reloads_total{outcome}`, `writ_policy_info{name,version,digest}`.
 *
 * @packageDocumentation
 */
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { LatencyHistogram } from './latency-histogram.js';

export const UNKNOWN_TOOL = '(unknown)';

/** Decision latency buckets in seconds: 50 µs … 1 s. */
const BUCKETS = [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1];

/** Decisions of one effect and tool since start. */
interface Cell {
  readonly effect: string;
  readonly tool: string;
  n: number;
}

export class ServerMetrics {
  readonly registry = new Registry();
  readonly #decisions: Counter<'effect' | 'tool'>;
  readonly #latency: LatencyHistogram;
  readonly #results: Counter<'effect'>;
  readonly #approvals: Counter<'action' | 'outcome'>;
  readonly #reloads: Counter<'outcome'>;
  readonly #info: Gauge<'name' | 'version' | 'digest'>;
  // Decision counts by effect, then tool, as plain numbers copied into the counter when scraped: a prom-client
  // child's inc() hashes its labels object on every call. Nested maps, not an `effect\0tool` key: that key
  // would be a new string to hash per decision, while these lookups hit strings whose hashes are cached.
  readonly #counts = new Map<string, Map<string, Cell>>();
  /** The same cells in first-seen order (the order prom-client lists a counter's series in). */
  readonly #cells: Cell[] = [];

  constructor(options: { processMetrics?: boolean } = {}) {
    const registers = [this.registry];
    const cells = this.#cells;
    this.#decisions = new Counter({
      name: 'writ_decisions_total',
      help: 'Decisions by effect and tool.',
      labelNames: ['effect', 'tool'],
      registers,
      collect() {
        this.reset();
        for (const c of cells) this.labels(c.effect, c.tool).inc(c.n);
      },
    });
    this.#latency = new LatencyHistogram({ name: 'writ_decision_duration_seconds', help: 'Time to decide one request, state store included.', buckets: BUCKETS, registers });
    this.#results = new Counter({ name: 'writ_result_checks_total', help: 'Result checks (post rules) by effect.', labelNames: ['effect'], registers });
    this.#approvals = new Counter({ name: 'writ_approval_actions_total', help: 'Approve and reject requests by outcome.', labelNames: ['action', 'outcome'], registers });
    this.#reloads = new Counter({ name: 'writ_policy_reloads_total', help: 'Policy reloads: swapped, unchanged, or refused.', labelNames: ['outcome'], registers });
    this.#info = new Gauge({ name: 'writ_policy_info', help: 'The policy being served (value 1).', labelNames: ['name', 'version', 'digest'], registers });
    // Standard names (process_cpu_seconds_total, nodejs_heap_size_used_bytes, …) so stock dashboards work.
    if (options.processMetrics !== false) collectDefaultMetrics({ register: this.registry });
  }

  /** Counts a decision; `tool` must already be checked against the policy (or be {@link UNKNOWN_TOOL}). */
  decision(effect: string, tool: string, seconds: number): void {
    let byTool = this.#counts.get(effect);
    if (byTool === undefined) this.#counts.set(effect, (byTool = new Map()));
    const cell = byTool.get(tool);
    if (cell === undefined) {
      const added = { effect, tool, n: 1 };
      byTool.set(tool, added);
      this.#cells.push(added);
    } else cell.n++;
    this.#latency.observe(seconds);
  }

  resultCheck(effect: string): void {
    this.#results.labels(effect).inc();
  }

  approvalAction(action: 'approve' | 'reject', outcome: string): void {
    this.#approvals.labels(action, outcome).inc();
  }

  reload(outcome: 'swapped' | 'unchanged' | 'refused'): void {
    this.#reloads.labels(outcome).inc();
  }

  policy(name: string, version: string, digest: string): void {
    this.#info.reset();
    this.#info.labels(name, version, digest).set(1);
  }

  /** The Prometheus text exposition. */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
