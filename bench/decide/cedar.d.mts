// Types of cedar.mjs, for TypeScript importers (tests/bench-generator.test.ts).
import type { CedarRequest } from './generate.mjs';

export const cedar: typeof import('@cedar-policy/cedar-wasm/nodejs');
export function cedarVersion(): string;
export function preparse(setId: string, policies: Record<string, string>): number;
export type StatefulCall = CedarRequest & { preparsedPolicySetId: string };
export function statefulCalls(setId: string, cedarRequests: CedarRequest[]): StatefulCall[];
export function cedarDecide(call: StatefulCall): 'allow' | 'deny';
