/**
 * Random differential testing: N random scripts (random-scripts.ts) each run on a fresh model and
 * a fresh kernel namespace (diffScript), bounded by count and by wall-clock time. Scripts run a
 * few at a time: each has its own helper process and namespace, and most of a script's time is
 * spent in sleeps, not on a CPU. On a divergence fast-check shrinks the script (replaying its
 * path with the same seed), the seed is printed, and the shrunk script is written to a fresh
 * temporary folder (`<tmp>/portspace-regression-XXXX/<date>-<seed>.pst`) with a header naming the
 * divergence. A run never writes into the working tree: adding a regression to
 * `test/scripts/regressions/` is a deliberate act (copy the printed file there).
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import type { DiffTotals } from '../run/diff-files.js';
import {
  type DiffOptions,
  type DiffReport,
  type Divergence,
  diffScript,
  formatDivergence,
} from '../run/differential.js';
import { sortRules, TCP_RULES } from '../run/spec-rules.js';
import type { Script } from '../script/ast.js';
import { planArb, planToScript, planToText } from './random-scripts.js';

export interface RandomDiffOptions extends Omit<DiffOptions, 'budgetMs'> {
  /** Number of scripts (upper bound). */
  readonly count: number;
  /** fast-check seed; default: the date, YYYYMMDD (so coverage grows day by day). */
  readonly seed?: number;
  /** Wall-clock budget for running the scripts (shrinking has its own). Default 240 000 ms. */
  readonly budgetMs?: number;
  /** Scripts in flight at once. Default 8. */
  readonly concurrency?: number;
  /** Stop at the first divergence (after shrinking it). Default true. */
  readonly stopAtFirst?: boolean;
  /** Shrink the first divergence. Default true. */
  readonly shrink?: boolean;
  /** Wall-clock budget for shrinking. Default 60 000 ms. */
  readonly shrinkBudgetMs?: number;
  /**
   * Where to write the shrunk script; null: don't write. Default: a new folder under the system's
   * temporary directory (never the working tree; the path is logged and returned as `file`).
   */
  readonly regressionsDir?: string | null;
  /** Progress and the seed go here. Default: nothing. */
  readonly log?: (line: string) => void;
  /** The kernel that judged (`Linux <uname -r> <uname -v>`), named in the regression's header. */
  readonly judgedBy?: string;
}

export interface RandomDiffSummary extends DiffTotals {
  readonly seed: number;
  readonly firstDivergence: {
    readonly index: number;
    readonly divergence: Divergence;
    /** The shrunk script's divergence and text (null when shrinking was off or lost it). */
    readonly shrunk: { readonly divergence: Divergence; readonly text: string } | null;
    readonly file: string | null;
    readonly text: string;
    readonly report: string;
  } | null;
  readonly firstError: string | null;
  readonly ms: number;
  readonly scriptsPerSecond: number;
  /** true when the wall-clock budget stopped the run before `count` scripts. */
  readonly budgetExhausted: boolean;
}

/** YYYYMMDD of today (UTC), the default seed. */
export function dateSeed(d = new Date()): number {
  return d.getUTCFullYear() * 10000 + (d.getUTCMonth() + 1) * 100 + d.getUTCDate();
}

function fileName(seed: number, i: number): string {
  return `random-${seed}-${i}.pst`;
}

