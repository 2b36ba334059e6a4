/**
 * `@writ/server`: the HTTP decision service behind `writ serve` (fastify). Build it with {@link buildServer};
 * swap policies with a {@link PolicySlot} and {@link PolicyReloader}; keep state in a {@link StateBackend}
 * (in-memory by default, or a shared store); certify decisions with a {@link LogRecorder}.
 *
 * @packageDocumentation
 */
export { buildServer, DEFAULT_BODY_LIMIT, DIGEST_HEADER, LOG_INDEX_HEADER, type ServerOptions, type WritServer } from './app.js';
export { MemoryBackend, type ApprovalOutcome, type MaybePromise, type StateBackend } from './backend.js';
export { Authenticator, TokenFileError, formatTokenLine, hashToken, newToken, parseTokenFile, type AuthResult, type TokenEntry } from './auth.js';
export { LogRecorder, type DecisionRecorder } from './evidence.js';
export { ServerMetrics, UNKNOWN_TOOL } from './metrics.js';
export { PolicySlot, activate, type ActivePolicy } from './policy-slot.js';
export { PolicyReloader, watchPath, type ReloadOutcome, type ReloaderOptions } from './reload.js';
export { SharedBackend, redisBackend, type SharedBackendOptions } from './shared-backend.js';
export { DEFAULT_MAX_DEPTH, deeperThan } from './json-depth.js';
