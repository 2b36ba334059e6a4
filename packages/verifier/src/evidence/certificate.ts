/**
 * DecisionCertificate: the record of one decision that Writ logs and signs (DESIGN.md §6).
 *
 * A certificate is a JSON object; **its bytes are its RFC 8785 canonical form** (`certificateBytes`), and those
 * bytes are what the Merkle log hashes (`leaf = SHA-256(0x00 || bytes)`). Format `writ.decision-certificate/v0`:
 *
 * ```json
 * {
 *   "type": "writ.decision-certificate/v0",
 *   "policy": { "name": "customer-support", "version": "1.0.0", "digest": "sha256:<hex>" },
 *   "request_digest": "sha256:<hex>",
 *   "request": { … },                              // only when the caller asked for it (default: omitted)
 *   "decision": {
 *     "effect": "allow" | "deny" | "pending_approval",
 *     "denial": "forbidden" | "not_permitted" | "invalid_request",   // deny only
 *     "rules": ["policy.writ:12", …],             // the reasons' rule ids, in reason order, without repeats
 *     "reasons": [{ "rule", "kind", "message", "span"?: {file, line, column}, "clause"?: {…} }],
 *     "obligations": [ … ]                          // omitted when there are none; see below
 *   },
 *   "approval": { …ApprovalRecord… },              // when the decision carries one
 *   "verification": { … },                         // free-form object, for the verifier's results (optional)
 *   "time": "2025-06-01T12:00:00.000Z"             // RFC 3339: when the decision was made
 * }
 * ```
 *
 * - `request_digest` is `sha256:` + hex SHA-256 of the RFC 8785 form of the request as received. When the
 *   request was not a JSON value at all (text that does not parse, or numbers outside the double range; the
 *   decision is then an `invalid_request` deny), it is the SHA-256 of the exact bytes received. Anyone holding
 *   the request can recompute it with {@link requestDigest}.
 * - The request itself is **omitted by default**: requests carry customer data, and a digest is enough to prove
 *   which request was decided. Pass `includeRequest: true` to embed it (`request`), e.g. in an internal log.
 * - Obligations keep everything **except values**: a `redact` obligation keeps its target, rule and the tokens
 *   (token name, detector kind, path) but not the redacted value (which may still carry sensitive text); a `warn`
 *   obligation is kept whole (budget figures only).
 * - Every object has a fixed set of members (`parseCertificate` rejects unknown ones), except `verification`
 *   and `request`, which hold any JSON.
 *
 * @module
 */
import { Ajv } from 'ajv';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { canonicalJson } from '@writ/runtime';
import type { ApprovalRecord, Decision, Obligation, Reason } from '@writ/runtime';
import { fromUtf8, toHex, utf8 } from './bytes.js';
import { EvidenceFormatError } from './errors.js';
import { sha256 } from './hash.js';

/** The `type` of version 0 certificates. */
export const CERTIFICATE_TYPE = 'writ.decision-certificate/v0';

/** A source position in a certificate's reasons. */
export interface CertificateSourceRef {
  readonly file: string;
  readonly line: number;
  readonly column: number;
}

/** One reason of the decision, as certified. */
export interface CertificateReason {
  readonly rule: string;
  readonly kind: string;
  readonly message: string;
  readonly span?: CertificateSourceRef;
  readonly clause?: CertificateSourceRef;
}

/** An obligation as certified: a redaction without its value, or a budget warning. */
export type CertificateObligation =
  | {
      readonly type: 'redact';
      readonly target: 'args' | 'result';
      readonly rule: string;
      readonly tokens: readonly { readonly token: string; readonly kind: string; readonly path: string }[];
    }
  | {
      readonly type: 'warn';
      readonly rule: string;
      readonly dimension: 'cost' | 'tokens' | 'calls';
      readonly level: number;
      readonly used: number;
      readonly limit: number;
      readonly message: string;
    };

