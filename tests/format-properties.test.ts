// Formatting never changes meaning. What "the compiled artifact's digest never changes" means here, exactly:
//
// 1. Formatting is idempotent: fmt(fmt(x)) === fmt(x). So formatting an already formatted file is the
//    identity, and its artifact — digest included — is unchanged.
// 2. For any input x, the formatter re-prints x's own tokens (the token sequence, types and images, is
//    identical) and keeps every comment. The artifact of fmt(x) equals the artifact of x except for what
//    records *where* things are written: spans, rule ids (`file:line`), the sources' sha256, and the digest
//    over them; messages generated from a rule's source text are equal up to white space. We check exactly
//    that, and that both artifacts decide every example's scenario requests identically.
// 3. Layout-insensitivity: re-spacing x without changing which gaps hold a newline or a blank line
//    formats to the same text as x.
//
// Inputs: the examples, the conformance policies, the grammar reference's examples, and randomly re-spaced
// versions of them (fast-check).
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { compile, formatSource, KEYWORDS } from '@writ/compiler';
import { loadPolicy } from '@writ/runtime';
import { describe, expect, it } from 'vitest';
import { lexAll } from './helpers/lex.js';

const repo = path.resolve(import.meta.dirname, '..');

interface Input {
  name: string;
  text: string;
  requests: unknown[];
}

function inputs(): Input[] {
  const out: Input[] = [];
  const ex = path.join(repo, 'examples');
  for (const d of readdirSync(ex, { withFileTypes: true }).filter((x) => x.isDirectory())) {
    const p = path.join(ex, d.name, 'policy.writ');
    if (!existsSync(p)) continue;
    const sc = path.join(ex, d.name, 'scenarios.json');
    const scenarios = existsSync(sc) ? (JSON.parse(readFileSync(sc, 'utf8')) as Array<{ request: string }>) : [];
    out.push({
      name: `examples/${d.name}`,
      text: readFileSync(p, 'utf8'),
      requests: scenarios.map((s) => JSON.parse(readFileSync(path.join(ex, d.name, s.request), 'utf8')) as unknown),
    });
  }
  const conf = path.join(repo, 'tests', 'conformance');
  for (const d of readdirSync(conf, { withFileTypes: true }).filter((x) => x.isDirectory())) {
    const cases = JSON.parse(readFileSync(path.join(conf, d.name, 'cases.json'), 'utf8')) as Array<{ request: unknown }>;
    out.push({ name: `conformance/${d.name}`, text: readFileSync(path.join(conf, d.name, 'policy.writ'), 'utf8'), requests: cases.map((c) => c.request) });
  }
  const grammar = readFileSync(path.join(repo, 'grammar', 'GRAMMAR.md'), 'utf8');
  [...grammar.matchAll(/```writ\n([\s\S]*?)```/g)].forEach((m, i) => out.push({ name: `GRAMMAR.md#${i}`, text: m[1] as string, requests: [] }));
  return out;
}

const INPUTS = inputs();

function fmt(text: string): string {
  const r = formatSource(text);
  expect(r.diagnostics).toEqual([]);
  return r.text as string;
}

/** The artifact (or, if it does not compile, the diagnostics) with every position-dependent part normalised. */
function meaning(text: string): unknown {
  const r = compile([{ file: 'policy.writ', text }]);
  if (!r.artifact) return { diagnostics: r.diagnostics.map((d) => `${d.code} ${d.severity} ${d.message}`).sort() };
  const { digest: _d, sources, ...rest } = r.artifact;
  return { sources: sources.map((s) => s.file), ...(normalise(rest) as object), warnings: r.diagnostics.map((d) => `${d.code} ${d.message}`).sort() };
}

function normalise(v: unknown, key = ''): unknown {
  if (Array.isArray(v)) return v.map((x) => normalise(x));
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    if ('line' in o && 'column' in o && 'file' in o) return '<span>';
    return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, normalise(x, k)]));
  }
  if (typeof v === 'string' && (key === 'id' || key === 'rule')) return '<id>';
  if (typeof v === 'string' && (key === 'message' || key === 'text')) return v.replace(/\s+/g, '');
  return v;
}

