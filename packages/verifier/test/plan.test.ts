// Plan checking: concrete steps decided by the runtime, unknown arguments by Z3, with rate limits, budgets,
// history and taint carried from step to step; counterexamples the runtime really denies; malformed plans.
import { compile } from '@writ/compiler';
import { loadPolicy, MemoryStateStore, type Artifact, type Policy, type Request } from '@writ/runtime';
import { checkPlan, jsonErrorOffset, jsonPathOffset, parsePlan, PlanError, refLabels, shutdown, type Plan, type PlanReport } from '@writ/verifier';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';

afterAll(() => shutdown());

const POLICY = `policy "plan-test" version "1.0.0"

role billing
role finance
agent "bot" roles [billing]

tool web_fetch(url: string) risk low
tool issue_refund(order_id: string, amount: money(USD), reason: string) risk high cost 1 USD
tool send_sms(to: string, body: string) risk medium
tool export_data(customer_id: string) risk high
tool tag(note: string, weight?: integer) risk low

allow [web_fetch, send_sms, export_data, tag] when agent has role billing
allow issue_refund when agent has role billing and args.amount <= 100 USD
approve issue_refund when agent has role billing and args.amount > 100 USD and args.amount <= 500 USD
  by role finance within 30m else deny
deny issue_refund when args.amount > 500 USD because "refunds above $500 are never automated"
deny export_data when called issue_refund because "no export after a refund"
deny tag when args.note == "forbidden" because "that note is forbidden"

limit send_sms 2 per 1h per agent
budget per session cost 3.5 USD

label untrusted from tool web_fetch.result
label contact from tool web_fetch.result.contact
deny flow untrusted -> issue_refund.amount because "a refund amount must not come from the web"
deny flow contact -> send_sms.to because "no messages to numbers scraped from the web"
`;

const compiled = compile([{ file: 'policy.writ', text: POLICY }]);
const artifact = compiled.artifact as Artifact;
const policy: Policy = loadPolicy(artifact);

const refund = (amount: unknown, order = 'A-1') => ({ tool: 'issue_refund', args: { order_id: order, amount, reason: 'late' } });
const sms = (to: unknown, body: unknown = 'hello') => ({ tool: 'send_sms', args: { to, body } });
const unknown = (type: string) => ({ $unknown: type });
const ref = (path: string) => ({ $ref: path });

function plan(steps: unknown[], extra: Record<string, unknown> = {}): Plan {
  return parsePlan(artifact, { agent: { id: 'bot' }, steps, ...extra });
}

async function run(steps: unknown[], extra: Record<string, unknown> = {}): Promise<PlanReport> {
  const report = await checkPlan(policy, plan(steps, extra));
  expect(report.internalErrors).toEqual([]);
  return report;
}

const verdicts = (r: PlanReport) => r.steps.map((s) => s.verdict);
const PLAN_TIME = Date.parse('2026-01-01T12:00:00.000Z');

/** Decides requests in sequence on a fresh store, as a gateway would, approving pending ones. */
function sequence(requests: Request[]): Array<'allow' | 'deny' | 'pending_approval'> {
  const store = new MemoryStateStore();
  return requests.map((r) => {
    const d = policy.decide(r, { state: store, now: PLAN_TIME });
    if (d.effect === 'pending_approval' && d.approval) {
      const rec = d.approval;
      store.approvalSwap({ ...rec, status: 'granted', approvals: [{ approver: 'fin', role: 'finance', time: new Date(PLAN_TIME).toISOString() }] }, rec);
      policy.decide(r, { state: store, now: PLAN_TIME });
    }
    return d.effect;
  });
}

const req = (step: { tool: string; args: Record<string, unknown> }, extra: Record<string, unknown> = {}): Request => ({
  agent: { id: 'bot' },
  tool: step.tool,
  args: step.args,
  context: { session: 'plan', ...extra },
});

