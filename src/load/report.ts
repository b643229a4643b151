/**
 * A load's report: each strategy's run set against the model's prediction and the kernel's own
 * count in /proc. Pure: the numbers in, the verdicts and the explanations out.
 */
import type { Prediction } from './prediction.js';
import type { ConnectError, LoadOptions, Strategy, StrategyRun, Tenth } from './types.js';

export interface ExplainedError extends ConnectError {
  /** The model's reason for this errno here (rule and text), or why it has none. */
  readonly explanation: string;
  /** The model met the same errno for this strategy. */
  readonly modelAgrees: boolean;
}

export interface StrategyReport {
  readonly strategy: Strategy;
  readonly target: number;
  /** Set when the run could not be made at all (then the numbers below are zero). */
  readonly error: string | null;
  readonly unavailable: string | null;
  readonly reached: number;
  readonly failed: number;
  readonly skipped: number;
  readonly predicted: Prediction;
  readonly proc: { readonly clientEstablished: number; readonly serverEstablished: number };
  /** reached equals the kernel's count of ESTABLISHED client ends (and of server ends). */
  readonly procAgrees: boolean;
  /** reached equals the model's prediction. */
  readonly modelAgrees: boolean;
  readonly firstError: ExplainedError | null;
  /** The slowest client worker's set-up (modules, createConnector), before the connect phase. */
  readonly setupSeconds: number;
  readonly connectSeconds: number;
  readonly perSecond: number;
  readonly tenths: readonly Tenth[];
  readonly memory: {
    readonly clientRssBefore: number;
    readonly clientRssAfter: number;
    /** (RSS after - before) over the connections reached, bytes; null with none. */
    readonly perConnection: number | null;
  };
  /** CPU time of the client workers over the connect phase (not the servers', not the kernel's softirq work). */
  readonly cpu: {
    readonly clientUserSeconds: number;
    readonly clientSystemSeconds: number;
    /** (user + system) over the connections reached, microseconds; null with none. */
    readonly perConnectionMicros: number | null;
  };
  readonly closeSeconds: number | null;
  readonly leftAfterClose: number;
  readonly timeWaitAfterClose: number;
  /** TIME_WAIT entries made during the run, by the kernel's count (TcpExt TW); null: unknown. */
  readonly timeWaitEntered: number | null;
  readonly workers: { readonly clients: number; readonly servers: number };
  readonly timedOut: boolean;
  readonly interrupted: boolean;
  readonly lost: number;
}

export interface LoadReport {
  readonly to: string;
  readonly connections: number;
  readonly sources: readonly string[];
  readonly range: readonly [number, number];
  readonly rate: number | null;
  readonly holdSeconds: number;
  readonly strategies: readonly StrategyReport[];
  /** Every strategy that ran reached what the model predicted, /proc agreed, and all closed. */
  readonly ok: boolean;
  readonly interrupted: boolean;
}

export function endpoint(addr: string, port: number): string {
  return addr.includes(':') ? `[${addr}]:${port}` : `${addr}:${port}`;
}

export function explainError(e: ConnectError, p: Prediction): ExplainedError {
  const f = p.failure;
  if (f !== null && f.errno === (e.errnoName ?? e.code)) {
    // libuv keeps bind()'s EADDRINUSE and reports it from connect() (its delayed error).
    const where =
      f.call === 'bind' && e.syscall === 'connect' ? ' (bind() failed; Node reports it from connect)' : '';
    return { ...e, modelAgrees: true, explanation: `${f.rule}: ${f.reason}${where}` };
  }
  if (f !== null)
    return {
      ...e,
      modelAgrees: false,
      explanation: `the model expected ${f.errno} from ${f.call}() (${f.rule}: ${f.reason}), not ${e.errnoName ?? e.code}`,
    };
  return {
    ...e,
    modelAgrees: false,
    explanation: `the model reaches the target without running out of ports, so ${e.code} is not a port-allocation limit (a timeout, a full accept queue or a process limit?)`,
  };
}

export function strategyReport(run: StrategyRun, p: Prediction): StrategyReport {
  const grew = run.clientRssAfter - run.clientRssBefore;
  return {
    strategy: run.strategy,
    target: run.target,
    error: null,
    unavailable: run.unavailable,
    reached: run.reached,
    failed: run.failed,
    skipped: run.skipped,
    predicted: p,
    proc: { clientEstablished: run.procEstablished, serverEstablished: run.procServerEnds },
    procAgrees: run.procEstablished === run.reached && run.procServerEnds === run.reached,
    modelAgrees: run.reached === p.reached,
    firstError: run.firstError === null ? null : explainError(run.firstError, p),
    setupSeconds: run.setupSeconds,
    connectSeconds: run.connectSeconds,
    perSecond: run.connectSeconds > 0 ? run.reached / run.connectSeconds : 0,
    tenths: run.tenths,
    memory: {
      clientRssBefore: run.clientRssBefore,
      clientRssAfter: run.clientRssAfter,
      perConnection: run.reached > 0 ? grew / run.reached : null,
    },
    cpu: {
      clientUserSeconds: run.clientCpuUserMs / 1000,
      clientSystemSeconds: run.clientCpuSystemMs / 1000,
      perConnectionMicros:
        run.reached > 0 ? ((run.clientCpuUserMs + run.clientCpuSystemMs) * 1000) / run.reached : null,
    },
    closeSeconds: run.closeSeconds,
    leftAfterClose: run.leftAfterClose,
    timeWaitAfterClose: run.timeWaitAfterClose,
    timeWaitEntered: run.timeWaitEntered,
    workers: { clients: run.clientWorkers, servers: run.serverWorkers },
    timedOut: run.timedOut,
    interrupted: run.interrupted,
    lost: run.lost,
  };
}

/** A strategy whose run could not be made (the namespace primary failed). */
export function failedReport(
  strategy: Strategy,
  target: number,
  p: Prediction,
  error: string,
): StrategyReport {
  return {
    strategy,
    target,
    error,
    unavailable: null,
    reached: 0,
    failed: 0,
    skipped: 0,
    predicted: p,
    proc: { clientEstablished: 0, serverEstablished: 0 },
    procAgrees: false,
    modelAgrees: false,
    firstError: null,
    setupSeconds: 0,
    connectSeconds: 0,
    perSecond: 0,
    tenths: [],
    memory: { clientRssBefore: 0, clientRssAfter: 0, perConnection: null },
    cpu: { clientUserSeconds: 0, clientSystemSeconds: 0, perConnectionMicros: null },
    closeSeconds: null,
    leftAfterClose: 0,
    timeWaitAfterClose: 0,
    timeWaitEntered: null,
    workers: { clients: 0, servers: 0 },
    timedOut: false,
    interrupted: false,
    lost: 0,
  };
}

/** A strategy counts as good when it ran and matched the model and /proc, and closed cleanly. */
export function strategyOk(s: StrategyReport): boolean {
  if (s.unavailable !== null) return true;
  return (
    s.error === null &&
    s.procAgrees &&
    s.modelAgrees &&
    !s.timedOut &&
    !s.interrupted &&
    s.lost === 0 &&
    s.leftAfterClose === 0 &&
    s.closeSeconds !== null
  );
}

export function loadReport(
  o: LoadOptions,
  strategies: readonly StrategyReport[],
  interrupted: boolean,
): LoadReport {
  return {
    to: endpoint(o.to.addr, o.to.port),
    connections: o.connections,
    sources: o.sources,
    range: o.range,
    rate: o.rate,
    holdSeconds: o.holdSeconds,
    strategies,
    ok: !interrupted && strategies.length > 0 && strategies.every(strategyOk),
    interrupted,
  };
}
