/**
 * `writ serve`: the HTTP decision service (@writ/server) for gateways in any language, with hot reload of
 * the policy, approver tokens, optional certification of every decision, and a shared state store (Redis).
 * `writ serve token`: creates an approver token and its token-file line.
 */
import { appendFileSync, chmodSync, existsSync } from 'node:fs';
import {
  Authenticator,
  buildServer,
  formatTokenLine,
  hashToken,
  LogRecorder,
  MemoryBackend,
  newToken,
  parseTokenFile,
  PolicyReloader,
  PolicySlot,
  redisBackend,
  TokenFileError,
  type DecisionRecorder,
  type ReloadOutcome,
  type StateBackend,
  watchPath,
  type TokenEntry,
  type WritServer,
} from '@writ/server';
import { EXIT, UserError } from '../errors.js';
import { openLogForAppend, readSignerKeyFile, readTextFile } from '../io/evidence.js';
import { loadPolicyFrom, PolicyCompileError } from '../io/load-policy.js';
import { diagnosticsJson, renderDiagnostic } from '../render/diagnostics.js';
import { colorEnabled } from '../render/style.js';

export interface ServeOptions {
  policy?: string;
  port: string;
  host: string;
  redis?: string;
  redisPrefix?: string;
  log?: string;
  key?: string;
  tokens?: string;
  bodyLimit: string;
  watch: boolean;
  requestLog?: boolean;
  json?: boolean;
}

export interface TokenOptions {
  name: string;
  roles: string;
  append?: string;
  json?: boolean;
}

type Emit = (event: string, text: string, data?: Record<string, unknown>) => void;

/** Opens the shared state store for `--redis`. */
export type BackendFactory = (url: string, prefix: string | undefined, emit: Emit) => Promise<StateBackend>;

/**
 * Opens Redis. An unreachable Redis does not stop the service from starting: stateful decisions are denied
 * ("state store unavailable") until it answers, and /healthz says degraded; a warning says so now.
 */
const openRedis: BackendFactory = async (url, prefix, emit) => {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UserError(`--redis: '${url}' is not a URL (redis://host:port[/db] or rediss:// for TLS)`);
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') throw new UserError(`--redis: '${url}' must start with redis:// or rediss://`);
  const backend = redisBackend(prefix === undefined ? { url } : { url, prefix });
  // Closed by the server on shutdown; until then decisions wait at most the store's command timeout.
  try {
    await backend.ready();
  } catch (e) {
    emit('warning', `Redis at ${parsed.host} is not reachable (${(e as Error).message}): stateful decisions are denied until it is`, {
      warning: 'state store unavailable',
    });
  }
  return backend;
};

function intOption(flag: string, value: string, min: number, max: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) throw new UserError(`${flag}: '${value}' must be an integer from ${min} to ${max}`);
  return n;
}

function readTokens(file: string): TokenEntry[] {
  const text = readTextFile(file);
  try {
    return parseTokenFile(text);
  } catch (e) {
    if (e instanceof TokenFileError) throw new UserError(`${file}:${e.line}: ${e.message.replace(/^line \d+: /, '')}`);
    throw e;
  }
}

/** One event line: JSON on stdout with --json, text on stderr otherwise. */
function eventWriter(json: boolean | undefined): Emit {
  return (event, text, data = {}) => {
    if (json) process.stdout.write(`${JSON.stringify({ event, time: new Date().toISOString(), ...data })}\n`);
    else process.stderr.write(`writ serve: ${text}\n`);
  };
}

function describeLoadError(e: unknown): { message: string; rendered: string; diagnostics: unknown[] } {
  if (e instanceof PolicyCompileError) {
    const color = colorEnabled(process.stderr);
    const errors = e.diagnostics.filter((d) => d.severity === 'error');
    const rendered = errors.map((d) => renderDiagnostic(d, e.texts, e.root, color)).join('\n\n');
    return { message: `the policy has ${errors.length} error(s)`, rendered, diagnostics: diagnosticsJson(errors, e.root) };
  }
  return { message: e instanceof Error ? e.message : String(e), rendered: '', diagnostics: [] };
}

