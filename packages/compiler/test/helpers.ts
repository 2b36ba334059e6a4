import { compile, type Diagnostic } from '@writ/compiler';

export const HEADER = 'policy "t" version "1.0.0"\n';

/** Compiles one in-memory file. */
export function compileText(text: string, file = 'p.writ') {
  return compile([{ file, text }]);
}

/** `CODE line:col` for each diagnostic, for compact assertions. */
export function codes(ds: Diagnostic[]): string[] {
  return ds.map((d) => `${d.code} ${d.span.line}:${d.span.column}`);
}

export const BASE = `${HEADER}role billing, support, finance
agent "refund-agent" roles [billing]
tool issue_refund(order_id: string, amount: money(USD), reason: string, note?: string) risk high cost 0.02 USD
tool restart_service(service: string, env: enum("dev", "staging", "prod"))
tool send_sms(to: string, body: string)
context channel: enum("chat", "email")
`;
