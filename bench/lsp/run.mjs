// Language-server benchmark: the built server over stdio, as an editor drives it, on a generated 5,000-line
// policy (bench/lsp/generate.mjs). Prints one JSON object per line on stdout:
//
//   start_to_first_diagnostics  spawn → initialize → didOpen → first publishDiagnostics     target ≤ 1000 ms
//   diagnostics_after_edit      didChange (one keystroke in a rule) → publishDiagnostics      target p50 ≤ 50 ms
//   completion                  textDocument/completion after `args.` in a rule               target ≤ 20 ms
//
// plus, for information, the same edit measure for a line break (every later statement moves) and for an
// edit to a declaration (every statement is checked again). Diagnostics are timed with the server's debounce
// set to 0 (initializationOptions.debounceMs), so the figure is the server's own work; an editor adds the
// debounce (150 ms by default) on top while the user is still typing.
//
// Usage: node bench/lsp/run.mjs [--quick]   (after `npm run build`)
import { spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter } from 'vscode-jsonrpc/node';
import { generateLargePolicy } from './generate.mjs';

const repo = path.resolve(import.meta.dirname, '..', '..');
const quick = process.argv.includes('--quick');
const LINES = 5000;

const dir = mkdtempSync(path.join(tmpdir(), 'writ-bench-lsp-'));
const file = path.join(dir, 'policy.writ');
const { text } = generateLargePolicy(LINES);
writeFileSync(file, text);
const uri = pathToFileURL(file).href;

function percentile(xs, p) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
}
const round = (x) => Math.round(x * 100) / 100;

function emit(o) {
  // The machine's load when the line was measured: wall-clock figures scale with it on a shared machine.
  const load = round(loadavg()[0] ?? 0);
  process.stdout.write(`${JSON.stringify({ bench: 'lsp', lines: text.split('\n').length, ...o, load_avg_1m: load, cpus: cpus().length })}\n`);
}

