/**
 * Plan checking: an agent's sequence of tool calls, checked before any step runs, with state carried
 * between steps (check.ts documents the semantics).
 * @packageDocumentation
 */
export { parsePlan, PlanError, fitsType } from './parse.js';
export { checkPlan, refLabels, type PlanCheckOptions } from './check.js';
export { jsonErrorOffset, jsonPathOffset, lineColumnOf } from './json-text.js';
export * from './types.js';
