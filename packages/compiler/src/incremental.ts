/**
 * Incremental compilation for editors: the diagnostics, ASTs and symbols of `compile`, recomputed after an
 * edit from what changed only.
 *
 * - Parsing: each file is re-parsed incrementally (`syntax/incremental.ts`): untouched statements keep
 *   their AST objects.
 * - Binding is cheap (one pass over the declarations) and runs every time.
 * - Checking: a statement's diagnostics depend only on the statement and on the declarations. Results are
 *   cached per statement object, and the whole cache is dropped when any declaration (role, agent, tool,
 *   group, context, label) changes. A statement that only moved by whole lines reuses its results, moved.
 *
 * The diagnostics equal `compile`'s for the same sources (a property test checks it); there is no
 * artifact: editors get it from `compile` when they need one (e.g. to verify on save).
 */
import type { Span } from '@writ/runtime';
import type { CompileResult, Source } from './compile.js';
import { DiagnosticBag, sortDiagnostics, type Diagnostic } from './diagnostics.js';
import { PolicyChecker } from './semantics/check-policy.js';
import { bind, type Symbols } from './semantics/symbols.js';
import type * as A from './syntax/ast.js';
import { parseIncremental, reparseIncremental, type IncrementalFile } from './syntax/incremental.js';

const DECLARATION_KINDS = new Set<A.Statement['kind']>(['role', 'agent', 'tool', 'group', 'context', 'label']);

interface CachedCheck {
  line: number;
  diagnostics: Diagnostic[];
  permitted: string[];
  usedRoles: string[];
}

/** The span parser recovery gives nodes it built without a location. */
function isPlaceholder(s: Span): boolean {
  return s.line === 1 && s.endLine === 1 && s.column === 1 && s.endColumn === 1;
}

function moveSpan(s: Span, lines: number): Span {
  // The placeholder span does not move with its statement.
  if (isPlaceholder(s)) return { ...s };
  return { ...s, line: s.line + lines, endLine: s.endLine + lines };
}

function moveDiagnostic(d: Diagnostic, lines: number): Diagnostic {
  return {
    ...d,
    span: moveSpan(d.span, lines),
    ...(d.related ? { related: d.related.map((r) => ({ ...r, span: moveSpan(r.span, lines) })) } : {}),
  };
}

/** A declaration without its positions, for detecting changes to the symbol table. */
const declarationText = new WeakMap<A.Statement, string>();
function declarationKey(s: A.Statement): string {
  let k = declarationText.get(s);
  if (k === undefined) {
    k = JSON.stringify(s, (key, v: unknown) => (key === 'span' ? undefined : v));
    declarationText.set(s, k);
  }
  return k;
}

/** Keeps one policy's parse and check results between edits. */
export class IncrementalCompiler {
  private files = new Map<string, IncrementalFile>();
  private checks = new WeakMap<A.Statement, CachedCheck>();
  private declarations = '';

  /**
   * Compiles the policy's current sources, re-using the work of the previous call where the sources did not
   * change. Never throws on user input.
   */
  update(sources: readonly Source[]): Omit<CompileResult, 'artifact'> {
    const parsed: IncrementalFile[] = [];
    const next = new Map<string, IncrementalFile>();
    for (const s of sources) {
      const prev = this.files.get(s.file);
      const f = prev ? reparseIncremental(prev, s.text) : parseIncremental(s.file, s.text);
      next.set(s.file, f);
      parsed.push(f);
    }
    this.files = next;
    const files = parsed.map((f) => f.sourceFile);

    const diags = new DiagnosticBag();
    for (const f of parsed) diags.items.push(...f.diagnostics);
    const symbols: Symbols = bind(files, diags);
    if (!symbols.policy) {
      const file = sources[0]?.file ?? '<input>';
      diags.add('E0300', { file, line: 1, column: 1, endLine: 1, endColumn: 1 }, 'missing `policy "name" version "x.y.z"` header');
    }
    const key = files.map((f) => f.statements.filter((s) => DECLARATION_KINDS.has(s.kind)).map(declarationKey).join('\n')).join('\n\f\n');
    if (key !== this.declarations) {
      this.declarations = key;
      this.checks = new WeakMap();
    }
    const noText = (): string => '';
    new PolicyChecker(symbols, diags, noText).checkDeclarations();
    const permitted = new Set<string>();
    const usedRoles = new Set<string>();
    for (const f of files) {
      for (const s of f.statements) {
        let c = this.checks.get(s);
        if (c && c.line !== s.span.line) {
          const lines = s.span.line - c.line;
          c = { ...c, line: s.span.line, diagnostics: c.diagnostics.map((d) => moveDiagnostic(d, lines)) };
          this.checks.set(s, c);
        }
        if (!c) {
          const bag = new DiagnosticBag();
          const r = new PolicyChecker(symbols, bag, noText).checkStatement(s);
          // Copies: a diagnostic's span is often the AST node's own span object, which moves in place when
          // the statement moves (see syntax/incremental.ts); the cached copy is moved explicitly instead.
          c = { line: s.span.line, diagnostics: bag.items.map((d) => moveDiagnostic(d, 0)), ...r };
          // A statement that recovery left without a location cannot be followed as lines move: not cached.
          if (!isPlaceholder(s.span)) this.checks.set(s, c);
        }
        diags.items.push(...c.diagnostics);
        for (const t of c.permitted) permitted.add(t);
        for (const r of c.usedRoles) usedRoles.add(r);
      }
    }
    new PolicyChecker(symbols, diags, noText).warnUnused(permitted, usedRoles);
    return { diagnostics: sortDiagnostics(diags.items), files, symbols };
  }
}
