/**
 * HTTP error answers of the service: status texts, errors with a status, the status of a refused approval,
 * and answers to malformed HTTP that never becomes a request. Every error body is
 * `{ error, reason, policy_digest }`.
 *
 * @packageDocumentation
 */
import type { Socket } from 'node:net';
import { DIGEST_HEADER } from './headers.js';

export const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  406: 'Not Acceptable',
  409: 'Conflict',
  413: 'Payload Too Large',
  414: 'URI Too Long',
  415: 'Unsupported Media Type',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export function statusError(statusCode: number, message: string): Error & { statusCode: number } {
  return Object.assign(new Error(message), { statusCode });
}

/** HTTP status of a refused approve/reject (the runtime reports refusals as sentences). */
export function approvalErrorStatus(error: string): number {
  if (error.startsWith('no approval ')) return 404;
  if (error.startsWith('state store unavailable')) return 503;
  if (/none of the required roles|may not decide on its own call/.test(error)) return 403;
  return 409;
}

/**
 * Answers an HTTP parser error (header overflow, bad request line, bad Content-Length) on the raw socket,
 * then closes it. Bytes after a `Connection: close` request are ignored (the request before them is still
 * answered; the socket is destroyed only when nothing is in flight).
 */
export function answerClientError(err: NodeJS.ErrnoException, socket: Socket, digest: string): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  if (err.code === 'HPE_CLOSED_CONNECTION') {
    if ((socket as { _httpMessage?: unknown })._httpMessage == null) socket.destroy();
    return;
  }
  const [code, reason] =
    err.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'the request headers are too large']
      : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'the request took too long to arrive']
        : [400, `malformed HTTP request (${err.code ?? 'parse error'})`];
  const text = STATUS_TEXT[code] ?? 'Error';
  const body = JSON.stringify({ error: text, reason, policy_digest: digest });
  if (socket.writable) {
    socket.write(`HTTP/1.1 ${code} ${text}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${DIGEST_HEADER}: ${digest}\r\nConnection: close\r\n\r\n${body}`);
  }
  socket.destroy();
}
