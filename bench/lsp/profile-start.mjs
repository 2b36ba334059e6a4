// Profiles the language server from start to the first diagnostics of the 5,000-line policy: the server
// runs under `node --cpu-prof`, is sent initialize + didOpen, and exits once the diagnostics arrive; prints
// the server's CPU time and a summary of the profile (self and inclusive time per function).
//
//   node bench/lsp/profile-start.mjs [--lines=5000] [--out=DIR]
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter } from 'vscode-jsonrpc/node';
import { summarise } from '../decide/cpuprofile-top.mjs';
import { generateLargePolicy } from './generate.mjs';

const arg = (name, dflt) => process.argv.find((x) => x.startsWith(`--${name}=`))?.split('=')[1] ?? dflt;
const repo = path.resolve(import.meta.dirname, '..', '..');
const dir = mkdtempSync(path.join(tmpdir(), 'writ-lsp-prof-'));
const out = arg('out', dir);
const file = path.join(dir, 'policy.writ');
const { text } = generateLargePolicy(Number(arg('lines', 5000)));
writeFileSync(file, text);
const uri = pathToFileURL(file).href;

const t0 = performance.now();
const proc = spawn(process.execPath, ['--cpu-prof', `--cpu-prof-dir=${out}`, path.join(repo, 'packages/lsp/bin/writ-lsp.js'), '--stdio'], { stdio: ['pipe', 'pipe', 'inherit'] });
const conn = createMessageConnection(new StreamMessageReader(proc.stdout), new StreamMessageWriter(proc.stdin));
const first = new Promise((r) => conn.onNotification('textDocument/publishDiagnostics', (p) => p.uri === uri && r(performance.now())));
conn.listen();
await conn.sendRequest('initialize', { processId: process.pid, rootUri: pathToFileURL(dir).href, capabilities: {}, initializationOptions: { debounceMs: 0, verifyOnSave: false } });
await conn.sendNotification('initialized', {});
await conn.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'writ', version: 1, text } });
const t = await first;
const stat = readFileSync(`/proc/${proc.pid}/stat`, 'utf8').split(') ')[1].split(' ');
const cpuMs = (Number(stat[11]) + Number(stat[12])) * 10;
await conn.sendRequest('shutdown', null);
await conn.sendNotification('exit', null);
await new Promise((r) => proc.once('exit', r));
conn.dispose();
const prof = readdirSync(out).filter((f) => f.endsWith('.cpuprofile')).map((f) => path.join(out, f)).sort().pop();
console.error(`start to first diagnostics ${(t - t0).toFixed(0)} ms wall, server CPU ${cpuMs} ms (profiling adds overhead); profile ${prof}`);
console.log(summarise(JSON.parse(readFileSync(prof, 'utf8')), Number(arg('top', 30))));
