/**
 * The policies the differential test runs over: every example (examples/<name>/policy.writ) and every
 * conformance policy (tests/conformance/<name>/policy.writ), compiled as the CLI compiles them.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { compile } from '@writ/compiler';
import { loadPolicy, type Artifact, type Policy } from '@writ/runtime';

const repo = path.resolve(import.meta.dirname, '..', '..');

export interface CorpusPolicy {
  /** `examples/<name>` or `conformance/<name>`. */
  name: string;
  artifact: Artifact;
  policy: Policy;
}

function dirsWithPolicy(root: string): string[] {
  return readdirSync(root, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(path.join(root, d.name, 'policy.writ')))
    .map((d) => d.name)
    .sort();
}

/** Compiles one policy file; throws with the diagnostics if it does not compile. */
export function compileFile(file: string): Artifact {
  const r = compile([{ file: 'policy.writ', text: readFileSync(file, 'utf8') }]);
  const errors = r.diagnostics.filter((d) => d.severity === 'error');
  if (!r.artifact || errors.length > 0) {
    throw new Error(`${file} does not compile:\n${errors.map((d) => `${d.span.line}:${d.span.column} ${d.message}`).join('\n')}`);
  }
  return r.artifact;
}

/**
 * Every example and conformance policy, compiled and loaded, and the constructs policy of the SMT tests
 * (tests/smt/constructs.writ: every construct the encoder emits — untranslatable patterns, detectors on
 * numbers and lists, flows that need approval, tenant budgets, `called … within … where`).
 */
export function corpus(): CorpusPolicy[] {
  const out: CorpusPolicy[] = [];
  for (const [label, root] of [
    ['examples', path.join(repo, 'examples')],
    ['conformance', path.join(repo, 'tests', 'conformance')],
  ] as const) {
    for (const d of dirsWithPolicy(root)) {
      const artifact = compileFile(path.join(root, d, 'policy.writ'));
      out.push({ name: `${label}/${d}`, artifact, policy: loadPolicy(artifact) });
    }
  }
  const constructs = path.join(repo, 'tests', 'smt', 'constructs.writ');
  if (existsSync(constructs)) {
    const artifact = compileFile(constructs);
    out.push({ name: 'smt/constructs', artifact, policy: loadPolicy(artifact) });
  }
  return out;
}
