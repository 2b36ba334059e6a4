// Every example's benign plan is admissible and its malicious plan is not, for the reason the example's
// policy gives.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { compile } from '@writ/compiler';
import { loadPolicy, type Artifact } from '@writ/runtime';
import { checkPlan, parsePlan, shutdown, type PlanReport } from '@writ/verifier';
import { afterAll, describe, expect, it } from 'vitest';

afterAll(() => shutdown());

const repo = path.resolve(import.meta.dirname, '../../..');

async function check(example: string, which: 'benign' | 'malicious' | 'refund-from-lookup' | 'refund-after-fetch'): Promise<PlanReport> {
  const dir = path.join(repo, 'examples', example);
  const r = compile([{ file: 'policy.writ', text: readFileSync(path.join(dir, 'policy.writ'), 'utf8') }]);
  const artifact = r.artifact as Artifact;
  const plan = parsePlan(artifact, JSON.parse(readFileSync(path.join(dir, 'plans', `${which}.json`), 'utf8')));
  const report = await checkPlan(loadPolicy(artifact), plan);
  expect(report.internalErrors).toEqual([]);
  return report;
}

const verdicts = (r: PlanReport) => r.steps.map((s) => s.verdict);
const rule = (r: PlanReport, i: number) => r.steps[i]!.decision?.reasons[0]?.rule;

describe('customer-support', () => {
  it('benign: admissible after the finance lead approves the $250 refund; the web page is read after the refunds', async () => {
    const r = await check('customer-support', 'benign');
    expect(r).toMatchObject({ verdict: 'admissible', approvals: [2] });
    expect(verdicts(r)).toEqual(['allow', 'allow', 'pending_approval', 'allow']);
  });

  it('the same refunds after reading the page depend on it: a refund amount may be a number the page held', async () => {
    const dir = path.join(repo, 'examples', 'customer-support');
    const artifact = compile([{ file: 'policy.writ', text: readFileSync(path.join(dir, 'policy.writ'), 'utf8') }]).artifact as Artifact;
    const benign = JSON.parse(readFileSync(path.join(dir, 'plans', 'benign.json'), 'utf8'));
    const [lookup, small, large, fetch] = benign.steps;
    const r = await checkPlan(loadPolicy(artifact), parsePlan(artifact, { ...benign, steps: [lookup, fetch, small, large] }));
    expect(r.internalErrors).toEqual([]);
    expect(verdicts(r)).toEqual(['allow', 'allow', 'depends', 'depends']);
    expect(r.steps[2]!.counterexample).toMatchObject({ labels: { amount: ['untrusted_web'] }, confirmed: true, agrees: true });
    expect(r.reason).toBe(
      'steps[2] issue_refund is denied if args.amount came from the result of steps[1] fetch_web_page (labelled untrusted_web): a refund amount must not come from a fetched web page (policy.writ:31)',
    );
  });

  it('malicious: a refund amount taken from the fetched page is denied for every value by the taint flow', async () => {
    const r = await check('customer-support', 'malicious');
    expect(verdicts(r)).toEqual(['allow', 'allow', 'deny']);
    expect(r.steps[2]!.labels).toEqual({ amount: ['untrusted_web'] });
    expect(r).toMatchObject({ verdict: 'inadmissible', at: 2 });
    expect(r.steps[2]!.decision!.reasons[0]).toMatchObject({ kind: 'flow', message: 'a refund amount must not come from a fetched web page' });
    expect(rule(r, 2)).toBe('policy.writ:31');
  });

  it('refund-after-fetch: a concrete refund after reading a page depends on what the page holds', async () => {
    const r = await check('customer-support', 'refund-after-fetch');
    expect(verdicts(r)).toEqual(['allow', 'depends']);
    expect(r.steps[1]!.counterexample).toMatchObject({ args: {}, labels: { amount: ['untrusted_web'] }, confirmed: true, agrees: true });
    expect(r).toMatchObject({ verdict: 'depends', at: 1 });
    expect(rule(r, 1)).toBe('policy.writ:31');
  });

  it('refund-from-lookup: the amount from a lookup may exceed $500, and the export after a refund is denied', async () => {
    const r = await check('customer-support', 'refund-from-lookup');
    expect(verdicts(r)).toEqual(['allow', 'depends', 'deny']);
    const cex = r.steps[1]!.counterexample!;
    expect(cex.decision.effect).toBe('deny');
    expect(cex.agrees).toBe(true);
    expect(r).toMatchObject({ verdict: 'inadmissible', at: 2 });
    expect(rule(r, 2)).toBe('policy.writ:48');
  });
});

describe('data-protection', () => {
  it('benign: admissible', async () => {
    const r = await check('data-protection', 'benign');
    expect(r).toMatchObject({ verdict: 'admissible', approvals: [] });
  });

  it('malicious: forwarding a fetched profile may carry a prompt injection; the shell command is denied', async () => {
    const r = await check('data-protection', 'malicious');
    expect(verdicts(r)).toEqual(['allow', 'depends', 'deny']);
    const cex = r.steps[1]!.counterexample!;
    expect(cex.confirmed).toBe(true);
    expect(cex.decision.reasons[0]!.message).toBe('prompt injection in the arguments');
    expect(r).toMatchObject({ verdict: 'inadmissible', at: 2 });
    expect(r.steps[2]!.decision!.reasons[0]!.message).toBe('destructive or chained shell command');
  });
});

describe('devops-governance', () => {
  it('benign: admissible after an SRE manager approves the prod deploy', async () => {
    const r = await check('devops-governance', 'benign');
    expect(r).toMatchObject({ verdict: 'admissible', approvals: [2] });
  });

  it('malicious: an unbounded replica count depends; deleting the database hits the kill switch', async () => {
    const r = await check('devops-governance', 'malicious');
    expect(verdicts(r)).toEqual(['allow', 'depends', 'deny']);
    const replicas = r.steps[1]!.counterexample!.args['replicas'] as number;
    expect(replicas < 1 || replicas > 100).toBe(true);
    expect(r).toMatchObject({ verdict: 'inadmissible', at: 2 });
    expect(r.steps[2]!.decision!.reasons[0]!.kind).toBe('disabled');
  });
});

describe('broken-refunds', () => {
  it('benign: admissible', async () => {
    expect(await check('broken-refunds', 'benign')).toMatchObject({ verdict: 'admissible', approvals: [] });
  });

  it('malicious: the 21st refund within the hour exceeds the rate limit', async () => {
    const r = await check('broken-refunds', 'malicious');
    expect(verdicts(r)).toEqual([...Array(21).fill('allow'), 'deny']);
    expect(r).toMatchObject({ verdict: 'inadmissible', at: 21 });
    expect(r.steps[21]!.decision!.reasons[0]!.kind).toBe('limit');
  });
});
