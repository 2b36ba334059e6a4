/**
 * The decision-table back end: assembles the checked policy into the artifact, builds the per-tool index
 * (so a decision touches only its tool's rules; `*` rules are listed under every tool) and stamps the
 * content digest.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';
import { ARTIFACT_FORMAT, artifactDigest, sortKeys, type Artifact, type ToolIndex } from '@writ/runtime';
import type { CheckedPolicy } from '../semantics/check-policy.js';
import type { Symbols } from '../semantics/symbols.js';

/** Builds `index[tool]` lists of ascending indices into the artifact's arrays. */
export function buildIndex(tools: string[], p: Pick<CheckedPolicy, 'rules' | 'limits' | 'flows' | 'pre' | 'post'>): Record<string, ToolIndex> {
  const index: Record<string, ToolIndex> = {};
  for (const t of tools) index[t] = { deny: [], approve: [], allow: [], limits: [], flows: [], pre: [], post: [] };
  const add = (list: keyof ToolIndex, i: number, covers: string[]): void => {
    const targets = covers[0] === '*' ? tools : covers;
    for (const t of targets) index[t]?.[list].push(i);
  };
  p.rules.forEach((r, i) => add(r.effect, i, r.tools));
  p.limits.forEach((l, i) => add('limits', i, l.tools));
  p.flows.forEach((f, i) => add('flows', i, f.tools));
  p.pre.forEach((r, i) => add('pre', i, r.tools));
  p.post.forEach((r, i) => add('post', i, r.tools));
  return index;
}

/** Assembles and digests the artifact. */
export function emitArtifact(
  sym: Symbols,
  checked: CheckedPolicy,
  sources: ReadonlyArray<{ file: string; text: string }>,
): Artifact {
  const toolNames = Object.keys(checked.tools);
  const artifact: Omit<Artifact, 'digest'> & { digest?: string } = {
    format: ARTIFACT_FORMAT,
    policy: { name: sym.policy?.name ?? '', version: sym.policy?.version ?? '' },
    sources: sources.map((s) => ({ file: s.file, sha256: bytesToHex(sha256(utf8ToBytes(s.text))) })),
    roles: [...sym.roles.keys()],
    agents: Object.fromEntries([...sym.agents].map(([id, a]) => [id, { roles: a.roles }])),
    context: Object.fromEntries(sym.context),
    tools: checked.tools,
    groups: Object.fromEntries([...sym.groups].map(([g, v]) => [g, v.members.map((m) => m.name).filter((m) => sym.tools.has(m))])),
    rules: checked.rules,
    limits: checked.limits,
    budgets: checked.budgets,
    labels: checked.labels,
    flows: checked.flows,
    pre: checked.pre,
    post: checked.post,
    asserts: checked.asserts,
    index: buildIndex(toolNames, checked),
  };
  // Members in canonical order: the JSON text is then already RFC 8785 form (but for the digest), which
  // keeps diffs of artifacts stable and lets the loader hash it without re-sorting.
  const sorted = sortKeys(artifact);
  return sortKeys({ ...sorted, digest: artifactDigest(sorted) }) as Artifact;
}
