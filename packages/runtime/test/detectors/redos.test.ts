import { describe, expect, it } from 'vitest';
import { detect, redactValue, MemoryTokenVault, scanText, type DetectorName } from '../../src/detectors/index.js';

/**
 * Adversarial inputs: long repetitions of pattern prefixes that would make a backtracking-prone expression go
 * quadratic or exponential. Every scan must stay linear; the bound below is ~50x what it takes on a laptop, and a
 * quadratic scan of 100 000 characters would take minutes.
 */
const UNITS = [
  'a', '1', '1 ', '1-', 'A', 'AB12', 'AB12 ', 'DE89 ', 'eyJ', 'eyJa.', '.', '../', '%2e', '..%2', "' OR ", "' or '1'='", 'OR 1',
  'sk-', 'a-', 'xoxb-', 'xoxb-1-', '<', 'on', 'onerror', 'ignore ', 'ignore all ', 'ignore the ', 'you are ', ' ', '\t', '\n',
  ':', 'a:', '1:', '::1:', '1.1.1.', '1.', '@', 'a@', 'a.', 'a@b.', '-----BEGIN ', '-----BEGIN PRIVATE KEY-----\n', 'MIIE\n',
  'union ', 'union/**/', '; select a, ', '$(', '$(curl ', '`', 'rm -rf ', 'curl ', 'curl |', '| ', '+1', '+1 ', '(415) ',
  '415-555-', '123-45-', '4111 ', '\\', '%', '%25', '/etc/', '~/', '<script', 'j a v a ', '; DROP ', 'sleep(', 'nc -e ',
  'mkfifo ', 'powershell ', '"', "'", 'ghp_', 'github_pat_a', 'AKIA', 'reveal ', 'pretend you ',
  "'          OR          (          ", "'          )          ;          ", `<meta ${'a'.repeat(150)}`,
  `ignore ${'all '.repeat(4)}`, `reveal ${'the '.repeat(4)}`, `UNION/*${'a'.repeat(39)}*/`, `; SELECT a${', a'.repeat(20)}`,
  `powershell ${'x'.repeat(99)}`, 'j a v a s c r i p t ', 'rm -a -b -c -d -e -f ', `sk-${'a'.repeat(401)}`, `eyJ${'a'.repeat(5000)}.`,
];
const N = 100_000;
const DETECTORS: DetectorName[] = ['pii', 'secret', 'injection'];

describe('detectors: no catastrophic backtracking', () => {
  it.each(UNITS)('scans %j repeated to 100k characters in linear time', (unit) => {
    const s = unit.repeat(Math.ceil(N / unit.length)).slice(0, N);
    const t0 = performance.now();
    for (const d of DETECTORS) {
      scanText(d, s);
      detect(d, s);
    }
    expect(performance.now() - t0).toBeLessThan(3000);
  });

  it('redacts a large tool result quickly', () => {
    const rows = Array.from({ length: 2000 }, (_, i) => ({
      id: i,
      email: `user${i}@example.com`,
      note: `call 415-555-${String(1000 + (i % 9000)).padStart(4, '0')} about order ${100000 + i}`,
    }));
    const t0 = performance.now();
    const r = redactValue(rows, 'pii', undefined, new MemoryTokenVault());
    expect(performance.now() - t0).toBeLessThan(3000);
    expect(r.tokens.length).toBe(4000);
  });

  it('decides on a small argument in microseconds, not milliseconds', () => {
    const args = { body: "Hi, my order 12345 arrived damaged on 2024-03-05. Could you send a replacement? Thanks, Ana" };
    for (let i = 0; i < 2000; i++) for (const d of DETECTORS) detect(d, args);
    const runs = 20_000;
    const t0 = performance.now();
    for (let i = 0; i < runs; i++) for (const d of DETECTORS) detect(d, args);
    const perCallMicros = ((performance.now() - t0) * 1000) / (runs * DETECTORS.length);
    // typically ~1 µs; the bound only catches gross regressions on slow CI machines
    expect(perCallMicros).toBeLessThan(100);
  });
});