describe('concrete steps: the runtime decides, state accumulates', () => {
  it('matches deciding the same requests in sequence on one store (limits, budgets, approvals, sequences)', async () => {
    const steps = [sms('+1 555 0100'), refund(40), sms('+1 555 0101'), refund(250), sms('+1 555 0102'), refund(60), refund(10), { tool: 'export_data', args: { customer_id: 'C-1' } }];
    const r = await run(steps);
    expect(verdicts(r)).toEqual(sequence(steps.map((s) => req(s))));
    // The third SMS exceeds 2 per hour; the fourth refund exceeds the 3.5 USD session budget (1 USD each);
    // the export follows a refund.
    expect(verdicts(r)).toEqual(['allow', 'allow', 'allow', 'pending_approval', 'deny', 'allow', 'deny', 'deny']);
    expect(r.steps[4]!.decision!.reasons[0]!.kind).toBe('limit');
    expect(r.steps[6]!.decision!.reasons[0]!.kind).toBe('budget');
    expect(r.steps[7]!.decision!.reasons[0]!.message).toBe('no export after a refund');
    expect(r.steps.every((s) => s.method === 'runtime')).toBe(true);
    expect(r.verdict).toBe('inadmissible');
    expect(r.at).toBe(4);
    expect(r.approvals).toEqual([3]);
  });

  it('a plan whose every step is allowed is admissible; approvals are listed', async () => {
    expect((await run([refund(20), { tool: 'export_data', args: { customer_id: 'C-1' } }])).verdict).toBe('inadmissible');
    const ok = await run([{ tool: 'export_data', args: { customer_id: 'C-1' } }, refund(20)]);
    expect(ok).toMatchObject({ verdict: 'admissible', approvals: [], reason: 'every step is allowed' });
    const approved = await run([refund(120), refund(20)]);
    expect(approved).toMatchObject({ verdict: 'admissible', approvals: [0], reason: 'admissible after approvals at steps [0]' });
    expect(approved.steps[0]!.leaves).toBe('ran_after_approval');
  });

  it('the initial state counts: history, budgets and rate-limit hits', async () => {
    const limit = artifact.limits[0]!.id;
    const budget = artifact.budgets[0]!.id;
    expect(verdicts(await run([sms('+1')], { state: { rate: { [limit]: 2 } } }))).toEqual(['deny']);
    expect(verdicts(await run([sms('+1')], { state: { rate: { [limit]: 1 } } }))).toEqual(['allow']);
    expect(verdicts(await run([refund(5)], { state: { budgets: { [budget]: { cost: 2.5 } } } }))).toEqual(['allow']);
    expect(verdicts(await run([refund(5)], { state: { budgets: { [budget]: { cost: 2.6 } } } }))).toEqual(['deny']);
    const history = { history: [{ tool: 'issue_refund', args: { order_id: 'A-0', amount: 5, reason: 'x' }, age: '10m' }] };
    expect(verdicts(await run([{ tool: 'export_data', args: { customer_id: 'C' } }], { state: history }))).toEqual(['deny']);
  });
});

