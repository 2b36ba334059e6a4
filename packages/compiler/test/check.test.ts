import { describe, expect, it } from 'vitest';
import { BASE, HEADER, codes, compileText } from './helpers.js';

/** The diagnostics (errors and warnings) that `rule` adds to the base policy, as `CODE message`. */
function diagnose(rule: string) {
  const r = compileText(`${BASE}${rule}\n`);
  const line = BASE.split('\n').length;
  return r.diagnostics.filter((d) => d.span.line >= line).map((d) => `${d.code} ${d.message}`);
}

describe('binder', () => {
  it('reports unknown and duplicate names with a suggestion', () => {
    const r = compileText(`${BASE}allow issue_refnd when agent has role biling\ntool send_sms(x: string)\nrole billing\n`);
    const errs = r.diagnostics.filter((d) => d.severity === 'error');
    expect(errs.map((d) => d.code).sort()).toEqual(['E0100', 'E0101', 'E0103']);
    expect(errs.find((d) => d.code === 'E0100')?.help).toBe("did you mean 'issue_refund'?");
    expect(errs.find((d) => d.code === 'E0101')?.related?.[0]?.message).toBe('first declared here');
  });

  it('reports a missing and a duplicate policy header', () => {
    expect(codes(compileText('role a\n').diagnostics)).toContain('E0300 1:1');
    expect(compileText(`${HEADER}${HEADER}`).diagnostics.map((d) => d.code)).toContain('E0301');
  });

  it('reports unknown params, roles in agents, labels and context fields', () => {
    expect(diagnose('allow issue_refund when args.amout > 5 USD')[0]).toMatch(/^E0104 unknown parameter 'amout'/);
    expect(diagnose('agent "x" roles [nobody]')[0]).toMatch(/^E0102/);
    expect(diagnose('deny flow secretish -> send_sms.body because "x"')[0]).toMatch(/^E0106/);
    expect(diagnose('deny send_sms when context.tier == "gold" because "x"')[0]).toMatch(/^E0108/);
    expect(diagnose('context session: string')[0]).toMatch(/^E0208 context.session is reserved/);
  });
});

describe('type checker', () => {
  it('rejects comparing money with a duration (units)', () => {
    const [d] = diagnose('deny issue_refund when args.amount > 5m because "x"');
    expect(d).toBe('E0201 cannot compare money(USD) and duration');
  });

  it('rejects money without a currency, and a different currency', () => {
    expect(diagnose('deny issue_refund when args.amount > 5 because "x"')[0]).toMatch(/^E0201 cannot compare money\(USD\) and integer/);
    expect(diagnose('deny issue_refund when args.amount > 5 EUR because "x"')[0]).toMatch(/^E0202/);
  });

  it('rejects enum literals that are not members, with a suggestion', () => {
    const r = compileText(`${BASE}deny restart_service when args.env == "prodd" because "x"\n`);
    const d = r.diagnostics.find((x) => x.code === 'E0203');
    expect(d?.message).toBe('"prodd" is not one of "dev", "staging", "prod"');
    expect(d?.help).toBe('did you mean "prod"?');
    expect(diagnose('deny restart_service when args.env in ["dev", "qa"] because "x"')[0]).toMatch(/^E0203/);
  });

  it('rejects ordering on strings, non-boolean conditions and lists compared with ==', () => {
    expect(diagnose('deny send_sms when args.to < "m" because "x"')[0]).toMatch(/^E0200 string values compare only with == and !=/);
    expect(diagnose('deny send_sms when args.to because "x"')[0]).toMatch(/^E0200 a condition must be true or false/);
  });

  it('rejects invalid RE2 patterns and unknown detectors or kinds', () => {
    expect(diagnose('deny send_sms when args.body matches "(a" because "x"')[0]).toMatch(/^E0204/);
    expect(diagnose('deny send_sms when args.body matches "(?=x)" because "x"')[0]).toMatch(/^E0204/);
    expect(diagnose('deny send_sms when malware(args) because "x"')[0]).toMatch(/^E0205 unknown detector 'malware'/);
    expect(diagnose('deny send_sms when pii(args, emial) because "x"')[0]).toMatch(/^E0205 'emial' is not a kind of the pii detector/);
  });

  it('rejects over-precise numbers and bad controls', () => {
    expect(diagnose('deny issue_refund when args.amount > 1.1234567890123456 USD because "x"')[0]).toMatch(/^E0206/);
    expect(diagnose('limit send_sms 0 per 1h per agent')[0]).toMatch(/^E0206/);
    expect(diagnose('limit send_sms 5 per 1h per planet')[0]).toMatch(/^E0208 scope is one of agent, tenant, session, global/);
    expect(diagnose('budget per session cost 10 tokens 5')[0]).toMatch(/^E0201/);
  });

  it('requires `by role` on an approval and knows `prior` only inside called', () => {
    expect(diagnose('deny flow pii -> send_sms.body unless approved')[0]).toMatch(/^E0302/);
    expect(diagnose('deny send_sms when prior.to == "x" because "x"')[0]).toMatch(/^E0111/);
    expect(diagnose('deny send_sms when called issue_refund where (prior.order_id == args.to) because "x"')).toEqual([]);
  });

  it('warns about a deny without because and a tool no rule permits', () => {
    const r = compileText(`${HEADER}role a\ntool t(x: string)\ndeny t when args.x == "y"\n`);
    expect(r.diagnostics.map((d) => d.code).sort()).toEqual(['W0001', 'W0002', 'W0003']);
    expect(r.artifact).toBeDefined();
  });

  it('requires a parameter to exist in every tool of a * rule', () => {
    expect(diagnose('deny * when args.body contains "x" because "x"')[0]).toMatch(/^E0104 unknown parameter 'body' in every tool/);
  });
});