export async function randomDiff(opts: RandomDiffOptions): Promise<RandomDiffSummary> {
  const started = Date.now();
  const seed = opts.seed ?? dateSeed();
  const log = opts.log ?? (() => {});
  const budget = opts.budgetMs ?? 240_000;
  const concurrency = Math.max(1, opts.concurrency ?? 8);
  const stopAtFirst = opts.stopAtFirst ?? true;
  log(
    `random differential run: seed ${seed}, up to ${opts.count} scripts, ${budget} ms, ${concurrency} at a time`,
  );
  // fc.sample and fc.check with the same seed walk the same stream: run i has path `${i}`.
  const plans = fc.sample(planArb, { seed, numRuns: opts.count });
  const diffOpts: DiffOptions = {
    makeModel: opts.makeModel,
    makeKernel: opts.makeKernel,
    budgetMs: 30_000,
    ...(opts.invariants === undefined ? {} : { invariants: opts.invariants }),
  };
  const rules = new Set<string>();
  let next = 0;
  let done = 0;
  let calls = 0;
  let errors = 0;
  let firstError: string | null = null;
  let budgetExhausted = false;
  const divergent: { index: number; report: DiffReport }[] = [];
  const worker = async () => {
    for (;;) {
      if (stopAtFirst && divergent.length > 0) return;
      if (Date.now() - started > budget) {
        if (next < plans.length) budgetExhausted = true;
        return;
      }
      const i = next++;
      const plan = plans[i];
      if (plan === undefined) return;
      const script = planToScript(plan, fileName(seed, i));
      const r = await diffScript(script, diffOpts);
      done++;
      calls += r.calls;
      for (const rule of r.rulesCovered) rules.add(rule);
      if (r.divergence !== null) {
        divergent.push({ index: i, report: r });
        log(`script ${i} (seed ${seed}, path ${i}) diverged:\n${formatDivergence(r.divergence)}`);
      } else if (r.error !== null) {
        errors++;
        firstError ??= `script ${i}: ${r.error}`;
        log(`script ${i}: harness error: ${r.error}`);
      }
      if (done % 250 === 0)
        log(`  ${done} scripts, ${calls} calls, ${((Date.now() - started) / 1000).toFixed(1)} s`);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const ms = Date.now() - started;
  divergent.sort((a, b) => a.index - b.index);
  const first = divergent[0];
  let firstDivergence: RandomDiffSummary['firstDivergence'] = null;
  if (first?.report.divergence) {
    const d = first.report.divergence;
    const plan = plans[first.index];
    const text = plan === undefined ? '' : planToText(plan, `random script ${first.index} of seed ${seed}`);
    let shrunk: { divergence: Divergence; text: string } | null = null;
    if (opts.shrink ?? true)
      shrunk = await shrinkDivergence(seed, first.index, diffOpts, opts.shrinkBudgetMs ?? 60_000, log);
    let file: string | null = null;
    const dir =
      opts.regressionsDir === undefined
        ? await mkdtemp(join(tmpdir(), 'portspace-regression-'))
        : opts.regressionsDir;
    if (dir !== null) {
      const best = shrunk ?? { divergence: d, text };
      await mkdir(dir, { recursive: true });
      file = join(dir, `${dateSeed()}-${seed}.pst`);
      // Never overwrite an earlier regression of the same day and seed.
      for (let n = 2; existsSync(file); n++) file = join(dir, `${dateSeed()}-${seed}-${n}.pst`);
      await writeFile(file, regressionText(best.text, best.divergence, seed, first.index, opts.judgedBy));
      log(`wrote ${file} (to keep it as a regression: cp ${file} test/scripts/regressions/)`);
    }
    firstDivergence = {
      index: first.index,
      divergence: d,
      shrunk,
      file,
      text,
      report: formatDivergence(shrunk?.divergence ?? d),
    };
  }
  const covered = sortRules(rules);
  return {
    seed,
    scripts: done,
    calls,
    divergences: divergent.length,
    errors,
    rulesCovered: covered,
    rulesMissing: TCP_RULES.filter((r) => !rules.has(r)),
    firstDivergence,
    firstError,
    ms,
    scriptsPerSecond: done / Math.max(ms / 1000, 0.001),
    budgetExhausted,
  };
}

/** The regression file: a header naming the divergence (its rule tags, if any, from the model). */
function regressionText(
  text: string,
  d: Divergence,
  seed: number,
  index: number,
  judgedBy: string | undefined,
): string {
  const rule = d.explanation.rule === null ? '' : ` (${d.explanation.rule})`;
  const header = [
    `# Regression found by the random differential run: seed ${seed}, script ${index}, shrunk.`,
    ...(judgedBy === undefined ? [] : [`# Judged by ${judgedBy}.`]),
    `# Divergence at ${d.call}: ${d.message}${rule}.`,
    `# kernel ${JSON.stringify(d.kernel)}; model ${d.model === null ? 'could not follow' : JSON.stringify(d.model)}.`,
    '',
  ];
  const body = text.split('\n').filter((l, i) => !(i < 3 && (l.startsWith('#') || l === '')));
  return `${header.join('\n')}\n${body.join('\n')}`;
}

/**
 * Replays run `index` of `seed` under fast-check and lets it shrink: the property is "no
 * divergence". Returns the smallest diverging script found within the budget.
 */
export async function shrinkDivergence(
  seed: number,
  index: number,
  diffOpts: DiffOptions,
  budgetMs: number,
  log: (line: string) => void,
): Promise<{ divergence: Divergence; text: string } | null> {
  let best: { divergence: Divergence; text: string; steps: number } | null = null;
  const t0 = Date.now();
  let tries = 0;
  const prop = fc.asyncProperty(planArb, async (plan) => {
    tries++;
    const script: Script = planToScript(plan, 'shrinking.pst');
    const r = await diffScript(script, diffOpts);
    if (r.divergence === null) return true;
    const text = planToText(plan, 'shrunk random script');
    const steps = text.split('\n').length;
    if (best === null || steps <= best.steps) best = { divergence: r.divergence, text, steps };
    return false;
  });
  await fc.check(prop, {
    seed,
    path: String(index),
    numRuns: 1,
    interruptAfterTimeLimit: budgetMs,
    markInterruptAsFailure: false,
  });
  const b = best as { divergence: Divergence; text: string; steps: number } | null;
  log(
    `shrinking: ${tries} runs in ${Date.now() - t0} ms${b ? `, ${b.steps} lines left` : ', the divergence did not reproduce'}`,
  );
  return b === null ? null : { divergence: b.divergence, text: b.text };
}
