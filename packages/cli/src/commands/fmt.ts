/**
 * `writ fmt`: lays out `.writ` files canonically (the formatter the language server uses), in place; with
 * `--check`, lists the files that would change instead and exits 1 if there are any.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { formatSource, type Diagnostic } from '@writ/compiler';
import { EXIT, UserError } from '../errors.js';
import { listWritFiles } from '../io/policy-files.js';
import { diagnosticsJson, renderDiagnostic } from '../render/diagnostics.js';
import { colorEnabled } from '../render/style.js';

export interface FmtOptions {
  check?: boolean;
  json?: boolean;
}

interface FileOutcome {
  file: string;
  changed: boolean;
  diagnostics: Diagnostic[];
}

/** Runs `writ fmt`; returns the exit code. */
export function runFmt(paths: string[], opts: FmtOptions): number {
  if (paths.includes('-')) {
    if (paths.length > 1) throw new UserError("'-' (standard input) cannot be combined with other paths");
    return formatStdin(opts);
  }
  const files = listWritFiles(paths);
  if (files.length === 0) throw new UserError(`${paths.join(', ')}: no .writ files found`);
  const outcomes: FileOutcome[] = [];
  const texts = new Map<string, string>();
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      throw new UserError(`${file}: ${(e as Error).message}`);
    }
    texts.set(file, text);
    const r = formatSource(text, { file });
    if (r.text !== undefined && r.changed && !opts.check) writeFileSync(file, r.text);
    outcomes.push({ file, changed: r.changed, diagnostics: r.diagnostics });
  }
  const failed = outcomes.filter((o) => o.diagnostics.length > 0);
  const changed = outcomes.filter((o) => o.changed);
  if (opts.json) {
    const body = {
      ok: failed.length === 0 && (!opts.check || changed.length === 0),
      check: !!opts.check,
      files: outcomes.map((o) => ({
        file: o.file,
        changed: o.changed,
        ...(o.diagnostics.length ? { diagnostics: diagnosticsJson(o.diagnostics, process.cwd()) } : {}),
      })),
    };
    process.stdout.write(`${JSON.stringify(body, null, 2)}\n`);
  } else {
    const color = colorEnabled(process.stderr);
    for (const o of failed) for (const d of o.diagnostics) process.stderr.write(`${renderDiagnostic(d, texts, process.cwd(), color)}\n\n`);
    for (const o of changed) process.stdout.write(opts.check ? `would reformat ${o.file}\n` : `formatted ${o.file}\n`);
    const n = (k: number, w: string): string => `${k} file${k === 1 ? '' : 's'} ${w}`;
    const parts = [
      n(changed.length, opts.check ? 'would change' : 'formatted'),
      n(outcomes.length - changed.length - failed.length, 'unchanged'),
      ...(failed.length ? [n(failed.length, 'not formatted (syntax errors)')] : []),
    ];
    process.stdout.write(`${parts.join(', ')}\n`);
  }
  return failed.length > 0 || (opts.check && changed.length > 0) ? EXIT.failed : EXIT.ok;
}

function formatStdin(opts: FmtOptions): number {
  const text = readFileSync(0, 'utf8');
  const r = formatSource(text, { file: '<stdin>' });
  if (r.text === undefined) {
    if (opts.json) process.stdout.write(`${JSON.stringify({ ok: false, diagnostics: diagnosticsJson(r.diagnostics, process.cwd()) }, null, 2)}\n`);
    else for (const d of r.diagnostics) process.stderr.write(`${renderDiagnostic(d, new Map([['<stdin>', text]]), process.cwd(), colorEnabled(process.stderr))}\n\n`);
    return EXIT.failed;
  }
  if (opts.json) process.stdout.write(`${JSON.stringify({ ok: !opts.check || !r.changed, changed: r.changed, text: r.text }, null, 2)}\n`);
  else if (!opts.check) process.stdout.write(r.text);
  else if (r.changed) process.stdout.write('would reformat <stdin>\n');
  return opts.check && r.changed ? EXIT.failed : EXIT.ok;
}
