/**
 * `writ cert verify`: checks an evidence bundle offline with only the log's public key.
 */
import { toBase64, verifyBundle } from '@writ/verifier';
import type { DecisionCertificate } from '@writ/verifier';
import { EXIT } from '../errors.js';
import { readTextFile, readVerifierKeyFile } from '../io/evidence.js';
import { colorEnabled, styler } from '../render/style.js';

export interface CertVerifyOptions {
  pubkey: string;
  json?: boolean;
}

/** Words for verifyBundle's failure codes. */
const PROBLEM: Record<string, string> = {
  'malformed-bundle': 'malformed bundle',
  'wrong-key': 'wrong key',
  'invalid-signature': 'bad signature',
  'origin-mismatch': 'wrong origin',
  'tree-size-mismatch': 'tree size mismatch',
  'index-out-of-range': 'leaf index out of range',
  'certificate-altered': 'certificate altered',
  'wrong-proof-length': 'proof does not reach the root',
  'root-mismatch': 'proof does not reach the root',
};

function effectWords(c: DecisionCertificate): string {
  return c.decision.denial !== undefined ? `${c.decision.effect} (${c.decision.denial.replace('_', ' ')})` : c.decision.effect;
}

export function runCertVerify(file: string, opts: CertVerifyOptions): number {
  const key = readVerifierKeyFile(opts.pubkey);
  const r = verifyBundle(readTextFile(file), key);
  if (opts.json) {
    const out = r.ok
      ? {
          ok: true,
          policy: r.certificate.policy,
          effect: r.certificate.decision.effect,
          ...(r.certificate.decision.denial !== undefined ? { denial: r.certificate.decision.denial } : {}),
          rules: r.certificate.decision.rules,
          time: r.certificate.time,
          request_digest: r.certificate.request_digest,
          leaf_index: r.leafIndex,
          tree_size: r.treeSize,
          origin: r.checkpoint.origin,
          root: toBase64(r.checkpoint.root),
          signed_by: r.signedBy,
          certificate: r.certificate,
        }
      : { ok: false, code: r.code, reason: r.reason };
    process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
    return r.ok ? EXIT.ok : EXIT.failed;
  }
  const s = styler(colorEnabled());
  if (!r.ok) {
    process.stdout.write(`${s(['bold', 'red'], 'invalid')} (${PROBLEM[r.code] ?? r.code}): ${r.reason}\n`);
    return EXIT.failed;
  }
  const c = r.certificate;
  const lines = [
    `${s(['bold', 'green'], 'valid')}: entry ${r.leafIndex} of log ${r.checkpoint.origin} (tree size ${r.treeSize}), checkpoint signed by ${r.signedBy}`,
    `  policy    ${c.policy.name}@${c.policy.version} ${c.policy.digest}`,
    `  effect    ${effectWords(c)}`,
    `  rules     ${c.decision.rules.join(', ') || '(none)'}`,
  ];
  for (const reason of c.decision.reasons) lines.push(`  reason    ${reason.message}${reason.rule ? s('dim', `  (${reason.rule})`) : ''}`);
  if (c.approval) lines.push(`  approval  ${c.approval.id}: ${c.approval.status}`);
  for (const o of c.decision.obligations ?? []) {
    lines.push(`  obligation ${o.type === 'redact' ? `redact ${o.target} (${o.tokens.map((t) => t.token).join(', ')})` : `warn: ${o.message}`}`);
  }
  lines.push(`  time      ${c.time}`);
  lines.push(`  request   ${c.request_digest}${'request' in c ? ' (request included)' : ''}`);
  process.stdout.write(`${lines.join('\n')}\n`);
  return EXIT.ok;
}
