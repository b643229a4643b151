/** portspace's planner: capacity and churn plans on the model, on virtual time (pure). */
export { type ExactOptions, runExact } from './exact-engine.js';
export { HEADLINE_PLAN } from './example.js';
export { type EngineOptions, runFast } from './fast-engine.js';
export * from './plan-types.js';
