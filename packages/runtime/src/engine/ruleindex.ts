/**
 * The index inside a tool: finds the first matching deny rule and the first matching allow rule in span
 * order, or every matching approve rule, without evaluating every rule of the tool.
 *
 * **Guards.** From each rule's condition the index extracts a *guard*: top-level conjuncts (of an `and`, or
 * the whole condition) that are cheap atoms over one *dimension*:
 * - roles: `agent has role R`, or an `or` of such atoms (the agent must hold one of a set of roles);
 * - a `string` or `enum` parameter `p`: `args.p == "v"`, `args.p != "v"` (enum only), `args.p in ["v", …]`,
 *   `not` of these, and `or`s of them on the same parameter;
 * - a numeric parameter `p` (number, integer, money, duration): `args.p < k`, `<=`, `>`, `>=`, `==` a constant;
 * - a `string` or `enum` parameter `p`: `args.p starts_with "lit"` (one per parameter and rule).
 *
 * Each atom is *exact* over its dimension: for every validated request, the atom is true if and only if the
 * request's value on that dimension is in the set the atom describes (SEMANTICS.md §4: an absent operand
 * makes an atom false; validated `string`/`enum` arguments are strings and numeric ones numbers). The rule's
 * condition implies its guard, so a rule whose guard is false cannot match.
 *
 * **Bitsets.** Rules are numbered by position: a tool's deny rules in span order, then its allow rules in
 * span order (one index, so that a request's candidates are computed once); approve rules have their own
 * index. For every
 * indexed dimension the index keeps, per possible request value (per role; per literal, other string and
 * absent; per region of a numeric parameter's line — at or between the constants of its lower and upper
 * bounds, one dimension for both — and absent), the bitset of the rules whose guard admits that value, plus the rules
 * that do not constrain the dimension (for prefixes, per prefix literal K: the rules whose prefix K starts with,
 * looked up by the longest literal the value starts with — every literal a value starts with is a prefix of
 * that one). A request's candidate set is the intersection over dimensions (the
 * union over the agent's roles for the role dimension); candidates are visited in ascending position,
 * i.e. span order, and fully checked (errored `reads` first, then the condition).
 *
 * **Residual conditions.** The conjuncts a dimension enforces exactly are dropped from the condition that
 * is evaluated for a candidate (the bitset already decided them), so `agent has role r1 and args.amount <=
 * 500` evaluates nothing once the rule is a candidate.
 *
 * **Errored rules.** A deny or approve rule with `reads` matches when a read field is absent, whatever its
 * condition says: such rules get no guard (they are candidates for every request). Allow rules that are
 * errored never match, so their guard prunes soundly.
 *
 * Small rule sets (at most {@link LINEAR_MAX} rules) and sets where no dimension is worth indexing are
 * scanned linearly in span order with the full conditions.
 *
 * Modules: `ruleindex/guard.ts` extracts guards, `ruleindex/build.ts` chooses dimensions and packs the index
 * (`ruleindex/layout.ts` names the packed header's fields), `ruleindex/lookup.ts` answers requests.
 *
 * @packageDocumentation
 */
export { conjuncts } from './ruleindex/guard.js';
export { buildIndex, LINEAR_MAX, RuleIndex, type IndexShared, type ResidualCompiler } from './ruleindex/build.js';
export { candidatesOf, erroredReason, findAll, firstIn, missingRead, release, type Candidates } from './ruleindex/lookup.js';
