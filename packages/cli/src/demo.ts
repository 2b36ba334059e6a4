/**
 * `npm run demo`: compiles an example policy, decides its scenario requests in order, prints a table.
 * Usage: node packages/cli/dist/demo.js [example-dir]
 */
import { compile } from '@writ/compiler';
import { loadPolicy } from '@writ/runtime';
import { readPolicySources } from './io/policy-files.js';
import { readScenarios, runScenarios } from './io/scenarios.js';
import { effectText, whereOf } from './render/decision.js';
import { renderDiagnostic } from './render/diagnostics.js';
import { colorEnabled, styler } from './render/style.js';

const dir = process.argv[2] ?? 'examples/customer-support';
const color = colorEnabled();
const s = styler(color);
const { root, sources } = readPolicySources([dir]);
const result = compile(sources);
if (!result.artifact) {
  const texts = new Map(sources.map((x) => [x.file, x.text]));
  for (const d of result.diagnostics) console.error(renderDiagnostic(d, texts, root, color));
  process.exit(1);
}
const policy = loadPolicy(result.artifact);
const results = runScenarios(dir, policy, readScenarios(dir));

const pad = (t: string, n: number, visible = t.length) => t + ' '.repeat(Math.max(1, n - visible));
console.log(s('bold', `${policy.name}@${policy.version}`) + s('dim', `  ${policy.digest}`));
console.log(s('dim', `compiled ${sources.length} file(s) from ${dir}: ${Object.keys(result.artifact.tools).length} tools, ${result.artifact.rules.length} rules\n`));
console.log(s('bold', `${pad('#', 4)}${pad('scenario', 50)}${pad('effect', 24)}deciding rule`));
let failed = 0;
results.forEach((r, i) => {
  const d = r.decision;
  const eff = effectText(d, color);
  const plain = effectText(d, false);
  const where = whereOf(d.reasons[0], root);
  const mark = r.problems.length ? s('red', '  ✗ ' + r.problems.join('; ')) : '';
  if (r.problems.length) failed++;
  console.log(`${pad(String(i + 1), 4)}${pad(r.scenario.name, 50)}${pad(eff, 24, plain.length)}${where}${mark}`);
  console.log(s('dim', `    ${r.requestText.trim()}`));
  console.log(s('dim', `    ${d.reasons[0]?.message ?? ''}`));
});
console.log(`\n${results.length - failed}/${results.length} scenarios decided as expected`);
process.exitCode = failed ? 1 : 0;
