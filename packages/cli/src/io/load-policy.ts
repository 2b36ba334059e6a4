/**
 * Loads a policy for deciding: `.writ` files and directories are compiled; a `.json` file is a compiled
 * artifact, schema- and digest-checked by the runtime.
 */
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { compile, type Diagnostic } from '@writ/compiler';
import { loadPolicy, type Policy } from '@writ/runtime';
import { EXIT, PolicyCompileError, UserError } from '../errors.js';
import { readPolicySources } from './policy-files.js';

export interface LoadedPolicy {
  policy: Policy;
  /** Directory that rule spans are relative to. */
  root: string;
  /** Warnings from compiling (errors abort loading). */
  diagnostics: Diagnostic[];
}

export { PolicyCompileError } from '../errors.js';

/**
 * @throws UserError (exit 3) for an artifact the runtime refuses, PolicyCompileError for compile errors
 */
export function loadPolicyFrom(input: string): LoadedPolicy {
  let isJson = false;
  try {
    isJson = statSync(input).isFile() && input.endsWith('.json');
  } catch {
    throw new UserError(`${input}: no such file or directory`);
  }
  if (isJson) {
    let text: string;
    try {
      text = readFileSync(input, 'utf8');
    } catch (e) {
      throw new UserError(`${input}: ${(e as Error).message}`);
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (e) {
      throw new UserError(`${input}: not valid JSON: ${(e as Error).message}`, EXIT.policy);
    }
    try {
      return { policy: loadPolicy(json), root: path.dirname(path.resolve(input)), diagnostics: [] };
    } catch (e) {
      throw new UserError(`${input}: ${(e as Error).message}`, EXIT.policy);
    }
  }
  const { root, sources } = readPolicySources([input]);
  const result = compile(sources);
  if (!result.artifact) throw new PolicyCompileError(result.diagnostics, root, new Map(sources.map((x) => [x.file, x.text])));
  return { policy: loadPolicy(result.artifact), root, diagnostics: result.diagnostics };
}
