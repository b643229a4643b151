/**
 * Runs one script on one Backend: steps in order, repeat loops expanded (bounded by their round
 * count and by a wall-clock budget), every expectation checked. A failed expectation is data in
 * the report, never an exception. The runner closes nothing: the caller owns the backend.
 *
 * Socket names: the backend sees unique names. A name created at top level keeps its script name
 * the first time (`c1`); every later creation of the same name, and every creation inside a
 * repeat body, gets a suffix (`c#17`), so names never collide within a run.
 */

import type { Call, Outcome } from '../calls/index.js';
import type { Expect, PortExpect, Pos, RepeatStep, Script, Step } from '../script/ast.js';
import { printCallStatement, printExpect, printRepeatEnd } from '../script/print.js';
import type { Backend } from './backend.js';
import { type Check, matchExpect, portMatches, printOutcome } from './match.js';

export { formatReport } from './report.js';

export interface CallContext {
  readonly backend: Backend;
  readonly file: string;
  readonly pos: Pos;
  readonly expect: Expect;
  /** The call as written in the script (script socket names), before renaming. */
  readonly scriptCall: Call;
  /** 1-based round of the innermost enclosing repeat, or null outside loops. */
  readonly round: number | null;
}

/** Executes one call. The default is `ctx.backend.exec(call)`; a differential runner wraps it. */
export type ExecCall = (call: Call, ctx: CallContext) => Promise<Outcome>;

export interface CallEvent {
  readonly call: Call;
  readonly outcome: Outcome;
  readonly check: Check;
  readonly ctx: CallContext;
}

export interface RunOptions {
  readonly execCall?: ExecCall;
  /** Observes every executed call (awaited), after its expectation was checked. */
  readonly onCall?: (ev: CallEvent) => void | Promise<void>;
  /** Wall-clock limit of one repeat loop, checked before each round. Default 120 000 ms. */
  readonly loopBudgetMs?: number;
  /** Failing body calls recorded per loop (the rest are only counted). Default 20. */
  readonly maxLoopRecords?: number;
  /** Clock, for tests. Default Date.now. */
  readonly now?: () => number;
  /**
   * Called before each round of a repeat, so a caller can show progress (a loop may run up to
   * the budget with nothing else to show). Keep it cheap: it runs once per round.
   */
  readonly onRound?: (r: RoundEvent) => void;
}

export interface RoundEvent {
  readonly file: string;
  readonly pos: Pos;
  /** 1-based round about to run, and the repeat's count. */
  readonly round: number;
  readonly max: number;
  readonly elapsedMs: number;
  readonly budgetMs: number;
}

/** What every step of a run records: where it stands, what ran, what came, what was expected. */
interface StepRecordBase {
  readonly pos: Pos;
  /** A call: as executed (backend socket names), e.g. `connect(c#3, 127.0.0.1:5000)`; a repeat: `repeat 5000 {...}`. */
  readonly call: string;
  /**
   * A call: null when the backend threw (the run was aborted). A repeat: the failure that ended
   * the loop, or null if it ran out of rounds (or budget).
   */
  readonly outcome: Outcome | null;
  /** A call: as written after `=`; a repeat: `expect 2000 then EADDRNOTAVAIL`; '' for none. */
  readonly expected: string;
  readonly pass: boolean;
  readonly message: string;
}

export interface CallRecord extends StepRecordBase {
  readonly kind: 'call';
  readonly round: number | null;
}

export interface RepeatRecord extends StepRecordBase {
  readonly kind: 'repeat';
  /** Complete rounds. */
  readonly rounds: number;
  readonly stoppedBy: 'error' | 'max' | 'budget' | 'abort';
}

export type StepRecord = CallRecord | RepeatRecord;

export interface RunReport {
  readonly file: string;
  readonly backend: Backend['name'];
  readonly rules: readonly string[];
  readonly records: readonly StepRecord[];
  readonly passed: number;
  readonly failed: number;
  /** Calls executed (loop bodies count every round). */
  readonly calls: number;
  /** Expectations checked (calls with one, plus loops with one). */
  readonly checked: number;
  /** Set when the backend or a hook threw: the run stopped there. */
  readonly aborted: string | null;
  readonly ok: boolean;
  readonly ms: number;
}

