/**
 * The decision service's HTTP API (fastify). Routes:
 *
 * - `POST /v1/decide`: body a tool-call request; 200 with the Decision (a malformed request is a deny with
 *   denial `invalid_request`, not an HTTP error: the service fails closed like the runtime).
 * - `POST /v1/check-result`: body `{ request, result }`; 200 with the ResultCheck.
 * - `GET /v1/approvals?state=pending`: approval records (bearer token required).
 * - `POST /v1/approvals/{id}`: body `{ action: "approve" | "reject", reason? }`; the approver is the token's
 *   identity and roles (401 without a valid token, 403 without a required role).
 * - `GET /healthz`, `GET /metrics` (Prometheus text), `GET /openapi.json`.
 *
 * Every response carries the `writ-policy-digest` header naming the policy that served it; error bodies are
 * `{ error, reason, policy_digest }`.
 *
 * @packageDocumentation
 */
import swagger from '@fastify/swagger';
import Fastify from 'fastify';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ApprovalRecord, Approver, Decision, Policy } from '@writ/runtime';
import type { Authenticator } from './auth.js';
import { MemoryBackend, type ApprovalOutcome, type StateBackend } from './backend.js';
import type { DecisionRecorder } from './evidence.js';
import { DIGEST_HEADER, LOG_INDEX_HEADER } from './headers.js';
import { answerClientError, approvalErrorStatus, STATUS_TEXT, statusError } from './http-errors.js';
import { DEFAULT_MAX_DEPTH, deeperThan } from './json-depth.js';
import { ServerMetrics, UNKNOWN_TOOL } from './metrics.js';
import { PolicySlot, type ActivePolicy } from './policy-slot.js';
import * as S from './schemas.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The policy serving this request (read from the slot once, when the request arrived). */
    writ: ActivePolicy;
    /** The raw JSON text of the body (kept only when decisions are certified). */
    writRaw: string | undefined;
    /** The authenticated approver (approval routes). */
    approver: Approver | undefined;
  }
}

export { DIGEST_HEADER, LOG_INDEX_HEADER } from './headers.js';

export const DEFAULT_BODY_LIMIT = 1024 * 1024;

export interface ServerOptions {
  /** The policy to serve, or a slot that a reloader swaps policies into. */
  policy: Policy | PolicySlot;
  /** Where state lives. Default: a fresh {@link MemoryBackend}. */
  backend?: StateBackend;
  /** Approver tokens; without them every approval route answers 401. */
  tokens?: Authenticator;
  /** Certify every decision into a log. */
  recorder?: DecisionRecorder;
  metrics?: ServerMetrics;
  /** Largest accepted request body in bytes (413 above). Default 1 MiB. */
  bodyLimit?: number;
  /** Deepest nesting of arrays and objects accepted in a body (400 above). Default 256. */
  maxDepth?: number;
  /** Fastify's per-request logging (pino). Off by default: it costs on the hot path. */
  requestLog?: boolean;
  /** Service events (reloads, internal errors), one line each. Default: none. */
  log?: (line: string) => void;
  /** The clock, epoch ms. Default `Date.now`. */
  clock?: () => number;
}

export interface WritServer {
  app: FastifyInstance;
  slot: PolicySlot;
  metrics: ServerMetrics;
  backend: StateBackend;
  /** Stops accepting connections, waits for requests in flight, then closes the recorder and the backend. */
  close(): Promise<void>;
}


const STATUSES: ReadonlySet<string> = new Set(['pending', 'granted', 'rejected', 'expired', 'used']);

/**
 * Builds the service (not listening: call `app.listen`, or `app.inject` in tests).
 */
