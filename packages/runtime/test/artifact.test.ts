import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import canonicalize from 'canonicalize';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ArtifactError,
  artifactDigest,
  artifactSchema,
  canonicalDigest,
  canonicalJson,
  decimalToMicros,
  formatDuration,
  formatMicros,
  loadPolicy,
  parseDuration,
  sortKeys,
} from '../src/index.js';
import { T, TRUE, and, cmp, makeArtifact, restamp, role, rule, supportTools, tool } from './helpers.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const schemaFile = path.join(here, '..', 'schema', 'artifact.schema.json');
const jcsDir = path.join(here, '..', '..', '..', 'tests', 'vectors', 'jcs');

function loadError(a: unknown): string {
  try {
    loadPolicy(a);
  } catch (e) {
    expect(e).toBeInstanceOf(ArtifactError);
    return (e as Error).message;
  }
  throw new Error('expected an ArtifactError');
}

describe('artifact JSON schema', () => {
  it('schema/artifact.schema.json is the exported schema (WRIT_WRITE_SCHEMA=1 regenerates it)', () => {
    const text = `${JSON.stringify(artifactSchema, null, 2)}\n`;
    if (process.env.WRIT_WRITE_SCHEMA === '1') writeFileSync(schemaFile, text);
    expect(readFileSync(schemaFile, 'utf8')).toBe(text);
  });

  it('accepts a minimal artifact and a loaded policy reports its identity', () => {
    const a = makeArtifact({ tools: supportTools });
    const p = loadPolicy(a);
    expect(p.name).toBe('test-policy');
    expect(p.version).toBe('1.0.0');
    expect(p.digest).toBe(a.digest);
    expect(p.artifact).toBe(a);
  });

  it('loads from JSON text', () => {
    const a = makeArtifact({ tools: supportTools });
    expect(loadPolicy(JSON.stringify(a)).digest).toBe(a.digest);
    expect(loadError('{ not json')).toMatch(/^artifact is not valid JSON/);
    expect(loadError('[]')).toBe('artifact must be a JSON object');
  });

  it('rejects a wrong format before anything else', () => {
    const a = { ...makeArtifact(), format: 'writ.decision-table/v9' };
    expect(loadError(a)).toBe(`unsupported artifact format "writ.decision-table/v9"; this runtime reads 'writ.decision-table/v0'`);
  });

  it('rejects schema violations with one line per error and its JSON pointer', () => {
    const a = makeArtifact({ tools: supportTools, rules: [rule('allow', ['send_sms'], TRUE)] });
    const bad = restamp({ ...a, rules: [{ ...a.rules[0]!, effect: 'permit' as 'allow' }] });
    const msg = loadError(bad);
    expect(msg.split('\n')[0]).toBe('artifact does not match the schema:');
    expect(msg).toContain('/rules/0/effect: must be equal to one of the allowed values: "allow", "deny", "approve"');

    const extra = restamp({ ...a, surprise: 1 } as typeof a);
    expect(loadError(extra)).toContain("(root): must NOT have additional properties: 'surprise'");

    const badExpr = restamp({ ...a, rules: [{ ...a.rules[0]!, when: { op: 'xor' } as never }] });
    expect(loadError(badExpr)).toContain(`/rules/0/when: unknown op "xor"`);

    const missing = { ...a } as Record<string, unknown>;
    delete missing.index;
    expect(loadError(missing)).toContain("(root): must have required property 'index'");
    // at most five error lines
    const many = restamp({ ...a, roles: [1, 2, 3, 4, 5, 6, 7] as unknown as string[] });
    expect(loadError(many).split('\n').length).toBeLessThanOrEqual(6);
  });

  it('detects a digest mismatch, unless told not to check', () => {
    const a = makeArtifact({ tools: supportTools, rules: [rule('allow', ['send_sms'], TRUE)] });
    const tampered = { ...a, policy: { name: 'test-policy', version: '1.0.1' } };
    expect(loadError(tampered)).toBe(`artifact digest mismatch: expected ${a.digest}, computed ${artifactDigest(tampered)}`);
    expect(loadPolicy(tampered, { verifyDigest: false }).version).toBe('1.0.1');
  });

  it('checks internal references', () => {
    const base = { tools: supportTools };
    expect(loadError(makeArtifact({ ...base, rules: [rule('allow', ['nope'], TRUE)] }))).toContain("unknown tool 'nope'");
    expect(loadError(makeArtifact({ ...base, rules: [rule('allow', ['send_sms'], role('wizard'))] }))).toContain("undeclared role 'wizard'");
    expect(loadError(makeArtifact({ ...base, agents: { a: { roles: ['wizard'] } } }))).toContain("agents.a: undeclared role 'wizard'");
    expect(loadError(makeArtifact({ ...base, rules: [rule('approve', ['send_sms'], TRUE)] }))).toContain('needs an approval');

    // index entries must match what applies to each tool
    const a = makeArtifact({ ...base, rules: [rule('allow', ['send_sms'], TRUE), rule('deny', ['*'], TRUE)] });
    const wrongIndex = restamp({ ...a, index: { ...a.index, send_sms: { ...a.index.send_sms!, allow: [] } } });
    expect(loadError(wrongIndex)).toBe("index.send_sms.allow is [] but the allow entries that apply to 'send_sms' are [0]");
    const wrongKind = restamp({ ...a, index: { ...a.index, send_sms: { ...a.index.send_sms!, allow: [0, 1] } } });
    expect(loadError(wrongKind)).toContain('index.send_sms.allow is [0,1]');
    const unknownIndexTool = restamp({ ...a, index: { ...a.index, ghost: a.index.send_sms! } });
    expect(loadError(unknownIndexTool)).toBe("index: unknown tool 'ghost'");
  });

  it('rejects bad constants and bad patterns at load', () => {
    const base = { tools: supportTools };
    const badDecimal = makeArtifact({ ...base, rules: [rule('allow', ['issue_refund'], cmp(['args', 'amount'], '<=', '1e3'))] });
    expect(loadError(badDecimal)).toContain("'1e3' is not a decimal literal");
    const badPattern = makeArtifact({
      ...base,
      rules: [rule('deny', ['send_sms'], { op: 'matches', value: { ref: ['args', 'body'] }, pattern: '(unclosed' }, { line: 7 })],
    });
    expect(loadError(badPattern)).toMatch(/^rule policy.writ:7: bad regular expression "\(unclosed"/);
    const orderedString = makeArtifact({ ...base, rules: [rule('allow', ['send_sms'], cmp(['args', 'to'], '<', 'x', T.string))] });
    expect(loadError(orderedString)).toContain("'<' is not defined on string");
    const badRoot = makeArtifact({ ...base, rules: [rule('allow', ['send_sms'], cmp(['env', 'x'], '==', 'x', T.string))] });
    expect(loadError(badRoot)).toContain("unknown reference root 'env'");
    const reservedContext = makeArtifact({ ...base, context: { session: { type: T.string, optional: true, span: supportTools.send_sms.span } } });
    expect(loadError(reservedContext)).toContain("'session' is a reserved context key");
    const flowParam = makeArtifact({
      ...base,
      flows: [{ id: 'f', label: 'pii', tools: ['send_sms'], param: 'nope', message: 'm', span: supportTools.send_sms.span }],
    });
    expect(loadError(flowParam)).toContain("tool 'send_sms' has no parameter 'nope'");
  });

  it('loads a 10,000-rule artifact', () => {
    const tools: Record<string, ReturnType<typeof tool>> = {};
    for (let i = 0; i < 100; i++) tools[`tool_${i}`] = tool({ amount: T.usd, note: T.string });
    const rules = [];
    for (let i = 0; i < 10_000; i++) {
      rules.push(
        rule(i % 3 === 0 ? 'deny' : 'allow', [`tool_${i % 100}`], and(role('billing'), cmp(['args', 'amount'], i % 2 ? '<=' : '>', String(i))), {
          line: 1000 + i,
        }),
      );
    }
    const a = makeArtifact({ tools, rules });
    const t0 = performance.now();
    const p = loadPolicy(JSON.stringify(a));
    const ms = performance.now() - t0;
    expect(p.artifact.rules.length).toBe(10_000);
    // Printed, not asserted: speed targets live in benchmarks.
    console.log(`loaded 10,000 rules in ${ms.toFixed(1)} ms`);
  });
});

