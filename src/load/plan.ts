/**
 * How a load is split over processes. One process may hold at most 20,000 open files here (root
 * cannot raise it) and a loopback connection costs two: the client end in a client worker, the
 * server end in a server worker. So N connections need ceil(N / perWorker) processes on each
 * side; the server side gets one more, because the kernel, not we, decides which server worker
 * accepts a connection (they share one listening socket), and a worker that reaches its cap
 * stops accepting.
 */

/** The default share of one worker process: 15,000 fds of connections leaves room below 20,000. */
export const DEFAULT_PER_WORKER = 15_000;
/** The most a worker may be given: 20,000 fds minus what Node itself and IPC need. */
export const MAX_PER_WORKER = 19_000;

export interface WorkerPlan {
  /** Connections each client worker makes (they sum to the total). */
  readonly clientShares: readonly number[];
  readonly serverWorkers: number;
  /** Connections a server worker accepts before it stops listening. */
  readonly serverCap: number;
}

export function workerPlan(connections: number, perWorker: number): WorkerPlan {
  if (!Number.isInteger(connections) || connections < 1)
    throw new RangeError(`connections must be >= 1, got ${connections}`);
  if (!Number.isInteger(perWorker) || perWorker < 1 || perWorker > MAX_PER_WORKER)
    throw new RangeError(`perWorker must be 1..${MAX_PER_WORKER}, got ${perWorker}`);
  const clients = Math.ceil(connections / perWorker);
  const base = Math.floor(connections / clients);
  const extra = connections - base * clients;
  const clientShares = Array.from({ length: clients }, (_, i) => base + (i < extra ? 1 : 0));
  return { clientShares, serverWorkers: clients + 1, serverCap: perWorker };
}

/**
 * The connector's ports for worker `index` of `count`: the range cut into contiguous, disjoint
 * slices, so that client processes never pick the same (source, port) and do not fight over it.
 */
export function portShard(range: readonly [number, number], index: number, count: number): [number, number] {
  const [lo, hi] = range;
  const size = hi - lo + 1;
  const from = lo + Math.floor((size * index) / count);
  const to = lo + Math.floor((size * (index + 1)) / count) - 1;
  return [from, to];
}
