/**
 * A script, step by step, for the page: every top-level call (and every top-level repeat loop)
 * becomes one step with its result, the model's search for the port (start offset, parity
 * passes, each run of ports passed over and why: the trace, grouped by src/explain) and the port
 * space right after it. The script runs once on the model (deterministic for its seed), like
 * `portspace explain`: calls inside loops run untraced, and the search that ended a loop is
 * re-walked on a twin that replays every call before it.
 */

import type { Call, Outcome } from '../calls/index.js';
import { type FailureJson, failureOf, groupTrace, runText, type SearchJson } from '../explain/index.js';
import type { Profile, Result, TraceEvent } from '../model/index.js';
import { ModelBackend } from '../run/model-backend.js';
import { runScript, type StepRecord } from '../run/runner.js';
import type { Script, Step } from '../script/ast.js';
import { type SpaceJson, spaceFromModel } from './space.js';

/** Top-level steps kept with their state; a longer script is refused with this number. */
export const MAX_STEPS = 2000;

export interface ScriptStepJson {
  readonly index: number;
  readonly line: number;
  readonly col: number;
  /** The call as executed, or `repeat N {...}`. */
  readonly call: string;
  /** The expectation as written, '' for none. */
  readonly expected: string;
  /** What happened, in the script's notation (`40000`, `-1 EADDRNOTAVAIL`, `3 rounds, then ...`). */
  readonly result: string;
  readonly pass: boolean;
  /** The search, with each run's sentence (`40000-40008 even: 5 ports held by ...`). */
  readonly search: (SearchJson & { readonly runTexts: readonly (readonly string[])[] }) | null;
  readonly failure: FailureJson | null;
  /** Where to look: the source address and destination the call was about. */
  readonly focus: { readonly source: string | null; readonly destination: string | null };
  /** The search that ended a loop was re-walked on a replaying twin. */
  readonly replayed: boolean;
}

export interface ScriptJson {
  readonly file: string;
  readonly rules: readonly string[];
  readonly ok: boolean;
  readonly aborted: string | null;
  readonly steps: readonly ScriptStepJson[];
}

export interface SteppedScript {
  readonly json: ScriptJson;
  /** The port space after each step, serialized once (steps may hold tens of thousands of sockets). */
  readonly spaces: readonly string[];
}

export class ScriptTooLongError extends Error {
  constructor(readonly steps: number) {
    super(`the script has ${steps} top-level steps; the page steps through at most ${MAX_STEPS}`);
  }
}

type Detail = Result<object> & { readonly trace?: readonly TraceEvent[] };

const SEARCH_OPS = new Set(['bind', 'listen', 'connect', 'sendto']);

function posKey(line: number, col: number): string {
  return `${line}:${col}`;
}

/** Every call position in the script -> the index of its top-level step. */
function topLevelIndex(steps: readonly Step[]): Map<string, number> {
  const out = new Map<string, number>();
  const visit = (s: Step, top: number) => {
    out.set(posKey(s.pos.line, s.pos.col), top);
    if (s.kind === 'repeat') for (const b of s.body) visit(b, top);
  };
  steps.forEach((s, i) => {
    visit(s, i);
  });
  return out;
}

function endpointOf(addr: string, port: number): string {
  return addr.includes(':') ? `[${addr}]:${port}` : `${addr}:${port}`;
}

function focusOf(call: Call | null, outcome: Outcome | null): ScriptStepJson['focus'] {
  const source = outcome?.ok && outcome.addr !== undefined ? outcome.addr : null;
  if (call !== null && (call.op === 'connect' || call.op === 'sendto'))
    return { source, destination: endpointOf(call.addr, call.port) };
  return { source, destination: null };
}

function resultText(record: StepRecord): string {
  if (record.kind === 'repeat') return record.message;
  const o = record.outcome;
  if (o === null) return 'not run (the run was aborted)';
  if (!o.ok) return `-1 ${o.errno}`;
  if (o.port !== undefined) return o.addr !== undefined ? endpointOf(o.addr, o.port) : String(o.port);
  return '0';
}

interface Unit {
  readonly top: number;
  lastCall: Call | null;
  lastOutcome: (Outcome & { detail?: Detail }) | null;
  /** The loop-ending search re-walked on a twin. */
  twin: Detail | null;
  space: string | null;
}

/** Runs the script on the model and records every top-level step with its search and state. */
export async function stepScript(script: Script, profile: Profile = 'linux-6.18'): Promise<SteppedScript> {
  if (script.steps.length > MAX_STEPS) throw new ScriptTooLongError(script.steps.length);
  const model = new ModelBackend({ profile });
  const tops = topLevelIndex(script.steps);
  const executed: Call[] = [];
  const units: Unit[] = [];
  const snapshot = () => {
    const read = (name: string) => {
      const r = model.ns.readSysctl(name);
      return r.ok ? r.value : null;
    };
    return JSON.stringify(spaceFromModel(model.ns.inspect(), read));
  };
  // A unit's state is taken when the next unit starts (for a loop: after its last round).
  const close = () => {
    const u = units[units.length - 1];
    if (u !== undefined && u.space === null) u.space = snapshot();
  };

  const report = await runScript(script, model, {
    execCall: async (call, ctx) => {
      const top = tops.get(posKey(ctx.pos.line, ctx.pos.col)) ?? -1;
      let unit = units[units.length - 1];
      if (unit === undefined || unit.top !== top) {
        close();
        unit = { top, lastCall: null, lastOutcome: null, twin: null, space: null };
        units.push(unit);
      }
      const traced = ctx.round === null;
      const o = model.execSync(call, traced ? { trace: true } : {});
      executed.push(call);
      unit.lastCall = call;
      unit.lastOutcome = o as Outcome & { detail?: Detail };
      if (!traced && !o.ok && SEARCH_OPS.has(call.op)) {
        const twin = new ModelBackend({ profile });
        for (const c of executed.slice(0, -1)) twin.execSync(c);
        const again = twin.execSync(call, { trace: true });
        if (!again.ok && again.errno === o.errno && again.detail) unit.twin = again.detail as Detail;
      }
      return o;
    },
  });
  close();

  // Top-level records, by the position of their step.
  const records = new Map<string, StepRecord>();
  for (const r of report.records)
    if (r.kind === 'repeat' || r.round === null) records.set(posKey(r.pos.line, r.pos.col), r);

  const steps: ScriptStepJson[] = [];
  const spaces: string[] = [];
  for (const u of units) {
    const step = script.steps[u.top];
    if (step === undefined) continue;
    const record = records.get(posKey(step.pos.line, step.pos.col));
    if (record === undefined) continue;
    const detail = u.twin ?? u.lastOutcome?.detail;
    const trace = step.kind === 'call' || u.twin !== null ? detail?.trace : undefined;
    const search = trace !== undefined && trace.length > 0 ? groupTrace(trace) : null;
    steps.push({
      index: steps.length,
      line: step.pos.line,
      col: step.pos.col,
      call: record.call,
      expected: record.expected,
      result: resultText(record),
      pass: record.pass,
      search:
        search === null
          ? null
          : {
              ...search,
              runTexts: search.phases.flatMap((ph) => ph.passes.map((p) => p.skipped.map(runText))),
            },
      failure: failureOf(detail),
      focus: focusOf(u.lastCall, u.lastOutcome),
      replayed: u.twin !== null,
    });
    spaces.push(u.space ?? snapshot());
  }
  return {
    json: { file: report.file, rules: report.rules, ok: report.ok, aborted: report.aborted, steps },
    spaces,
  };
}

export type { SpaceJson };
