/**
 * The symbolic request and state of one query: every SMT constant, its sort, and what it stands for, so
 * that a model can be turned back into a concrete request and state (a counterexample).
 */
import type { FieldDecl, WritType } from '@writ/runtime';
import { str as strLit, sym } from './sexpr.js';

/** What an SMT constant or function stands for. */
export type Origin =
  | { kind: 'arg'; param: string; type: WritType }
  | { kind: 'has_arg'; param: string }
  | { kind: 'ctx'; field: string; type: WritType }
  | { kind: 'has_ctx'; field: string }
  | { kind: 'agent_id' }
  | { kind: 'tenant' }
  | { kind: 'has_tenant' }
  | { kind: 'has_session' }
  | { kind: 'role'; role: string }
  | { kind: 'usage_tokens' }
  | { kind: 'usage_cost_micros' }
  | { kind: 'hist_present'; entry: number }
  | { kind: 'hist_tool'; entry: number }
  | { kind: 'hist_age'; entry: number }
  | { kind: 'hist_arg'; entry: number; param: string; type: WritType }
  | { kind: 'taint'; label: string; param: string }
  | { kind: 'limit_full'; id: string }
  | { kind: 'budget_used'; id: string; dimension: 'cost_micros' | 'tokens' | 'calls' }
  | { kind: 'approval_status' }
  | { kind: 'detector'; detector: string; detectorKind: string; on: 'string' | 'number' | 'list' }
  | { kind: 'matches'; pattern: string };

export interface VarInfo {
  /** The quoted SMT symbol. */
  symbol: string;
  /** The SMT sort; for functions, `(Arg) Result`. */
  sort: string;
  fn: boolean;
  origin: Origin;
}

/** Largest magnitude of a JSON safe integer (the runtime's `integer` and `duration` domain). */
export const MAX_SAFE = '9007199254740991';
/** The runtime's default caps on string length and list length. */
export const MAX_STRING = 65_536;
export const MAX_LIST = 10_000;

/** SMT sort of a Writ type, or `undefined` if the type has no exact encoding (`any`, nested lists). */
export function sortOf(t: WritType): string | undefined {
  switch (t.kind) {
    case 'string':
    case 'enum':
      return 'String';
    case 'number':
    case 'money':
      return 'Real';
    case 'integer':
    case 'duration':
      return 'Int';
    case 'boolean':
      return 'Bool';
    case 'list': {
      const of = sortOf(t.of);
      return of && t.of.kind !== 'list' ? `(Seq ${of})` : undefined;
    }
    default:
      return undefined;
  }
}

/** Collects declarations and the domain constraints that make the symbolic request a valid one. */
export class VarTable {
  readonly vars = new Map<string, VarInfo>();
  readonly domain: string[] = [];

  constructor(readonly maxString = MAX_STRING) {}

  /** Declares a constant once; returns its symbol. */
  constant(name: string, sort: string, origin: Origin, domain?: (s: string) => string[]): string {
    const symbol = sym(name);
    if (!this.vars.has(symbol)) {
      this.vars.set(symbol, { symbol, sort, fn: false, origin });
      if (domain) this.domain.push(...domain(symbol));
    }
    return symbol;
  }

  /** Declares an uninterpreted function of one argument once; returns its symbol. */
  fn(name: string, arg: string, result: string, origin: Origin): string {
    const symbol = sym(name);
    if (!this.vars.has(symbol)) this.vars.set(symbol, { symbol, sort: `(${arg}) ${result}`, fn: true, origin });
    return symbol;
  }

  /** Domain constraints for a value of type `t` held by `s`, as the runtime's validation enforces them. */
  typeDomain(t: WritType, s: string): string[] {
    switch (t.kind) {
      case 'string':
        return [`(<= (str.len ${s}) ${this.maxString})`];
      case 'enum':
        return [t.values.length === 1 ? `(= ${s} ${strLit(t.values[0] as string)})` : `(or ${t.values.map((v) => `(= ${s} ${strLit(v)})`).join(' ')})`];
      case 'integer':
        return [`(<= (- ${MAX_SAFE}) ${s} ${MAX_SAFE})`];
      case 'duration':
        return [`(<= 0 ${s} ${MAX_SAFE})`];
      case 'list':
        return [`(<= (seq.len ${s}) ${MAX_LIST})`];
      default:
        return [];
    }
  }

  /** Declares a field (param or context) with its domain. */
  field(name: string, decl: FieldDecl, origin: Origin): string | undefined {
    const sort = sortOf(decl.type);
    if (!sort) return undefined;
    return this.constant(name, sort, origin, (s) => this.typeDomain(decl.type, s));
  }

  /** `declare-const` / `declare-fun` lines, in declaration order. */
  declarations(): string[] {
    return [...this.vars.values()].map((v) => (v.fn ? `(declare-fun ${v.symbol} ${v.sort})` : `(declare-const ${v.symbol} ${v.sort})`));
  }
}
