/**
 * @writ/cli: the `writ` command. Its modules are exported for tests and embedding.
 * @packageDocumentation
 */
export { EXIT, UserError } from './errors.js';
export { readPolicySources, displayPath } from './io/policy-files.js';
export { loadPolicyFrom } from './io/load-policy.js';
export { readScenarios, runScenarios, type Scenario, type ScenarioResult } from './io/scenarios.js';
