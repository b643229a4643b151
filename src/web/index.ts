/** web: a local page that shows the port space (model, doctor, planner and explain data). */
export { type ExhaustionJson, type LiveJson, LiveSource } from './live.js';
export { type PlanViewJson, planView } from './plan-view.js';
export {
  MAX_STEPS,
  type ScriptJson,
  type ScriptStepJson,
  ScriptTooLongError,
  type SteppedScript,
  stepScript,
} from './script-steps.js';
export {
  listenHost,
  MAX_HEADER_BYTES,
  MAX_URL,
  startWebServer,
  WebError,
  type WebOptions,
  type WebServer,
  type WebSources,
} from './server.js';
export { type HolderJson, type SpaceJson, spaceFromAggregate, spaceFromModel } from './space.js';
