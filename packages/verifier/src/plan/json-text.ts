/**
 * Positions in a plan's JSON text: where a syntax error is, and where the value a JSON path names starts,
 * so that the CLI can report `file:line:column` (JSON.parse's messages carry no position in every Node
 * version, and parsed values none at all).
 *
 * @module
 */

/**
 * Scans JSON text (RFC 8259 grammar) and returns the offset of the first syntax error, or undefined when it
 * parses; `onValue` sees each value's JSON path (`$`, `$.steps[0].args.amount`, as {@link PlanError} names
 * them) and the offset where it starts.
 */
function scan(text: string, onValue?: (path: string, offset: number) => void): number | undefined {
  let i = 0;
  const ws = () => {
    while (i < text.length && ' \t\n\r'.includes(text[i]!)) i++;
  };
  const fail = (): never => {
    throw i;
  };
  const lit = (word: string) => {
    for (const c of word) if (text[i++] !== c) (i--, fail());
  };
  const string = () => {
    i++;
    for (;;) {
      if (i >= text.length) fail();
      const c = text[i]!;
      if (c === '"') return void i++;
      if (c < ' ') fail();
      if (c === '\\') {
        i++;
        if (text[i] === 'u') {
          for (let k = 1; k <= 4; k++) if (!/[0-9a-fA-F]/.test(text[i + k] ?? '')) ((i += k), fail());
          i += 5;
        } else if ('"\\/bfnrt'.includes(text[i] ?? 'x')) i++;
        else fail();
      } else i++;
    }
  };
  const number = () => {
    const m = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i));
    if (!m) fail();
    i += m![0].length;
  };
  const value = (path: string): void => {
    ws();
    onValue?.(path, i);
    const c = text[i];
    if (c === '{') {
      i++;
      ws();
      if (text[i] === '}') return void i++;
      for (;;) {
        ws();
        if (text[i] !== '"') fail();
        const start = i;
        string();
        const key = onValue ? (JSON.parse(text.slice(start, i)) as string) : '';
        ws();
        if (text[i] !== ':') fail();
        i++;
        value(`${path}.${key}`);
        ws();
        if (text[i] === ',') i++;
        else if (text[i] === '}') return void i++;
        else fail();
      }
    }
    if (c === '[') {
      i++;
      ws();
      if (text[i] === ']') return void i++;
      for (let k = 0; ; k++) {
        value(`${path}[${k}]`);
        ws();
        if (text[i] === ',') i++;
        else if (text[i] === ']') return void i++;
        else fail();
      }
    }
    if (c === '"') return string();
    if (c === 't') return lit('true');
    if (c === 'f') return lit('false');
    if (c === 'n') return lit('null');
    if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) return number();
    fail();
  };
  try {
    value('$');
    ws();
    return i < text.length ? i : undefined;
  } catch (e) {
    if (typeof e === 'number') return e;
    throw e;
  }
}

/** The offset of the first JSON syntax error in `text`, or undefined when it is JSON. */
export function jsonErrorOffset(text: string): number | undefined {
  return scan(text);
}

/**
 * The offset where the value at `path` (a JSON path as {@link PlanError} names it) starts in `text`, or
 * undefined when the text is not JSON or has no such value. With duplicate member names, the last one
 * (the one JSON.parse keeps).
 */
export function jsonPathOffset(text: string, path: string): number | undefined {
  let found: number | undefined;
  const error = scan(text, (p, offset) => {
    if (p === path) found = offset;
  });
  return error === undefined ? found : undefined;
}

/** 1-based line and column (UTF-16 code units) of an offset. */
export function lineColumnOf(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  return { line: before.split('\n').length, column: offset - before.lastIndexOf('\n') };
}
