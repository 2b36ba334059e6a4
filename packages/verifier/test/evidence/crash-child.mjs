// Child process of crash.test.ts (not a test): appends to a FileLog in a loop from several concurrent
// writers and prints "ack <index> <base64 entry>" for each acknowledged append, until it is killed.
// Uses the BUILT package (run `npx tsc -b` first).
import { FileLog } from '../../dist/evidence/filelog.js';

const dir = process.argv[2];
const log = await FileLog.open(dir);
process.stdout.write(`open ${log.size}\n`);
let n = 0;
async function writer() {
  for (;;) {
    const k = n++;
    const bytes = new TextEncoder().encode(JSON.stringify({ pid: process.pid, k, pad: 'p'.repeat((k * 7919) % 300) }));
    const { index } = await log.append(bytes);
    process.stdout.write(`ack ${index} ${Buffer.from(bytes).toString('base64')}\n`);
  }
}
for (let w = 0; w < 8; w++) void writer();
