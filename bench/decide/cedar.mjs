// Thin wrapper over @cedar-policy/cedar-wasm (Node build): preparse a policy set once, then decide requests
// with statefulIsAuthorized against the cached set.
import * as cedar from '@cedar-policy/cedar-wasm/nodejs';

export { cedar };

/** The cedar-wasm package version, as reported by the library. */
export function cedarVersion() {
  return typeof cedar.getCedarVersion === 'function' ? cedar.getCedarVersion() : 'unknown';
}

/**
 * Preparses `policies` ({ [id]: cedarText }) under `setId`. Throws with Cedar's messages on failure.
 * Returns the preparse time in ms.
 */
export function preparse(setId, policies) {
  const t0 = process.hrtime.bigint();
  const ans = cedar.preparsePolicySet(setId, { staticPolicies: policies });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (ans.type !== 'success') {
    const msgs = (ans.errors ?? []).slice(0, 5).map((e) => e.message).join('; ');
    throw new Error(`cedar preparsePolicySet failed: ${msgs}`);
  }
  return ms;
}

/** Builds the statefulIsAuthorized call objects once, so that the timed loop only calls Cedar. */
export function statefulCalls(setId, cedarRequests) {
  return cedarRequests.map((r) => ({ ...r, preparsedPolicySetId: setId }));
}

/**
 * Decides one prepared call. Returns 'allow' | 'deny'; throws if Cedar reports a failure or if any policy
 * errored during evaluation (which would make a comparison with Writ meaningless).
 */
export function cedarDecide(call) {
  const ans = cedar.statefulIsAuthorized(call);
  if (ans.type !== 'success') {
    const msgs = (ans.errors ?? []).slice(0, 5).map((e) => e.message).join('; ');
    throw new Error(`cedar statefulIsAuthorized failed: ${msgs}`);
  }
  const errs = ans.response.diagnostics.errors;
  if (errs.length > 0) {
    throw new Error(`cedar policy evaluation errors: ${errs.slice(0, 3).map((e) => `${e.policyId}: ${e.error.message}`).join('; ')}`);
  }
  return ans.response.decision;
}
