/**
 * chevrotain's runtime values, loaded from the single-file ESM bundle the package ships
 * (`lib/chevrotain.mjs`). The package's default entry imports some 600 modules (lodash-es), which costs about
 * half a second every time a process starts (`writ` commands, the language server); the bundle is the same
 * code in one file and loads in a tenth of the time. Types still come from `chevrotain` itself.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type * as Chevrotain from 'chevrotain';

async function load(): Promise<typeof Chevrotain> {
  try {
    const entry = createRequire(import.meta.url).resolve('chevrotain'); // …/chevrotain/lib/src/api.js
    return (await import(pathToFileURL(path.join(path.dirname(entry), '..', 'chevrotain.mjs')).href)) as typeof Chevrotain;
  } catch {
    return import('chevrotain');
  }
}

const chevrotain = await load();

export const { createToken, Lexer, CstParser, EOF } = chevrotain;
