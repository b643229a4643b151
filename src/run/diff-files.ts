/**
 * `portspace diff FILE...` as a use case: each script through the differential runner, one after
 * another, and the totals over all of them (calls, agreements, divergences, failed expectations,
 * harness errors, the rules covered and the TCP rules no script hit). The CLI renders.
 */
import type { Script } from '../script/ast.js';
import { type DiffOptions, type DiffReport, type Divergence, diffScript } from './differential.js';
import { sortRules, TCP_RULES } from './spec-rules.js';

/** What every diff of several scripts counts (files here, random scripts in fuzz/random-diff.ts). */
export interface DiffTotals {
  readonly scripts: number;
  readonly calls: number;
  readonly divergences: number;
  /** Scripts stopped by a harness error (helper died, ...): not divergences, but not passes. */
  readonly errors: number;
  /** Sorted by rule number. */
  readonly rulesCovered: readonly string[];
  /** TCP rules of the spec (spec-rules.ts TCP_RULES) that no script hit. */
  readonly rulesMissing: readonly string[];
}

export interface DiffFilesSummary extends DiffTotals {
  readonly agreements: number;
  /** Expectations written in the scripts that the kernel or the model did not meet. */
  readonly failures: number;
  readonly firstDivergence: Divergence | null;
  readonly reports: readonly DiffReport[];
}

/** Failed expectations of one script, on either side. */
export function failedExpectations(r: DiffReport): number {
  return r.failures.kernel.length + r.failures.model.length;
}

/** Diffs the scripts in order; `onScript` hears of each before it starts and when it is done. */
export async function diffFiles(
  scripts: readonly Script[],
  options: DiffOptions,
  onScript: {
    readonly starting?: (script: Script, index: number) => void;
    readonly done?: (report: DiffReport, index: number) => void;
  } = {},
): Promise<DiffFilesSummary> {
  const rules = new Set<string>();
  const reports: DiffReport[] = [];
  let first: Divergence | null = null;
  let calls = 0;
  let agreements = 0;
  let divergences = 0;
  let failures = 0;
  let errors = 0;
  for (const script of scripts) {
    onScript.starting?.(script, reports.length);
    const r = await diffScript(script, options);
    reports.push(r);
    calls += r.calls;
    agreements += r.agreements;
    divergences += r.divergences;
    if (r.error !== null) errors++;
    failures += failedExpectations(r);
    for (const x of r.rulesCovered) rules.add(x);
    first ??= r.divergence;
    onScript.done?.(r, reports.length);
  }
  return {
    scripts: scripts.length,
    calls,
    agreements,
    divergences,
    failures,
    errors,
    rulesCovered: sortRules(rules),
    rulesMissing: TCP_RULES.filter((r) => !rules.has(r)),
    firstDivergence: first,
    reports,
  };
}