/**
 * Runs the service until SIGTERM or SIGINT, then shuts down gracefully (stops accepting, finishes requests in
 * flight, signs a final checkpoint, closes the state store). Resolves with the exit code.
 */
export async function runServe(opts: ServeOptions, openShared?: BackendFactory): Promise<number> {
  if (opts.policy === undefined) throw new UserError("required option '--policy <path>' not specified (or use `writ serve token` to create an approver token)");
  if ((opts.log === undefined) !== (opts.key === undefined)) {
    throw new UserError(opts.log === undefined ? '--key needs --log <dir>' : "--log needs --key <prefix>.key to sign the log's checkpoints (create one with writ keygen)");
  }
  const port = intOption('--port', opts.port, 0, 65535);
  const bodyLimit = intOption('--body-limit', opts.bodyLimit, 256, 64 * 1024 * 1024);
  const emit = eventWriter(opts.json);
  const policyPath = opts.policy;

  const loaded = loadPolicyFrom(policyPath);
  const tokenFile = opts.tokens;
  const tokens = tokenFile === undefined ? undefined : new Authenticator(readTokens(tokenFile));
  // A changed token file replaces every token at once (new approvers, revocations). A malformed one revokes
  // every token until it is fixed: keeping the old set would keep a token that the edit meant to revoke.
  const reloadTokens = (): void => {
    if (tokenFile === undefined || tokens === undefined) return;
    try {
      tokens.replace(readTokens(tokenFile));
      emit('tokens', `reloaded ${tokenFile}: ${tokens.size} approver token(s)`, { outcome: 'reloaded', tokens: tokens.size });
    } catch (e) {
      tokens.replace([]);
      emit('tokens', `reload of ${tokenFile} refused: ${(e as Error).message}; every token is revoked (no one can approve) until the file is fixed`, {
        outcome: 'refused',
        tokens: 0,
        error: (e as Error).message,
      });
    }
  };

  let backend: StateBackend;
  if (opts.redis !== undefined) {
    backend = await (openShared ?? openRedis)(opts.redis, opts.redisPrefix, emit);
  } else {
    backend = new MemoryBackend();
  }

  let recorder: DecisionRecorder | undefined;
  if (opts.log !== undefined && opts.key !== undefined) {
    const key = readSignerKeyFile(opts.key);
    const log = await openLogForAppend(opts.log, key);
    recorder = new LogRecorder(log, key, { onError: (e) => emit('checkpoint-error', `signing a checkpoint failed: ${e.message}`, { error: e.message }) });
  }

  const slot = new PolicySlot(loaded.policy);
  let server: WritServer;
  try {
    server = await buildServer({
      policy: slot,
      backend,
      tokens,
      recorder,
      bodyLimit,
      requestLog: opts.requestLog === true,
      log: (line) => emit('log', line, { message: line }),
    });
  } catch (e) {
    await recorder?.close();
    await backend.close();
    throw e;
  }

  const reloader = new PolicyReloader(slot, {
    load: () => loadPolicyFrom(policyPath).policy,
    metrics: server.metrics,
    onReload: (r: ReloadOutcome) => {
      if (r.outcome === 'swapped') emit('reload', `reloaded ${policyPath}: now serving ${r.digest}`, { outcome: r.outcome, digest: r.digest });
      else if (r.outcome === 'unchanged') emit('reload', `${policyPath} changed on disk but compiles to the policy already served (${r.digest})`, { outcome: r.outcome, digest: r.digest });
      else {
        const { message, rendered, diagnostics } = describeLoadError(r.error);
        if (!opts.json && rendered !== '') process.stderr.write(`${rendered}\n\n`);
        emit('reload', `reload of ${policyPath} refused: ${message}; still serving ${slot.current.digest}`, {
          outcome: r.outcome,
          error: message,
          diagnostics,
          digest: slot.current.digest,
        });
      }
    },
  });

  let address: string;
  try {
    address = await server.app.listen({ port, host: opts.host });
  } catch (e) {
    await server.close();
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') throw new UserError(`--port ${port}: address ${opts.host}:${port} already in use`);
    if (code === 'EACCES') throw new UserError(`--port ${port}: permission denied`);
    if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') throw new UserError(`--host ${opts.host}: not an address of this machine`);
    throw e;
  }
  let unwatchTokens: (() => void) | undefined;
  if (opts.watch) {
    reloader.watch(policyPath);
    if (tokenFile !== undefined) unwatchTokens = watchPath(tokenFile, reloadTokens);
  }

  const p = slot.current.policy;
  for (const d of loaded.diagnostics) emit('warning', `${d.span.file}:${d.span.line}:${d.span.column}: warning[${d.code}]: ${d.message}`, { code: d.code, diagnostic: d.message });
  emit(
    'listening',
    `listening on ${address} (policy ${p.name} ${p.version} ${p.digest}; state ${backend.kind}; ${tokens === undefined ? 'no approver tokens' : `${tokens.size} approver token(s)`}${
      opts.log === undefined ? '' : `; certifying into ${opts.log}`
    }${opts.watch ? '; watching for changes' : ''})`,
    { url: address, policy: { name: p.name, version: p.version, digest: p.digest }, state: backend.kind },
  );

  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) {
        emit('stop', `${signal} again: exiting without waiting`);
        process.exit(EXIT.failed);
      }
      stopping = true;
      emit('stop', `${signal}: finishing requests in flight, then exiting`, { signal });
      reloader.close();
      unwatchTokens?.();
      server
        .close()
        .then(
          () => {
            emit('stopped', 'stopped', {});
            resolve(EXIT.ok);
          },
          (e: unknown) => {
            emit('stopped', `stopped with an error: ${(e as Error).message}`, { error: (e as Error).message });
            resolve(EXIT.failed);
          },
        )
        .finally(() => {
          process.off('SIGTERM', onTerm);
          process.off('SIGINT', onInt);
          process.off('SIGHUP', onHup);
        });
    };
    const onTerm = () => stop('SIGTERM');
    const onInt = () => stop('SIGINT');
    const onHup = () => {
      reloader.reload();
      reloadTokens();
    };
    process.on('SIGTERM', onTerm);
    process.on('SIGINT', onInt);
    process.on('SIGHUP', onHup);
  });
}

