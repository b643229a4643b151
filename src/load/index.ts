/** portspace load: many connections to one destination, per strategy, in a private namespace. */

export { MAX_SOURCES, parseDestination, parsePortRange, parseSources } from './addresses.js';
export { loadAvailability } from './availability.js';
export { DEFAULT_PER_WORKER, MAX_PER_WORKER, workerPlan } from './plan.js';
export { type Prediction, predict } from './prediction.js';
export { endpoint, type LoadReport, type StrategyReport, strategyOk } from './report.js';
export { type LoadHooks, runLoad } from './run-load.js';
export type { Progress } from './run-strategy.js';
export { type LoadOptions, STRATEGIES, type Strategy } from './types.js';
