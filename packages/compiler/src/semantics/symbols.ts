/**
 * The binder: collects every declaration of a policy (across all its files) into one symbol table and
 * reports duplicates. Names are resolved against this table by the checker.
 */
import type { FieldDecl, Span, WritType } from '@writ/runtime';
import type { DiagnosticBag } from '../diagnostics.js';
import type * as A from '../syntax/ast.js';
import { isCurrencyCode } from '../units.js';
import { suggest } from './suggest.js';

/** Context keys the runtime reserves; a policy may not declare them. */
export const RESERVED_CONTEXT = ['session', 'time', 'labels', 'usage'] as const;

/** Labels that exist without a declaration: each is sourced by the detector of the same name. */
export const BUILTIN_LABELS = ['pii', 'secret', 'injection'] as const;

export interface ToolSymbol {
  stmt: Extract<A.Statement, { kind: 'tool' }>;
  params: Map<string, FieldDecl>;
  order: string[];
}

export interface Symbols {
  policy?: { name: string; version: string; span: Span };
  roles: Map<string, Span>;
  agents: Map<string, { roles: string[]; tenant?: string; span: Span }>;
  tools: Map<string, ToolSymbol>;
  groups: Map<string, { members: A.Ident[]; span: Span }>;
  context: Map<string, FieldDecl>;
  labels: Map<string, { stmt: Extract<A.Statement, { kind: 'label' }> | undefined; span: Span | undefined }>;
}

/**
 * Resolves a written type. Unknown type names and malformed arguments are reported (E0207, E0202) and
 * yield `undefined`.
 */
export function resolveType(t: A.TypeNode | undefined, diags: DiagnosticBag): WritType | undefined {
  if (!t) return undefined;
  const name = t.name.name;
  const noArgs = (): boolean => {
    if (t.currency || t.values || t.of) {
      diags.add('E0207', t.span, `type '${name}' takes no arguments`);
      return false;
    }
    return true;
  };
  switch (name) {
    case 'string':
    case 'number':
    case 'integer':
    case 'boolean':
    case 'duration':
    case 'any':
      return noArgs() ? { kind: name } : undefined;
    case 'money':
      if (!t.currency || !isCurrencyCode(t.currency.name)) {
        diags.add('E0202', t.span, 'money needs a currency code, e.g. money(USD)');
        return undefined;
      }
      return { kind: 'money', currency: t.currency.name };
    case 'enum': {
      const values = t.values?.map((v) => v.value) ?? [];
      if (values.length === 0) {
        diags.add('E0207', t.span, 'enum needs at least one value, e.g. enum("dev", "prod")');
        return undefined;
      }
      return { kind: 'enum', values: [...new Set(values)] };
    }
    case 'list': {
      const of = resolveType(t.of, diags);
      if (!t.of) diags.add('E0207', t.span, 'list needs an element type, e.g. list(string)');
      return of ? { kind: 'list', of } : undefined;
    }
    default:
      diags.add('E0207', t.name.span, `unknown type '${name}'`, {
        help: `types are ${['string', 'number', 'integer', 'boolean', 'money(CUR)', 'duration', 'enum(...)', 'list(T)'].join(', ')}${hint(name, ['string', 'number', 'integer', 'boolean', 'money', 'duration', 'enum', 'list'])}`,
      });
      return undefined;
  }
}

function hint(name: string, candidates: Iterable<string>): string {
  const s = suggest(name, candidates);
  return s ? `; did you mean '${s}'?` : '';
}

/** Binds every declaration in `files`; reports duplicates (E0101, E0103, E0105, E0107, E0109, E0110, E0301). */
export function bind(files: readonly A.SourceFile[], diags: DiagnosticBag): Symbols {
  const sym: Symbols = {
    roles: new Map(),
    agents: new Map(),
    tools: new Map(),
    groups: new Map(),
    context: new Map(),
    labels: new Map(),
  };
  for (const l of BUILTIN_LABELS) sym.labels.set(l, { stmt: undefined, span: undefined });
  const dup = (code: Parameters<DiagnosticBag['add']>[0], what: string, name: string, span: Span, first: Span): void =>
    diags.add(code, span, `duplicate ${what} '${name}'`, { related: [{ message: 'first declared here', span: first }] });

  for (const f of files) {
    for (const s of f.statements) {
      switch (s.kind) {
        case 'policy':
          if (sym.policy) {
            diags.add('E0301', s.span, 'a policy has one `policy` header', {
              related: [{ message: 'first header here', span: sym.policy.span }],
            });
          } else sym.policy = { name: s.name.value, version: s.version.value, span: s.span };
          break;
        case 'role':
          for (const r of s.names) {
            const prev = sym.roles.get(r.name);
            if (prev) dup('E0103', 'role', r.name, r.span, prev);
            else sym.roles.set(r.name, r.span);
          }
          break;
        case 'agent': {
          const prev = sym.agents.get(s.id.value);
          if (prev) dup('E0109', 'agent', s.id.value, s.id.span, prev.span);
          else
            sym.agents.set(s.id.value, {
              roles: s.roles.map((r) => r.name),
              ...(s.tenant ? { tenant: s.tenant.value } : {}),
              span: s.span,
            });
          break;
        }
        case 'tool': {
          const prev = sym.tools.get(s.name.name) ?? sym.groups.get(s.name.name);
          if (prev) {
            dup('E0101', 'tool', s.name.name, s.name.span, 'stmt' in prev ? prev.stmt.name.span : prev.span);
            break;
          }
          const params = new Map<string, FieldDecl>();
          const order: string[] = [];
          for (const p of s.params) {
            const prevP = params.get(p.name.name);
            if (prevP) {
              dup('E0105', 'parameter', p.name.name, p.name.span, prevP.span);
              continue;
            }
            const type = resolveType(p.type, diags);
            params.set(p.name.name, { type: type ?? { kind: 'any' }, optional: p.optional, span: p.name.span });
            order.push(p.name.name);
          }
          sym.tools.set(s.name.name, { stmt: s, params, order });
          break;
        }
        case 'group': {
          const prev = sym.groups.get(s.name.name) ?? sym.tools.get(s.name.name);
          if (prev) dup('E0110', 'group', s.name.name, s.name.span, 'stmt' in prev ? prev.stmt.name.span : prev.span);
          else sym.groups.set(s.name.name, { members: s.members, span: s.name.span });
          break;
        }
        case 'context': {
          if ((RESERVED_CONTEXT as readonly string[]).includes(s.name.name)) {
            diags.add('E0208', s.name.span, `context.${s.name.name} is reserved by the runtime and cannot be declared`);
            break;
          }
          const prev = sym.context.get(s.name.name);
          if (prev) {
            dup('E0110', 'context field', s.name.name, s.name.span, prev.span);
            break;
          }
          const type = resolveType(s.type, diags);
          sym.context.set(s.name.name, { type: type ?? { kind: 'any' }, optional: true, span: s.name.span });
          break;
        }
        case 'label': {
          const prev = sym.labels.get(s.name.name);
          if (prev) {
            if (prev.span) dup('E0107', 'label', s.name.name, s.name.span, prev.span);
            else diags.add('E0107', s.name.span, `'${s.name.name}' is a built-in label (sourced by the ${s.name.name} detector)`);
          } else sym.labels.set(s.name.name, { stmt: s, span: s.name.span });
          break;
        }
        default:
          break;
      }
    }
  }
  return sym;
}
