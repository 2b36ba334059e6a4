// Every token of a .writ text, comments included, with offsets: for tests that re-space or compare token streams.
import { lexTokens } from '@writ/compiler';

export interface Tok {
  type: string;
  text: string;
  start: number;
  end: number;
  comment: boolean;
}

export function lexAll(text: string): Tok[] {
  return lexTokens(text).map((t) => ({ type: t.type, text: t.image, start: t.start, end: t.end, comment: t.comment }));
}