/** Script socket name -> backend socket name, per nesting level. */
class Names {
  readonly map = new Map<string, string>();
  constructor(
    readonly parent: Names | null,
    readonly counters: Map<string, number>,
  ) {}

  resolve(name: string): string {
    for (let n: Names | null = this; n !== null; n = n.parent) {
      const v = n.map.get(name);
      if (v !== undefined) return v;
    }
    return name;
  }

  fresh(name: string): string {
    const k = (this.counters.get(name) ?? 0) + 1;
    this.counters.set(name, k);
    const unique = k === 1 && this.parent === null ? name : `${name}#${k}`;
    this.map.set(name, unique);
    return unique;
  }
}

/** Socket names in a deliver expectation, as the backend knows them. */
function renameExpect(expect: Expect, names: Names): Expect {
  if (expect.kind === 'member') return { kind: 'member', name: names.resolve(expect.name) };
  if (expect.kind === 'members') return { kind: 'members', names: expect.names.map((n) => names.resolve(n)) };
  return expect;
}

function rename(call: Call, names: Names): Call {
  switch (call.op) {
    case 'socket':
      return { ...call, name: names.fresh(call.name) };
    case 'accept': {
      const sock = names.resolve(call.sock);
      return { ...call, sock, name: names.fresh(call.name) };
    }
    case 'setsockopt':
    case 'getsockopt':
    case 'bind':
    case 'listen':
    case 'connect':
    case 'close':
    case 'getsockname':
    case 'sendto':
    case 'disconnect':
      return { ...call, sock: names.resolve(call.sock) };
    default:
      return call;
  }
}

class Abort extends Error {}

/** Per-loop state while a body runs. */
interface Loop {
  round: number;
  recorded: number;
  suppressed: number;
  failure: { call: Call; outcome: Outcome } | null;
}

export async function runScript(script: Script, backend: Backend, opts: RunOptions = {}): Promise<RunReport> {
  const now = opts.now ?? Date.now;
  const exec: ExecCall = opts.execCall ?? ((call, ctx) => ctx.backend.exec(call));
  const budget = opts.loopBudgetMs ?? 120_000;
  const maxLoopRecords = opts.maxLoopRecords ?? 20;
  const records: StepRecord[] = [];
  const started = now();
  let calls = 0;
  let checked = 0;
  let aborted: string | null = null;

  const runCall = async (step: Step & { kind: 'call' }, names: Names, loop: Loop | null): Promise<void> => {
    const call = rename(step.call, names);
    const expect = renameExpect(step.expect, names);
    const ctx: CallContext = {
      backend,
      file: script.file,
      pos: step.pos,
      expect,
      scriptCall: step.call,
      round: loop?.round ?? null,
    };
    const record = (outcome: Outcome | null, check: Check): CallRecord => ({
      kind: 'call',
      pos: step.pos,
      call: printCallStatement(call, { kind: 'none' }),
      outcome,
      expected: printExpect(step.expect),
      pass: check.pass,
      message: check.message,
      round: loop?.round ?? null,
    });
    let outcome: Outcome;
    try {
      outcome = await exec(call, ctx);
    } catch (e) {
      aborted = `${script.file}:${step.pos.line}:${step.pos.col}: ${printCallStatement(call, { kind: 'none' })} threw: ${e instanceof Error ? e.message : String(e)}`;
      records.push(record(null, { pass: false, message: aborted }));
      throw new Abort(aborted);
    }
    calls++;
    // Inside a loop the first failure ends the loop; the repeat's `then ERRNO` judges it, so a
    // body expectation (say, a port range) is not held against the round that ends the loop.
    const endsLoop = loop !== null && !outcome.ok;
    if (step.expect.kind !== 'none' && !endsLoop) checked++;
    const check: Check = endsLoop
      ? { pass: true, message: 'ends the loop (checked by its `then`)' }
      : matchExpect(call, expect, outcome);
    if (opts.onCall) {
      try {
        await opts.onCall({ call, outcome, check, ctx });
      } catch (e) {
        aborted = `onCall hook threw at ${script.file}:${step.pos.line}: ${e instanceof Error ? e.message : String(e)}`;
        throw new Abort(aborted);
      }
    }
    push(record(outcome, check), loop);
    if (loop !== null && !outcome.ok && loop.failure === null) loop.failure = { call, outcome };
  };

  /** Records a result; inside a loop body only failures are recorded, up to the cap. */
  const push = (rec: StepRecord, outer: Loop | null) => {
    if (outer === null) records.push(rec);
    else if (!rec.pass) {
      if (outer.recorded < maxLoopRecords) {
        outer.recorded++;
        records.push(rec);
      } else outer.suppressed++;
    }
  };

  const runRepeat = async (step: RepeatStep, parent: Names, outer: Loop | null): Promise<void> => {
    const loopStart = now();
    const loop: Loop = { round: 0, recorded: 0, suppressed: 0, failure: null };
    let stoppedBy: RepeatRecord['stoppedBy'] = 'max';
    let complete = 0;
    try {
      while (complete < step.max) {
        if (now() - loopStart > budget) {
          stoppedBy = 'budget';
          break;
        }
        loop.round = complete + 1;
        opts.onRound?.({
          file: script.file,
          pos: step.pos,
          round: loop.round,
          max: step.max,
          elapsedMs: now() - loopStart,
          budgetMs: budget,
        });
        const names = new Names(parent, parent.counters);
        await runSteps(step.body, names, loop);
        if (loop.failure !== null) {
          stoppedBy = 'error';
          break;
        }
        complete++;
      }
    } catch (e) {
      if (!(e instanceof Abort)) throw e;
      stoppedBy = 'abort';
      push(repeatRecord(step, complete, stoppedBy, loop, budget), outer);
      throw e;
    }
    if (step.expectCount !== null || step.thenErrno !== null) checked++;
    push(repeatRecord(step, complete, stoppedBy, loop, budget), outer);
  };

  const runSteps = async (steps: readonly Step[], names: Names, loop: Loop | null): Promise<void> => {
    for (const step of steps) {
      if (step.kind === 'call') {
        await runCall(step, names, loop);
        // The first failing call ends the round, and with it the loop.
        if (loop !== null && loop.failure !== null) return;
      } else {
        await runRepeat(step, names, loop);
      }
    }
  };

  try {
    await runSteps(script.steps, new Names(null, new Map()), null);
  } catch (e) {
    if (!(e instanceof Abort)) throw e;
  }
  const failed = records.filter((r) => !r.pass).length;
  return {
    file: script.file,
    backend: backend.name,
    rules: script.rules,
    records,
    passed: records.length - failed,
    failed,
    calls,
    checked,
    aborted,
    ok: failed === 0 && aborted === null,
    ms: now() - started,
  };
}

