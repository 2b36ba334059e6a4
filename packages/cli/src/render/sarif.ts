/**
 * SARIF 2.1.0 (OASIS Static Analysis Results Interchange Format) for code-scanning dashboards: one run,
 * one reporting descriptor per diagnostic code, one result per diagnostic with its source region.
 *
 * Regions are 1-based lines and columns in UTF-16 code units, as Writ spans count them (SARIF §3.30,
 * `columnKind: utf16CodeUnits`); `endColumn` is the column after the last character (§3.30.8), as in Writ.
 * File locations are URIs relative to the working directory, under the base id `%SRCROOT%` (§3.4.4),
 * which is how GitHub code scanning matches them to the repository.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Log, ReportingDescriptor, Result } from 'sarif';
import { UserError } from '../errors.js';
import { VERSION } from '../version.js';

export const SARIF_SCHEMA = 'https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json';

/** One diagnostic, tool-neutral. */
export interface SarifFinding {
  /** The diagnostic code (`E0201`, `W0301`, `assertion`, `shadowed`, …): the SARIF rule id. */
  code: string;
  /** What the code means in general (the rule's short description). */
  description?: string;
  level: 'error' | 'warning' | 'note';
  message: string;
  /** Absolute path of the file. */
  file?: string;
  /** 1-based; `endColumn` exclusive. */
  region?: { startLine: number; startColumn: number; endLine: number; endColumn: number };
  /** Further properties shown with the result (e.g. a counterexample request). */
  properties?: Record<string, unknown>;
}

/** A path as SARIF wants it: relative to `cwd` with `/` separators and URI escapes, or a file URI outside it. */
export function sarifUri(file: string, cwd = process.cwd()): { uri: string; uriBaseId?: string } {
  const rel = path.relative(cwd, file);
  if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel)) return { uri: pathToFileURL(file).href };
  return { uri: rel.split(path.sep).map(encodeURIComponent).join('/'), uriBaseId: '%SRCROOT%' };
}

/**
 * A SARIF log of `findings` from the Writ command `command` (`check`, `verify`).
 */
export function sarifLog(command: string, findings: readonly SarifFinding[], cwd = process.cwd()): Log {
  const rules: ReportingDescriptor[] = [];
  const index = new Map<string, number>();
  for (const f of findings) {
    if (index.has(f.code)) continue;
    index.set(f.code, rules.length);
    rules.push({ id: f.code, ...(f.description ? { shortDescription: { text: f.description } } : {}), defaultConfiguration: { level: f.level } });
  }
  const results: Result[] = findings.map((f) => {
    const r: Result = { ruleId: f.code, ruleIndex: index.get(f.code)!, level: f.level, message: { text: f.message } };
    if (f.file !== undefined) {
      r.locations = [
        {
          physicalLocation: {
            artifactLocation: sarifUri(f.file, cwd),
            ...(f.region ? { region: { ...f.region } } : {}),
          },
        },
      ];
    }
    if (f.properties) r.properties = f.properties;
    return r;
  });
  return {
    $schema: SARIF_SCHEMA,
    version: '2.1.0',
    runs: [
      {
        tool: { driver: { name: 'writ', version: VERSION, fullName: `writ ${command}`, rules } },
        originalUriBaseIds: { '%SRCROOT%': { uri: pathToFileURL(cwd.endsWith(path.sep) ? cwd : cwd + path.sep).href } },
        columnKind: 'utf16CodeUnits',
        results,
      },
    ],
  };
}

/** A Writ span (file relative to `root`) as a finding's file and region. */
export function spanLocation(root: string, span: { file: string; line: number; column: number; endLine: number; endColumn: number }): Pick<SarifFinding, 'file' | 'region'> {
  // An empty span (e.g. "expected a name but found end of file") stays an insertion point (§3.30.2).
  const endLine = Math.max(span.endLine, span.line);
  const endColumn = endLine === span.line ? Math.max(span.endColumn, span.column) : Math.max(1, span.endColumn);
  return { file: path.resolve(root, span.file), region: { startLine: span.line, startColumn: span.column, endLine, endColumn } };
}

/** Writes the log as JSON. @throws UserError when the file cannot be written */
export function writeSarif(file: string, log: Log): void {
  try {
    writeFileSync(file, `${JSON.stringify(log, null, 2)}\n`);
  } catch (e) {
    throw new UserError(`--sarif ${file}: ${(e as Error).message}`);
  }
}
