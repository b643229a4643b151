/**
 * portspace's public API: what `import ... from 'portspace'` offers. Everything a page or a
 * connector needs is reachable from here (or from the subpath exports `portspace/model`,
 * `portspace/script`, `portspace/planner`); deep imports into dist/ are not part of the API.
 *
 * - the model: `Netns` (one network namespace's local port allocation) and its types;
 * - scripts: parse and print the .pst language;
 * - running a script on the model (`runScript` with a `ModelBackend`);
 * - the planner: capacity and churn plans on virtual time;
 * - /proc: read a snapshot, compute per-destination headroom (the doctor's report), load it into
 *   a `Netns` (`netnsFromSnapshot`) to ask the model (`inspect()`, `headroom()`);
 * - explanations: a call's decision shaped as data;
 * - the tour: the article's claims as data (`articleClaims`, `runTour`).
 *
 * Test-generation code (src/fuzz/) is deliberately not exported: it needs fast-check.
 */

export type { Call, CallOp, ErrnoName, Outcome, SockOptName, SockOptValue } from './calls/index.js';
// /proc snapshots and headroom (the doctor).
export {
  type Aggregate,
  aggregate,
  buildReport,
  type ConnectPrediction,
  type DestinationRow,
  type DoctorReport,
  type Headroom,
  type HeadroomParams,
  type LoadedNetns,
  type LoadOptions,
  netnsFromSnapshot,
  paramsOf,
  type ReportOptions,
  toPrometheus,
  type Warning,
  type WarningCode,
  warningsFor,
} from './doctor/index.js';
export * from './explain/index.js';
export * from './model/index.js';
export * from './planner/index.js';
export {
  emptySnapshot,
  type PortSysctls,
  type Snapshot,
  type SnapshotTexts,
  snapshotFromTexts,
} from './procnet/index.js';
export { type ReadOptions, readProcSnapshot } from './procnet/reader.js';
// Running a script on the model.
export type { Backend } from './run/backend.js';
export { type ExecOptions, ModelBackend } from './run/model-backend.js';
export {
  type CallRecord,
  type ExecCall,
  formatReport,
  type RepeatRecord,
  type RunOptions,
  type RunReport,
  runScript,
  type StepRecord,
} from './run/runner.js';
export * from './script/index.js';
// The article's claims as data (the CLI renders them; a page can too).
export * from './tour/index.js';
