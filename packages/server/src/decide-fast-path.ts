/**
 * `POST /v1/decide` answered on Node's HTTP objects, before fastify: routing, the request and reply objects,
 * the hook runners and the content-type parser machinery cost more CPU per request than the decision itself
 * (a bare fastify route costs ~8 µs more per request than a bare `node:http` handler on this hardware).
 *
 * Only the common case takes this path: exactly `POST /v1/decide` (no query), `Content-Type:
 * application/json`, a `Content-Length` between 1 and the body limit, no `Transfer-Encoding`, the service not
 * closing, no per-request logging and no decision log. Everything else (and every other route) goes to
 * fastify, which answers it as before. The answers here are byte for byte the ones fastify gives (same
 * serializers, same status codes, headers and error bodies; `test/fast-path.test.ts` compares the two):
 * 200 with the Decision, or 400 `{ error, reason, policy_digest }` with `Connection: close` for a body nested
 * too deep or that is not JSON.
 *
 * @packageDocumentation
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Decision } from '@writ/runtime';
import type { StateBackend } from './backend.js';
import { DIGEST_HEADER } from './headers.js';
import { STATUS_TEXT } from './http-errors.js';
import { deeperThan } from './json-depth.js';
import type { ServerMetrics } from './metrics.js';
import type { ActivePolicy, PolicySlot } from './policy-slot.js';

export const DECIDE_PATH = '/v1/decide';

const JSON_TYPE = 'application/json; charset=utf-8';

export interface FastPathOptions {
  slot: PolicySlot;
  backend: StateBackend;
  metrics: ServerMetrics;
  clock: () => number;
  bodyLimit: number;
  maxDepth: number;
  /** True once the service is shutting down (fastify then answers 503). */
  closing: () => boolean;
  /** The decide route's 200 serializer (the same function fastify uses for that route). */
  serializeDecision: (d: Decision) => string;
  /** The decide route's 4xx/5xx serializer. */
  serializeError: (e: { error: string; reason: string; policy_digest: string }) => string;
  /** The metrics label of the requested tool (see app.ts). */
  toolLabel: (active: ActivePolicy, body: unknown) => string;
  /** Body-parse error messages, as the fastify content-type parser words them. */
  tooDeep: string;
  notJson: (e: Error) => string;
  log: (line: string) => void;
}

/**
 * A `request` listener for Node's HTTP server: answers and returns true when the request takes the fast
 * path, otherwise returns false without touching the request (the caller hands it to fastify).
 */
export function decideFastPath(o: FastPathOptions): (req: IncomingMessage, res: ServerResponse) => boolean {
  const { slot, backend, metrics, clock, bodyLimit, maxDepth } = o;

  const answer = (res: ServerResponse, status: number, active: ActivePolicy, body: string, close: boolean): void => {
    const headers: Record<string, string | number> = close
      ? { [DIGEST_HEADER]: active.digest, connection: 'close', 'content-type': JSON_TYPE, 'content-length': Buffer.byteLength(body) }
      : { [DIGEST_HEADER]: active.digest, 'content-type': JSON_TYPE, 'content-length': Buffer.byteLength(body) };
    res.writeHead(status, headers);
    res.end(body);
  };

  const fail = (res: ServerResponse, status: number, active: ActivePolicy, reason: string, close: boolean): void => {
    answer(res, status, active, o.serializeError({ error: STATUS_TEXT[status] ?? 'Error', reason, policy_digest: active.digest }), close);
  };

  const internal = (res: ServerResponse, active: ActivePolicy, e: unknown): void => {
    o.log(`internal error on POST ${DECIDE_PATH}: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    if (!res.headersSent) fail(res, 500, active, 'internal error (logged by the service)', false);
  };

  const send = (res: ServerResponse, active: ActivePolicy, body: unknown, d: Decision, started: number): void => {
    try {
      metrics.decision(d.effect, o.toolLabel(active, body), (performance.now() - started) / 1000);
      answer(res, 200, active, o.serializeDecision(d), false);
    } catch (e) {
      internal(res, active, e);
    }
  };

  const decide = (res: ServerResponse, active: ActivePolicy, text: string): void => {
    if (deeperThan(text, maxDepth)) {
      fail(res, 400, active, o.tooDeep, true);
      return;
    }
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch (e) {
      fail(res, 400, active, o.notJson(e as Error), true);
      return;
    }
    const started = performance.now();
    const d = backend.decide(active.policy, body, clock());
    if (d instanceof Promise) {
      d.then(
        (x) => send(res, active, body, x, started),
        (e: unknown) => internal(res, active, e),
      );
      return;
    }
    send(res, active, body, d, started);
  };

  return (req, res) => {
    if (req.method !== 'POST' || req.url !== DECIDE_PATH || o.closing()) return false;
    const h = req.headers;
    if (h['content-type'] !== 'application/json' || h['transfer-encoding'] !== undefined) return false;
    const length = Number(h['content-length']);
    if (!(Number.isInteger(length) && length > 0 && length <= bodyLimit)) return false;

    // The policy is read once, on arrival, as fastify's onRequest hook does.
    const active = slot.current;
    const chunks: Buffer[] = [];
    let received = 0;
    const onData = (chunk: Buffer): void => {
      received += chunk.length;
      chunks.push(chunk);
    };
    const onEnd = (): void => {
      req.removeListener('data', onData);
      req.removeListener('error', onError);
      // Node's parser reads exactly Content-Length bytes, so this is a safeguard; fastify's words.
      if (received !== length) {
        fail(res, 400, active, 'Request body size did not match Content-Length', true);
        return;
      }
      try {
        decide(res, active, chunks.length === 1 ? (chunks[0] as Buffer).toString('utf8') : Buffer.concat(chunks, received).toString('utf8'));
      } catch (e) {
        internal(res, active, e);
      }
    };
    // A client that goes away mid-body: nobody to answer.
    const onError = (): void => {
      req.removeListener('data', onData);
      req.removeListener('end', onEnd);
    };
    req.on('data', onData);
    req.once('end', onEnd);
    req.once('error', onError);
    return true;
  };
}
