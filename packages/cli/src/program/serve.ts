/**
 * Registers `writ serve` and `writ serve token`. The service's module (fastify, the server, the compiler) is
 * imported only when the command runs.
 */
import { Option, type Command } from 'commander';
import type { BackendFactory, ServeOptions, TokenOptions } from '../commands/serve.js';

const SERVE_HELP = `
Routes:
  POST /v1/decide            body: a tool-call request -> the Decision (malformed requests are denied)
  POST /v1/check-result      body: { "request": …, "result": … } -> the ResultCheck (redacted result)
  GET  /v1/approvals?state=pending        (Authorization: Bearer <token>)
  POST /v1/approvals/{id}    body: { "action": "approve" | "reject", "reason"?: … }  (Bearer token)
  GET  /healthz   GET /metrics (Prometheus)   GET /openapi.json
  Every response has the header writ-policy-digest: the policy that served it.

Token file (--tokens): one approver a line, only the token's hash is stored:
  sha256:<hex of SHA-256(token)> <identity> <role>[,<role>…]
  Create entries with: writ serve token --name alice --roles finance_lead --append tokens.txt

Reload: the policy file or directory and the token file are watched (SIGHUP reloads both); a policy that
does not compile is refused with its diagnostics and the previous one keeps serving; a malformed token file
revokes every token until it is fixed. SIGTERM/SIGINT: graceful shutdown (requests in flight are
answered, later ones get 503, a final checkpoint is signed with --log).

Exit codes: 0 stopped by SIGTERM/SIGINT; 1 an error while stopping; 2 usage (bad option, unreadable file,
port in use, malformed token file); 3 the policy did not compile or the artifact was refused at start.

Examples:
  writ serve --policy examples/customer-support --port 8080 --tokens tokens.txt
  writ serve --policy policy.json --redis redis://127.0.0.1:6379 --log decisions/ --key log-key.key
  curl -s localhost:8080/v1/decide -H 'content-type: application/json' -d @examples/customer-support/requests/refund-25.json
`;

/**
 * @param p - the program.
 * @param done - receives the exit code.
 * @param openShared - opens the Redis state store for `--redis`.
 */
export function registerServeCommand(p: Command, done: (code: number) => void, openShared?: BackendFactory): void {
  const serve = p
    .command('serve')
    .description('run the HTTP decision service: decide, check results, approvals with bearer tokens, metrics, hot reload')
    .option('--policy <path>', '(required) a .writ file, a directory of them, or a compiled artifact (.json); watched for changes')
    .option('--port <n>', 'TCP port (0: any free port, printed at start)', '8080')
    .option('--host <addr>', 'address to listen on', '127.0.0.1')
    .option('--redis <url>', 'keep state (limits, budgets, sequences, taint, approvals) in Redis, shared by every writ serve using it')
    .addOption(new Option('--redis-prefix <prefix>', 'key prefix in Redis (several policies on one Redis)'))
    .option('--tokens <file>', 'approver tokens (hashed); without it no one can approve')
    .option('--log <dir>', 'certify every decision into the Writ log in <dir> (created if absent)')
    .option('--key <file>', "with --log: the log's private key (<prefix>.key from writ keygen)")
    .option('--body-limit <bytes>', 'largest request body accepted (413 above)', String(1024 * 1024))
    .option('--no-watch', 'do not watch the policy for changes (SIGHUP still reloads)')
    .option('--request-log', 'log every request (JSON lines on standard output; slows the service down)')
    .option('--json', 'print events (listening, reload, stop) as JSON lines on standard output')
    .addHelpText('after', SERVE_HELP)
    .action(async (o: ServeOptions) => {
      const { runServe } = await import('../commands/serve.js');
      done(await runServe(o, openShared));
    });
  serve
    .command('token')
    .description('create an approver token: prints the token once and the line (with its SHA-256 only) for the --tokens file')
    .requiredOption('--name <identity>', 'the approver identity recorded in approval records and certificates')
    .requiredOption('--roles <list>', 'comma-separated roles the approver holds (e.g. finance_lead)')
    .option('--append <file>', 'append the line to this token file (created with mode 0600)')
    .option('--json', 'print { identity, roles, token, line } as JSON')
    // `serve` also has --json, and commander gives a flag named by both to the parent: read it from there too.
    .action(async (o: TokenOptions, cmd: Command) => {
      const { runServeToken } = await import('../commands/serve.js');
      done(runServeToken({ ...o, json: o.json === true || cmd.parent?.opts()['json'] === true }));
    });
}
