/**
 * Signature help inside detector calls: `pii(value, kinds…)`, with the detector's kinds.
 */
import { DETECTOR_KINDS } from '@writ/runtime';
import type { SignatureHelp } from 'vscode-languageserver';
import { cursorContext } from '../analysis/cursor.js';
import { openDetectorCall } from './completion.js';

const DOCS: Record<string, string> = {
  pii: 'Personal data: email addresses, phone numbers, US SSNs, card numbers (Luhn-checked), IBANs (mod-97), IP addresses.',
  secret: 'Credentials: cloud and API keys, tokens, private keys, JWTs.',
  injection: 'Injection payloads: SQL, shell, path traversal, XSS, prompt injection.',
};

export function signatureHelp(text: string, offset: number): SignatureHelp | null {
  const cx = cursorContext(text, offset);
  const call = openDetectorCall(cx.before);
  if (!call) return null;
  const kinds = (DETECTOR_KINDS as Record<string, readonly string[]>)[call.name] ?? [];
  const label = `${call.name}(value, ${kinds.join(' | ')}…)`;
  return {
    signatures: [
      {
        label,
        documentation: `${DOCS[call.name] ?? ''} The value is \`args\`, \`args.P\`, \`result\`, … ; no kinds means all kinds.`,
        parameters: [
          { label: 'value', documentation: 'what to scan: `args` (every argument), `args.P`, `context.F`, `result` (post rules)' },
          { label: `${kinds.join(' | ')}…`, documentation: `kinds of ${call.name} to look for (any number, comma-separated)` },
        ],
      },
    ],
    activeSignature: 0,
    activeParameter: Math.min(call.commas, 1),
  };
}