/** Starts the server; resolves when initialized. `onDiagnostics(params, t)` sees every publication. */
async function startServer(onDiagnostics) {
  const t0 = performance.now();
  // The dedicated server bin (`writ lsp --stdio` runs the same server after loading the CLI's commands).
  const proc = spawn(process.execPath, [path.join(repo, 'packages/lsp/bin/writ-lsp.js'), '--stdio'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const conn = createMessageConnection(new StreamMessageReader(proc.stdout), new StreamMessageWriter(proc.stdin));
  conn.onNotification('textDocument/publishDiagnostics', (p) => onDiagnostics(p, performance.now()));
  conn.listen();
  await conn.sendRequest('initialize', {
    processId: process.pid,
    rootUri: pathToFileURL(dir).href,
    workspaceFolders: [{ uri: pathToFileURL(dir).href, name: 'bench' }],
    capabilities: {},
    initializationOptions: { debounceMs: 0, verifyOnSave: false },
  });
  await conn.sendNotification('initialized', {});
  const stop = async () => {
    await conn.sendRequest('shutdown', null);
    await conn.sendNotification('exit', null);
    await new Promise((r) => proc.once('exit', r));
    conn.dispose();
  };
  return { conn, t0, stop, pid: proc.pid };
}

/** CPU time (user + system) the process has used so far, ms (Linux /proc; 10 ms resolution), or undefined. */
function cpuMs(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10; // utime, stime in clock ticks (100 Hz)
  } catch {
    return undefined;
  }
}

// 1. Start to first diagnostics, on fresh servers: the 5,000-line file, and an example-sized one.
const small = path.join(dir, 'small', 'policy.writ');
mkdirSync(path.dirname(small));
copyFileSync(path.join(repo, 'examples', 'customer-support', 'policy.writ'), small);
for (const [which, f] of [['5000_lines', file], ['example', small]]) {
  const runs = quick ? 3 : 7;
  const times = [];
  const cpuTimes = [];
  const fileUri = pathToFileURL(f).href;
  const content = readFileSync(f, 'utf8');
  for (let i = 0; i < runs; i++) {
    let resolve;
    const first = new Promise((r) => (resolve = r));
    let pid;
    const s = await startServer((p, t) => {
      if (p.uri === fileUri) resolve([t, cpuMs(pid)]);
    });
    pid = s.pid;
    await s.conn.sendNotification('textDocument/didOpen', { textDocument: { uri: fileUri, languageId: 'writ', version: 1, text: content } });
    const [t, cpu] = await first;
    times.push(t - s.t0);
    if (cpu !== undefined) cpuTimes.push(cpu);
    await s.stop();
  }
  emit({
    case: 'start_to_first_diagnostics',
    file: which,
    file_lines: content.split('\n').length,
    unit: 'ms',
    p50: round(percentile(times, 50)),
    max: round(Math.max(...times)),
    // The server's own CPU time (user + system) up to that moment: what the wall-clock figure would be on an
    // otherwise idle machine, less the waiting for I/O.
    cpu_ms_p50: cpuTimes.length ? percentile(cpuTimes, 50) : null,
    n: runs,
    target: 1000,
    ok: percentile(times, 50) <= 1000,
  });
}

// 2. Edits and completion on one server.
{
  const waiting = new Map();
  const s = await startServer((p, t) => {
    const w = waiting.get(p.version);
    if (p.uri === uri && w) {
      waiting.delete(p.version);
      w(t);
    }
  });
  let version = 1;
  const opened = new Promise((r) => waiting.set(1, r));
  await s.conn.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'writ', version, text } });
  await opened;

  const lines = text.split('\n');
  /** One edit; resolves with the time from sending it to the diagnostics for its version. */
  async function edit(range, newText) {
    version++;
    const done = new Promise((r) => waiting.set(version, r));
    const t0 = performance.now();
    await s.conn.sendNotification('textDocument/didChange', { textDocument: { uri, version }, contentChanges: [{ range, text: newText }] });
    const t1 = await done;
    return t1 - t0;
  }

  // Rule lines in the second half of the file, far from the declarations.
  const ruleLines = lines.map((l, i) => [l, i]).filter(([l, i]) => i > lines.length / 2 && /^allow \S+ when args\.amount <= \d+ USD/.test(l)).map(([, i]) => i);
  const n = quick ? 30 : 120;
  const keystroke = [];
  for (let k = 0; k < n; k++) {
    const line = ruleLines[k % ruleLines.length];
    const col = lines[line].indexOf(' USD');
    // Type a digit into the amount, then delete it again: two keystrokes, the text returns to where it was.
    keystroke.push(await edit({ start: { line, character: col }, end: { line, character: col } }, '7'));
    keystroke.push(await edit({ start: { line, character: col }, end: { line, character: col + 1 } }, ''));
  }
  emit({ case: 'diagnostics_after_edit', edit: 'one keystroke in a rule', unit: 'ms', p50: round(percentile(keystroke, 50)), p90: round(percentile(keystroke, 90)), max: round(Math.max(...keystroke)), n: keystroke.length, target: 50, ok: percentile(keystroke, 50) <= 50 });

  const newline = [];
  for (let k = 0; k < Math.ceil(n / 4); k++) {
    const line = ruleLines[(k * 7) % ruleLines.length];
    newline.push(await edit({ start: { line, character: 0 }, end: { line, character: 0 } }, '\n'));
    newline.push(await edit({ start: { line, character: 0 }, end: { line: line + 1, character: 0 } }, ''));
  }
  emit({ case: 'diagnostics_after_edit', edit: 'a line break (later statements move)', unit: 'ms', p50: round(percentile(newline, 50)), p90: round(percentile(newline, 90)), max: round(Math.max(...newline)), n: newline.length, info: true });

  const declLine = lines.findIndex((l) => l.startsWith('tool tool_7('));
  const declCol = lines[declLine].indexOf('note?');
  const decl = [];
  for (let k = 0; k < (quick ? 4 : 10); k++) {
    decl.push(await edit({ start: { line: declLine, character: declCol }, end: { line: declLine, character: declCol } }, 'x'));
    decl.push(await edit({ start: { line: declLine, character: declCol }, end: { line: declLine, character: declCol + 1 } }, ''));
  }
  emit({ case: 'diagnostics_after_edit', edit: 'a keystroke in a tool declaration (all statements re-checked)', unit: 'ms', p50: round(percentile(decl, 50)), p90: round(percentile(decl, 90)), max: round(Math.max(...decl)), n: decl.length, info: true });

  // Completion after `args.` in a rule: insert it, then time completion requests there.
  const line = ruleLines[3];
  const col = lines[line].length;
  await edit({ start: { line, character: col }, end: { line, character: col } }, ' and args.');
  const completion = [];
  let items = 0;
  for (let k = 0; k < (quick ? 50 : 200); k++) {
    const t0 = performance.now();
    const r = await s.conn.sendRequest('textDocument/completion', { textDocument: { uri }, position: { line, character: col + ' and args.'.length } });
    completion.push(performance.now() - t0);
    items = r.length;
  }
  emit({ case: 'completion', at: 'args. in a rule', unit: 'ms', items, p50: round(percentile(completion, 50)), p90: round(percentile(completion, 90)), max: round(Math.max(...completion)), n: completion.length, target: 20, ok: percentile(completion, 50) <= 20 });
  await s.stop();
}
