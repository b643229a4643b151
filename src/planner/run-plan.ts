/**
 * A plan, run: the workload on its strategy or on all four (compare), on the fast engine or the
 * exact one (the full model), and the advice re-run on the same engine, so before and after
 * compare. `portspace plan` and the page's plan view both ask this and render the result.
 */
import { type Advice, advise } from './advice.js';
import { runExact } from './exact-engine.js';
import { runFast } from './fast-engine.js';
import { type PlanConfig, STRATEGIES, type StrategyResult } from './plan-types.js';

export type PlanEngine = 'fast' | 'exact';

export interface PlanRun {
  /** One result per strategy run, in the order of planStrategies. */
  readonly results: readonly StrategyResult[];
  /** The result of the workload's own strategy. */
  readonly main: StrategyResult;
  readonly advice: readonly Advice[];
}

/** What a strategy run reports as it goes (a progress bar), and when it is over. */
export interface RunWatch {
  update(done: number): void;
  stop(): void;
}

/** The configs a plan runs: its own strategy, or each of the four with `compare`. */
export function planStrategies(cfg: PlanConfig, compare: boolean): PlanConfig[] {
  return compare ? STRATEGIES.map((strategy) => ({ ...cfg, strategy })) : [cfg];
}

export function runPlan(
  cfg: PlanConfig,
  o: {
    readonly compare: boolean;
    readonly engine: PlanEngine;
    /** The exact engine's namespace seed. */
    readonly seed: number;
    /** Called before each strategy runs (index k of planStrategies). */
    readonly watch?: (p: PlanConfig, k: number) => RunWatch;
  },
): PlanRun {
  const run = (p: PlanConfig, onProgress?: (done: number) => void) => {
    const opts = onProgress === undefined ? {} : { onProgress };
    return o.engine === 'fast' ? runFast(p, opts) : runExact(p, { seed: o.seed, ...opts });
  };
  const results: StrategyResult[] = [];
  for (const [k, p] of planStrategies(cfg, o.compare).entries()) {
    const w = o.watch?.(p, k);
    results.push(run(p, w === undefined ? undefined : (done) => w.update(done)));
    w?.stop();
  }
  const main = results.find((r) => r.name === cfg.strategy) ?? results[0];
  if (!main) throw new Error('plan: no result');
  return { results, main, advice: advise(cfg, main, { name: o.engine, run: (c) => run(c) }) };
}
