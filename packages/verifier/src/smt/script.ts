/**
 * Assembles SMT-LIB 2 scripts from an encoding: declarations, the request's domain, named terms, then the
 * query's own assertions.
 */
import type { ToolEncoding } from './encode.js';

/** The body of a query script (no `check-sat`): everything a solver needs to decide `asserts`. */
export function script(encodings: readonly ToolEncoding[], asserts: readonly string[], comments: readonly string[] = []): string {
  const lines: string[] = [...comments.map((c) => `; ${c}`), '(set-logic ALL)'];
  const seen = new Set<string>();
  for (const e of encodings) {
    for (const d of e.vars.declarations()) if (!seen.has(d)) (seen.add(d), lines.push(d));
  }
  for (const e of encodings) for (const d of e.vars.domain) if (!seen.has(d)) (seen.add(d), lines.push(`(assert ${d})`));
  for (const e of encodings) for (const d of e.definitions) if (!seen.has(d)) (seen.add(d), lines.push(d));
  for (const a of asserts) lines.push(`(assert ${a})`);
  return `${lines.join('\n')}\n`;
}