describe('unknown arguments: Z3 with the state pinned', () => {
  it('depends, with a counterexample that the runtime denies after the same earlier steps', async () => {
    const steps = [refund(30), refund(unknown('money'))];
    const r = await run(steps);
    expect(verdicts(r)).toEqual(['allow', 'depends']);
    const s = r.steps[1]!;
    expect(s.method).toBe('smt');
    expect(s.unknowns).toEqual(['amount']);
    const cex = s.counterexample!;
    expect(cex.agrees).toBe(true);
    expect(cex.confirmed).toBe(true);
    expect(typeof cex.args['amount']).toBe('number');
    // Independently: the earlier step then the counterexample on a fresh store.
    const replay = sequence([req(refund(30)), req(refund(cex.args['amount']))]);
    expect(replay).toEqual(['allow', 'deny']);
    expect(r.verdict).toBe('depends');
    expect(r.at).toBe(1);
  });

  it('allow for every value when no value can be denied, and the step leaves state', async () => {
    // web_fetch has no deny rule: any URL is allowed. Sending its (unknown) body by SMS is allowed too: to
    // '+1' (shorter than the 3 characters a taint set records, so no fetched contact can be it).
    const r = await run([{ tool: 'web_fetch', args: { url: unknown('string') } }, sms('+1', ref('steps[0].result.body'))]);
    expect(verdicts(r)).toEqual(['allow', 'allow']);
    expect(r.steps[1]!.labels).toEqual({ body: ['untrusted'] });
    expect(r.verdict).toBe('admissible');
  });

  it('deny for every value once the rate limit is used up by earlier steps', async () => {
    const r = await run([sms('+1'), sms('+2'), sms('+3', unknown('string'))]);
    expect(verdicts(r)).toEqual(['allow', 'allow', 'deny']);
    expect(r.steps[2]!.method).toBe('smt');
    expect(r.steps[2]!.decision!.reasons[0]!.kind).toBe('limit');
    expect(r.verdict).toBe('inadmissible');
    // With one hit fewer the unknown body is allowed whatever it is.
    expect(verdicts(await run([sms('+1'), sms('+3', unknown('string'))]))).toEqual(['allow', 'allow']);
  });

  it('deny for every value once the budget is spent', async () => {
    const r = await run([refund(1), refund(2), refund(3), refund(unknown('money'))]);
    expect(verdicts(r)).toEqual(['allow', 'allow', 'allow', 'deny']);
    expect(r.steps[3]!.decision!.reasons[0]!.kind).toBe('budget');
  });

  it('a depends step is assumed to run: a later `called` sees it', async () => {
    const r = await run([refund(unknown('money')), { tool: 'export_data', args: { customer_id: unknown('string') } }]);
    expect(verdicts(r)).toEqual(['depends', 'deny']);
    expect(r.steps[0]!.leaves).toBe('ran');
    expect(r.steps[1]!.decision!.reasons[0]!.message).toBe('no export after a refund');
    // Without the refund the export is allowed for every customer id.
    expect(verdicts(await run([{ tool: 'export_data', args: { customer_id: unknown('string') } }]))).toEqual(['allow']);
  });

  it('a denied step leaves no state', async () => {
    const r = await run([refund(900), { tool: 'export_data', args: { customer_id: unknown('string') } }]);
    expect(verdicts(r)).toEqual(['deny', 'allow']);
    expect(r.steps[0]!.leaves).toBe('not_run');
  });

  it('pending_approval for every value when every allowed value needs an approval', async () => {
    // amount unknown but the plan's earlier refunds used 3 USD of 3.5: one more call fits; any amount in
    // (100, 500] is pending, above is denied: depends. A fixed amount with an unknown reason: pending only.
    const r = await run([{ tool: 'issue_refund', args: { order_id: 'A-1', amount: 300, reason: unknown('string') } }]);
    expect(verdicts(r)).toEqual(['pending_approval']);
    expect(r).toMatchObject({ verdict: 'admissible', approvals: [0] });
    expect(r.steps[0]!.leaves).toBe('ran_after_approval');
  });

  it('an optional unknown argument is present, and its value decides', async () => {
    const r = await run([{ tool: 'tag', args: { note: unknown('string'), weight: unknown('integer') } }]);
    expect(verdicts(r)).toEqual(['depends']);
    expect(r.steps[0]!.counterexample!.args['note']).toBe('forbidden');
  });
});

