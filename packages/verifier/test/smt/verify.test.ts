import { compile } from '@writ/compiler';
import { EncodingError, encodeTool, shutdown, verify } from '@writ/verifier';
import { afterAll, describe, expect, it } from 'vitest';

afterAll(() => shutdown());

function artifact(body: string) {
  const r = compile([{ file: 'p.writ', text: `policy "p" version "1"\n${body}` }]);
  expect(r.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message)).toEqual([]);
  return r.artifact!;
}

describe('verify', () => {
  it('proves a true assertion and refutes a false one with a replayed counterexample', async () => {
    const a = artifact(`role billing
tool refund(amount: money(USD), reason: string)
allow refund when agent has role billing and args.amount <= 100 USD or args.reason == "goodwill"
assert never allow refund when args.amount > 500 USD
assert never allow refund when args.amount > 500 USD and args.reason != "goodwill"
`);
    const rep = await verify(a, { analyses: false });
    const [bad, good] = rep.results.filter((r) => r.kind === 'assertion');
    expect(bad).toMatchObject({ status: 'failed', id: 'p.writ:5' });
    const cx = bad!.counterexample!;
    expect(cx.agrees).toBe(true);
    expect(cx.confirmed).toBe(true);
    expect(cx.runtime.effect).toBe('allow');
    expect(cx.case.request.args['reason']).toBe('goodwill');
    expect(cx.case.request.args['amount'] as number).toBeGreaterThan(500);
    expect(good).toMatchObject({ status: 'proven', id: 'p.writ:6' });
  });

  it('finds vacuous, shadowed and redundant rules and dead tools', async () => {
    const a = artifact(`role r
tool t(x: integer, s: string)
tool u(x: integer)
allow t when args.x > 5 and args.x < 3
allow t when args.x > 100
deny t when args.x > 50 because "big"
allow t when args.x > 10
allow t when args.x > 20
deny u when args.x >= 0 because "no"
deny u when args.x < 0 because "no"
allow u
`);
    const rep = await verify(a);
    const by = (kind: string) => rep.results.filter((r) => r.kind === kind && r.status === 'failed').map((r) => r.id);
    expect(by('vacuous')).toEqual(['p.writ:5']);
    expect(by('shadowed')).toContain('p.writ:6');
    expect(by('shadowed')).toContain('p.writ:12');
    expect(by('redundant')).toContain('p.writ:9');
    expect(by('dead_tool')).toEqual(['u']);
  });

  it('needs detector behaviour to be concrete: an injection witness makes the counterexample real', async () => {
    const a = artifact(`role r
tool q(query: string)
allow q
deny q when injection(args.query, sql) and args.query contains "users" because "sql"
assert never allow q when injection(args.query, sql)
`);
    const rep = await verify(a, { analyses: false });
    const r = rep.results[0]!;
    expect(r.status).toBe('failed');
    expect(r.counterexample?.agrees).toBe(true);
    expect(r.counterexample?.runtime.effect).toBe('allow');
  });

  it('names a construct it cannot encode exactly', () => {
    const a = artifact(`role r
tool t(x: any)
allow t when pii(args.x)
`);
    expect(() => encodeTool(a, 't')).toThrow(EncodingError);
    expect(() => encodeTool(a, 't')).toThrow(/args.x has type any/);
  });
});
