/**
 * Deciding concrete cases with the SMT encoding.
 *
 * The reference check, for one case, is three queries in a QuerySession of the tool's encoding (the
 * session opened on `script([enc], [])`, the case's pins as each query's assertions):
 * `pins ∧ effect.allow`, `pins ∧ effect.pending`, `pins ∧ effect.deny`; exactly one must be sat, and it is
 * the SMT's effect (an `unknown` is an error).
 *
 * That is too slow for thousands of cases on this machine, for two reasons measured here: each solver call
 * costs several ms of fixed overhead (z3-solver runs every check on a worker thread), and after a `push`
 * Z3 works incrementally, without its preprocessing: pinned values are not substituted into the
 * encoding's terms, so a ground `str.contains` or string length goes to the string solver (a batch of the
 * taint policy's cases timed out after 60 s that way). So cases are checked in batches, with one-shot
 * (non-incremental) checks, which preprocess the pins away, and the same meaning as the reference check:
 *
 * - the batch script declares n independent copies of the encoding (every symbol renamed `|cI!name|`);
 * - query 1: for every case i, `domain_i ∧ pins_i ∧ E_i` where E_i is the runtime's effect — sat iff every
 *   case's runtime effect is possible under its pins (the copies share no symbol, so a conjunction over
 *   copies is sat iff each conjunct is);
 * - query 2: every `domain_i ∧ pins_i`, and `∨_i (the other effects of case i)` — unsat iff no case admits
 *   another effect.
 *
 * Together: for every case, exactly the runtime's effect is sat. When a batch fails, each of its cases is
 * re-checked with the three reference queries, which name the disagreeing case and its SMT effects; the
 * test also runs the reference queries on a few cases of every tool, to check that both ways agree.
 * Constants are declared with `declare-fun … ()` (the same thing in SMT-LIB): `check` then reads no model
 * back, which would cost more than the check itself.
 */
import type { Artifact, Decision } from '@writ/runtime';
import { check, encodeTool, pinCase, QuerySession, script, type Case, type QueryResult, type SolverStatus, type ToolEncoding } from '@writ/verifier';

export type Effect = Decision['effect'];

/** Renames every quoted symbol `|x|` of an SMT-LIB text to `|c<k>!x|`; string literals are left alone. */
export function renameSymbols(text: string, k: number): string {
  let out = '';
  let i = 0;
  while (i < text.length) {
    const ch = text[i] as string;
    if (ch === '"') {
      let j = i + 1;
      for (;;) {
        if (j >= text.length) throw new Error(`unterminated string literal in ${text.slice(i, i + 40)}`);
        if (text[j] === '"') {
          if (text[j + 1] === '"') j += 2;
          else break;
        } else j++;
      }
      out += text.slice(i, j + 1);
      i = j + 1;
    } else if (ch === '|') {
      const j = text.indexOf('|', i + 1);
      if (j < 0) throw new Error('unterminated quoted symbol');
      out += `|c${k}!${text.slice(i + 1, j + 1)}`;
      i = j + 1;
    } else {
      out += ch;
      i++;
    }
  }
  return out;
}

/** The three effects' statuses of one case, as the reference queries give them. */
export interface SmtVerdict {
  allow: SolverStatus;
  pending_approval: SolverStatus;
  deny: SolverStatus;
}

export interface Disagreement {
  case: Case;
  runtime: Decision;
  smt: SmtVerdict;
}

const EFFECTS: Effect[] = ['allow', 'pending_approval', 'deny'];

function effectTerm(enc: ToolEncoding, e: Effect): string {
  return e === 'allow' ? enc.effect.allow : e === 'deny' ? enc.effect.deny : enc.effect.pending;
}

/** The SMT side of the differential test for one tool of one policy. */
export class ToolChecker {
  readonly enc: ToolEncoding;
  /** The number of symbolic history entries of the encoding: cases may have at most this many. */
  readonly historySize: number;
  private single?: QuerySession;
  /** The batch scripts' declarations and definitions, by number of copies. */
  private readonly bases = new Map<number, string>();
  /** Solver calls made. */
  queries = 0;

  constructor(
    readonly artifact: Artifact,
    readonly tool: string,
    readonly batchSize: number,
    readonly timeoutMs = 60_000,
  ) {
    this.enc = encodeTool(artifact, tool);
    this.historySize = [...this.enc.vars.vars.values()].filter((v) => v.origin.kind === 'hist_present').length;
  }

  private fail(r: QueryResult, what: string): never {
    throw new Error(`SMT query ${what} for tool '${this.tool}' was unknown (${r.reason ?? 'no reason'}) after ${Math.round(r.ms)} ms`);
  }

