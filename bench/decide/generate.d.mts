// Types of generate.mjs, for TypeScript importers (tests/bench-generator.test.ts).
export type Cond =
  | { kind: 'role'; role: string }
  | { kind: 'num'; param: 'amount' | 'count'; op: '<' | '<=' | '>' | '>='; k: number }
  | { kind: 'eq'; param: 'region' | 'tier'; op: '==' | '!='; value: string }
  | { kind: 'in'; param: 'region' | 'tier'; values: string[]; negated: boolean }
  | { kind: 'prefix'; param: 'user'; prefix: string }
  | { kind: 'not'; arg: Cond }
  | { kind: 'and' | 'or'; args: Cond[] };

export interface GeneratedRule {
  index: number;
  effect: 'allow' | 'deny';
  tool: string;
  cond: Cond;
  because: string | undefined;
}

export interface GeneratedPolicy {
  name: string;
  rules: GeneratedRule[];
  ruledTools: string[];
  writText: string;
  /** Cedar policies by id (`rule<index>`). */
  cedar: Record<string, string>;
}

export interface BenchRequest {
  agent: { id: string; roles: string[] };
  tool: string;
  args: { amount: number; count: number; region: string; tier: string; user: string };
}

export interface CedarRequest {
  principal: { type: string; id: string };
  action: { type: string; id: string };
  resource: { type: string; id: string };
  context: Record<string, string | number>;
  entities: Array<{ uid: { type: string; id: string }; attrs: Record<string, never>; parents: Array<{ type: string; id: string }> }>;
}

export const TOOL_COUNT: number;
export const ROLES: string[];
export const REGIONS: string[];
export const TIERS: string[];
export const USER_PREFIXES: string[];
export const AMOUNT_MAX: number;
export const COUNT_MAX: number;
export const TOOL_PARAMS: string;
export function mulberry32(seed: number): () => number;
export function toolName(i: number): string;
export function condToWrit(c: Cond, top?: boolean): string;
export function condToCedar(c: Cond): string;
export function evalCond(c: Cond, req: BenchRequest): boolean;
export function generatePolicy(opts: { rules: number; singleTool?: boolean; seed?: number; ruledTools?: number }): GeneratedPolicy;
export function referenceDecide(policy: GeneratedPolicy, req: BenchRequest): 'allow' | 'deny';
export function generateRequests(policy: GeneratedPolicy, n: number, seed?: number): BenchRequest[];
export function generateTargetedRequests(policy: GeneratedPolicy, n: number, seed?: number): BenchRequest[];
export function selectBalanced(
  candidates: BenchRequest[],
  decideFn: (req: BenchRequest) => string,
  n: number,
): { requests: BenchRequest[]; allows: number; denies: number };
export function toCedarRequest(req: BenchRequest): CedarRequest;
