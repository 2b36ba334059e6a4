/**
 * Loading a decision-table artifact: parse, schema check, format and digest check, reference checks, then
 * preparation for fast decisions.
 *
 * @packageDocumentation
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { prepare } from '../engine/prepare.js';
import { Policy } from '../engine/policy.js';
import { artifactDigest } from './digest.js';
import { ArtifactError } from './errors.js';
import { artifactSchema } from './schema.js';
import { ARTIFACT_FORMAT, type Artifact } from './types.js';

/** Options of {@link loadPolicy}. */
export interface LoadOptions {
  /** Check that `digest` is the artifact's content digest (default true). */
  verifyDigest?: boolean;
  /** Longest string accepted in a request's args and declared context fields (default 65,536 UTF-16 units). */
  maxStringLength?: number;
  /** Most items accepted in a list-typed argument (default 10,000). */
  maxListLength?: number;
  /**
   * When to build each tool's rule index (SEMANTICS.md §0): on the tool's first decision (`'lazy'`, the
   * default: loading stays fast and tools never called cost nothing), or now (`'eager'`: every first
   * decision is as fast as the next). Validation and compilation of every rule happen at load either way.
   */
  index?: 'lazy' | 'eager';
}

export const DEFAULT_MAX_STRING_LENGTH = 65_536;
export const DEFAULT_MAX_LIST_LENGTH = 10_000;
const MAX_REPORTED_ERRORS = 5;

let compiled: ValidateFunction | undefined;

function schemaValidator(): ValidateFunction {
  if (compiled === undefined) {
    // `optimize: false`: ajv's code optimisation pass costs about 40 % of compiling this schema (once per
    // process, on the first load) and measurably nothing when validating.
    const ajv = new Ajv({ allErrors: true, discriminator: true, strict: true, allowUnionTypes: true, code: { optimize: false } });
    compiled = ajv.compile(artifactSchema);
  }
  return compiled;
}

function formatError(e: ErrorObject): string {
  const at = e.instancePath === '' ? '(root)' : e.instancePath;
  const p = e.params as Record<string, unknown>;
  let detail = '';
  if (e.keyword === 'additionalProperties') detail = `: '${String(p.additionalProperty)}'`;
  else if (e.keyword === 'enum') detail = `: ${(p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
  else if (e.keyword === 'const') detail = `: ${JSON.stringify(p.allowedValue)}`;
  else if (e.keyword === 'discriminator' && p.error === 'mapping') {
    return `${at}: unknown ${String(p.tag)} ${JSON.stringify(p.tagValue)}`;
  }
  return `${at}: ${e.message ?? e.keyword}${detail}`;
}

/** The first few schema errors of `value`, one line each, or undefined if it matches the schema. */
export function schemaErrors(value: unknown): string[] | undefined {
  const validate = schemaValidator();
  if (validate(value)) return undefined;
  const lines: string[] = [];
  for (const e of validate.errors ?? []) {
    const line = formatError(e);
    if (!lines.includes(line)) lines.push(line);
    if (lines.length >= MAX_REPORTED_ERRORS) break;
  }
  return lines;
}

/**
 * Loads a compiled policy (the artifact object, or its JSON text) into a {@link Policy}.
 *
 * Checks, in order: JSON syntax (for text), `format`, the JSON Schema, the digest (unless
 * `verifyDigest: false`), then internal references (index entries, tools, roles, parameters) and constants
 * (decimal strings, regular expressions). Any failure throws an {@link ArtifactError} with a clear message.
 *
 * The Policy takes ownership of the artifact object: do not mutate it afterwards.
 */
export function loadPolicy(artifact: unknown, options: LoadOptions = {}): Policy {
  let value: unknown = artifact;
  if (typeof artifact === 'string') {
    try {
      value = JSON.parse(artifact);
    } catch (err) {
      throw new ArtifactError(`artifact is not valid JSON: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ArtifactError('artifact must be a JSON object');
  }
  const format = (value as { format?: unknown }).format;
  if (format !== ARTIFACT_FORMAT) {
    throw new ArtifactError(
      `unsupported artifact format ${JSON.stringify(format)}; this runtime reads '${ARTIFACT_FORMAT}'`,
    );
  }
  const errors = schemaErrors(value);
  if (errors !== undefined) {
    throw new ArtifactError(`artifact does not match the schema:\n  ${errors.join('\n  ')}`);
  }
  const a = value as Artifact;
  if (options.verifyDigest !== false) {
    const computed = artifactDigest(a);
    if (computed !== a.digest) {
      throw new ArtifactError(`artifact digest mismatch: expected ${a.digest}, computed ${computed}`);
    }
  }
  const maxStringLength = options.maxStringLength ?? DEFAULT_MAX_STRING_LENGTH;
  const maxListLength = options.maxListLength ?? DEFAULT_MAX_LIST_LENGTH;
  if (!Number.isSafeInteger(maxStringLength) || maxStringLength < 0) throw new RangeError('maxStringLength must be a non-negative integer');
  if (!Number.isSafeInteger(maxListLength) || maxListLength < 0) throw new RangeError('maxListLength must be a non-negative integer');
  if (options.index !== undefined && options.index !== 'lazy' && options.index !== 'eager') throw new RangeError("index must be 'lazy' or 'eager'");
  const compiledPolicy = prepare(a, { maxStringLength, maxListLength }, options.index === 'eager');
  return new Policy(a, compiledPolicy);
}