describe('digests', () => {
  it('canonicalJson passes the RFC 8785 vectors', () => {
    for (const name of readdirSync(path.join(jcsDir, 'input'))) {
      const input = JSON.parse(readFileSync(path.join(jcsDir, 'input', name), 'utf8')) as unknown;
      const expected = readFileSync(path.join(jcsDir, 'output', name), 'utf8');
      expect(canonicalJson(input), name).toBe(expected);
    }
  });

  it('canonicalJson is the canonicalize package on every JSON value (strictness only adds errors)', () => {
    const lib = ((canonicalize as unknown as { default?: unknown }).default ?? canonicalize) as (v: unknown) => string;
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        expect(canonicalJson(v)).toBe(lib(v));
      }),
      { numRuns: 300 },
    );
  });

  it('canonicalJson of key-sorted values (the JSON.stringify fast path) is canonicalize too', () => {
    const lib = ((canonicalize as unknown as { default?: unknown }).default ?? canonicalize) as (v: unknown) => string;
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        const sorted = sortKeys(v);
        expect(canonicalJson(sorted)).toBe(lib(v));
        expect(canonicalJson(sorted)).toBe(canonicalJson(v));
      }),
      { numRuns: 300 },
    );
    // Integer-like keys: V8 lists them first, numerically, which is not code-unit order.
    expect(canonicalJson(sortKeys({ '9': 1, '10': 2, a: 3 }))).toBe('{"10":2,"9":1,"a":3}');
  });

  it('canonicalJson of unordered objects (the sorted-copy path) is canonicalize, whatever the member names', () => {
    const lib = ((canonicalize as unknown as { default?: unknown }).default ?? canonicalize) as (v: unknown) => string;
    // Names that exercise the copy: index-like and digit-led names, names below '0', __proto__, non-ASCII, surrogates.
    const name = fc.oneof(
      fc.constantFrom('a', 'b', 'Z', '0', '9', '10', '01', '1a', '!', ' ', '__proto__', 'constructor', 'é', '\u{1F600}', '\uFFFF', ''),
      fc.string({ maxLength: 3 }),
    );
    const { value } = fc.letrec((tie) => ({
      value: fc.oneof({ depthSize: 'small' }, fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.string(), fc.boolean(), fc.constant(null), tie('array'), tie('object')),
      array: fc.array(tie('value'), { maxLength: 4 }),
      object: fc.array(fc.tuple(name, fc.option(tie('value'), { nil: undefined })), { maxLength: 5 }).map((entries) => {
        const o: Record<string, unknown> = {};
        for (const [k, v] of entries) Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
        return o;
      }),
    }));
    fc.assert(
      fc.property(value, (v) => {
        expect(canonicalJson(v)).toBe(lib(v));
      }),
      { numRuns: 1000 },
    );
  });

  it('canonicalJson rejects non-JSON values', () => {
    expect(() => canonicalJson(Number.NaN)).toThrow(TypeError);
    expect(() => canonicalJson([undefined])).toThrow(TypeError);
    expect(() => canonicalJson(new Date(0))).toThrow(TypeError);
    expect(() => canonicalJson(10n)).toThrow(TypeError);
    expect(canonicalJson({ b: 1, a: undefined })).toBe('{"b":1}');
    expect(() => canonicalJson({ a: { b: () => 1 } })).toThrow(TypeError);
  });

  it('canonicalJson orders index-like keys by code units, not numerically', () => {
    expect(canonicalJson({ b: { '10': 1, '9': 2, a: 3 }, a: [{ y: 1, x: 2 }] })).toBe('{"a":[{"x":2,"y":1}],"b":{"10":1,"9":2,"a":3}}');
    const sorted = { a: 1, b: { c: [1, { d: 2 }] } };
    expect(canonicalJson(sorted)).toBe(JSON.stringify(sorted));
  });

  it('artifactDigest ignores the digest member and canonicalDigest is sha256 of the canonical form', () => {
    expect(canonicalDigest({ b: [1, 'x'], a: true })).toBe(canonicalDigest({ a: true, b: [1, 'x'] }));
    expect(canonicalDigest({ z: 1, a: [true, null] })).toBe(
      'sha256:' + createHash('sha256').update('{"a":[true,null],"z":1}').digest('hex'),
    );
    const a = makeArtifact();
    expect(artifactDigest(a)).toBe(a.digest);
    expect(artifactDigest({ ...a, digest: 'sha256:' + 'f'.repeat(64) })).toBe(a.digest);
  });
});

describe('exact values', () => {
  it('decimalToMicros is exact', () => {
    expect(decimalToMicros('0.02')).toBe(20_000);
    expect(decimalToMicros('10')).toBe(10_000_000);
    expect(decimalToMicros('-1.5')).toBe(-1_500_000);
    expect(decimalToMicros('0.0000005')).toBe(1);
    expect(decimalToMicros('0.0000004')).toBe(0);
    expect(decimalToMicros('1e3')).toBeUndefined();
    expect(formatMicros(10_020_000)).toBe('10.02');
    expect(formatMicros(10_000_000)).toBe('10');
  });

  it('parses and formats durations', () => {
    expect(parseDuration('90s')).toBe(90_000);
    expect(parseDuration('5m')).toBe(300_000);
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(parseDuration('2d')).toBe(172_800_000);
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('1m500ms')).toBe(60_500);
    for (const bad of ['', '5', '5 minutes', '1.5h', '-5m', '30m1h', '5mm', 'h']) expect(parseDuration(bad), bad).toBeUndefined();
    expect(formatDuration(5_400_000)).toBe('1h30m');
    expect(formatDuration(3_600_000)).toBe('1h');
  });
});
