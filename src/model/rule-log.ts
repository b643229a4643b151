/**
 * The spec rules that decided the current call, on success as on failure (Netns.lastCallRules).
 * One log per namespace, cleared by the facade at the start of each call and reused, so recording
 * allocates nothing. connect()'s autoselection defers the rules its window holds (R2, R12, R14,
 * R62): working them out costs a scan of the window, which only a reader of the log should pay,
 * never connect()'s hot path.
 */
import type { RuleId } from './result.js';

/** Rules a search records only when someone reads the log; `taken` is the port it took, or -1. */
export interface DeferredRules {
  recordRules(log: RuleLog, taken: number): void;
}

export class RuleLog {
  /** The rules of the call, in ids[0..n); entries past n are stale (kept: no reallocation per call). */
  private readonly ids: RuleId[] = [];
  private n = 0;
  private deferred: DeferredRules | null = null;
  private deferredPort = -1;

  clear(): void {
    this.n = 0;
    this.deferred = null;
  }

  /** Records a rule once per call. */
  add(rule: RuleId): void {
    const ids = this.ids;
    for (let k = 0; k < this.n; k++) if (ids[k] === rule) return;
    ids[this.n++] = rule;
  }

  /**
   * Records the rules of `d` when the log is read. Sound because the facade clears the log at the
   * next call, before anything the search reads can change.
   */
  defer(d: DeferredRules, taken: number): void {
    this.deferred = d;
    this.deferredPort = taken;
  }

  /** The rules of the call, in the order they were met (the array is reused by the next call). */
  list(): readonly RuleId[] {
    const d = this.deferred;
    if (d) {
      this.deferred = null;
      d.recordRules(this, this.deferredPort);
    }
    this.ids.length = this.n;
    return this.ids;
  }
}
