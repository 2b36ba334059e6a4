/**
 * Exit codes and the error type for user mistakes (printed as one line, never with a stack trace).
 */
import type { Diagnostic } from '@writ/compiler';

/** Documented in `writ --help`. */
export const EXIT = {
  /** Success (for `decide`: a decision was printed, whatever its effect). */
  ok: 0,
  /** The policy has errors (`check`, `compile`), or a check failed. */
  failed: 1,
  /** Usage error: unknown flag, missing argument, unreadable file. */
  usage: 2,
  /** The policy given to `decide` did not compile or the artifact was refused. */
  policy: 3,
  /** Internal error: a bug in Writ; please report it. */
  internal: 70,
} as const;

/** An error caused by the user's input; the CLI prints `writ: <message>` and exits with `exitCode`. */
export class UserError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT.usage,
  ) {
    super(message);
    this.name = 'UserError';
  }
}

/** Thrown when the policy has compile errors; carries them for rendering. */
export class PolicyCompileError extends UserError {
  constructor(
    readonly diagnostics: Diagnostic[],
    readonly root: string,
    /** Source text per span file name, for excerpts. */
    readonly texts: ReadonlyMap<string, string>,
  ) {
    super(`the policy has ${diagnostics.filter((d) => d.severity === 'error').length} error(s); run \`writ check\` for details`, EXIT.policy);
  }
}
