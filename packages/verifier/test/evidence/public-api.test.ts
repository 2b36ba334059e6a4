// End to end through the public index only: log certificates, checkpoint, build bundles, verify them offline
// with only the public key, and follow the checkpoints as a monitor would. Also guards the module boundary:
// evidence code never imports the SMT solver.
import { readFileSync, readdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import * as evidence from '../../src/evidence/index.js';
import * as pkg from '../../src/index.js';

const ROOT = mkdtempSync(join(tmpdir(), 'writ-api-'));
afterAll(() => rmSync(ROOT, { recursive: true, force: true }));

describe('public evidence API', () => {
  it('is re-exported by the package index', () => {
    for (const name of ['FileLog', 'verifyInclusionInCheckpoint', 'verifyConsistency', 'signNote', 'CheckpointChain', 'makeCertificate', 'parseCertificate', 'makeBundle', 'verifyBundle', 'LogSnapshot', 'verifyLog']) {
      expect(typeof (pkg as Record<string, unknown>)[name]).toBe('function');
    }
  });

  it('produces bundles that verify offline, and checkpoints a monitor can chain', async () => {
    const { FileLog, Checkpointer, generateSignerKey, verifyInclusionInCheckpoint, toBase64, CheckpointChain } = evidence;
    const { signerKey, verifierKey } = generateSignerKey('writ.example/decisions');
    const log = await FileLog.open(join(ROOT, 'log'));
    const cp = new Checkpointer(log, signerKey, { everyEntries: Infinity, everyMs: Infinity });
    const certs = Array.from({ length: 12 }, (_, i) => new TextEncoder().encode(JSON.stringify({ decision: i, effect: 'allow' })));
    const indices = (await Promise.all(certs.map((c) => log.append(c)))).map((r) => r.index);
    const first = await cp.flush();
    const bundles = indices.map((i) =>
      JSON.stringify({
        certificate: new TextDecoder().decode(certs[i]),
        leaf_index: i,
        tree_size: log.size,
        inclusion_proof: log.inclusionProof(i, log.size).map(toBase64),
        checkpoint: first,
      }),
    );
    await log.append(new TextEncoder().encode('{"decision":12}'));
    const second = await cp.flush();

    for (const text of bundles) {
      const b = JSON.parse(text) as { certificate: string; leaf_index: number; tree_size: number; inclusion_proof: string[]; checkpoint: string };
      const r = verifyInclusionInCheckpoint(new TextEncoder().encode(b.certificate), b.leaf_index, b.inclusion_proof, b.checkpoint, verifierKey);
      expect(r.ok).toBe(true);
      expect(r.ok && r.checkpoint.size).toBe(b.tree_size);
    }
    const monitor = new CheckpointChain(verifierKey);
    expect(monitor.advance(first, []).ok).toBe(true);
    expect(monitor.advance(second, log.consistencyProof(12, 13)).ok).toBe(true);
    expect(monitor.latest?.size).toBe(13);
    await cp.close();
    await log.close();
  });

  it('evidence modules import only relative modules, @noble/*, @writ/runtime, ajv and node:* (never z3-solver)', () => {
    const dir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'src', 'evidence');
    const files = readdirSync(dir).filter((f) => f.endsWith('.ts'));
    expect(files.length).toBeGreaterThan(10);
    for (const f of files) {
      const src = readFileSync(join(dir, f), 'utf8');
      const specs = [...src.matchAll(/(?:from|import)\s*\(?\s*'([^']+)'/g)].map((m) => m[1]!);
      for (const s of specs) expect(s, `${f} imports ${s}`).toMatch(/^(\.\/|@noble\/(ed25519|hashes\/)|@writ\/runtime$|ajv$|node:)/);
    }
  });
});