function countText(n: number): string {
  return `${n} complete round${n === 1 ? '' : 's'}`;
}

function repeatRecord(
  step: RepeatStep,
  rounds: number,
  stoppedBy: RepeatRecord['stoppedBy'],
  loop: Loop,
  budget: number,
): RepeatRecord {
  const f = loop.failure;
  let got = countText(rounds);
  if (stoppedBy === 'error' && f !== null) {
    got += `, then ${printCallStatement(f.call, { kind: 'none' })} = ${printOutcome(f.call, f.outcome)}`;
  } else if (stoppedBy === 'max') got += ' (all of them)';
  else if (stoppedBy === 'budget') got += `, then the wall-clock budget of ${budget} ms ran out`;
  else got += ', then the run was aborted';
  const countOk = (c: PortExpect | null) => c === null || portMatches(c, rounds);
  let pass: boolean;
  if (stoppedBy === 'budget' || stoppedBy === 'abort') pass = false;
  else if (step.thenErrno !== null) {
    pass =
      stoppedBy === 'error' &&
      f !== null &&
      !f.outcome.ok &&
      f.outcome.errno === step.thenErrno &&
      countOk(step.expectCount);
  } else if (step.expectCount !== null) pass = stoppedBy === 'max' && countOk(step.expectCount);
  else pass = true;
  const expected = printRepeatEnd(step.expectCount, step.thenErrno).replace(/^\} ?/, '');
  let message = pass ? got : `expected ${expected || 'the loop to finish'}; got ${got}`;
  if (loop.suppressed > 0) message += ` (${loop.suppressed} more failing body calls not listed)`;
  return {
    kind: 'repeat',
    pos: step.pos,
    call: `repeat ${step.max} {...}`,
    outcome: f?.outcome ?? null,
    expected,
    pass,
    message,
    rounds,
    stoppedBy,
  };
}