  private async run(session: QuerySession, asserts: string[], what: string): Promise<QueryResult> {
    this.queries++;
    const r = await session.check(asserts, { model: false });
    if (r.status === 'unknown') this.fail(r, what);
    return r;
  }

  private async runScript(text: string, what: string): Promise<QueryResult> {
    this.queries++;
    const r = await check(text, this.timeoutMs);
    if (r.status === 'unknown') this.fail(r, what);
    return r;
  }

  /** Declarations and definitions of `n` renamed copies of the encoding. */
  private base(n: number): string {
    let b = this.bases.get(n);
    if (b === undefined) {
      const decls = this.enc.vars.declarations().map((d) => d.replace(/^\(declare-const (\|[^|]*\|) (.*)\)$/, '(declare-fun $1 () $2)'));
      const lines = ['(set-logic ALL)'];
      for (let k = 0; k < n; k++) for (const l of [...decls, ...this.enc.definitions]) lines.push(renameSymbols(l, k));
      b = `${lines.join('\n')}\n`;
      this.bases.set(n, b);
    }
    return b;
  }

  /** The reference check: the three effect queries of one case, in a session of the plain encoding. */
  async verdict(c: Case): Promise<SmtVerdict> {
    this.single ??= await QuerySession.open(script([this.enc], []), this.timeoutMs);
    const pins = pinCase(this.artifact, this.enc, c);
    const out = {} as SmtVerdict;
    for (const e of EFFECTS) out[e] = (await this.run(this.single, [...pins, effectTerm(this.enc, e)], `pins ∧ ${e}`)).status;
    return out;
  }

  /** True when the verdict is "exactly `effect` is sat". */
  static agrees(v: SmtVerdict, effect: Effect): boolean {
    return EFFECTS.every((e) => (v[e] === 'sat') === (e === effect));
  }

  /**
   * Checks cases (at most `batchSize`) decided by the runtime; returns the disagreements (empty when the
   * SMT encoding gives every case exactly the runtime's effect).
   */
  async check(items: ReadonlyArray<{ case: Case; runtime: Decision }>): Promise<Disagreement[]> {
    if (items.length === 0) return [];
    if (items.length > this.batchSize) throw new Error(`batch of ${items.length} > ${this.batchSize}`);
    const pinned: string[] = [];
    const own: string[] = [];
    const others: string[] = [];
    items.forEach((it, k) => {
      const pins = [...this.enc.vars.domain, ...pinCase(this.artifact, this.enc, it.case)];
      pinned.push(...pins.map((p) => `(assert ${renameSymbols(p, k)})`));
      own.push(`(assert ${renameSymbols(effectTerm(this.enc, it.runtime.effect), k)})`);
      for (const e of EFFECTS) if (e !== it.runtime.effect) others.push(renameSymbols(effectTerm(this.enc, e), k));
    });
    const base = this.base(items.length);
    const q1 = await this.runScript(`${base}${pinned.join('\n')}\n${own.join('\n')}\n`, `∧ (pins_i ∧ runtime effect_i) over ${items.length} cases`);
    const q2 =
      q1.status === 'sat'
        ? await this.runScript(`${base}${pinned.join('\n')}\n(assert (or ${others.join(' ')}))\n`, `∧ pins_i ∧ ∨ other effects_i over ${items.length} cases`)
        : undefined;
    if (q1.status === 'sat' && q2?.status === 'unsat') return [];
    // Something disagrees: find out which cases with the reference queries.
    const out: Disagreement[] = [];
    for (const it of items) {
      const v = await this.verdict(it.case);
      if (!ToolChecker.agrees(v, it.runtime.effect)) out.push({ case: it.case, runtime: it.runtime, smt: v });
    }
    if (out.length === 0) throw new Error(`tool '${this.tool}': the batch queries disagree (q1 ${q1.status}, q2 ${q2?.status}) but every reference check agrees`);
    return out;
  }

  close(): void {
    this.single?.close();
  }
}

/** A readable account of a disagreement, for the failure message. */
export function describeDisagreement(policy: string, d: Disagreement): string {
  const sat = EFFECTS.filter((e) => d.smt[e] === 'sat');
  return [
    `runtime and SMT disagree on policy ${policy}, tool '${d.case.request.tool}':`,
    `request: ${JSON.stringify(d.case.request)}`,
    `state:   ${JSON.stringify(d.case.state)}`,
    `runtime: ${d.runtime.effect}${d.runtime.denial ? ` (${d.runtime.denial})` : ''}; reasons: ${JSON.stringify(d.runtime.reasons.map((r) => ({ rule: r.rule, kind: r.kind, message: r.message })))}`,
    `SMT:     sat for [${sat.join(', ') || 'none'}] (allow ${d.smt.allow}, pending_approval ${d.smt.pending_approval}, deny ${d.smt.deny})`,
  ].join('\n');
}

