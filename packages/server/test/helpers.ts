/**
 * Policies and servers for the server's tests (policies compiled from source, as writ serve does).
 */
import { compile } from '@writ/compiler';
import { loadPolicy, type Policy } from '@writ/runtime';
import { Authenticator, buildServer, hashToken, type ServerOptions, type WritServer } from '../src/index.js';

export const POLICY = `policy "serve-test" version "1.0.0"

role billing
role finance_lead
role support

agent "refund-agent" roles [billing]
agent "lead" roles [finance_lead]

tool lookup_order(order_id: string) risk low
tool issue_refund(order_id: string, amount: money(USD)) risk high
tool fetch_doc(id: string) risk low

allow lookup_order when agent has role billing
allow fetch_doc when agent has role billing
allow issue_refund when agent has role billing and args.amount <= 100 USD
approve issue_refund when agent has role billing and args.amount > 100 USD and args.amount <= 500 USD
  by role finance_lead within 30m else deny
deny issue_refund when args.amount > 500 USD because "refunds above $500 are never automated"
limit lookup_order 3 per 1h per agent

post fetch_doc redact secret in result
`;

export function policyFrom(text: string, file = 'policy.writ'): Policy {
  const r = compile([{ file, text }]);
  if (r.artifact === undefined) throw new Error(r.diagnostics.map((d) => d.message).join('; '));
  return loadPolicy(r.artifact);
}

export const TOKENS = { lead: 'tok-lead-0123456789', lead2: 'tok-lead2-0123456789', support: 'tok-support-0123456789', agent: 'tok-agent-0123456789' };

export function authenticator(): Authenticator {
  return new Authenticator([
    { hash: hashToken(TOKENS.lead), identity: 'alice', roles: ['finance_lead'] },
    { hash: hashToken(TOKENS.lead2), identity: 'bob', roles: ['finance_lead'] },
    { hash: hashToken(TOKENS.support), identity: 'carol', roles: ['support'] },
    { hash: hashToken(TOKENS.agent), identity: 'refund-agent', roles: ['finance_lead'] },
  ]);
}

export function server(options: Partial<ServerOptions> = {}): Promise<WritServer> {
  return buildServer({ policy: policyFrom(POLICY), tokens: authenticator(), ...options });
}

export const refund = (amount: number, session = 's1') => ({
  agent: { id: 'refund-agent' },
  tool: 'issue_refund',
  args: { order_id: 'O-1', amount },
  context: { session },
});
