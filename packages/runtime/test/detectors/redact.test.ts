import { describe, expect, it } from 'vitest';
import { MemoryTokenVault, redactValue, restoreValue, type TokenVault } from '../../src/detectors/index.js';

describe('MemoryTokenVault', () => {
  it('numbers tokens per kind from 1 and reuses them for the same value', () => {
    const v = new MemoryTokenVault();
    expect(v.tokenFor('email', 'a@example.com')).toBe('<EMAIL_1>');
    expect(v.tokenFor('us_ssn', '123-45-6789')).toBe('<US_SSN_1>');
    expect(v.tokenFor('email', 'b@example.com')).toBe('<EMAIL_2>');
    expect(v.tokenFor('email', 'a@example.com')).toBe('<EMAIL_1>');
    expect(v.tokenFor('credit_card', '4111111111111111')).toBe('<CREDIT_CARD_1>');
    expect(v.lookup('<EMAIL_2>')).toBe('b@example.com');
    expect(v.lookup('<EMAIL_9>')).toBeUndefined();
    expect(v.entries()).toEqual([
      ['<EMAIL_1>', 'a@example.com'],
      ['<US_SSN_1>', '123-45-6789'],
      ['<EMAIL_2>', 'b@example.com'],
      ['<CREDIT_CARD_1>', '4111111111111111'],
    ]);
    expect(v.size).toBe(4);
  });

  it('can be rebuilt from entries and continues numbering', () => {
    const a = new MemoryTokenVault();
    a.tokenFor('email', 'a@example.com');
    a.tokenFor('email', 'b@example.com');
    const b = new MemoryTokenVault(a.entries());
    expect(b.tokenFor('email', 'b@example.com')).toBe('<EMAIL_2>');
    expect(b.tokenFor('email', 'c@example.com')).toBe('<EMAIL_3>');
    expect(b.lookup('<EMAIL_1>')).toBe('a@example.com');
    // entries() is a copy
    a.entries().pop();
    expect(a.entries()).toHaveLength(2);
  });

  it('normalises odd kind names into the token', () => {
    const v = new MemoryTokenVault();
    expect(v.tokenFor('my-kind', 'x')).toBe('<MY_KIND_1>');
    expect(v.tokenFor('', 'x')).toBe('<VALUE_1>');
  });
});

