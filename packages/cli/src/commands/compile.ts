/**
 * `writ compile`: a policy to its decision-table artifact.
 */
import { writeFileSync } from 'node:fs';
import { compile } from '@writ/compiler';
import { EXIT, UserError } from '../errors.js';
import { readPolicySources } from '../io/policy-files.js';
import { diagnosticsJson, renderDiagnostic, summary } from '../render/diagnostics.js';
import { colorEnabled } from '../render/style.js';

export interface CompileOptions {
  out?: string;
  json?: boolean;
}

export function runCompile(paths: string[], opts: CompileOptions): number {
  const { root, sources } = readPolicySources(paths);
  const result = compile(sources);
  const texts = new Map(sources.map((s) => [s.file, s.text]));
  if (!result.artifact) {
    if (opts.json) {
      process.stdout.write(`${JSON.stringify({ ok: false, diagnostics: diagnosticsJson(result.diagnostics, root) }, null, 2)}\n`);
    } else {
      const color = colorEnabled(process.stderr);
      for (const d of result.diagnostics) process.stderr.write(`${renderDiagnostic(d, texts, root, color)}\n\n`);
      process.stderr.write(`failed: ${summary(result.diagnostics)}\n`);
    }
    return EXIT.failed;
  }
  const a = result.artifact;
  const text = `${JSON.stringify(a, null, 2)}\n`;
  if (opts.out) {
    try {
      writeFileSync(opts.out, text);
    } catch (e) {
      throw new UserError(`${opts.out}: ${(e as Error).message}`);
    }
  }
  if (opts.json) {
    const info = { ok: true, out: opts.out ?? null, policy: a.policy, digest: a.digest, tools: Object.keys(a.tools).length, rules: a.rules.length, diagnostics: diagnosticsJson(result.diagnostics, root) };
    process.stdout.write(`${JSON.stringify(opts.out ? info : a, null, 2)}\n`);
  } else if (!opts.out) {
    process.stdout.write(text);
  } else {
    const color = colorEnabled(process.stderr);
    for (const d of result.diagnostics) process.stderr.write(`${renderDiagnostic(d, texts, root, color)}\n\n`);
    process.stderr.write(
      `compiled ${a.policy.name}@${a.policy.version}: ${Object.keys(a.tools).length} tools, ${a.rules.length} rules -> ${opts.out}\n${a.digest}\n`,
    );
  }
  return EXIT.ok;
}