function decisions(text: string, requests: unknown[]): unknown[] {
  const r = compile([{ file: 'policy.writ', text }]);
  if (!r.artifact) return [];
  const policy = loadPolicy(r.artifact);
  const now = Date.parse('2026-01-01T00:00:00Z');
  return requests.map((q) => {
    const d = policy.decide(q, { dryRun: true, now });
    return { effect: d.effect, denial: d.denial, reasons: d.reasons.map((x) => `${x.kind}:${(x.message ?? '').replace(/\s+/g, '')}`), obligations: normalise(d.obligations) };
  });
}

/** Re-spaces `text` between tokens. `mode: 'layout'` keeps each gap's class (none / newline / blank line). */
function respace(text: string, choices: number[], mode: 'layout' | 'wild'): string {
  const toks = lexAll(text);
  const H = ['', ' ', '  ', '\t', ' \t '];
  const out: string[] = [];
  let pos = 0;
  toks.forEach((t, i) => {
    const gap = text.slice(pos, t.start);
    const c = choices[i % choices.length] ?? 0;
    const nl = (gap.match(/\n/g) ?? []).length;
    const afterComment = i > 0 && toks[i - 1]!.comment;
    let g: string;
    if (mode === 'layout' || afterComment) {
      const h = gap === '' ? (H[c % H.length] as string) : (H[1 + (c % (H.length - 1))] as string);
      if (nl === 0 && !afterComment) g = h;
      else if (nl === 1 || (afterComment && mode === 'wild' && c % 2 === 0)) g = `${h}\n${H[(c >> 3) % H.length]}`;
      else g = `\n${'\n'.repeat(1 + (c % 3))}${H[(c >> 2) % H.length]}`;
    } else {
      const W = [' ', '\n', '\n\n\n', '  \n\t', ' '];
      g = gap === '' && c % 2 === 0 ? '' : (W[c % W.length] as string);
    }
    out.push(i === 0 ? gap : g, t.text);
    pos = t.end;
  });
  out.push(text.slice(pos));
  return out.join('');
}

describe('formatter properties', () => {
  it('has inputs: every example, conformance policy and grammar example', () => {
    expect(INPUTS.length).toBeGreaterThan(15);
  });

  it.each(INPUTS.map((x) => [x.name, x] as const))('%s: idempotent, same tokens and comments, same meaning and decisions', (_n, input) => {
    const once = fmt(input.text);
    expect(fmt(once)).toBe(once);
    const strip = (t: string) => lexAll(t).map((x) => (x.comment ? x.text.trimEnd() : `${x.type}:${x.text}`));
    expect(strip(once)).toEqual(strip(input.text));
    expect(meaning(once)).toEqual(meaning(input.text));
    expect(decisions(once, input.requests)).toEqual(decisions(input.text, input.requests));
    // Formatting already formatted text is the identity, so the digest is exactly the same.
    expect(compile([{ file: 'policy.writ', text: fmt(once) }]).artifact?.digest).toBe(compile([{ file: 'policy.writ', text: once }]).artifact?.digest);
  });

  it('randomly re-spaced inputs: idempotent, and the same meaning as the original', () => {
    fc.assert(
      fc.property(fc.constantFrom(...INPUTS), fc.array(fc.nat(1000), { minLength: 1, maxLength: 64 }), (input, choices) => {
        const wild = respace(input.text, choices, 'wild');
        const r = formatSource(wild);
        expect(r.diagnostics).toEqual([]);
        const once = r.text as string;
        expect(fmt(once)).toBe(once);
        expect(meaning(once)).toEqual(meaning(input.text));
      }),
      { numRuns: 150 },
    );
  });

  it('re-spacing that keeps newlines and blank lines where they were formats to the same text', () => {
    fc.assert(
      fc.property(fc.constantFrom(...INPUTS), fc.array(fc.nat(1000), { minLength: 1, maxLength: 64 }), (input, choices) => {
        expect(fmt(respace(input.text, choices, 'layout'))).toBe(fmt(input.text));
      }),
      { numRuns: 150 },
    );
  });

  it('every reserved word survives formatting as a parameter name', () => {
    const text = `policy "p" version "1"\ntool t(${KEYWORDS.map((k) => `${k}: string`).join(', ')})\nallow t when args.${KEYWORDS[0]} == "x"\n`;
    const once = fmt(text);
    expect(fmt(once)).toBe(once);
    expect(meaning(once)).toEqual(meaning(text));
  });
});
