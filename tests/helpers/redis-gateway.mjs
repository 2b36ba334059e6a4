// One gateway process for tests/redis-gateways.test.ts: a Policy with its own RedisStateStore, driven by
// JSON lines on stdin ({ seq, op, ... }) and answering JSON lines on stdout ({ seq, out }).
// argv: <artifact.json> <redis url> <key prefix>
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { loadPolicy } from '@writ/runtime';
import { RedisStateStore } from '@writ/state-redis';

const [artifactPath, url, prefix] = process.argv.slice(2);
const policy = loadPolicy(JSON.parse(readFileSync(artifactPath, 'utf8')));
const state = new RedisStateStore({ url, prefix });
await state.ready();

async function handle(msg) {
  switch (msg.op) {
    case 'burst':
      // Every request at once: the decisions interleave in this process and with the other processes.
      return Promise.all(msg.requests.map((r) => policy.decideAsync(r, { state, now: msg.now })));
    case 'decide':
      return policy.decideAsync(msg.request, { state, now: msg.now });
    case 'approve':
      return policy.approveAsync(msg.id, msg.approver, { state, now: msg.now });
    case 'approvals':
      return policy.approvalsAsync({ state, now: msg.now, status: msg.status });
    default:
      throw new Error(`unknown op ${msg.op}`);
  }
}

const rl = createInterface({ input: process.stdin });
rl.on('line', (line) => {
  const msg = JSON.parse(line);
  handle(msg).then(
    (out) => process.stdout.write(`${JSON.stringify({ seq: msg.seq, out })}\n`),
    (err) => process.stdout.write(`${JSON.stringify({ seq: msg.seq, error: String(err?.stack ?? err) })}\n`),
  );
});
rl.on('close', () => {
  void state.close().then(() => process.exit(0));
});
process.stdout.write(`${JSON.stringify({ ready: true, pid: process.pid })}\n`);