/** A DecisionCertificate (see the module comment for the format). */
export interface DecisionCertificate {
  readonly type: typeof CERTIFICATE_TYPE;
  readonly policy: { readonly name: string; readonly version: string; readonly digest: string };
  readonly request_digest: string;
  /** The request itself, only when the certificate was made with `includeRequest: true`. */
  readonly request?: unknown;
  readonly decision: {
    readonly effect: Decision['effect'];
    readonly denial?: NonNullable<Decision['denial']>;
    readonly rules: readonly string[];
    readonly reasons: readonly CertificateReason[];
    readonly obligations?: readonly CertificateObligation[];
  };
  readonly approval?: ApprovalRecord;
  readonly verification?: Readonly<Record<string, unknown>>;
  /** RFC 3339. */
  readonly time: string;
}

/** Options of {@link makeCertificate}. */
export interface CertificateOptions {
  /** When the decision was made: a `Date`, milliseconds since the epoch, or an RFC 3339 string (kept as is). */
  readonly time: Date | number | string;
  /** Embed the request in the certificate (default `false`: only its digest). */
  readonly includeRequest?: boolean;
  /** A verification result to record (any JSON object). */
  readonly verification?: Readonly<Record<string, unknown>>;
}

/** Options of {@link parseCertificate}. */
export interface ParseCertificateOptions {
  /**
   * For text or bytes input: also require that the input is exactly the certificate's canonical form (as a log
   * entry must be). Default `false`.
   */
  readonly requireCanonical?: boolean;
}

const SHA256_PATTERN = '^sha256:[0-9a-f]{64}$';
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

const sourceRefSchema = {
  type: 'object',
  required: ['file', 'line', 'column'],
  additionalProperties: false,
  properties: { file: { type: 'string' }, line: { type: 'integer', minimum: 0 }, column: { type: 'integer', minimum: 0 } },
} as const;

const partySchema = {
  type: 'object',
  required: ['approver', 'role', 'time'],
  additionalProperties: false,
  properties: { approver: { type: 'string' }, role: { type: 'string' }, time: { type: 'string' }, reason: { type: 'string' } },
} as const;

/**
 * JSON Schema (draft-07) of a `writ.decision-certificate/v0` certificate. `parseCertificate` checks it and, on
 * top, that `rules` lists the reasons' rules, that `time` is RFC 3339, and that an embedded `request` matches
 * `request_digest`.
 */
