import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { compile, DiagnosticBag, parseSource, sliceSpan } from '@writ/compiler';
import { loadPolicy } from '@writ/runtime';
import { describe, expect, it } from 'vitest';

const repo = path.resolve(import.meta.dirname, '..');

interface Corpus {
  name: string;
  text: string;
  requests: unknown[];
}

/** Every example and conformance policy with the requests written for it. */
function corpora(): Corpus[] {
  const out: Corpus[] = [];
  for (const ex of ['customer-support', 'data-protection', 'devops-governance']) {
    const dir = path.join(repo, 'examples', ex);
    const scenarios = JSON.parse(readFileSync(path.join(dir, 'scenarios.json'), 'utf8')) as Array<{ request: string }>;
    out.push({
      name: ex,
      text: readFileSync(path.join(dir, 'policy.writ'), 'utf8'),
      requests: scenarios.map((s) => JSON.parse(readFileSync(path.join(dir, s.request), 'utf8')) as unknown),
    });
  }
  const conf = path.join(repo, 'tests', 'conformance');
  for (const d of readdirSync(conf, { withFileTypes: true }).filter((x) => x.isDirectory())) {
    const cases = JSON.parse(readFileSync(path.join(conf, d.name, 'cases.json'), 'utf8')) as Array<{ request: unknown }>;
    out.push({ name: d.name, text: readFileSync(path.join(conf, d.name, 'policy.writ'), 'utf8'), requests: cases.map((c) => c.request) });
  }
  return out;
}

/** The source text of each statement, in order. */
function statements(text: string): string[] {
  const file = parseSource('policy.writ', text, new DiagnosticBag());
  return file.statements.map((s) => sliceSpan(text, s.span));
}

/** Effect and denial of every request, decided without touching state. */
function decisions(text: string, requests: unknown[]): string[] {
  const r = compile([{ file: 'policy.writ', text }]);
  expect(r.artifact, r.diagnostics.map((d) => d.message).join('\n')).toBeDefined();
  const policy = loadPolicy(r.artifact!);
  return requests.map((q) => {
    const d = policy.decide(q, { dryRun: true, now: Date.parse('2026-01-01T00:00:00Z') });
    // Positions move with the statements; everything else about the decision must not.
    const messages = d.reasons.map((x) => `${x.kind}:${x.message.replace(/[\w.-]+\.writ:\d+(:\d+)?/g, '<pos>')}`);
    return `${d.effect}/${d.denial ?? ''}/${[...new Set(messages)].sort().join('|')}`;
  });
}

describe('rule order and duplicates never change a decision (property)', () => {
  for (const c of corpora()) {
    it(c.name, () => {
      const stmts = statements(c.text);
      const baseline = decisions(c.text, c.requests);
      // Rules (not declarations) may be duplicated: a second `tool x` would be a duplicate declaration.
      const duplicable = stmts.filter((s) => /^(allow|deny|approve|post|pre|assert)\b/.test(s));
      fc.assert(
        fc.property(
          fc.shuffledSubarray(stmts, { minLength: stmts.length, maxLength: stmts.length }),
          fc.subarray(duplicable),
          (shuffled, dups) => {
            const text = [...shuffled, ...dups].join('\n');
            expect(decisions(text, c.requests)).toEqual(baseline);
          },
        ),
        { numRuns: 25 },
      );
    });
  }
});
