/**
 * The formal half of @writ/verifier: decision tables as SMT theorems.
 * @packageDocumentation
 */
export { encodeTool, EncodingError, APPROVAL_STATUS, type ToolEncoding, type EncodeOptions } from './encode.js';
export { script } from './script.js';
export { check, shutdown, QuerySession, type QueryResult, type SolverStatus } from './solver.js';
export { verify, type CheckResult, type CheckKind, type VerifyReport, type VerifyOptions, type VerifyStats } from './checks.js';
export { findCounterexample, smtEffect, WITNESSES, REPLAY_TIME, type Counterexample } from './counterexample.js';
export { caseFromModel, pinCase, storeFor, emptyState, effectiveRoles, type Case, type CaseState, type PinOptions } from './concrete.js';
export { translateRegex } from './regex.js';
export { readValue, rationalToDecimal } from './model.js';
export {
  exportQueries,
  toolQueries,
  assertionQuery,
  matchQuery,
  unshadowedQuery,
  impliedQuery,
  deadToolQuery,
  type Query,
  type QueryKind,
  type ExportedQuery,
  type ExportOptions,
} from './export.js';
export { diff, type DiffReport, type DiffVerdict, type DiffWitness, type ToolDiff, type DiffOptions } from './diff.js';
export { findReadableCounterexample, plainnessLevels } from './readable.js';