export const certificateSchema = {
  $id: 'https://writ.dev/schema/decision-certificate-v0.json',
  type: 'object',
  required: ['type', 'policy', 'request_digest', 'decision', 'time'],
  additionalProperties: false,
  properties: {
    type: { const: CERTIFICATE_TYPE },
    policy: {
      type: 'object',
      required: ['name', 'version', 'digest'],
      additionalProperties: false,
      properties: { name: { type: 'string', minLength: 1 }, version: { type: 'string' }, digest: { type: 'string', pattern: SHA256_PATTERN } },
    },
    request_digest: { type: 'string', pattern: SHA256_PATTERN },
    request: {},
    decision: {
      type: 'object',
      required: ['effect', 'rules', 'reasons'],
      additionalProperties: false,
      properties: {
        effect: { enum: ['allow', 'deny', 'pending_approval'] },
        denial: { enum: ['forbidden', 'not_permitted', 'invalid_request'] },
        rules: { type: 'array', items: { type: 'string' } },
        reasons: {
          type: 'array',
          items: {
            type: 'object',
            required: ['rule', 'kind', 'message'],
            additionalProperties: false,
            properties: {
              rule: { type: 'string' },
              kind: { type: 'string', minLength: 1 },
              message: { type: 'string' },
              span: sourceRefSchema,
              clause: sourceRefSchema,
            },
          },
        },
        obligations: {
          type: 'array',
          minItems: 1,
          items: {
            type: 'object',
            required: ['type'],
            properties: { type: { enum: ['redact', 'warn'] } },
            discriminator: { propertyName: 'type' },
            oneOf: [
              {
                properties: {
                  type: { const: 'redact' },
                  target: { enum: ['args', 'result'] },
                  rule: { type: 'string' },
                  tokens: {
                    type: 'array',
                    items: {
                      type: 'object',
                      required: ['token', 'kind', 'path'],
                      additionalProperties: false,
                      properties: { token: { type: 'string' }, kind: { type: 'string' }, path: { type: 'string' } },
                    },
                  },
                },
                required: ['type', 'target', 'rule', 'tokens'],
                additionalProperties: false,
              },
              {
                properties: {
                  type: { const: 'warn' },
                  rule: { type: 'string' },
                  dimension: { enum: ['cost', 'tokens', 'calls'] },
                  level: { type: 'number' },
                  used: { type: 'number' },
                  limit: { type: 'number' },
                  message: { type: 'string' },
                },
                required: ['type', 'rule', 'dimension', 'level', 'used', 'limit', 'message'],
                additionalProperties: false,
              },
            ],
          },
        },
      },
    },
    approval: {
      type: 'object',
      required: ['id', 'args_digest', 'tool', 'agent', 'requirements', 'approvals', 'rejections', 'status', 'created_at', 'expires_at', 'on_timeout'],
      additionalProperties: false,
      properties: {
        id: { type: 'string' },
        args_digest: { type: 'string' },
        tool: { type: 'string' },
        agent: { type: 'string' },
        session: { type: 'string' },
        requirements: {
          type: 'array',
          items: {
            type: 'object',
            required: ['rule', 'role', 'quorum'],
            additionalProperties: false,
            properties: { rule: { type: 'string' }, role: { type: 'string' }, quorum: { type: 'integer', minimum: 1 } },
          },
        },
        approvals: { type: 'array', items: partySchema },
        rejections: { type: 'array', items: partySchema },
        status: { enum: ['pending', 'granted', 'rejected', 'expired', 'used'] },
        created_at: { type: 'string' },
        expires_at: { type: 'string' },
        on_timeout: { enum: ['deny', 'allow'] },
      },
    },
    verification: { type: 'object' },
    time: { type: 'string', pattern: RFC3339.source },
  },
} as const;

let validators: { whole: ValidateFunction; decision: ValidateFunction; policy: ValidateFunction; approval: ValidateFunction } | undefined;

function compiled(): NonNullable<typeof validators> {
  if (validators === undefined) {
    const ajv = new Ajv({ allErrors: false, discriminator: true, strict: true, allowUnionTypes: true });
    const member = (name: 'decision' | 'policy' | 'approval'): ValidateFunction => ajv.compile(certificateSchema.properties[name]);
    validators = { whole: ajv.compile(certificateSchema), decision: member('decision'), policy: member('policy'), approval: member('approval') };
  }
  return validators;
}

/** Checks a value against the certificate schema, or (`member`) one member's value against that member's schema. */
function validate(value: unknown, member?: 'decision' | 'policy' | 'approval'): string | undefined {
  const v = compiled()[member ?? 'whole'];
  if (v(value)) return undefined;
  const e = v.errors?.[0];
  return e === undefined ? 'does not match the certificate schema' : schemaMessage(e, member === undefined ? '' : `/${member}`);
}

