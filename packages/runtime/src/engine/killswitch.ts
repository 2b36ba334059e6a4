/**
 * Runtime kill-switch overrides. See SEMANTICS.md §5a.
 *
 * @packageDocumentation
 */
import type { Reason } from '../decision/types.js';
import type { ToolPlan } from './plan.js';
import { RULE_KILL_SWITCH, makeReason } from './reasons.js';

/** One runtime override as {@link KillSwitch.list} reports it. */
export interface Override {
  /** A tool name, or `*` for the global switch. */
  tool: string;
  disabled: boolean;
  reason?: string;
}

const ENABLED = null;

/**
 * Precedence: a global `disable('*')` disables every tool; otherwise a per-tool runtime override (disable or
 * enable) wins; otherwise the artifact's `disabled`.
 */
export class KillSwitch {
  private all: Reason | null = null;
  private allText = '';
  private readonly tools = new Map<string, { reason: Reason; text: string } | typeof ENABLED>();

  /** The kill-switch reason for a call to this tool, or null if it is enabled. */
  check(tool: ToolPlan): Reason | null {
    if (this.all !== null) return this.all;
    if (this.tools.size === 0) return tool.disabled;
    const o = this.tools.get(tool.name);
    if (o === undefined) return tool.disabled;
    return o === ENABLED ? null : o.reason;
  }

  disable(tool: string, reason: string): void {
    if (tool === '*') {
      this.all = makeReason(RULE_KILL_SWITCH, 'disabled', `all tools are disabled: ${reason}`);
      this.allText = reason;
    } else {
      this.tools.set(tool, { reason: makeReason(RULE_KILL_SWITCH, 'disabled', `tool '${tool}' is disabled: ${reason}`), text: reason });
    }
  }

  /** `enable('*')` clears the global switch and every per-tool runtime disable; `enable(tool)` enables one tool, even one the artifact disables. */
  enable(tool: string): void {
    if (tool === '*') {
      this.all = null;
      this.allText = '';
      for (const [name, o] of this.tools) if (o !== ENABLED) this.tools.delete(name);
    } else {
      this.tools.set(tool, ENABLED);
    }
  }

  list(): Override[] {
    const out: Override[] = [];
    if (this.all !== null) out.push({ tool: '*', disabled: true, reason: this.allText });
    for (const [tool, o] of [...this.tools].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      out.push(o === ENABLED ? { tool, disabled: false } : { tool, disabled: true, reason: o.text });
    }
    return out;
  }
}