/** `writ serve token`: a new random token (shown once) and the token-file line holding only its hash. */
export function runServeToken(opts: TokenOptions): number {
  const roles = opts.roles.split(',').map((r) => r.trim()).filter((r) => r !== '');
  const token = newToken();
  let line: string;
  try {
    line = formatTokenLine(hashToken(token), opts.name, roles);
  } catch (e) {
    throw new UserError(`${roles.length === 0 ? '--roles' : '--name/--roles'}: ${(e as Error).message}`);
  }
  if (opts.append !== undefined) {
    const created = !existsSync(opts.append);
    try {
      appendFileSync(opts.append, `${line}\n`, { mode: 0o600 });
      if (created) chmodSync(opts.append, 0o600);
    } catch (e) {
      throw new UserError(`${opts.append}: ${(e as Error).message}`);
    }
  }
  if (opts.json) {
    process.stdout.write(`${JSON.stringify({ identity: opts.name, roles, token, line, ...(opts.append === undefined ? {} : { file: opts.append }) })}\n`);
  } else {
    process.stdout.write(
      `token: ${token}\n` +
        `  (shown only now: give it to ${opts.name}; it goes in the Authorization: Bearer header)\n` +
        (opts.append === undefined ? `token file line (add it to the file given to writ serve --tokens):\n${line}\n` : `appended to ${opts.append}:\n${line}\n`),
    );
  }
  return EXIT.ok;
}

