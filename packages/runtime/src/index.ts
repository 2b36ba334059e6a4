/**
 * `@writ/runtime`: loads a compiled Writ decision table and decides tool calls in-process. No solver, no
 * parser; runs in Node and browsers.
 *
 * @packageDocumentation
 */
export * from './artifact/types.js';
export * from './decision/types.js';
export { artifactSchema } from './artifact/schema.js';
export { artifactDigest, canonicalDigest, canonicalJson, sortKeys } from './artifact/digest.js';
export { ArtifactError } from './artifact/errors.js';
export { loadPolicy, type LoadOptions, DEFAULT_MAX_STRING_LENGTH, DEFAULT_MAX_LIST_LENGTH } from './artifact/load.js';
export { decimalToMicros, formatDuration, formatMicros, parseDuration } from './artifact/value.js';
export { Policy, type ApprovalOptions, type ListApprovalsOptions } from './engine/policy.js';
export type { DecideOptions } from './engine/decide.js';
export type { Approver } from './engine/approvals.js';
export type { Override } from './engine/killswitch.js';
export type {
  StateStore,
  CallRecord,
  BudgetUsage,
  BudgetLimits,
  BudgetCharge,
  TaintValue,
} from './state/store.js';
export { MemoryStateStore } from './state/memory.js';
export { approvalFingerprint, cloneApproval } from './state/approval-record.js';
export type { AsyncStateStore, StateRead, StateReadValue, StateReadValues, StateWrite, CommitResult } from './state/async.js';
export { toAsyncStore } from './state/adapt.js';
export { SnapshotStore, readId, type SnapshotCache } from './state/snapshot.js';
export { runOnSnapshot, loadReads, commitWrites, type SnapshotRun, type SnapshotRunOptions } from './state/run.js';
export { RULE_STATE, STATE_UNAVAILABLE, STATE_BUSY } from './engine/decide.js';
export type { AsyncDecideOptions, AsyncApprovalOptions, AsyncListApprovalsOptions } from './engine/policy.js';
export * from './detectors/index.js';
export { ConditionProbe, clausesOf, type Clause, type ProbeTarget, type RuleProbe, type ProbeResult, type ProbeOptions } from './coverage/probe.js';