function schemaMessage(e: ErrorObject, prefix = ''): string {
  const path = prefix + e.instancePath;
  const at = path === '' ? 'certificate' : `certificate${path.replace(/\//g, '.')}`;
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'required':
      return `${at} has no '${String(p['missingProperty'])}'`;
    case 'additionalProperties':
      return `${at} has an unknown member '${String(p['additionalProperty'])}'`;
    case 'enum':
      return `${at} must be one of ${(p['allowedValues'] as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
    case 'const':
      return `${at} must be ${JSON.stringify(p['allowedValue'])}`;
    case 'discriminator':
      return `${at} has an unknown or missing type`;
    case 'pattern':
      return path === '/time' ? `${at} is not an RFC 3339 time` : `${at} is not a sha256:<64 hex digits> digest`;
    default:
      return `${at} ${e.message ?? e.keyword}`;
  }
}

/**
 * The request digest of a certificate: `sha256:` + hex SHA-256 of the RFC 8785 form of the request, or of the
 * raw bytes when the request is given as bytes (a request that was not a JSON value; see {@link certifiableRequest}).
 *
 * @param request - the parsed request (any JSON value) or its raw bytes.
 * @returns `sha256:<64 hex digits>`.
 * @throws `TypeError` when `request` is neither a JSON value nor bytes.
 */
export function requestDigest(request: unknown): string {
  if (request instanceof Uint8Array) return `sha256:${toHex(sha256(request))}`;
  return `sha256:${sha256HexOfText(canonicalJson(request))}`;
}

// Node's native one-shot SHA-256 when available (several times faster on short inputs); the portable one elsewhere.
const nativeHash = ((globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process?.getBuiltinModule?.('node:crypto') as
  | { hash?: (algorithm: 'sha256', data: string, outputEncoding: 'hex') => string }
  | undefined)?.hash;

function sha256HexOfText(text: string): string {
  return nativeHash !== undefined ? nativeHash('sha256', text, 'hex') : toHex(sha256(utf8(text)));
}

/**
 * What to certify for a request received as text: the parsed JSON value when the text is JSON that has an
 * RFC 8785 form, otherwise the text's UTF-8 bytes (then `request_digest` is the digest of those bytes).
 *
 * @param text - the request as received.
 * @returns a JSON value or a `Uint8Array`, to pass to {@link makeCertificate} / {@link requestDigest}.
 */
export function certifiableRequest(text: string): unknown {
  try {
    const value: unknown = JSON.parse(text);
    canonicalJson(value);
    return value;
  } catch {
    return utf8(text);
  }
}

/**
 * Builds the certificate of one decision.
 *
 * @param request - the request as decided: its parsed JSON value, or its raw bytes when it was not JSON (see
 *   {@link certifiableRequest}).
 * @param decision - the runtime's decision for it.
 * @param options - `time` (required), `includeRequest`, `verification`.
 * @returns the certificate; {@link certificateBytes} gives the bytes to log ({@link certifyDecision} gives both
 *   at once, faster).
 * @throws `TypeError` when `request` is neither a JSON value nor bytes, when `includeRequest` is asked for a
 *   request given as bytes, or when `time` is not a valid time; {@link EvidenceFormatError}
 *   `malformed-certificate` when the decision does not fit the certificate format.
 */
export function makeCertificate(request: unknown, decision: Decision, options: CertificateOptions): DecisionCertificate {
  return build(request, decision, options);
}

/**
 * Builds the certificate of one decision and its bytes (the log entry) in one step: the same as
 * `makeCertificate` then `certificateBytes`, without serializing twice. This is the hot path of a certifying
 * gateway.
 *
 * @param request - as for {@link makeCertificate}.
 * @param decision - as for {@link makeCertificate}.
 * @param options - as for {@link makeCertificate}.
 * @returns `{ certificate, bytes }`, `bytes` being the RFC 8785 form's UTF-8.
 * @throws as {@link makeCertificate}.
 */
export function certifyDecision(
  request: unknown,
  decision: Decision,
  options: CertificateOptions,
): { certificate: DecisionCertificate; bytes: Uint8Array } {
  const texts: MemberTexts = {};
  const certificate = build(request, decision, options, texts);
  // Without caller data (request, verification) every member name is one of ours, written in canonical order,
  // and every value is JSON, so JSON.stringify writes the RFC 8785 form. Caller data may hold integer-like
  // member names, which JavaScript always enumerates first: canonicalJson checks and re-sorts.
  const callerData = 'request' in certificate || 'verification' in certificate;
  return { certificate, bytes: textBytes(callerData ? canonicalJson(certificate) : ownText(certificate, texts)) };
}

// Node's Buffer, when present: `Buffer.from` encodes short strings into its shared pool, which is several
// times cheaper than TextEncoder's one allocation per call. The result is returned as a plain Uint8Array view.
const NodeBuffer = (globalThis as { Buffer?: { from(text: string, encoding: 'utf8'): Uint8Array } }).Buffer;

/** UTF-8 of a certificate's text (a well-formed string: it came out of JSON.stringify or canonicalJson). */
function textBytes(text: string): Uint8Array {
  if (NodeBuffer === undefined) return utf8(text);
  const b = NodeBuffer.from(text, 'utf8');
  return new Uint8Array(b.buffer, b.byteOffset, b.length);
}

/** Member texts `build` already made (to validate by text), for {@link ownText}. */
interface MemberTexts {
  decision?: string;
}

/** `JSON.stringify(cert)` for a certificate without caller data, with the member texts already made reused. */
function ownText(cert: DecisionCertificate, texts: MemberTexts): string {
  let s = cert.approval !== undefined ? `{"approval":${JSON.stringify(cert.approval)},"decision":` : '{"decision":';
  s += texts.decision ?? JSON.stringify(cert.decision);
  s += ',"policy":';
  s += policyText(cert.policy);
  s += ',"request_digest":';
  s += JSON.stringify(cert.request_digest);
  s += ',"time":';
  s += JSON.stringify(cert.time);
  return s + `,"type":${JSON.stringify(cert.type)}}`;
}

// The policy member is the same for every decision of a loaded policy: its text (and that it passed the
// schema) is kept for the last one seen.
let lastPolicy: { name: string; version: string; digest: string; text: string } | undefined;

function policyText(p: DecisionCertificate['policy']): string {
  const last = lastPolicy;
  if (last !== undefined && last.name === p.name && last.version === p.version && last.digest === p.digest) return last.text;
  const text = JSON.stringify(p);
  lastPolicy = { name: p.name, version: p.version, digest: p.digest, text };
  return text;
}

/**
 * Decision members (as JSON text) that passed the schema. A policy's decisions repeat (the same rules give the
 * same reasons), so most certificates skip validating their largest member; bounded, emptied when full.
 */
const validDecisions = new Set<string>();
const VALID_DECISIONS_MAX = 4096;

function build(request: unknown, decision: Decision, options: CertificateOptions, texts: MemberTexts = {}): DecisionCertificate {
  const digest = requestDigest(request);
  if (options.includeRequest === true && request instanceof Uint8Array) {
    throw new TypeError('includeRequest needs the request as a JSON value, not bytes');
  }
  // Every object is built with its members in RFC 8785 order, so that canonicalJson can serialize it with
  // JSON.stringify instead of re-sorting (a large part of the cost of certifying a decision).
  const d: Record<string, unknown> = {};
  if (decision.denial !== undefined) d['denial'] = decision.denial;
  d['effect'] = decision.effect;
  if (decision.obligations.length > 0) d['obligations'] = decision.obligations.map(certObligation);
  d['reasons'] = decision.reasons.map(certReason);
  d['rules'] = ruleIds(decision.reasons);
  const cert: Record<string, unknown> = {};
  if (decision.approval !== undefined) cert['approval'] = certApproval(decision.approval);
  cert['decision'] = d;
  cert['policy'] = { digest: decision.policy.digest, name: decision.policy.name, version: decision.policy.version };
  if (options.includeRequest === true) cert['request'] = sortedCopy(request);
  cert['request_digest'] = digest;
  cert['time'] = formatTime(options.time);
  cert['type'] = CERTIFICATE_TYPE;
  if (options.verification !== undefined) {
    canonicalJson(options.verification); // throws TypeError on a non-JSON value
    cert['verification'] = sortedCopy(options.verification);
  }
  // The schema, member by member: `type`, `request_digest` and `time` are right by construction (formatTime
  // checks a time given as text); the policy is checked once per distinct policy member, the decision once
  // per distinct decision text. The other checks of parseCertificate hold by construction (rules, time,
  // request digest) except the denial's.
  const problem = schemaProblem(cert, texts) ?? (decision.denial !== undefined && decision.effect !== 'deny' ? 'certificate.decision.denial is set on a decision that is not a deny' : undefined);
  if (problem !== undefined) throw new EvidenceFormatError('malformed-certificate', problem);
  return cert as unknown as DecisionCertificate;
}

function schemaProblem(cert: Record<string, unknown>, texts: MemberTexts): string | undefined {
  if ('request' in cert || 'verification' in cert) return validate(cert);
  const policy = cert['policy'] as DecisionCertificate['policy'];
  const last = lastPolicy;
  if (last === undefined || last.name !== policy.name || last.version !== policy.version || last.digest !== policy.digest) {
    const p = validate(policy, 'policy');
    if (p !== undefined) return p;
    policyText(policy);
  }
  if (cert['approval'] !== undefined) {
    const p = validate(cert['approval'], 'approval');
    if (p !== undefined) return p;
  }
  const text = JSON.stringify(cert['decision']);
  texts.decision = text;
  if (!validDecisions.has(text)) {
    const p = validate(cert['decision'], 'decision');
    if (p !== undefined) return p;
    if (validDecisions.size >= VALID_DECISIONS_MAX) validDecisions.clear();
    validDecisions.add(text);
  }
  return undefined;
}

/** A copy of a JSON value with object members in RFC 8785 order (non-JSON values are left for canonicalJson to refuse). */
function sortedCopy(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortedCopy);
  if (value === null || typeof value !== 'object' || Object.getPrototypeOf(value) !== Object.prototype) return value;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(value).sort()) {
    // defineProperty, not assignment: a member named "__proto__" (JSON.parse makes it an own property) must stay one.
    Object.defineProperty(out, k, { value: sortedCopy((value as Record<string, unknown>)[k]), enumerable: true, writable: true, configurable: true });
  }
  return out;
}

/**
 * The bytes of a certificate: the UTF-8 of its RFC 8785 canonical JSON. These are the log entry's bytes.
 *
 * @param cert - a certificate (not re-validated).
 * @returns the canonical bytes.
 * @throws `TypeError` when the object holds something that is not JSON.
 */
export function certificateBytes(cert: DecisionCertificate): Uint8Array {
  return utf8(canonicalJson(cert));
}

/**
 * Parses and validates a certificate: the JSON Schema ({@link certificateSchema}), then `time` is a real RFC 3339
 * time, `decision.rules` lists the reasons' rules in order without repeats, a `denial` only on a deny, and an
 * embedded `request` hashes to `request_digest`.
 *
 * @param input - JSON text, UTF-8 bytes (decoded strictly), or an already parsed value.
 * @param options - `requireCanonical`: text or bytes must be exactly the canonical form.
 * @returns the certificate (the parsed object itself).
 * @throws {@link EvidenceFormatError} `malformed-certificate` with one sentence saying what is wrong.
 */
export function parseCertificate(input: unknown, options: ParseCertificateOptions = {}): DecisionCertificate {
  let value = input;
  let text: string | undefined;
  if (input instanceof Uint8Array) {
    try {
      text = fromUtf8(input);
    } catch {
      throw new EvidenceFormatError('malformed-certificate', 'certificate is not valid UTF-8');
    }
  } else if (typeof input === 'string') {
    text = input;
  }
  if (text !== undefined) {
    try {
      value = JSON.parse(text);
    } catch (e) {
      throw new EvidenceFormatError('malformed-certificate', `certificate is not JSON: ${(e as Error).message}`);
    }
  }
  const problem = validate(value) ?? semanticProblem(value as DecisionCertificate);
  if (problem !== undefined) throw new EvidenceFormatError('malformed-certificate', problem);
  const cert = value as DecisionCertificate;
  if (options.requireCanonical === true && text !== undefined && canonicalJson(cert) !== text) {
    throw new EvidenceFormatError('malformed-certificate', 'certificate is not in its RFC 8785 canonical form');
  }
  return cert;
}

function semanticProblem(cert: DecisionCertificate): string | undefined {
  if (!Number.isFinite(Date.parse(cert.time))) return 'certificate.time is not an RFC 3339 time';
  const expected = ruleIds(cert.decision.reasons);
  const rules = cert.decision.rules;
  if (rules.length !== expected.length || rules.some((r, i) => r !== expected[i])) {
    return 'certificate.decision.rules does not list the rules of its reasons';
  }
  if (cert.decision.denial !== undefined && cert.decision.effect !== 'deny') return 'certificate.decision.denial is set on a decision that is not a deny';
  if ('request' in cert) {
    let digest: string;
    try {
      digest = requestDigest(cert.request);
    } catch {
      return 'certificate.request is not a JSON value';
    }
    if (digest !== cert.request_digest) return 'certificate.request does not match certificate.request_digest';
  }
  return undefined;
}

function ruleIds(reasons: readonly { rule: string }[]): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  for (const r of reasons) {
    if (!seen.has(r.rule)) {
      seen.add(r.rule);
      out.push(r.rule);
    }
  }
  return out;
}

function certRef(s: { file: string; line: number; column: number }): CertificateSourceRef {
  return { column: s.column, file: s.file, line: s.line };
}

function certReason(r: Reason): CertificateReason {
  const out: { -readonly [K in keyof CertificateReason]: CertificateReason[K] } = {} as CertificateReason;
  if (r.clause !== undefined) out.clause = certRef(r.clause);
  out.kind = r.kind;
  out.message = r.message;
  out.rule = r.rule;
  if (r.span !== undefined) out.span = certRef(r.span);
  return out;
}

function certObligation(o: Obligation): CertificateObligation {
  if (o.type === 'redact') {
    return { rule: o.rule, target: o.target, tokens: o.tokens.map((t) => ({ kind: t.kind, path: t.path, token: t.token })), type: 'redact' };
  }
  return { dimension: o.dimension, level: o.level, limit: o.limit, message: o.message, rule: o.rule, type: 'warn', used: o.used };
}

function certApproval(a: ApprovalRecord): ApprovalRecord {
  const party = (p: { approver: string; role: string; time: string; reason?: string }) => {
    const out: { approver: string; reason?: string; role: string; time: string } = { approver: p.approver } as never;
    if (p.reason !== undefined) out.reason = p.reason;
    out.role = p.role;
    out.time = p.time;
    return out;
  };
  const out = {
    agent: a.agent,
    approvals: a.approvals.map(party),
    args_digest: a.args_digest,
    created_at: a.created_at,
    expires_at: a.expires_at,
    id: a.id,
    on_timeout: a.on_timeout,
    rejections: a.rejections.map(party),
    requirements: a.requirements.map((q) => ({ quorum: q.quorum, role: q.role, rule: q.rule })),
  } as ApprovalRecord;
  if (a.session !== undefined) out.session = a.session;
  out.status = a.status;
  out.tool = a.tool;
  return out;
}

function formatTime(time: Date | number | string): string {
  if (typeof time === 'string') {
    if (!RFC3339.test(time) || !Number.isFinite(Date.parse(time))) throw new TypeError(`time '${time}' is not an RFC 3339 time`);
    return time;
  }
  const given = typeof time === 'number' ? time : time.getTime();
  if (!Number.isFinite(given)) throw new TypeError('time is not a valid date');
  const ms = Math.trunc(given) + 0; // a Date's time value (fractions dropped toward zero, no -0)
  // Certificates made in the same second share the text up to the milliseconds.
  const second = Math.floor(ms / 1000);
  if (second !== lastSecond || lastSecondText === undefined) {
    const iso = new Date(ms).toISOString();
    if (iso.length !== 24) return iso; // years outside 0000–9999: no reuse
    lastSecond = second;
    lastSecondText = iso.slice(0, 20);
  }
  const milli = ms - second * 1000;
  return `${lastSecondText}${milli < 10 ? '00' : milli < 100 ? '0' : ''}${milli}Z`;
}

let lastSecond = 0;
let lastSecondText: string | undefined;
