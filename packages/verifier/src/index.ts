/**
 * @writ/verifier: SMT verification of decision tables, and evidence (Merkle log, checkpoints, signed notes).
 *
 * @module
 */
export * from './evidence/index.js';
export * from './smt/index.js';
export * from './plan/index.js';
