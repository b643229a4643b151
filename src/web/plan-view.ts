/**
 * The plan view's data: the workload run once on the planner's fast engine (proven equal to the
 * full model for even-sized ranges), one strategy or all four, with the advice the planner
 * computes (each tweak re-simulated). The page draws ports in use and TIME_WAIT over time from
 * the series, and tabulates the same numbers.
 */
import type { Advice } from '../planner/advice.js';
import type { PlanConfig, StrategyResult } from '../planner/index.js';
import { runPlan } from '../planner/run-plan.js';

export interface PlanViewJson {
  readonly plan: PlanConfig;
  readonly engine: 'fast';
  readonly strategies: readonly StrategyResult[];
  readonly advice: readonly Pick<Advice, 'id' | 'tweak' | 'helps' | 'text'>[];
}

export function planView(cfg: PlanConfig, compare: boolean): PlanViewJson {
  const { results, advice } = runPlan(cfg, { compare, engine: 'fast', seed: 1 });
  return {
    plan: cfg,
    engine: 'fast',
    strategies: results,
    advice: advice.map(({ id, tweak, helps, text }) => ({ id, tweak, helps, text })),
  };
}