describe('taint: $ref carries the referenced step result labels', () => {
  it('a refund whose amount comes from a fetched page is denied for every value', async () => {
    const r = await run([{ tool: 'web_fetch', args: { url: 'https://shop.example/order/1' } }, refund(ref('steps[0].result.amount'))]);
    expect(verdicts(r)).toEqual(['allow', 'deny']);
    expect(r.steps[1]!.labels).toEqual({ amount: ['untrusted'] });
    expect(r.steps[1]!.decision!.reasons[0]).toMatchObject({ kind: 'flow', message: 'a refund amount must not come from the web' });
    expect(r).toMatchObject({ verdict: 'inadmissible', at: 1 });
    expect(r.reason).toContain('a refund amount must not come from the web');
  });

  it('the same amount from a step that is no label source only depends on its value', async () => {
    const r = await run([sms('+1'), refund(ref('steps[0].result.amount'))]);
    expect(r.steps[1]!.labels).toEqual({});
    expect(verdicts(r)).toEqual(['allow', 'depends']);
  });

  it('labels follow the result path: only the contact part carries `contact`', async () => {
    expect(refLabels(artifact, 'web_fetch', ['contact', 'phone'])).toEqual(['untrusted', 'contact']);
    expect(refLabels(artifact, 'web_fetch', [])).toEqual(['untrusted', 'contact']);
    expect(refLabels(artifact, 'web_fetch', ['body'])).toEqual(['untrusted']);
    expect(refLabels(artifact, 'send_sms', ['contact'])).toEqual([]);
    const fetch = { tool: 'web_fetch', args: { url: 'https://example.com' } };
    const toContact = await run([fetch, sms(ref('steps[0].result.contact.phone'))]);
    expect(verdicts(toContact)).toEqual(['allow', 'deny']);
    expect(toContact.steps[1]!.decision!.reasons[0]!.message).toBe('no messages to numbers scraped from the web');
    // The body is not the contact part, but its value may equal a fetched contact (taint is by value).
    const toBody = await run([fetch, sms(ref('steps[0].result.body'))]);
    expect(verdicts(toBody)).toEqual(['allow', 'depends']);
    expect(toBody.steps[1]!.counterexample).toMatchObject({ labels: { to: ['contact'] }, confirmed: true, agrees: true });
  });

  it('the runtime agrees: the flow denial is what it decides for a claimed label', () => {
    const d = policy.decide(req(refund(5), { labels: { amount: ['untrusted'] } }), { state: new MemoryStateStore(), now: PLAN_TIME, dryRun: true });
    expect(d.effect).toBe('deny');
    expect(d.reasons[0]!.kind).toBe('flow');
  });
});

describe('taint from a labelled result: any later value may have come from it', () => {
  const fetch = { tool: 'web_fetch', args: { url: 'https://shop.example/order/1' } };

  it('an unknown argument after a fetch depends: denied if it came from the page', async () => {
    const r = await run([fetch, sms(unknown('string'))]);
    expect(verdicts(r)).toEqual(['allow', 'depends']);
    const cex = r.steps[1]!.counterexample!;
    expect(cex).toMatchObject({ labels: { to: ['contact'] }, confirmed: true, agrees: true });
    expect(cex.assumes).toEqual(['if args.to came from the result of steps[0] web_fetch (labelled contact)']);
    expect(cex.decision.reasons[0]!.message).toBe('no messages to numbers scraped from the web');
    // The runtime: the fetch result holds that number, then the SMS to it is denied.
    const store = new MemoryStateStore();
    policy.decide(req(fetch), { state: store, now: PLAN_TIME });
    policy.checkResult(req(fetch), { contact: { phone: cex.args['to'] } }, { state: store, now: PLAN_TIME });
    expect(policy.decide(req(sms(cex.args['to'])), { state: store, now: PLAN_TIME }).effect).toBe('deny');
    // Without a fetch before it, the same step is allowed for every value.
    expect(verdicts(await run([sms(unknown('string'))]))).toEqual(['allow']);
  });

  it('a concrete argument after a fetch depends too (it may equal a value on the page); before it, or too short to be recorded, it does not', async () => {
    const after = await run([fetch, refund(50)]);
    expect(verdicts(after)).toEqual(['allow', 'depends']);
    expect(after.steps[1]!.counterexample).toMatchObject({ args: {}, labels: { amount: ['untrusted'] } });
    expect(after).toMatchObject({ verdict: 'depends', at: 1 });
    expect(after.reason).toBe(
      'steps[1] issue_refund is denied if args.amount came from the result of steps[0] web_fetch (labelled untrusted): a refund amount must not come from the web (policy.writ:26)',
    );
    const store = new MemoryStateStore();
    policy.decide(req(fetch), { state: store, now: PLAN_TIME });
    policy.checkResult(req(fetch), { amount: 50 }, { state: store, now: PLAN_TIME });
    expect(policy.decide(req(refund(50)), { state: store, now: PLAN_TIME }).effect).toBe('deny');
    expect(verdicts(await run([refund(50), fetch]))).toEqual(['allow', 'allow']);
    expect(verdicts(await run([fetch, sms('+1')]))).toEqual(['allow', 'allow']);
  });

  it('a fetch in the initial history counts as a source', async () => {
    const r = await run([refund(50)], { state: { history: [{ tool: 'web_fetch', args: { url: 'https://x.example' }, age: '5m' }] } });
    expect(verdicts(r)).toEqual(['depends']);
    expect(r.steps[0]!.counterexample!.assumes).toEqual(['if args.amount came from the result of a call in the initial history (labelled untrusted)']);
  });
});