describe('redactValue / restoreValue', () => {
  const input = {
    ticket: 'T-1',
    body: 'Hi, I am ana@example.com, SSN 123-45-6789. Reply to ana@example.com.',
    cc: ['bob@example.org', 'nobody'],
    card: { number: '4111 1111 1111 1111', exp: '12/29' },
    amount: 12.5,
    ok: true,
    none: null,
  };

  it('replaces findings by tokens, same value same token, and leaves the input untouched', () => {
    const before = structuredClone(input);
    const vault = new MemoryTokenVault();
    const r = redactValue(input, 'pii', undefined, vault);
    expect(input).toEqual(before);
    expect(r.value).toEqual({
      ticket: 'T-1',
      body: 'Hi, I am <EMAIL_1>, SSN <US_SSN_1>. Reply to <EMAIL_1>.',
      cc: ['<EMAIL_2>', 'nobody'],
      card: { number: '<CREDIT_CARD_1>', exp: '12/29' },
      amount: 12.5,
      ok: true,
      none: null,
    });
    expect(r.tokens).toEqual([
      { token: '<EMAIL_1>', kind: 'email', path: '$.body' },
      { token: '<US_SSN_1>', kind: 'us_ssn', path: '$.body' },
      { token: '<EMAIL_1>', kind: 'email', path: '$.body' },
      { token: '<EMAIL_2>', kind: 'email', path: '$.cc[0]' },
      { token: '<CREDIT_CARD_1>', kind: 'credit_card', path: '$.card.number' },
    ]);
    // the copy shares no containers with the input
    expect((r.value as typeof input).cc).not.toBe(input.cc);
    expect((r.value as typeof input).card).not.toBe(input.card);
    expect(restoreValue(r.value, vault)).toEqual(input);
  });

  it('redacts only the requested kinds', () => {
    const vault = new MemoryTokenVault();
    const r = redactValue(input, 'pii', ['us_ssn'], vault);
    expect((r.value as typeof input).body).toBe('Hi, I am ana@example.com, SSN <US_SSN_1>. Reply to ana@example.com.');
    expect(vault.entries()).toEqual([['<US_SSN_1>', '123-45-6789']]);
  });

  it('keeps numbering across calls with one vault', () => {
    const vault = new MemoryTokenVault();
    redactValue('a@example.com', 'pii', undefined, vault);
    const r = redactValue(['b@example.com', 'a@example.com'], 'pii', undefined, vault);
    expect(r.value).toEqual(['<EMAIL_2>', '<EMAIL_1>']);
  });

  it('redacts secrets', () => {
    const vault = new MemoryTokenVault();
    const r = redactValue({ env: 'AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE' }, 'secret', undefined, vault);
    expect(r.value).toEqual({ env: 'AWS_ACCESS_KEY_ID=<AWS_ACCESS_KEY_1>' });
    expect(restoreValue(r.value, vault)).toEqual({ env: 'AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE' });
  });

  it('turns a number containing PII into the redacted string', () => {
    const vault = new MemoryTokenVault();
    const r = redactValue({ card: 4111111111111111, qty: 3 }, 'pii', undefined, vault);
    expect(r.value).toEqual({ card: '<CREDIT_CARD_1>', qty: 3 });
    expect(restoreValue(r.value, vault)).toEqual({ card: '4111111111111111', qty: 3 });
  });

  it('restores tokens inside text an agent wrote, and leaves unknown tokens alone', () => {
    const vault = new MemoryTokenVault();
    vault.tokenFor('email', 'ana@example.com');
    expect(restoreValue({ reply: 'Sent to <EMAIL_1> and <EMAIL_7>.' }, vault)).toEqual({
      reply: 'Sent to ana@example.com and <EMAIL_7>.',
    });
  });

  it('does not expand an original that looks like a token', () => {
    const vault = new MemoryTokenVault([
      ['<EMAIL_1>', '<EMAIL_2>'],
      ['<EMAIL_2>', 'x@example.com'],
    ]);
    expect(restoreValue('<EMAIL_1>', vault)).toBe('<EMAIL_2>');
  });

  it('works with a custom vault whose tokens have another shape', () => {
    const map = new Map<string, string>();
    const custom: TokenVault = {
      tokenFor(kind, text) {
        for (const [t, v] of map) if (v === text) return t;
        const t = `[[${kind}#${map.size}]]`;
        map.set(t, text);
        return t;
      },
      lookup: (t) => map.get(t),
      entries: () => [...map.entries()],
    };
    const r = redactValue({ a: 'call 415-555-0100 or ana@example.com' }, 'pii', undefined, custom);
    expect(r.value).toEqual({ a: 'call [[phone#0]] or [[email#1]]' });
    expect(restoreValue(r.value, custom)).toEqual({ a: 'call 415-555-0100 or ana@example.com' });
  });

  it('copies "__proto__" keys as own properties', () => {
    const input = JSON.parse('{"__proto__": {"mail": "ana@example.com"}, "x": 1}') as Record<string, unknown>;
    const vault = new MemoryTokenVault();
    const r = redactValue(input, 'pii', undefined, vault);
    const out = r.value as Record<string, unknown>;
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(Object.keys(out)).toEqual(['__proto__', 'x']);
    expect(JSON.stringify(out)).toBe('{"__proto__":{"mail":"<EMAIL_1>"},"x":1}');
    expect(JSON.stringify(restoreValue(out, vault))).toBe(JSON.stringify(input));
  });

  it('copies data nested beyond the depth limit without scanning it, and without sharing it', () => {
    let deep: unknown = { mail: 'ana@example.com' };
    for (let i = 0; i < 70; i++) deep = [deep];
    const vault = new MemoryTokenVault();
    const r = redactValue(deep, 'pii', undefined, vault);
    expect(r.value).toEqual(deep);
    expect(r.value).not.toBe(deep);
    expect(vault.entries()).toEqual([]);
    let a = r.value as unknown[];
    let b = deep as unknown[];
    for (let i = 0; i < 70; i++) {
      expect(a).not.toBe(b);
      a = a[0] as unknown[];
      b = b[0] as unknown[];
    }
  });

  it('never throws on non-JSON input', () => {
    const cyclic: Record<string, unknown> = { mail: 'ana@example.com' };
    cyclic.self = cyclic;
    const vault = new MemoryTokenVault();
    expect(() => redactValue(cyclic, 'pii', undefined, vault)).not.toThrow();
    expect(() => restoreValue(cyclic, vault)).not.toThrow();
    expect(redactValue(undefined, 'pii', undefined, vault).value).toBeUndefined();
    expect(redactValue('x', 'nope' as 'pii', undefined, vault)).toEqual({ value: 'x', tokens: [] });
  });
});
