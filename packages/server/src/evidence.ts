/**
 * Certifying decisions: each decision's DecisionCertificate is appended to a Writ log (group-committed, so
 * concurrent requests share fsyncs) and a Checkpointer signs checkpoints in the background.
 *
 * The approval record a decision used (with every approver's identity) is part of its certificate, so the
 * approvers recorded through `POST /v1/approvals/{id}` end up in the log with the allowed call.
 *
 * @packageDocumentation
 */
import { certifyDecision, Checkpointer, utf8 } from '@writ/verifier';
import type { FileLog, NoteSignerKey } from '@writ/verifier';
import type { Decision } from '@writ/runtime';

/** Records decisions; resolves with the log index once the certificate is durable. */
export interface DecisionRecorder {
  record(request: unknown, rawText: string | undefined, decision: Decision, time: number): Promise<number>;
  close(): Promise<void>;
}

/** A {@link DecisionRecorder} on an open {@link FileLog}; closes the log when closed. */
export class LogRecorder implements DecisionRecorder {
  readonly #log: FileLog;
  readonly #checkpointer: Checkpointer;

  /**
   * @param log - an open log (see the CLI's `openLogForAppend`, which also checks the key signs this log).
   * @param key - the log's signer key.
   * @param options - checkpoint cadence (defaults: every 1000 entries or every second if the log grew).
   */
  constructor(log: FileLog, key: NoteSignerKey, options: { everyEntries?: number; everyMs?: number; onError?: (e: Error) => void } = {}) {
    this.#log = log;
    this.#checkpointer = new Checkpointer(log, key, options);
  }

  async record(request: unknown, rawText: string | undefined, decision: Decision, time: number): Promise<number> {
    let bytes: Uint8Array;
    try {
      bytes = certifyDecision(request, decision, { time }).bytes;
    } catch (e) {
      // A body JSON.parse accepted but that has no RFC 8785 form (e.g. a lone surrogate): certify its bytes.
      if (rawText === undefined) throw e;
      bytes = certifyDecision(utf8(rawText), decision, { time }).bytes;
    }
    return (await this.#log.append(bytes)).index;
  }

  /** Signs a final checkpoint covering every entry, then closes the log. */
  async close(): Promise<void> {
    try {
      if (this.#log.size > 0) await this.#checkpointer.flush();
    } finally {
      await this.#checkpointer.close();
      await this.#log.close();
    }
  }
}
