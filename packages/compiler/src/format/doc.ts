/**
 * A small document algebra for pretty printing, after Wadler's "A prettier printer" and Prettier's printer:
 * text, line breaks that a group may keep flat, groups, and indentation. A group is laid out flat when it
 * fits in the remaining width (measured up to the next break the layout already commits to), otherwise each
 * of its own lines breaks and its sub-groups are decided one by one.
 */

/** A possible line break: a space (`soft`: nothing) when its group is flat, a newline otherwise. */
export interface Line {
  kind: 'line';
  soft: boolean;
  /** Always a newline; forces every enclosing group to break. */
  hard: boolean;
}

export interface Group {
  kind: 'group';
  contents: Doc;
  /** Set by {@link propagateBreaks} when the group contains a hard line. */
  broken: boolean;
}

export interface Indent {
  kind: 'indent';
  by: number;
  contents: Doc;
}

/** A document: text (never containing a newline), a sequence, a line, a group or an indented part. */
export type Doc = string | Doc[] | Line | Group | Indent;

export const line: Line = { kind: 'line', soft: false, hard: false };
export const softline: Line = { kind: 'line', soft: true, hard: false };
export const hardline: Line = { kind: 'line', soft: false, hard: true };

export function group(contents: Doc): Group {
  return { kind: 'group', contents, broken: false };
}

export function indent(by: number, contents: Doc): Indent {
  return { kind: 'indent', by, contents };
}

/** Marks every group that contains a hard line as broken; returns whether `doc` contains one. */
export function propagateBreaks(doc: Doc): boolean {
  if (typeof doc === 'string') return false;
  if (Array.isArray(doc)) {
    let hard = false;
    for (const d of doc) if (propagateBreaks(d)) hard = true;
    return hard;
  }
  switch (doc.kind) {
    case 'line':
      return doc.hard;
    case 'indent':
      return propagateBreaks(doc.contents);
    case 'group': {
      const hard = propagateBreaks(doc.contents);
      if (hard) doc.broken = true;
      return hard;
    }
  }
}

type Mode = 'flat' | 'break';
interface Cmd {
  ind: number;
  mode: Mode;
  doc: Doc;
}

/**
 * Does `next`, laid out flat, followed by the commands still to print (in their own modes), fit in `width`
 * columns before the next newline?
 */
function fits(next: Cmd, rest: readonly Cmd[], width: number): boolean {
  let remaining = width;
  let restIdx = rest.length;
  const stack: Array<{ mode: Mode; doc: Doc }> = [{ mode: next.mode, doc: next.doc }];
  while (remaining >= 0) {
    const top = stack.pop();
    if (!top) {
      if (restIdx === 0) return true;
      const r = rest[--restIdx] as Cmd;
      stack.push({ mode: r.mode, doc: r.doc });
      continue;
    }
    const { mode, doc } = top;
    if (typeof doc === 'string') {
      remaining -= doc.length;
    } else if (Array.isArray(doc)) {
      for (let i = doc.length - 1; i >= 0; i--) stack.push({ mode, doc: doc[i] as Doc });
    } else if (doc.kind === 'indent') {
      stack.push({ mode, doc: doc.contents });
    } else if (doc.kind === 'group') {
      stack.push({ mode: doc.broken ? 'break' : mode, doc: doc.contents });
    } else {
      if (mode === 'break' || doc.hard) return true;
      remaining -= doc.soft ? 0 : 1;
    }
  }
  return false;
}

/**
 * Lays `doc` out in at most `width` columns where it can (text longer than the width stays on its line).
 * Trailing spaces are never printed. The result has no final newline.
 */
export function printDoc(doc: Doc, width: number): string {
  propagateBreaks(doc);
  const out: string[] = [];
  let pos = 0;
  const cmds: Cmd[] = [{ ind: 0, mode: 'break', doc }];
  while (cmds.length > 0) {
    const { ind, mode, doc: d } = cmds.pop() as Cmd;
    if (typeof d === 'string') {
      out.push(d);
      pos += d.length;
    } else if (Array.isArray(d)) {
      for (let i = d.length - 1; i >= 0; i--) cmds.push({ ind, mode, doc: d[i] as Doc });
    } else if (d.kind === 'indent') {
      cmds.push({ ind: ind + d.by, mode, doc: d.contents });
    } else if (d.kind === 'group') {
      const flat: Cmd = { ind, mode: 'flat', doc: d.contents };
      if (mode === 'flat' && !d.broken) cmds.push(flat);
      else if (!d.broken && fits(flat, cmds, width - pos)) cmds.push(flat);
      else cmds.push({ ind, mode: 'break', doc: d.contents });
    } else if (mode === 'flat' && !d.hard) {
      if (!d.soft) {
        out.push(' ');
        pos += 1;
      }
    } else {
      trimTrailingSpaces(out);
      out.push(`\n${' '.repeat(ind)}`);
      pos = ind;
    }
  }
  trimTrailingSpaces(out);
  return out.join('');
}

function trimTrailingSpaces(out: string[]): void {
  while (out.length > 0) {
    const last = out[out.length - 1] as string;
    const trimmed = last.replace(/ +$/, '');
    if (trimmed.length > 0) {
      out[out.length - 1] = trimmed;
      return;
    }
    out.pop();
  }
}
