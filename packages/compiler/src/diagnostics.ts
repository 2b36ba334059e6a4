/**
 * Diagnostics: the compiler's only way of reporting problems in user input. Codes are stable: tools and
 * docs may refer to them (the catalogue is `DIAGNOSTIC_CODES`).
 */
import type { Span } from '@writ/runtime';

export type Severity = 'error' | 'warning' | 'info';

export interface Diagnostic {
  code: DiagnosticCode;
  severity: Severity;
  /** One line, no trailing period. */
  message: string;
  span: Span;
  /** Other places that explain this diagnostic (e.g. the first declaration of a duplicate). */
  related?: Array<{ message: string; span: Span }>;
  /** A suggested fix in words, shown as `help:` by the CLI. */
  help?: string;
}

/** Every diagnostic code with its meaning. E = error, W = warning. */
export const DIAGNOSTIC_CODES = {
  E0001: 'syntax error: unexpected or missing token',
  E0002: 'invalid token (a character the language does not use)',
  E0100: 'unknown tool',
  E0101: 'duplicate tool',
  E0102: 'unknown role',
  E0103: 'duplicate role',
  E0104: 'unknown parameter',
  E0105: 'duplicate parameter',
  E0106: 'unknown label',
  E0107: 'duplicate label',
  E0108: 'unknown context field',
  E0109: 'duplicate agent',
  E0110: 'duplicate group or context field',
  E0111: 'unknown reference root (use args, context, agent, result or prior)',
  E0200: 'type mismatch',
  E0201: 'unit mismatch (money, duration and plain numbers do not mix)',
  E0202: 'currency mismatch',
  E0203: 'value is not a member of the enum',
  E0204: 'invalid regular expression (RE2 syntax)',
  E0205: 'unknown detector or detector kind',
  E0206: 'number out of range or too precise',
  E0207: 'unknown type',
  E0208: 'invalid value for this position',
  E0300: 'missing policy header',
  E0301: 'duplicate policy header',
  E0302: 'approval needs `by role R`',
  W0001: 'deny rule without `because`',
  W0002: 'tool is declared but no rule mentions it',
  W0003: 'role is declared but never used',
} as const;

export type DiagnosticCode = keyof typeof DIAGNOSTIC_CODES;

/** Collects diagnostics during one compilation. */
export class DiagnosticBag {
  readonly items: Diagnostic[] = [];

  add(code: DiagnosticCode, span: Span, message: string, extra?: Pick<Diagnostic, 'related' | 'help'>): void {
    const severity: Severity = code.startsWith('W') ? 'warning' : 'error';
    this.items.push({ code, severity, message, span, ...extra });
  }

  get hasErrors(): boolean {
    return this.items.some((d) => d.severity === 'error');
  }
}

/** Sorts diagnostics by file, line, column (stable for equal positions). */
export function sortDiagnostics(ds: readonly Diagnostic[]): Diagnostic[] {
  return [...ds].sort(
    (a, b) =>
      a.span.file.localeCompare(b.span.file) || a.span.line - b.span.line || a.span.column - b.span.column,
  );
}
