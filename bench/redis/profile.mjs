// CPU profile of decideAsync on RedisStateStore (64 in flight, 3 s): prints the top self-time functions.
//   node bench/redis/profile.mjs <redis url>
import { Session } from 'node:inspector/promises';
import { compile } from '@writ/compiler';
import { loadPolicy } from '@writ/runtime';
import { RedisStateStore } from '@writ/state-redis';

const url = process.argv[2];
const POLICY = `policy "p" version "1"
role support
agent "bot" roles [support]
tool send_sms(to: string, body: string) cost 0.001 USD
allow send_sms when agent has role support
limit send_sms 1000000000 per 1h per session
budget per session cost 1000000 USD calls 1000000000
`;
const policy = loadPolicy(compile([{ file: 'p.writ', text: POLICY }]).artifact);
const store = new RedisStateStore({ url, prefix: `prof:${process.pid}:` });
await store.ready();
const reqs = Array.from({ length: 1000 }, (_, i) => ({ agent: { id: 'bot' }, tool: 'send_sms', args: { to: `+1${i}`, body: 'x' }, context: { session: `s${i}` } }));
const session = new Session();
session.connect();
await session.post('Profiler.enable');
await session.post('Profiler.start');
let n = 0;
const end = Date.now() + 3000;
await Promise.all(Array.from({ length: Number(process.env.INFLIGHT ?? 64) }, async () => {
  while (Date.now() < end) await policy.decideAsync(reqs[n++ % 1000], { state: store });
}));
const { profile } = await session.post('Profiler.stop');
console.log('decisions/s', Math.round(n / 3));
const self = new Map();
const dt = profile.timeDeltas;
const byId = new Map(profile.nodes.map((x) => [x.id, x]));
profile.samples.forEach((id, i) => {
  const node = byId.get(id);
  const k = `${node.callFrame.functionName || '(anon)'} ${node.callFrame.url.split('/').slice(-2).join('/')}:${node.callFrame.lineNumber}`;
  self.set(k, (self.get(k) ?? 0) + (dt[i] ?? 0));
});
const total = [...self.values()].reduce((a, b) => a + b, 0);
for (const [k, v] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 25)) console.log((100 * v / total).toFixed(1).padStart(5), k);
await store.clear();
await store.close();
