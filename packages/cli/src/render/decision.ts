/**
 * A Decision for people: the effect, why, and what the gateway must do.
 */
import type { Decision } from '@writ/runtime';
import { displayPath } from '../io/policy-files.js';
import { styler } from './style.js';

/** `file:line` of a reason's span, as a path the user can open. */
export function whereOf(r: Decision['reasons'][number] | undefined, root: string): string {
  return r?.span ? `${displayPath(root, r.span.file)}:${r.span.line}` : r?.rule ?? '';
}

export function effectText(d: Decision, color: boolean): string {
  const s = styler(color);
  if (d.effect === 'allow') return s(['bold', 'green'], 'allow');
  if (d.effect === 'pending_approval') return s(['bold', 'yellow'], 'pending_approval');
  return s(['bold', 'red'], `deny`) + (d.denial ? ` (${d.denial.replace('_', ' ')})` : '');
}

export function renderDecision(d: Decision, root: string, color: boolean): string {
  const s = styler(color);
  const out = [effectText(d, color)];
  for (const r of d.reasons) {
    const where = whereOf(r, root);
    const label = r.message.startsWith(r.kind) ? '' : `${s('dim', r.kind)} `;
    out.push(`  ${label}${r.message}${where && where !== r.rule ? s('dim', `  (${where}${r.clause ? `, clause at ${r.clause.line}:${r.clause.column}` : ''})`) : ''}`);
  }
  if (d.approval) {
    const req = d.approval.requirements.map((q) => `${q.quorum} × ${q.role}`).join(' and ');
    out.push(`  approval ${d.approval.id}: ${d.approval.status}, needs ${req}, expires ${d.approval.expires_at}`);
  }
  for (const o of d.obligations) {
    if (o.type === 'redact') {
      const value = JSON.stringify(o.value);
      out.push(`  obligation: redact ${o.target} (${o.tokens.map((t) => t.token).join(', ')}): forward ${value.length > 300 ? `${value.slice(0, 297)}...` : value}`);
    }
    else out.push(`  obligation: warn: ${o.message}`);
  }
  out.push(s('dim', `  policy ${d.policy.name}@${d.policy.version} ${d.policy.digest}`));
  return out.join('\n');
}
