/**
 * JUnit XML, the report format CI systems read (Jenkins, GitLab, GitHub Actions test reporters): the common
 * subset of the Ant JUnit schema — `testsuites` › `testsuite` › `testcase` with `failure` or `error`.
 */

/** Characters XML 1.0 allows (§2.2 Char); anything else, even escaped, makes the document ill-formed. */
const NOT_XML_CHAR = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

/** Text safe in XML content and in double- or single-quoted attributes. */
export function xmlEscape(s: string): string {
  return s
    .replace(NOT_XML_CHAR, '\uFFFD')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

export interface JUnitCase {
  name: string;
  classname: string;
  file: string;
  line: number;
  /** Seconds. */
  time: number;
  failure?: { message: string; details: string };
  error?: { message: string; details: string };
}

export interface JUnitSuite {
  name: string;
  file: string;
  time: number;
  cases: JUnitCase[];
}

function attrs(a: Record<string, string | number>): string {
  return Object.entries(a)
    .map(([k, v]) => ` ${k}="${xmlEscape(String(v))}"`)
    .join('');
}

const secs = (s: number) => s.toFixed(3);

/** The report as an XML document. */
export function junitXml(suites: readonly JUnitSuite[], timestamp: string): string {
  const count = (s: JUnitSuite) => ({
    tests: s.cases.length,
    failures: s.cases.filter((c) => c.failure).length,
    errors: s.cases.filter((c) => c.error).length,
  });
  const total = suites.map(count).reduce((x, y) => ({ tests: x.tests + y.tests, failures: x.failures + y.failures, errors: x.errors + y.errors }), { tests: 0, failures: 0, errors: 0 });
  const out = ['<?xml version="1.0" encoding="UTF-8"?>'];
  out.push(`<testsuites${attrs({ name: 'writ test', ...total, time: secs(suites.reduce((n, s) => n + s.time, 0)) })}>`);
  for (const s of suites) {
    out.push(`  <testsuite${attrs({ name: s.name, ...count(s), skipped: 0, time: secs(s.time), timestamp, file: s.file })}>`);
    for (const c of s.cases) {
      const head = `    <testcase${attrs({ name: c.name, classname: c.classname, file: c.file, line: c.line, time: secs(c.time) })}`;
      const inner = c.failure ? ['failure', c.failure] as const : c.error ? ['error', c.error] as const : undefined;
      if (!inner) {
        out.push(`${head}/>`);
        continue;
      }
      const [tag, body] = inner;
      out.push(`${head}>`);
      out.push(`      <${tag}${attrs({ message: body.message, type: tag === 'failure' ? 'mismatch' : 'invalid' })}>${xmlEscape(body.details)}</${tag}>`);
      out.push('    </testcase>');
    }
    out.push('  </testsuite>');
  }
  out.push('</testsuites>');
  return `${out.join('\n')}\n`;
}
