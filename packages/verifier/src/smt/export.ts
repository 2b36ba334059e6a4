/**
 * The queries `writ verify` asks, as data: one place that says what each query asserts and what its answer
 * means, shared by the checker (`checks.ts`, which asks a pruned subset of them incrementally) and the
 * SMT-LIB export (`writ smt`, which writes every one of them as a self-contained script).
 *
 * Every query is "is this satisfiable over the tool's encoding?":
 *
 * | kind        | asserts                          | sat means                         | unsat means                      |
 * |-------------|----------------------------------|-----------------------------------|----------------------------------|
 * | `assertion` | `never E`: effect=E ∧ C          | a counterexample                  | the assertion holds on the tool  |
 * |             | `always E`: C ∧ effect≠E         |                                   |                                  |
 * | `vacuous`   | match(r)                         | the rule can match                | the rule never matches (vacuous) |
 * | `shadowed`  | match(r) ∧ ¬denied               | some match is not overridden      | a deny always overrides it       |
 * | `redundant` | match(r) ∧ ¬match(r')            | r matches somewhere r' does not   | r' implies r on this tool        |
 * | `dead_tool` | effect=allow                     | some request is allowed           | no request is ever allowed       |
 */
import type { Artifact, Assertion, Rule, Span } from '@writ/runtime';
import { encodeTool, type ToolEncoding } from './encode.js';
import { not } from './sexpr.js';
import { script } from './script.js';
import { check, type SolverStatus } from './solver.js';

export type QueryKind = 'assertion' | 'vacuous' | 'shadowed' | 'redundant' | 'dead_tool';

/** One satisfiability query over one tool's encoding. */
export interface Query {
  kind: QueryKind;
  tool: string;
  /** The assertion id, the rule id (`file:line`), or the tool name (dead tool). */
  subject: string;
  span?: Span;
  /** For `redundant`: the rule that may imply `subject`. */
  other?: string;
  otherSpan?: Span;
  /** Terms asserted on top of the encoding. */
  asserts: string[];
  /** What the query asks, in words. */
  meaning: string;
  /** What a `sat` answer means, and what `unsat` means. */
  sat: string;
  unsat: string;
}

const effectTerm = (enc: ToolEncoding, e: Assertion['effect']) =>
  e === 'allow' ? enc.effect.allow : e === 'deny' ? enc.effect.deny : enc.effect.pending;

/** `never E T when C`: effect = E ∧ C; `always E T when C`: C ∧ effect ≠ E. A model is a counterexample. */
export function assertionQuery(enc: ToolEncoding, a: Assertion): Query {
  const e = effectTerm(enc, a.effect);
  const cond = enc.condition(a.when);
  return {
    kind: 'assertion',
    tool: enc.tool,
    subject: a.id,
    span: a.span,
    asserts: a.quantifier === 'never' ? [e, cond] : [not(e), cond],
    meaning: `is there a request to ${enc.tool}, in some state, that violates \`${a.text}\`?`,
    sat: 'the assertion fails: the model is a counterexample',
    unsat: `the assertion holds for every request to ${enc.tool} in every state`,
  };
}

/** Can the rule match at all on this tool? */
export function matchQuery(enc: ToolEncoding, r: Rule): Query {
  return {
    kind: 'vacuous',
    tool: enc.tool,
    subject: r.id,
    span: r.span,
    asserts: [enc.match.get(r.id)!],
    meaning: `can the ${r.effect} rule ${r.id} match some request to ${enc.tool}?`,
    sat: 'the rule can match',
    unsat: `the rule never matches a request to ${enc.tool} (vacuous there)`,
  };
}

/** Can the allow/approve rule match where no deny (rule, flow, kill switch) denies? */
export function unshadowedQuery(enc: ToolEncoding, r: Rule): Query {
  return {
    kind: 'shadowed',
    tool: enc.tool,
    subject: r.id,
    span: r.span,
    asserts: [enc.match.get(r.id)!, not(enc.denied)],
    meaning: `can the ${r.effect} rule ${r.id} match a request to ${enc.tool} that no deny rule, flow or kill switch denies?`,
    sat: 'the rule is not shadowed on this tool',
    unsat: `a deny always overrides the rule on ${enc.tool} (shadowed there)`,
  };
}

/** Does `r` match somewhere `other` (same effect) does not? Unsat: `other` implies `r`. */
export function impliedQuery(enc: ToolEncoding, r: Rule, other: Rule): Query {
  return {
    kind: 'redundant',
    tool: enc.tool,
    subject: r.id,
    span: r.span,
    other: other.id,
    otherSpan: other.span,
    asserts: [enc.match.get(r.id)!, not(enc.match.get(other.id)!)],
    meaning: `does the ${r.effect} rule ${r.id} match some request to ${enc.tool} that ${other.id} does not?`,
    sat: `${r.id} is not implied by ${other.id} on this tool`,
    unsat: `${r.id} is implied by ${other.id} on ${enc.tool}: wherever it matches, so does ${other.id}`,
  };
}

