/**
 * Coverage of a policy by its test cases.
 *
 * - **Rules**: a pre rule (allow, deny, approve) or post deny rule is exercised when its condition held
 *   (or, for a deny, approve or post deny rule, it was errored and so matched) for some case's request; a
 *   post redact rule when it redacted something in a case; a flow, limit or budget when a case's decision
 *   named it (it denied, asked for approval or warned).
 * - **Clauses**: every operand of each condition's `and` / `or` / `not` (`clausesOf` in @writ/runtime),
 *   evaluated for every valid case request of a tool the rule applies to; each has two outcomes, true and
 *   false, and is fully covered when the suite produced both.
 *
 * Clause spans come from the policy's syntax tree (the artifact keeps the condition's structure, not the
 * spans of its parts): the clause at path [i, j] is the j-th operand of the i-th operand in both.
 */
import { DiagnosticBag, parseSource, sliceSpan, type Ast } from '@writ/compiler';
import { clausesOf, type Expr, type Span } from '@writ/runtime';
import type { CaseResult, TestTarget } from './run.js';

export interface CoverageItem {
  id: string;
  /** `allow`, `deny`, `approve`, `post deny`, `post redact`, `flow`, `limit`, `budget`. */
  kind: string;
  span: Span;
  /** The source text, first line. */
  text: string;
  exercised: boolean;
}

export interface ClauseItem {
  /** The rule it belongs to. */
  rule: string;
  span: Span;
  text: string;
  /** Whether some case made it true / false. */
  true: boolean;
  false: boolean;
}

export interface Coverage {
  rules: CoverageItem[];
  clauses: ClauseItem[];
  /** Exercised rules / all rules. */
  rulePercent: number;
  /** Covered clause outcomes / (2 × clauses). */
  clausePercent: number;
}

function pct(n: number, d: number): number {
  return d === 0 ? 100 : Math.floor((n / d) * 1000) / 10;
}

type CondNode = Ast.ExprNode;

/** The syntax-tree condition of each rule statement, by `file:line:column` of the statement. */
function conditionsBySpan(t: TestTarget): Map<string, CondNode> {
  const out = new Map<string, CondNode>();
  for (const [file, text] of t.texts) {
    const ast = parseSource(file, text, new DiagnosticBag());
    for (const s of ast.statements) {
      if ((s.kind === 'rule' || s.kind === 'post_deny') && s.when) out.set(`${file}:${s.span.line}:${s.span.column}`, s.when);
    }
  }
  return out;
}

/** The syntax node at an `Expr` path, following `and`/`or`/`not` in both trees; the deepest match otherwise. */
function nodeAt(root: CondNode | undefined, expr: Expr, path: readonly number[]): CondNode | undefined {
  let node = root;
  let e = expr;
  for (const i of path) {
    if (node === undefined) return undefined;
    if ((e.op === 'and' || e.op === 'or') && (node.kind === 'and' || node.kind === 'or') && node.args.length === e.args.length) {
      node = node.args[i];
      e = e.args[i]!;
    } else if (e.op === 'not' && node.kind === 'not') {
      node = node.arg;
      e = e.arg;
    } else if (e.op === 'not') {
      // `x not in [...]` is one syntax node for `not (x in [...])`.
      e = e.arg;
    } else return node;
  }
  return node;
}

function firstLine(text: string | undefined, span: Span): string {
  if (text === undefined) return '';
  return (sliceSpan(text, span).split('\n')[0] ?? '').trim();
}

/** Coverage of one policy by the results of the cases run against it. */
export function coverageOf(t: TestTarget, results: readonly CaseResult[]): Coverage {
  const a = t.artifact;
  const named = new Set<string>();
  for (const r of results) {
    const d = r.decision ?? r.check;
    if (!d) continue;
    for (const x of d.reasons) named.add(x.rule);
    for (const o of d.obligations) named.add(o.rule);
  }
  const matched = new Set<string>();
  const outcomes = new Map<string, Array<{ t: boolean; f: boolean }>>();
  for (const r of results) {
    if (!r.probe || 'invalid' in r.probe) continue;
    for (const p of r.probe.rules) {
      const key = `${p.target.kind}:${p.target.index}`;
      const effect = p.target.kind === 'rule' ? a.rules[p.target.index]!.effect : 'post';
      if (p.value || (p.errored !== undefined && effect !== 'allow')) matched.add(key);
      let seen = outcomes.get(key);
      if (!seen) outcomes.set(key, (seen = []));
      p.clauses.forEach((v, i) => {
        const s = (seen[i] ??= { t: false, f: false });
        if (v) s.t = true;
        else s.f = true;
      });
    }
  }
  const conds = conditionsBySpan(t);
  const rules: CoverageItem[] = [];
  const clauses: ClauseItem[] = [];
  const item = (id: string, kind: string, span: Span, exercised: boolean) =>
    rules.push({ id, kind, span, text: firstLine(t.texts.get(span.file), span), exercised });
  const addClauses = (key: string, id: string, when: Expr, span: Span) => {
    const root = conds.get(`${span.file}:${span.line}:${span.column}`);
    const seen = outcomes.get(key) ?? [];
    clausesOf(when).forEach((c, i) => {
      const node = nodeAt(root, when, c.path);
      const cs = node?.span ?? span;
      clauses.push({ rule: id, span: cs, text: firstLine(t.texts.get(cs.file), cs), true: seen[i]?.t ?? false, false: seen[i]?.f ?? false });
    });
  };
  a.rules.forEach((r, i) => {
    item(r.id, r.effect, r.span, matched.has(`rule:${i}`) || named.has(r.id));
    addClauses(`rule:${i}`, r.id, r.when, r.span);
  });
  a.post.forEach((p, i) => {
    if (p.action === 'deny') {
      item(p.id, 'post deny', p.span, matched.has(`post:${i}`) || named.has(p.id));
      addClauses(`post:${i}`, p.id, p.when, p.span);
    } else item(p.id, 'post redact', p.span, named.has(p.id));
  });
  for (const f of a.flows) item(f.id, 'flow', f.span, named.has(f.id));
  for (const l of a.limits) item(l.id, 'limit', l.span, named.has(l.id));
  for (const b of a.budgets) item(b.id, 'budget', b.span, named.has(b.id));
  for (const p of a.pre) item(p.id, 'pre redact', p.span, named.has(p.id));
  const order = (x: { span: Span }, y: { span: Span }) => x.span.file.localeCompare(y.span.file) || x.span.line - y.span.line || x.span.column - y.span.column;
  rules.sort(order);
  clauses.sort(order);
  const outcomesCovered = clauses.reduce((n, c) => n + (c.true ? 1 : 0) + (c.false ? 1 : 0), 0);
  return {
    rules,
    clauses,
    rulePercent: pct(rules.filter((r) => r.exercised).length, rules.length),
    clausePercent: pct(outcomesCovered, clauses.length * 2),
  };
}
