/**
 * Terminal colour, only when writing to a TTY and NO_COLOR is unset (https://no-color.org).
 */
import { styleText } from 'node:util';

type Format = Parameters<typeof styleText>[0];

export function colorEnabled(stream: NodeJS.WriteStream = process.stdout): boolean {
  return !!stream.isTTY && !process.env['NO_COLOR'] && process.env['TERM'] !== 'dumb';
}

/** Returns a styling function that is the identity when colour is off. */
export function styler(enabled: boolean): (format: Format, text: string) => string {
  return enabled ? (format, text) => styleText(format, text) : (_f, text) => text;
}
