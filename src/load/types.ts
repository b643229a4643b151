/**
 * The shapes of a load run: what the user asked for (LoadOptions), what one strategy's run in its
 * own network namespace measured (StrategyRun), and the messages between the processes that
 * make it (the CLI's process, the primary inside the namespace, client and server workers).
 * Everything here crosses process boundaries as JSON, so it is plain data.
 */

/**
 * How a client picks its source port (issue 13): the connector, bind(ip, 0), or the kernel; and
 * `explicit`, the hand-written baseline of the benchmark (bench/connector.ts): net.connect({
 * localAddress, localPort }) walking its own slice of ports, with no model and no retry.
 */
export type Strategy = 'userspace' | 'bind' | 'kernel' | 'explicit';
/** The strategies `portspace load` offers. */
export const STRATEGIES: readonly Strategy[] = ['userspace', 'bind', 'kernel'];

export interface Destination {
  readonly addr: string;
  readonly port: number;
}

export interface LoadOptions {
  /** The destination; the namespace's own listener serves it (loopback only). */
  readonly to: Destination;
  /** Connections to open per strategy. */
  readonly connections: number;
  /** Source addresses for `bind` and `userspace` (loopback). `kernel` lets the route pick. */
  readonly sources: readonly string[];
  /** Strategies to run, in order; each runs in a fresh namespace of its own. */
  readonly strategies: readonly Strategy[];
  /** New connections per second over all workers; null: as fast as they go. */
  readonly rate: number | null;
  /** Seconds to keep every connection open after the last one is made. */
  readonly holdSeconds: number;
  /** ip_local_port_range inside the namespace (and the connector's ports). */
  readonly range: readonly [number, number];
  /** Bound on the connect phase of one strategy, in seconds. */
  readonly timeoutSeconds: number;
  /** Connections per client worker process (and per server worker): under the 20,000-fd limit. */
  readonly perWorker: number;
}

/** A connect error as Node reports it (the fields of its system errors). */
export interface ConnectError {
  /** Node's `code`: the errno name, or the connector's stable PORTSPACE_* code. */
  readonly code: string;
  /** The errno name (EADDRNOTAVAIL, ...): `code` itself, or the connector's `errnoName`. */
  readonly errnoName: string | null;
  /** The connector's rule (R-number), when it gave one. */
  readonly rule: string | null;
  readonly errno: number | null;
  readonly syscall: string | null;
  readonly address: string | null;
  readonly port: number | null;
  readonly localAddress: string | null;
  readonly localPort: number | null;
  readonly message: string;
  /** Which client worker saw it, and when (wall-clock ms). */
  readonly worker: number;
  readonly atMs: number;
  /** Connections established (by every worker) before it; filled in by the primary. */
  readonly afterConnections: number;
}

/** One tenth of the connections reached, and how fast it went. */
export interface Tenth {
  /** Connections [from, to) of the run, in the order they were established. */
  readonly from: number;
  readonly to: number;
  readonly seconds: number;
  readonly perSecond: number;
}

/** What one client worker measured in the connect phase. */
export interface ClientResult {
  readonly worker: number;
  readonly share: number;
  /** Wall-clock ms when this worker began connecting. */
  readonly startedAt: number;
  /** Ms from 'start' until the strategy was set up (loading modules, createConnector). */
  readonly setupMs: number;
  readonly established: number;
  readonly failed: number;
  /** Attempts not made: their lane (source) had already answered "no port left". */
  readonly skipped: number;
  readonly firstError: ConnectError | null;
  /** Wall-clock ms (performance.timeOrigin + now) of every established connection, in order. */
  readonly times: readonly number[];
  readonly rssBefore: number;
  readonly rssAfter: number;
  /** CPU time this worker used over the connect phase, ms (process.cpuUsage: user and kernel). */
  readonly cpuUserMs: number;
  readonly cpuSystemMs: number;
  readonly timedOut: boolean;
  /** Connections that broke after they were established (reset, ...) before the close phase. */
  readonly lost: number;
  /** Why the strategy could not run in this worker at all (e.g. the connector is missing). */
  readonly unavailable: string | null;
}

/** What the primary inside the namespace reports for one strategy. */
export interface StrategyRun {
  readonly strategy: Strategy;
  readonly target: number;
  readonly reached: number;
  readonly failed: number;
  readonly skipped: number;
  /** ESTABLISHED entries in the namespace's /proc/net/tcp{,6} towards the destination (client ends). */
  readonly procEstablished: number;
  /** ESTABLISHED entries whose local end is the destination (the server ends). */
  readonly procServerEnds: number;
  readonly firstError: ConnectError | null;
  /** The slowest worker's set-up, before the connect phase and not counted in it. */
  readonly setupSeconds: number;
  readonly connectSeconds: number;
  readonly tenths: readonly Tenth[];
  readonly clientRssBefore: number;
  readonly clientRssAfter: number;
  /** CPU time of all client workers over the connect phase, ms: user and system (kernel) time. */
  readonly clientCpuUserMs: number;
  readonly clientCpuSystemMs: number;
  /** From "close" to the last socket closed, and /proc holding no non-TIME_WAIT entry to it. */
  readonly closeSeconds: number | null;
  /** Entries left in /proc (not TIME_WAIT, not LISTEN) when the close phase ended. */
  readonly leftAfterClose: number;
  readonly timeWaitAfterClose: number;
  /** TIME_WAIT entries the namespace made, by the kernel's own counter (null: not readable). */
  readonly timeWaitEntered: number | null;
  readonly clientWorkers: number;
  readonly serverWorkers: number;
  readonly timedOut: boolean;
  readonly interrupted: boolean;
  readonly lost: number;
  readonly unavailable: string | null;
}

/** Parent -> namespace primary. */
export type PrimaryCommand =
  | {
      readonly type: 'run';
      readonly options: LoadOptions;
      readonly strategy: Strategy;
      readonly hostNetns: string;
    }
  | { readonly type: 'abort' };

/** Namespace primary -> parent. */
export type PrimaryEvent =
  | {
      readonly type: 'progress';
      readonly established: number;
      readonly failed: number;
      readonly phase: Phase;
    }
  | { readonly type: 'done'; readonly run: StrategyRun }
  | { readonly type: 'fatal'; readonly message: string };

export type Phase = 'setup' | 'connect' | 'hold' | 'close';

/** Namespace primary -> client worker. */
export type ClientCommand =
  | {
      readonly type: 'start';
      readonly worker: number;
      readonly workers: number;
      readonly share: number;
      readonly strategy: Strategy;
      readonly to: Destination;
      readonly sources: readonly string[];
      readonly range: readonly [number, number];
      /** Connections per second for this worker; null: no limit. */
      readonly rate: number | null;
    }
  /** Every worker has set up (module loading, createConnector): connect until the deadline. */
  | { readonly type: 'go'; readonly deadline: number }
  | { readonly type: 'stop' }
  | { readonly type: 'close' };

/** Client worker -> namespace primary. */
export type ClientEvent =
  | { readonly type: 'ready' }
  /** The strategy is set up: the worker waits for 'go'. */
  | { readonly type: 'set-up' }
  | { readonly type: 'progress'; readonly established: number; readonly failed: number }
  | { readonly type: 'connected'; readonly result: ClientResult }
  | { readonly type: 'closed'; readonly open: number };

/** Server worker -> namespace primary. */
export type ServerEvent =
  | { readonly type: 'listening' }
  | { readonly type: 'count'; readonly open: number; readonly accepted: number }
  | { readonly type: 'listen-failed'; readonly message: string };