describe('history: a later step sees every value an earlier unknown may run with', () => {
  const HIST = (allowA: string) => `policy "hist" version "1"
role r
agent "bot" roles [r]
tool a(x: integer)
tool b(y: integer)
allow a ${allowA}
allow b
deny b when called a where (prior.x > 100) because "big a before b"
`;
  const load = (text: string) => {
    const c = compile([{ file: 'hist.writ', text }]);
    return loadPolicy(c.artifact as Artifact);
  };
  const steps = [{ tool: 'a', args: { x: unknown('integer') } }, { tool: 'b', args: { y: 1 } }];

  it('b after a(unknown) depends on the value a ran with, and the runtime agrees', async () => {
    const p = load(HIST(''));
    const r = await checkPlan(p, parsePlan(p.artifact, { agent: { id: 'bot' }, steps }));
    expect(r.internalErrors).toEqual([]);
    expect(verdicts(r)).toEqual(['allow', 'depends']);
    const cex = r.steps[1]!.counterexample!;
    expect(cex).toMatchObject({ confirmed: true, agrees: true });
    const x = Number(/"x":(-?\d+)/.exec(cex.assumes![0]!)![1]);
    expect(x).toBeGreaterThan(100);
    const store = new MemoryStateStore();
    const at = (tool: string, args: Record<string, unknown>) => p.decide({ agent: { id: 'bot' }, tool, args, context: { session: 'plan' } }, { state: store, now: PLAN_TIME });
    expect(at('a', { x }).effect).toBe('allow');
    expect(at('b', { y: 1 }).effect).toBe('deny');
  });

  it('a concrete step the witness history denies is not denied outright when other allowed values let it run', async () => {
    // a runs with any x <= 100; b is denied after an a above 50. Whatever witness a runs with, b depends.
    const p = load(HIST('when args.x <= 100').replace('prior.x > 100', 'prior.x > 50'));
    const r = await checkPlan(p, parsePlan(p.artifact, { agent: { id: 'bot' }, steps }));
    expect(r.internalErrors).toEqual([]);
    expect(verdicts(r)).toEqual(['depends', 'depends']);
    const x = Number(/"x":(-?\d+)/.exec(r.steps[1]!.counterexample!.assumes![0]!)![1]);
    expect(x).toBeGreaterThan(50);
    expect(x).toBeLessThanOrEqual(100);
  });

  it('the free history values range over what the earlier step allows: b is allowed when a never runs above 100', async () => {
    const p = load(HIST('when args.x <= 100'));
    const r = await checkPlan(p, parsePlan(p.artifact, { agent: { id: 'bot' }, steps }));
    expect(r.internalErrors).toEqual([]);
    expect(verdicts(r)).toEqual(['depends', 'allow']);
  });
});

describe('property: a step allowed (or denied) for every value is, whatever values the earlier unknowns ran with', () => {
  const text = `policy "hist-prop" version "1"
role r
agent "bot" roles [r]
tool a(x: integer)
tool b(y: integer)
allow a when args.x <= 100
allow b
deny b when called a where (prior.x > 50) because "big a before b"
deny a when called b where (prior.y == 7) because "b 7 before a"
`;
  const p = loadPolicy(compile([{ file: 'hist.writ', text }]).artifact as Artifact);
  const X = [0, 50, 51, 100, 101];
  const Y = [1, 7, 8];
  const stepArb = fc.oneof(
    fc.record({ tool: fc.constant('a'), args: fc.record({ x: fc.oneof(fc.constantFrom(...X), fc.constant(unknown('integer'))) }) }),
    fc.record({ tool: fc.constant('b'), args: fc.record({ y: fc.oneof(fc.constantFrom(...Y), fc.constant(unknown('integer'))) }) }),
  );

  it('checked against every combination of sampled values of all the unknowns', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(stepArb, { minLength: 2, maxLength: 4 }), async (steps) => {
        const r = await checkPlan(p, parsePlan(p.artifact, { agent: { id: 'bot' }, steps }));
        expect(r.internalErrors).toEqual([]);
        // Every assignment of sampled values to the plan's unknowns, run in order on one store.
        let combos: Array<Array<Record<string, unknown>>> = [[]];
        for (const step of steps) {
          const [param, arg] = Object.entries(step.args)[0]!;
          const values = typeof arg === 'object' ? (param === 'x' ? X : Y) : [arg];
          combos = combos.flatMap((c) => values.map((v) => [...c, { [param]: v }]));
        }
        for (const combo of combos) {
          const store = new MemoryStateStore();
          for (const [i, s] of r.steps.entries()) {
            const d = p.decide({ agent: { id: 'bot' }, tool: s.tool, args: combo[i]!, context: { session: 'plan' } }, { state: store, now: PLAN_TIME });
            if (r.steps.slice(0, i).every((e) => e.leaves !== 'not_run')) {
              if (s.verdict === 'allow') expect(d.effect, `steps[${i}] with ${JSON.stringify(combo)}`).toBe('allow');
              if (s.verdict === 'deny') expect(d.effect, `steps[${i}] with ${JSON.stringify(combo)}`).toBe('deny');
            }
            // Later steps are checked after earlier ones that ran: stop at the first the runtime denies.
            if (d.effect !== 'allow') break;
          }
        }
      }),
      { numRuns: 25 },
    );
  }, 120_000);
});

