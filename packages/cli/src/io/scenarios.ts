/**
 * Example scenarios: `scenarios.json` beside a policy lists requests (files relative to it) and the effect
 * each should get, decided in order against one policy instance so that session state carries over.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Decision, Policy } from '@writ/runtime';
import { UserError } from '../errors.js';

export interface Scenario {
  name: string;
  /** Request file, relative to the scenarios file. */
  request: string;
  expect: Decision['effect'];
  denial?: Decision['denial'];
  /** An obligation type the decision must carry, e.g. `redact`. */
  obligation?: string;
}

export interface ScenarioResult {
  scenario: Scenario;
  requestText: string;
  decision: Decision;
  /** Empty when the decision matches the expectation. */
  problems: string[];
}

export function readScenarios(dir: string): Scenario[] {
  const file = path.join(dir, 'scenarios.json');
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new UserError(`${file}: ${(e as Error).message}`);
  }
  if (!Array.isArray(json)) throw new UserError(`${file}: expected a JSON array of scenarios`);
  return json as Scenario[];
}

/** Decides every scenario in order against `policy` (one state store for all). */
export function runScenarios(dir: string, policy: Policy, scenarios: Scenario[], now = Date.now()): ScenarioResult[] {
  return scenarios.map((scenario, i) => {
    const requestText = readFileSync(path.join(dir, scenario.request), 'utf8');
    const decision = policy.decideJson(requestText, { now: now + i * 1000 });
    const problems: string[] = [];
    if (decision.effect !== scenario.expect) problems.push(`expected ${scenario.expect}, got ${decision.effect}`);
    if (scenario.denial && decision.denial !== scenario.denial) problems.push(`expected denial ${scenario.denial}, got ${decision.denial ?? 'none'}`);
    if (scenario.obligation && !decision.obligations.some((o) => o.type === scenario.obligation)) problems.push(`expected a ${scenario.obligation} obligation`);
    return { scenario, requestText, decision, problems };
  });
}
