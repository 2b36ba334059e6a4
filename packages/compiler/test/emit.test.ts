import { describe, expect, it } from 'vitest';
import { artifactDigest } from '@writ/runtime';
import { BASE, compileText } from './helpers.js';

const POLICY = `${BASE}
allow issue_refund when agent has role billing and args.amount <= 100.50 USD
deny issue_refund when args.amount > 500 USD or args.reason contains "test" because "too much"
deny * when injection(args) because "injection"
allow send_sms when context.channel == "chat" or args.note2 == "x"
`;

describe('decision-table back end', () => {
  it('emits an artifact whose digest is the sha256 of its canonical form', () => {
    const r = compileText(`${BASE}allow issue_refund when agent has role billing and args.amount <= 100.50 USD\n`);
    expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const a = r.artifact!;
    expect(a.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(artifactDigest(a)).toBe(a.digest);
    expect(compileText(`${BASE}allow issue_refund when agent has role billing and args.amount <= 100.50 USD\n`).artifact!.digest).toBe(a.digest);
  });

  it('stores exact decimals and keeps spans and generated messages', () => {
    const a = compileText(`${BASE}allow issue_refund when agent has role billing and args.amount <= 100.50 USD\n`).artifact!;
    const rule = a.rules[0]!;
    expect(rule.when).toEqual({
      op: 'and',
      args: [
        { op: 'has_role', role: 'billing' },
        { op: 'cmp', cmp: '<=', left: { ref: ['args', 'amount'] }, right: { lit: '100.5' }, type: { kind: 'money', currency: 'USD' } },
      ],
    });
    expect(rule.id).toBe('p.writ:8');
    expect(rule.span).toMatchObject({ file: 'p.writ', line: 8, column: 1 });
    expect(rule.message).toBe('allow issue_refund when agent has role billing and args.amount <= 100.50 USD');
    expect(a.tools['issue_refund']?.cost).toEqual({ amount: '0.02', currency: 'USD' });
  });

  it('indexes rules per tool, copying * rules into every tool', () => {
    const r = compileText(POLICY.replace(' or args.note2 == "x"', ''));
    const a = r.artifact!;
    const star = a.rules.findIndex((x) => x.tools[0] === '*');
    for (const t of Object.keys(a.tools)) expect(a.index[t]!.deny).toContain(star);
    expect(a.index['send_sms']!.deny).not.toContain(a.rules.findIndex((x) => x.message === 'too much'));
    expect(a.index['issue_refund']!.allow).toHaveLength(1);
  });

  it('records what a rule reads that may be absent, and the spans of or-clauses', () => {
    const a = compileText(POLICY.replace(' or args.note2 == "x"', ' or args.to == "x"')).artifact!;
    const sms = a.rules.find((x) => x.tools.includes('send_sms'))!;
    expect(sms.reads).toEqual(['context.channel']);
    const deny = a.rules.find((x) => x.message === 'too much')!;
    expect(deny.clauses?.map((c) => c.column)).toEqual([24, 49]);
    const optional = compileText(`${BASE}deny issue_refund when args.note == "x" because "n"\n`).artifact!;
    expect(optional.rules[0]!.reads).toEqual(['args.note']);
  });

  it('applies the kill switch and expands groups', () => {
    const a = compileText(`${BASE}group ops = [restart_service, send_sms]\nallow ops when agent has role support\ndisable tool send_sms because "off"\n`).artifact!;
    expect(a.rules[0]!.tools).toEqual(['restart_service', 'send_sms']);
    expect(a.tools['send_sms']!.disabled?.reason).toBe('off');
    expect(a.groups['ops']).toEqual(['restart_service', 'send_sms']);
  });
});