describe('deny for every value: the reason is a rule that denies every value', () => {
  it('a flow that denies every value is named, not an earlier rule that only some values trip', async () => {
    const c = compile([
      {
        file: 'order.writ',
        text: `policy "order" version "1"
role r
agent "bot" roles [r]
tool fetch(url: string)
tool refund(amount: money(USD))
allow fetch
allow refund
deny refund when args.amount <= 0 USD because "a refund must be a positive amount"
label web from tool fetch.result
deny flow web -> refund.amount because "a refund amount must not come from the web"
`,
      },
    ]);
    const p = loadPolicy(c.artifact as Artifact);
    const r = await checkPlan(p, parsePlan(p.artifact, { agent: { id: 'bot' }, steps: [{ tool: 'fetch', args: { url: 'https://x.example' } }, { tool: 'refund', args: { amount: ref('steps[0].result.amount') } }] }));
    expect(r.internalErrors).toEqual([]);
    expect(r).toMatchObject({ verdict: 'inadmissible', at: 1 });
    expect(r.steps[1]!.decision!.reasons[0]!.message).toBe('a refund amount must not come from the web');
  });
});

describe('property: every verdict holds for sampled values after the steps that ran', () => {
  const MONEY = [-5, 0, 50, 100, 100.01, 250, 500, 500.01, 900];
  const NOTES = ['ok', 'forbidden', 'A-1'];
  const TEXT = ['x', '+1 555 0100', 'hello'];
  const maybe = <T>(values: readonly T[], type: string) => fc.oneof(fc.constantFrom(...values), fc.constant(unknown(type)));
  const stepArb = fc.oneof(
    fc.record({ tool: fc.constant('issue_refund'), args: fc.record({ order_id: fc.constant('A-1'), amount: maybe(MONEY, 'money'), reason: fc.constant('late') }) }),
    fc.record({ tool: fc.constant('issue_refund'), args: fc.record({ order_id: fc.constant('A-1'), amount: fc.constant(ref('steps[0].result.amount')), reason: fc.constant('late') }) }),
    fc.record({ tool: fc.constant('send_sms'), args: fc.record({ to: maybe(TEXT, 'string'), body: maybe(TEXT, 'string') }) }),
    fc.record({ tool: fc.constant('export_data'), args: fc.record({ customer_id: maybe(TEXT, 'string') }) }),
    fc.record({ tool: fc.constant('tag'), args: fc.record({ note: maybe(NOTES, 'string') }) }),
    fc.constant({ tool: 'web_fetch', args: { url: 'https://example.com' } }),
  );
  const samples: Record<string, readonly unknown[]> = { amount: MONEY, note: NOTES, to: TEXT, body: TEXT, customer_id: TEXT };

  /** Decides on `store`, approving a pending request as the plan assumes. */
  function runOn(store: MemoryStateStore, r: Request) {
    const first = policy.decide(r, { state: store, now: PLAN_TIME });
    if (first.effect !== 'pending_approval' || !first.approval) return { first, final: first };
    const rec = first.approval;
    store.approvalSwap({ ...rec, status: 'granted', approvals: [{ approver: 'fin', role: 'finance', time: new Date(PLAN_TIME).toISOString() }] }, rec);
    return { first, final: policy.decide(r, { state: store, now: PLAN_TIME }) };
  }

  it('allow / pending_approval / deny for every sampled value; depends has a denied counterexample', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(stepArb, { minLength: 2, maxLength: 5 }), async (rawSteps) => {
        // A $ref needs an earlier step: steps[0] is always a fetch.
        const steps = [{ tool: 'web_fetch', args: { url: 'https://example.com' } }, ...rawSteps];
        const r = await checkPlan(policy, plan(steps));
        expect(r.internalErrors).toEqual([]);
        for (const s of r.steps) {
          const step = steps[s.index]!;
          const concrete = Object.fromEntries(Object.entries(step.args).filter(([p]) => !s.unknowns.includes(p)));
          // steps[0] fetched a page: any value that a taint set can hold may have come from its result.
          const replayWith = (values: Record<string, unknown>, labels: Record<string, string[]> = {}) => {
            const store = new MemoryStateStore();
            for (const prior of r.steps.slice(0, s.index)) {
              if (prior.leaves === 'not_run') continue;
              const ps = steps[prior.index]!;
              const args = { ...Object.fromEntries(Object.entries(ps.args).filter(([p]) => !prior.unknowns.includes(p))), ...prior.witness };
              expect(runOn(store, req({ tool: ps.tool, args }, Object.keys(prior.labels).length ? { labels: prior.labels } : {})).final.effect).toBe('allow');
            }
            const claims: Record<string, string[]> = { ...s.labels };
            for (const [p, ls] of Object.entries(labels)) claims[p] = [...(claims[p] ?? []), ...ls];
            return runOn(store, req({ tool: step.tool, args: { ...concrete, ...values } }, Object.keys(claims).length ? { labels: claims } : {}));
          };
          const fromPage = (values: Record<string, unknown>) => {
            const args = { ...concrete, ...values };
            return Object.fromEntries(
              Object.entries(args)
                .filter(([, v]) => typeof v === 'number' || (typeof v === 'string' && v.length >= 3))
                .map(([p]) => [p, ['untrusted', 'contact']]),
            );
          };
          if (s.verdict === 'depends') {
            expect(replayWith(s.counterexample!.args, s.counterexample!.labels).final.effect).toBe('deny');
            continue;
          }
          const sampleSets = s.unknowns.length ? s.unknowns.map((p) => samples[p]!.map((v) => [p, v] as const)) : [[]];
          const combos = sampleSets.reduce<Array<Array<readonly [string, unknown]>>>((acc, set) => acc.flatMap((c) => (set.length ? set.map((x) => [...c, x]) : [c])), [[]]);
          for (const combo of combos) {
            const d = replayWith(Object.fromEntries(combo));
            if (s.verdict === 'allow') expect(d.first.effect).toBe('allow');
            if (s.verdict === 'pending_approval') expect(d.final.effect).toBe('allow');
            // Allowed whatever the fetched page held: also with every value it could have supplied.
            if (s.verdict === 'allow' || s.verdict === 'pending_approval') {
              expect(replayWith(Object.fromEntries(combo), fromPage(Object.fromEntries(combo))).final.effect).toBe('allow');
            }
            if (s.verdict === 'deny') expect(d.final.effect).toBe('deny');
          }
        }
      }),
      { numRuns: 20 },
    );
  }, 120_000);
});

