import fc from 'fast-check';
import { Counter, Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { LatencyHistogram } from '../src/latency-histogram.js';
import { ServerMetrics } from '../src/metrics.js';

const BUCKETS = [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1];

describe('LatencyHistogram', () => {
  it("exposes the same text as prom-client's Histogram for the same observations", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.oneof(fc.double({ min: 0, max: 2, noNaN: true }), fc.constantFrom(...BUCKETS)), { maxLength: 200 }), async (xs) => {
        const ours = new Registry();
        const theirs = new Registry();
        const a = new LatencyHistogram({ name: 'h_seconds', help: 'Help text.', buckets: BUCKETS, registers: [ours] });
        const b = new Histogram({ name: 'h_seconds', help: 'Help text.', buckets: BUCKETS, registers: [theirs] });
        for (const x of xs) {
          a.observe(x);
          b.observe(x);
        }
        expect(await ours.metrics()).toBe(await theirs.metrics());
        expect(await ours.getMetricsAsJSON()).toEqual(await theirs.getMetricsAsJSON());
      }),
      { numRuns: 100 },
    );
  });

  it('drops non-finite values instead of poisoning the sum', async () => {
    const r = new Registry();
    const h = new LatencyHistogram({ name: 'h_seconds', help: 'h', buckets: [1], registers: [r] });
    h.observe(0.5);
    h.observe(Number.NaN);
    h.observe(Number.POSITIVE_INFINITY);
    expect(await r.metrics()).toContain('h_seconds_sum 0.5\nh_seconds_count 1');
  });
});

describe('ServerMetrics decisions', () => {
  it('counts by effect and tool exactly as labelled prom-client counters would, series in first-seen order', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.constantFrom('allow', 'deny', 'pending_approval'), fc.constantFrom('issue_refund', 'lookup_order', '(unknown)')), { maxLength: 100 }),
        async (calls) => {
          const m = new ServerMetrics({ processMetrics: false });
          const r = new Registry();
          const c = new Counter({ name: 'writ_decisions_total', help: 'Decisions by effect and tool.', labelNames: ['effect', 'tool'], registers: [r] });
          for (const [effect, tool] of calls) {
            m.decision(effect, tool, 0.001);
            c.labels(effect, tool).inc();
          }
          const text = await m.text();
          const ours = text.split('\n\n').find((block) => block.includes('# TYPE writ_decisions_total'));
          expect(ours).toBe((await r.metrics()).trimEnd());
          // Scraping twice does not double the counts.
          expect((await m.text()).split('\n\n').find((block) => block.includes('# TYPE writ_decisions_total'))).toBe(ours);
          expect(text).toContain(`writ_decision_duration_seconds_count ${calls.length}`);
        },
      ),
      { numRuns: 50 },
    );
  });
});
