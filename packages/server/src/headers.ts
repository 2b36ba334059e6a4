/** Response headers of the service. */

/** Names the digest of the policy that served the response; on every response. */
export const DIGEST_HEADER = 'writ-policy-digest';
/** The log index of a certified decision's certificate (with `--log`). */
export const LOG_INDEX_HEADER = 'writ-log-index';