describe('malformed plans fail closed with the JSON path', () => {
  const cases: Array<[unknown, string]> = [
    [[], '$'],
    [{ steps: [] }, '$.agent'],
    [{ agent: { id: 'bot' }, steps: [] }, '$.steps'],
    [{ agent: { id: 'bot' }, steps: [{ tool: 'nope', args: {} }] }, '$.steps[0].tool'],
    [{ agent: { id: 'bot' }, steps: [refund(5), { tool: 'send_sms', args: { to: '+1', body: 'x', extra: 1 } }] }, '$.steps[1].args.extra'],
    [{ agent: { id: 'bot' }, steps: [{ tool: 'send_sms', args: { to: '+1' } }] }, '$.steps[0].args'],
    [{ agent: { id: 'bot' }, steps: [refund('ten')] }, '$.steps[0].args.amount'],
    [{ agent: { id: 'bot' }, steps: [refund(unknown('string'))] }, '$.steps[0].args.amount.$unknown'],
    [{ agent: { id: 'bot' }, steps: [refund(ref('steps[0].result'))] }, '$.steps[0].args.amount.$ref'],
    [{ agent: { id: 'bot' }, steps: [refund(ref('step[0].result'))] }, '$.steps[0].args.amount.$ref'],
    [{ agent: { id: 'bot' }, steps: [refund({ $unknown: 'money', x: 1 })] }, '$.steps[0].args.amount.x'],
    [{ agent: { id: 'bot' }, steps: [refund(5)], state: { rate: { 'policy.writ:99': 1 } } }, '$.state.rate.policy.writ:99'],
    [{ agent: { id: 'bot' }, steps: [refund(5)], context: { undeclared: 1 } }, '$.context.undeclared'],
    [{ agent: { id: 'bot' }, steps: [refund(5)], time: 'yesterday' }, '$.time'],
    [{ agent: { id: 'bot' }, steps: [{ ...refund(5), usage: { tokens: -1 } }] }, '$.steps[0].usage.tokens'],
  ];
  for (const [input, path] of cases) {
    it(`${JSON.stringify(input).slice(0, 90)} -> ${path}`, () => {
      let error: unknown;
      try {
        parsePlan(artifact, input);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(PlanError);
      expect((error as PlanError).path).toBe(path);
      expect((error as PlanError).message.startsWith(`${path}: `)).toBe(true);
    });
  }

  it('parsePlan throws nothing but PlanError on arbitrary JSON, and parsed plans only hold declared tools', () => {
    const arg = fc.oneof(fc.jsonValue(), fc.constantFrom(unknown('string'), unknown('money'), ref('steps[0].result'), ref('steps[9].result.x')));
    const step = fc.record({ tool: fc.constantFrom('issue_refund', 'send_sms', 'web_fetch', 'nope'), args: fc.dictionary(fc.constantFrom('to', 'body', 'url', 'amount', 'order_id', 'reason', 'x'), arg) });
    const input = fc.oneof(fc.jsonValue(), fc.record({ agent: fc.oneof(fc.constant({ id: 'bot' }), fc.jsonValue()), steps: fc.array(step, { maxLength: 4 }) }));
    fc.assert(
      fc.property(input, (v) => {
        try {
          const p = parsePlan(artifact, v);
          for (const s of p.steps) expect(Object.hasOwn(artifact.tools, s.tool)).toBe(true);
        } catch (e) {
          if (!(e instanceof PlanError)) throw e;
          expect(e.path.startsWith('$')).toBe(true);
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('jsonPathOffset finds where each value of a JSON text starts (the CLI reports file:line:column)', () => {
    const paths = (v: unknown, path: string, out: Array<[string, unknown]>): Array<[string, unknown]> => {
      out.push([path, v]);
      if (Array.isArray(v)) v.forEach((x, i) => paths(x, `${path}[${i}]`, out));
      else if (v !== null && typeof v === 'object') {
        for (const [k, x] of Object.entries(v)) if (!/[.[\]]/.test(k)) paths(x, `${path}.${k}`, out);
      }
      return out;
    };
    fc.assert(
      fc.property(fc.jsonValue(), fc.constantFrom(0, 2), (v, indent) => {
        const text = JSON.stringify(v, null, indent);
        for (const [path, value] of paths(v, '$', [])) {
          const offset = jsonPathOffset(text, path);
          expect(offset).toBeDefined();
          const rest = text.slice(offset);
          const end = jsonErrorOffset(rest) ?? rest.length;
          // JSON has no -0: the text of -0 is 0.
          expect(JSON.parse(rest.slice(0, end))).toEqual(JSON.parse(JSON.stringify(value)));
        }
        expect(jsonPathOffset(text, '$.no.such[3]')).toBeUndefined();
      }),
      { numRuns: 300 },
    );
  });
});
