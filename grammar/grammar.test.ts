import { readFileSync } from 'node:fs';
import { DiagnosticBag, KEYWORDS, grammarRuleNames, parseSource } from '@writ/compiler';
import { describe, expect, it } from 'vitest';

const doc = readFileSync(new URL('./GRAMMAR.md', import.meta.url), 'utf8');
const blocks = (lang: string) => [...doc.matchAll(new RegExp('```' + lang + '\\n([\\s\\S]*?)```', 'g'))].map((m) => m[1] as string);

describe('grammar/GRAMMAR.md matches the parser', () => {
  it('lists exactly the parser rules as productions', () => {
    const productions = new Set<string>();
    for (const b of blocks('ebnf')) for (const m of b.matchAll(/^([a-z][A-Za-z]*)\s*=/gm)) productions.add(m[1] as string);
    expect([...productions].sort()).toEqual([...grammarRuleNames()].sort());
  });

  it('lists every reserved word', () => {
    const section = doc.slice(doc.indexOf('Reserved words'), doc.indexOf('## Files and statements'));
    const listed = new Set(section.match(/`(policy [^`]+)`/s)?.[1]?.split(/\s+/) ?? []);
    expect([...listed].sort()).toEqual([...KEYWORDS].sort());
  });

  it('parses every example without syntax errors', () => {
    const examples = blocks('writ');
    expect(examples.length).toBeGreaterThan(5);
    for (const [i, text] of examples.entries()) {
      const diags = new DiagnosticBag();
      parseSource(`example-${i}.writ`, text, diags);
      expect(diags.items.map((d) => `${d.span.line}:${d.span.column} ${d.message}`), text).toEqual([]);
    }
  });
});