export async function buildServer(options: ServerOptions): Promise<WritServer> {
  const slot = options.policy instanceof PolicySlot ? options.policy : new PolicySlot(options.policy);
  const backend = options.backend ?? new MemoryBackend();
  const metrics = options.metrics ?? new ServerMetrics();
  const { tokens, recorder } = options;
  const clock = options.clock ?? Date.now;
  const log = options.log ?? (() => {});
  const keepRaw = recorder !== undefined;
  const maxDepth = options.maxDepth ?? DEFAULT_MAX_DEPTH;

  metrics.policy(slot.current.policy.name, slot.current.policy.version, slot.current.digest);
  slot.onSwap((p) => metrics.policy(p.policy.name, p.policy.version, p.digest));

  const app = Fastify({
    logger: options.requestLog === true,
    bodyLimit: options.bodyLimit ?? DEFAULT_BODY_LIMIT,
    // Bodies: only JSON; route parameters are bounded.
    routerOptions: { maxParamLength: 200 },
    return503OnClosing: false, // answered by the onRequest hook, in this service's error shape
    forceCloseConnections: 'idle',
    // Unknown members are errors (an approval action with an `approver` member must not be silently accepted).
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false } },
    // Malformed HTTP (the parser's errors, before fastify sees a request): same shape as every other error.
    clientErrorHandler: (err, socket) => answerClientError(err, socket, slot.current.digest),
    // Errors raised before routing (a malformed URL, an over-long parameter): same shape as every other error.
    frameworkErrors: (err, _req, rawReply) => {
      const reply = rawReply as unknown as FastifyReply;
      const code = typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 400;
      void reply
        .code(code)
        .header(DIGEST_HEADER, slot.current.digest)
        .type('application/json')
        .send(JSON.stringify({ error: STATUS_TEXT[code] ?? 'Error', reason: err.message, policy_digest: slot.current.digest }));
    },
  });

  app.decorateRequest('writ', null as unknown as ActivePolicy);
  app.decorateRequest('writRaw', undefined);
  app.decorateRequest('approver', undefined);

  // JSON.parse, not the default secure-json-parse: the runtime keeps `__proto__` members as plain data, and a
  // request that has one must be decided (and certified), not refused.
  app.removeAllContentTypeParsers(); // text/plain and others: 415

  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    const text = body as string;
    if (keepRaw) req.writRaw = text;
    if (deeperThan(text, maxDepth)) {
      done(statusError(400, `the body nests arrays and objects more than ${maxDepth} levels deep`), undefined);
      return;
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (e) {
      done(statusError(400, `the body is not valid JSON: ${(e as Error).message}`), undefined);
      return;
    }
    done(null, value);
  });

  let closing = false;
  app.addHook('onRequest', (req, reply, done) => {
    const active = slot.current;
    req.writ = active;
    reply.header(DIGEST_HEADER, active.digest);
    if (closing) {
      void reply.code(503).header('connection', 'close').send(errorPayload(req, 503, 'the service is shutting down'));
      return;
    }
    done();
  });

  const errorPayload = (req: FastifyRequest, status: number, reason: string) => ({
    error: STATUS_TEXT[status] ?? 'Error',
    reason,
    policy_digest: (req.writ ?? slot.current).digest,
  });

  app.setErrorHandler((err: FastifyError, req, reply) => {
    const code = typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 600 ? err.statusCode : 500;
    if (code >= 500) log(`internal error on ${req.method} ${req.url}: ${err.stack ?? err.message}`);
    if (reply.getHeader(DIGEST_HEADER) === undefined) reply.header(DIGEST_HEADER, slot.current.digest);
    void reply.code(code).type('application/json').send(errorPayload(req, code, code >= 500 && code !== 503 ? 'internal error (logged by the service)' : err.message));
  });

  app.setNotFoundHandler((req, reply) => {
    void reply.code(404).send(errorPayload(req, 404, `no route ${req.method} ${req.url.split('?')[0]}; see /openapi.json`));
  });

  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Writ decision service',
        description: 'Decides AI-agent tool calls against a compiled Writ policy (writ serve).',
        version: '0.1.0',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'An approver token from the --tokens file.' } } },
    },
  });

  // The request bodies of decide and check-result are documented but not validated here: the runtime
  // validates requests and turns malformed ones into invalid_request denials (fail closed, with a reason).
  const noValidation = () => () => true;

  const authenticate = (req: FastifyRequest, reply: FastifyReply, done: (err?: Error) => void): void => {
    if (tokens === undefined) {
      void reply.header('www-authenticate', 'Bearer').code(401).send(errorPayload(req, 401, 'no approver tokens are configured (start writ serve with --tokens <file>)'));
      return;
    }
    const r = tokens.authenticate(req.headers.authorization);
    if (!r.ok) {
      void reply.header('www-authenticate', 'Bearer error="invalid_token"').code(401).send(errorPayload(req, 401, r.reason));
      return;
    }
    req.approver = r.approver;
    done();
  };

  const toolLabel = (active: ActivePolicy, body: unknown): string => {
    const tool = typeof body === 'object' && body !== null ? (body as { tool?: unknown }).tool : undefined;
    return typeof tool === 'string' && active.tools.has(tool) ? tool : UNKNOWN_TOOL;
  };

  const sendDecision = (req: FastifyRequest, reply: FastifyReply, decision: Decision, now: number, started: number): void => {
    metrics.decision(decision.effect, toolLabel(req.writ, req.body), (performance.now() - started) / 1000);
    if (recorder === undefined) {
      void reply.send(decision);
      return;
    }
    recorder.record(req.body, req.writRaw, decision, now).then(
      (index) => void reply.header(LOG_INDEX_HEADER, String(index)).send(decision),
      (e: unknown) => {
        log(`decision log: ${(e as Error).message}`);
        void reply.code(503).send(errorPayload(req, 503, `the decision could not be certified (decision log unavailable): ${(e as Error).message}`));
      },
    );
  };

  app.post(
    '/v1/decide',
    {
      schema: {
        summary: 'Decide one tool call',
        description: 'allow, deny or pending_approval, with the deciding rule. A malformed request is a deny (denial invalid_request).',
        body: S.requestBody,
        response: { 200: S.decision, '4xx': S.errorBody, '5xx': S.errorBody },
      },
      validatorCompiler: noValidation,
    },
    (req, reply) => {
      const started = performance.now();
      const now = clock();
      const d = backend.decide(req.writ.policy, req.body, now);
      if (d instanceof Promise) {
        d.then((x) => sendDecision(req, reply, x, now, started)).catch((e: unknown) => reply.send(e));
        return;
      }
      sendDecision(req, reply, d, now, started);
    },
  );

  app.post(
    '/v1/check-result',
    {
      schema: {
        summary: "Check a tool's result against the post rules",
        description: 'Redacts secrets and PII where post rules say so; the result is absent on deny.',
        body: S.checkResultBody,
        response: { 200: S.resultCheck, '4xx': S.errorBody, '5xx': S.errorBody },
      },
      validatorCompiler: noValidation,
    },
    async (req) => {
      const body = req.body;
      if (typeof body !== 'object' || body === null || Array.isArray(body) || !('request' in body) || !('result' in body)) {
        throw statusError(400, 'the body must be an object { "request": <the tool-call request>, "result": <what the tool returned> }');
      }
      const { request, result } = body as { request: unknown; result: unknown };
      const check = await backend.checkResult(req.writ.policy, request, result, clock());
      metrics.resultCheck(check.effect);
      return check;
    },
  );

  app.get(
    '/v1/approvals',
    {
      schema: {
        summary: 'List approval records',
        description: 'Oldest first; pending records past their expiry are shown as expired.',
        security: S.bearer,
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { state: { type: 'string', enum: [...STATUSES] } },
        },
        response: { 200: S.approvalList, '4xx': S.errorBody, '5xx': S.errorBody },
      },
      onRequest: authenticate,
    },
    async (req) => {
      const state = (req.query as { state?: ApprovalRecord['status'] }).state;
      const approvals = await backend.approvals(req.writ.policy, state, clock());
      return { approvals, policy_digest: req.writ.digest };
    },
  );

  app.post(
    '/v1/approvals/:id',
    {
      schema: {
        summary: 'Approve or reject a pending call',
        description: "The approver is the bearer token's identity; it must hold one of the roles the approval requires.",
        security: S.bearer,
        params: { type: 'object', required: ['id'], properties: { id: { type: 'string', minLength: 1, maxLength: 200 } } },
        body: S.approvalAction,
        response: { 200: S.approvalResult, '4xx': S.errorBody, '5xx': S.errorBody },
      },
      onRequest: authenticate,
    },
    async (req, reply) => {
      const { id } = req.params as { id: string };
      const { action, reason } = req.body as { action: 'approve' | 'reject'; reason?: string };
      const approver = req.approver as Approver;
      const now = clock();
      const out: ApprovalOutcome =
        action === 'approve'
          ? await backend.approve(req.writ.policy, id, approver, now)
          : await backend.reject(req.writ.policy, id, approver, reason, now);
      if ('error' in out) {
        const code = approvalErrorStatus(out.error);
        metrics.approvalAction(action, String(code));
        return reply.code(code).send(errorPayload(req, code, out.error));
      }
      metrics.approvalAction(action, out.status);
      log(`approval ${id}: ${action} by ${approver.id} (${approver.roles.join(',')}) -> ${out.status}`);
      return { approval: out, policy_digest: req.writ.digest };
    },
  );

  app.get('/healthz', { schema: { summary: 'Liveness and the policy served', response: { 200: S.health, 503: S.health } } }, async (req, reply) => {
    let ok = false;
    try {
      ok = await backend.healthy();
    } catch {
      ok = false;
    }
    const p = req.writ.policy;
    return reply.code(ok ? 200 : 503).send({
      status: ok ? 'ok' : 'degraded',
      policy: { name: p.name, version: p.version, digest: p.digest },
      state: { kind: backend.kind, ok },
    });
  });

  app.get('/metrics', { schema: { summary: 'Prometheus metrics (text exposition format)' } }, async (_req, reply) => {
    const text = await metrics.text();
    return reply.type(metrics.contentType).send(text);
  });

  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  await app.ready();

  let closed: Promise<void> | undefined;
  return {
    app,
    slot,
    metrics,
    backend,
    close() {
      closed ??= (async () => {
        closing = true;
        // Keep-alive connections with a request in flight become idle only after their response; close them
        // then, instead of waiting for the keep-alive timeout.
        const sweep = setInterval(() => app.server.closeIdleConnections(), 25);
        try {
          await app.close();
        } finally {
          clearInterval(sweep);
        }
        try {
          await recorder?.close();
        } finally {
          await backend.close();
        }
      })();
      return closed;
    },
  };
}