/** Can any request to the tool be allowed? */
export function deadToolQuery(enc: ToolEncoding): Query {
  return {
    kind: 'dead_tool',
    tool: enc.tool,
    subject: enc.tool,
    asserts: [enc.effect.allow],
    meaning: `can any request to ${enc.tool} be allowed, in some state?`,
    sat: 'some request is allowed',
    unsat: `no request to ${enc.tool} can ever be allowed (dead tool)`,
  };
}

/** The assertions that cover `tool`. */
export function assertionsFor(artifact: Artifact, tool: string): Assertion[] {
  return artifact.asserts.filter((a) => a.tools[0] === '*' || a.tools.includes(tool));
}

/** The rules of `tool`'s index: deny, approve, allow. */
export function rulesFor(artifact: Artifact, tool: string): Rule[] {
  const ix = artifact.index[tool];
  return ix ? [...ix.deny, ...ix.approve, ...ix.allow].map((i) => artifact.rules[i] as Rule) : [];
}

/**
 * Every query `writ verify` may ask about one tool, in the order it asks them: its assertions; per rule,
 * whether it can match and (allow/approve) whether it is shadowed; every ordered pair of rules of the same
 * effect for redundancy; the dead-tool query. (`verify` skips the queries whose answer is already implied,
 * e.g. the shadowing of a rule that cannot match.)
 */
export function toolQueries(artifact: Artifact, enc: ToolEncoding, options: { analyses?: boolean } = {}): Query[] {
  const out = assertionsFor(artifact, enc.tool).map((a) => assertionQuery(enc, a));
  if (options.analyses !== false) {
    const rules = rulesFor(artifact, enc.tool);
    for (const r of rules) {
      out.push(matchQuery(enc, r));
      if (r.effect !== 'deny') out.push(unshadowedQuery(enc, r));
    }
    for (const r of rules) {
      for (const other of rules) if (other.id !== r.id && other.effect === r.effect) out.push(impliedQuery(enc, r, other));
    }
  }
  out.push(deadToolQuery(enc));
  return out;
}

/** One exported query: its SMT-LIB text and the answer z3-solver gave. */
export interface ExportedQuery {
  /** File name (no directory), unique within the export. */
  file: string;
  query: Query;
  /** The complete SMT-LIB 2 script, comments first, ending with `(check-sat)`. */
  text: string;
  expect: SolverStatus;
  /** With `unknown`: the solver's reason. */
  reason?: string;
  ms: number;
}

export interface ExportOptions {
  /** Per query, ms. */
  timeoutMs?: number;
  /** Include the rule analyses (default true). */
  analyses?: boolean;
  /** Called after each tool. */
  onProgress?: (done: number, total: number, tool: string) => void;
}

const spanText = (s: Span | undefined) => (s ? `${s.file}:${s.line}:${s.column}-${s.endLine}:${s.endColumn}` : '');
const slug = (s: string) => s.replace(/[^A-Za-z0-9._-]+/g, '_');

/**
 * Every query of every tool as a self-contained SMT-LIB 2 script, each checked once by z3-solver (on that
 * exact text) so that the script can say what answer to expect from any other solver.
 * @throws EncodingError when the artifact uses a construct without an exact encoding
 */
export async function exportQueries(artifact: Artifact, options: ExportOptions = {}): Promise<ExportedQuery[]> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const tools = Object.keys(artifact.tools);
  const out: ExportedQuery[] = [];
  let done = 0;
  for (const tool of tools) {
    const enc = encodeTool(artifact, tool);
    for (const q of toolQueries(artifact, enc, options)) {
      const comments = [
        `Writ query ${out.length + 1}: ${q.kind}`,
        `policy: ${artifact.policy.name}@${artifact.policy.version} ${artifact.digest}`,
        `tool: ${q.tool}`,
        ...(q.kind === 'dead_tool' ? [] : [`${q.kind === 'assertion' ? 'assertion' : 'rule'}: ${q.subject} (${spanText(q.span)})`]),
        ...(q.other ? [`other rule: ${q.other} (${spanText(q.otherSpan)})`] : []),
        `question: ${q.meaning}`,
        `sat: ${q.sat}`,
        `unsat: ${q.unsat}`,
        ...enc.notes.map((n) => `note: ${n}`),
        'check with: z3 -smt2 FILE, or cvc5 --lang smt2 --strings-exp FILE (cvc5 needs --strings-exp for str.contains, str.prefixof, seq.contains)',
      ];
      const body = script([enc], q.asserts);
      const r = await check(body, timeoutMs);
      const file = `${String(out.length + 1).padStart(4, '0')}-${q.kind}-${slug(q.tool)}${q.kind === 'dead_tool' ? '' : `-${slug(q.subject)}`}${q.other ? `-by-${slug(q.other)}` : ''}.smt2`;
      const text = `${comments.map((c) => `; ${c.replace(/\n/g, ' ')}`).join('\n')}\n; expect: ${r.status}\n${body}(check-sat)\n`;
      out.push({ file, query: q, text, expect: r.status, ...(r.reason ? { reason: r.reason } : {}), ms: r.ms });
    }
    options.onProgress?.(++done, tools.length, tool);
  }
  return out;
}
