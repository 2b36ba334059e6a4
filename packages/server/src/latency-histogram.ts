/**
 * A Prometheus histogram without labels whose observation is a bucket search and three additions.
 * prom-client's Histogram#observe normalizes and hashes a labels object and allocates a closure on every
 * call, which costs more than the decision it times; this one is registered in a prom-client Registry like
 * any metric and exposes the same text (`<name>_bucket{le="…"}` cumulative, `+Inf`, `_sum`, `_count`).
 *
 * @packageDocumentation
 */
import type { Registry } from 'prom-client';

/** The value shape prom-client's Registry formats (lib/histogram.js setValuePair). */
interface MetricValue {
  labels: Record<string, string | number>;
  value: number;
  metricName: string;
  /** prom-client's shape has `exemplar: null` on buckets (exemplars are off). */
  exemplar?: null;
}

export class LatencyHistogram {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  readonly name: string;
  readonly help: string;
  readonly #bounds: readonly number[];
  /** Observations per bucket (not cumulative); the last cell counts values above every bound. */
  readonly #counts: Float64Array;
  #sum = 0;
  #count = 0;

  /** `bounds`: upper bounds in ascending order (as prom-client's `buckets`). */
  constructor(config: { name: string; help: string; buckets: readonly number[]; registers: Registry[] }) {
    this.name = config.name;
    this.help = config.help;
    this.#bounds = [...config.buckets];
    this.#counts = new Float64Array(this.#bounds.length + 1);
    for (const r of config.registers) r.registerMetric(this as never);
  }

  observe(value: number): void {
    // A NaN or infinite value would poison the sum forever; prom-client throws on it, this drops it.
    if (!Number.isFinite(value)) return;
    const bounds = this.#bounds;
    let i = 0;
    while (i < bounds.length && value > (bounds[i] as number)) i++;
    this.#counts[i] = (this.#counts[i] as number) + 1;
    this.#sum += value;
    this.#count++;
  }

  reset(): void {
    this.#counts.fill(0);
    this.#sum = 0;
    this.#count = 0;
  }

  /** The metric as prom-client's Registry reads it. */
  async get(): Promise<{ name: string; help: string; type: string; aggregator: string; values: MetricValue[] }> {
    const bucket = `${this.name}_bucket`;
    const values: MetricValue[] = [];
    let acc = 0;
    this.#bounds.forEach((le, i) => {
      acc += this.#counts[i] as number;
      values.push({ labels: { le }, value: acc, metricName: bucket, exemplar: null });
    });
    values.push(
      { labels: { le: '+Inf' }, value: this.#count, metricName: bucket, exemplar: null },
      { labels: {}, value: this.#sum, metricName: `${this.name}_sum` },
      { labels: {}, value: this.#count, metricName: `${this.name}_count` },
    );
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }
}
