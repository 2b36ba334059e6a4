import { readFileSync } from 'node:fs';
import path from 'node:path';
import { compile } from '@writ/compiler';
import { loadPolicy, type Policy, type Request } from '@writ/runtime';
import { readPolicySources } from '@writ/cli';
import { describe, expect, it } from 'vitest';

const here = import.meta.dirname;
const T0 = Date.parse('2026-03-01T09:00:00Z');

function load(example: string): Policy {
  const r = compile(readPolicySources([path.join(here, example)]).sources);
  return loadPolicy(r.artifact!);
}

function request(example: string, name: string): Request {
  return JSON.parse(readFileSync(path.join(here, example, 'requests', `${name}.json`), 'utf8')) as Request;
}

describe('customer-support', () => {
  it('a $120 refund waits, is granted by a finance lead, runs once, and the approval does not cover $1,200', () => {
    const p = load('customer-support');
    const refund = { ...request('customer-support', 'refund-100.01'), args: { order_id: 'O-9', amount: 120, reason: 'late' } };
    const pending = p.decide(refund, { now: T0 });
    expect(pending.effect).toBe('pending_approval');
    const id = pending.approval!.id;
    expect(p.approve(id, { id: 'mallory', roles: ['support'] }, { now: T0 + 1 })).toHaveProperty('error');
    expect(p.approve(id, { id: 'refund-agent', roles: ['finance_lead'] }, { now: T0 + 1 })).toHaveProperty('error');
    const granted = p.approve(id, { id: 'fiona', roles: ['finance_lead'] }, { now: T0 + 2 });
    expect(granted).toMatchObject({ status: 'granted', approvals: [{ approver: 'fiona', role: 'finance_lead' }] });
    const bigger = p.decide({ ...refund, args: { ...refund.args, amount: 1200 } }, { now: T0 + 3 });
    expect(bigger).toMatchObject({ effect: 'deny', denial: 'forbidden' });
    const tenX = p.decide({ ...refund, args: { ...refund.args, amount: 480 } }, { now: T0 + 3 });
    expect(tenX.effect).toBe('pending_approval');
    const allowed = p.decide(refund, { now: T0 + 4 });
    expect(allowed.effect).toBe('allow');
    expect(allowed.approval).toMatchObject({ id, status: 'used' });
    expect(p.decide(refund, { now: T0 + 5 }).effect).toBe('pending_approval');
  });

  it('an unanswered approval expires and its else denies', () => {
    const p = load('customer-support');
    const restart = request('customer-support', 'restart-staging');
    expect(p.decide(restart, { now: T0 }).effect).toBe('pending_approval');
    const late = p.decide(restart, { now: T0 + 15 * 60_000 + 1 });
    expect(late).toMatchObject({ effect: 'deny', denial: 'forbidden', reasons: [{ kind: 'approval' }] });
  });

  it('at most 20 refunds an hour per agent', () => {
    const p = load('customer-support');
    const base = request('customer-support', 'refund-25');
    const effects = Array.from({ length: 21 }, (_, i) => p.decide({ ...base, args: { ...base.args, order_id: `O-${i}` } }, { now: T0 + i }).effect);
    expect(effects.filter((e) => e === 'allow')).toHaveLength(20);
    expect(effects[20]).toBe('deny');
  });
});

describe('data-protection', () => {
  it('tokenizes SSN, email and card before the call, and the session restores them', () => {
    const p = load('data-protection');
    const req = request('data-protection', 'message-with-pii');
    const d = p.decide(req, { now: T0 });
    const o = d.obligations.find((x) => x.type === 'redact');
    expect(o).toMatchObject({ type: 'redact', target: 'args' });
    const forwarded = (o as { value: { body: string } }).value.body;
    expect(forwarded).toBe('Customer SSN <US_SSN_1>, email <EMAIL_1>, card <CREDIT_CARD_1> asked for a refund.');
    expect(p.restore('dp-1', forwarded)).toBe(req.args['body']);
  });

  it('throttles the 21st message in a minute, and lets messages through again a minute later', () => {
    const p = load('data-protection');
    const msg = request('data-protection', 'message-plain');
    const effects = Array.from({ length: 21 }, (_, i) => p.decide(msg, { now: T0 + i * 100 }).effect);
    expect(effects.slice(0, 20).every((e) => e === 'allow')).toBe(true);
    expect(p.decide(msg, { now: T0 + 2_100 })).toMatchObject({ effect: 'deny', reasons: [{ kind: 'limit' }] });
    expect(p.decide(msg, { now: T0 + 60_001 }).effect).toBe('allow');
  });

  it('withholds a tool result containing a secret and tokenizes personal data in profiles', () => {
    const p = load('data-protection');
    const profile = { agent: { id: 'chat-assistant' }, tool: 'fetch_profile', args: { customer_id: 'C-1' }, context: { session: 'dp-2' } };
    const leaked = p.checkResult(profile, { note: 'key AKIAIOSFODNN7EXAMPLE' });
    expect(leaked).toMatchObject({ effect: 'deny' });
    expect(leaked.result).toBeUndefined();
    const ok = p.checkResult(profile, { email: 'jane@example.com', plan: 'gold' });
    expect(ok.effect).toBe('allow');
    expect(ok.result).toEqual({ email: '<EMAIL_1>', plan: 'gold' });
  });
});

describe('devops-governance', () => {
  it('warns at 80% and 90% of the session budget, then denies the call that would exceed it', () => {
    const p = load('devops-governance');
    const logs = (tokens: number) => ({ ...request('devops-governance', 'read-logs'), context: { session: 'b-1', usage: { tokens } } });
    expect(p.decide(logs(150_000), { now: T0 }).obligations).toEqual([]);
    const at80 = p.decide(logs(10_000), { now: T0 + 1 });
    expect(at80.obligations).toMatchObject([{ type: 'warn', dimension: 'tokens', level: 80 }]);
    const at90 = p.decide(logs(20_000), { now: T0 + 2 });
    expect(at90.obligations).toMatchObject([{ type: 'warn', dimension: 'tokens', level: 90 }]);
    expect(p.decide(logs(20_001), { now: T0 + 3 })).toMatchObject({ effect: 'deny', reasons: [{ kind: 'budget' }] });
    expect(p.decide(logs(20_000), { now: T0 + 4 }).effect).toBe('allow');
  });

  it('the runtime kill switch overrides the artifact both ways', () => {
    const p = load('devops-governance');
    const staging = request('devops-governance', 'deploy-staging');
    p.disable('deploy', 'incident in progress');
    expect(p.decide(staging, { now: T0 })).toMatchObject({ effect: 'deny', reasons: [{ kind: 'disabled' }] });
    p.enable('deploy');
    expect(p.decide(staging, { now: T0 + 1 }).effect).toBe('allow');
    const del = request('devops-governance', 'delete-db');
    expect(p.decide(del, { now: T0 + 2 }).effect).toBe('deny');
    p.enable('delete_database');
    expect(p.decide(del, { now: T0 + 3 }).effect).toBe('allow');
    p.disable('*', 'freeze');
    expect(p.decide(request('devops-governance', 'read-logs'), { now: T0 + 4 }).effect).toBe('deny');
  });

  it('a prod deploy not approved within 30 minutes is denied', () => {
    const p = load('devops-governance');
    const prod = request('devops-governance', 'deploy-prod');
    expect(p.decide(prod, { now: T0 }).effect).toBe('pending_approval');
    expect(p.decide(prod, { now: T0 + 30 * 60_000 + 1 })).toMatchObject({ effect: 'deny', reasons: [{ kind: 'approval' }] });
  });
});
