import { readdirSync } from 'node:fs';
import path from 'node:path';
import { compile } from '@writ/compiler';
import { loadPolicy } from '@writ/runtime';
import { readPolicySources, readScenarios, runScenarios } from '@writ/cli';
import { describe, expect, it } from 'vitest';

const here = import.meta.dirname;
const examples = readdirSync(here, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name);

describe('examples', () => {
  for (const ex of examples) {
    describe(ex, () => {
      const dir = path.join(here, ex);
      const { sources } = readPolicySources([dir]);
      const result = compile(sources);

      it('compiles without errors or warnings', () => {
        expect(result.diagnostics.map((d) => `${d.code} ${d.span.file}:${d.span.line} ${d.message}`)).toEqual([]);
      });

      it('decides every scenario as its scenarios.json expects', () => {
        const results = runScenarios(dir, loadPolicy(result.artifact!), readScenarios(dir));
        expect(results.length).toBeGreaterThan(5);
        for (const r of results) expect(r.problems, `${ex}: ${r.scenario.name}: ${JSON.stringify(r.decision.reasons)}`).toEqual([]);
      });
    });
  }
});
