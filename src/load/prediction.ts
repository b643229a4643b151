/**
 * What the model says a load will reach, per strategy, before any socket exists: the same
 * connects replayed on a model namespace (src/model) with the load's range, its listener and its
 * sources. The kernel's count must come out equal, and the kernel's first error is explained by
 * the model's failure (errno, rule, reason) when they agree.
 *
 * The counts do not depend on the order in which the workers' connects interleave: nothing closes
 * during the connect phase, so once a (source, destination) has no port left it never gets one
 * back, and a client worker skips the rest of its attempts on that source (client-worker.ts).
 * Hence per source: min(attempts on it, its capacity).
 */
import { type Failure, Netns } from '../model/index.js';
import { portShard, workerPlan } from './plan.js';
import type { LoadOptions, Strategy } from './types.js';

export interface ModelFailure {
  readonly errno: string;
  readonly rule: string;
  readonly reason: string;
  /** The call that failed in the model. */
  readonly call: 'connect' | 'bind' | 'connector';
}

export interface Prediction {
  readonly strategy: Strategy;
  /** Connections the model reaches with this strategy and this split over workers. */
  readonly reached: number;
  /**
   * The most connections the strategy can hold to the destination with this split, when the
   * model ran out before the target; null when the target is reached (the capacity is larger:
   * finding it would cost a model run over every port of every source).
   */
  readonly capacity: number | null;
  /** The first failure the model meets (null: the target is reached without one). */
  readonly failure: ModelFailure | null;
}

function modelNs(o: LoadOptions): Netns {
  const ns = new Netns({ seed: 1 });
  const r = ns.sysctl('net.ipv4.ip_local_port_range', `${o.range[0]} ${o.range[1]}`);
  if (!r.ok) throw new RangeError(`the model refuses ip_local_port_range ${o.range.join(' ')}: ${r.reason}`);
  const l = ns.socket(o.to.addr.includes(':') ? 'tcp6' : 'tcp4');
  if (!l.ok) throw new Error(l.reason);
  // The server workers' listener (cluster binds it without SO_REUSEADDR? libuv sets it: R31).
  ns.setsockopt(l.sock, 'SO_REUSEADDR', 1);
  const b = ns.bind(l.sock, o.to.addr, o.to.port);
  if (!b.ok) throw new Error(`the model cannot bind the listener ${o.to.addr}:${o.to.port}: ${b.reason}`);
  const li = ns.listen(l.sock);
  if (!li.ok) throw new Error(`the model cannot listen on ${o.to.addr}:${o.to.port}: ${li.reason}`);
  return ns;
}

function failureOf(f: Failure, call: ModelFailure['call']): ModelFailure {
  return { errno: f.errno, rule: f.rule, reason: f.reason, call };
}

/** Plain connect(): the kernel picks the port for the route's source (R10, R11, R14). */
function predictKernel(o: LoadOptions): Prediction {
  const ns = modelNs(o);
  const kind = o.to.addr.includes(':') ? 'tcp6' : 'tcp4';
  let reached = 0;
  let failure: ModelFailure | null = null;
  for (let i = 0; i < o.connections; i++) {
    const s = ns.socket(kind);
    if (!s.ok) throw new Error(s.reason);
    const c = ns.connect(s.sock, o.to.addr, o.to.port);
    if (!c.ok) {
      failure = failureOf(c, 'connect');
      break;
    }
    reached++;
  }
  return { strategy: 'kernel', reached, capacity: failure === null ? null : reached, failure };
}

/** bind(ip, 0) with SO_REUSEADDR (libuv sets it), then connect(): per-source ranges (R40-R42, R23). */
function predictBind(o: LoadOptions): Prediction {
  const ns = modelNs(o);
  const n = o.sources.length;
  const demand = new Array<number>(n).fill(0);
  workerPlan(o.connections, o.perWorker).clientShares.forEach((share, w) => {
    for (let i = 0; i < share; i++) demand[(w + i) % n] = (demand[(w + i) % n] ?? 0) + 1;
  });
  const kind = o.to.addr.includes(':') ? 'tcp6' : 'tcp4';
  const capacity = new Array<number>(n).fill(0);
  let failure: ModelFailure | null = null;
  let exhausted = 0;
  o.sources.forEach((src, k) => {
    for (let i = 0; i < (demand[k] ?? 0); i++) {
      const s = ns.socket(kind);
      if (!s.ok) throw new Error(s.reason);
      ns.setsockopt(s.sock, 'SO_REUSEADDR', 1);
      const b = ns.bind(s.sock, src, 0);
      const c = b.ok ? ns.connect(s.sock, o.to.addr, o.to.port) : b;
      if (!c.ok) {
        ns.close(s.sock);
        failure ??= failureOf(c, b.ok ? 'connect' : 'bind');
        exhausted++;
        break;
      }
      capacity[k] = (capacity[k] ?? 0) + 1;
    }
  });
  const reached = capacity.reduce((a, c) => a + c, 0);
  // The capacity is known when every source ran out; otherwise some took all they were asked.
  return { strategy: 'bind', reached, capacity: exhausted === n ? reached : null, failure };
}

/**
 * The connector (and the benchmark's hand-written loop): explicit bind(source, port) with
 * SO_REUSEADDR, then connect(). Each client worker
 * owns a slice of the range (plan.ts portShard) and may use every source with it, so a worker
 * holds at most sources x its ports (R14: one 4-tuple per source port and destination).
 */
function predictExplicit(o: LoadOptions, strategy: 'userspace' | 'explicit'): Prediction {
  const ns = modelNs(o);
  const shares = workerPlan(o.connections, o.perWorker).clientShares;
  const kind = o.to.addr.includes(':') ? 'tcp6' : 'tcp4';
  let reached = 0;
  let exhausted = 0;
  let failure: ModelFailure | null = null;
  shares.forEach((share, w) => {
    const [lo, hi] = portShard(o.range, w, shares.length);
    let got = 0;
    for (const src of o.sources) {
      for (let port = lo; port <= hi && got < share; port++) {
        const s = ns.socket(kind);
        if (!s.ok) throw new Error(s.reason);
        ns.setsockopt(s.sock, 'SO_REUSEADDR', 1);
        const b = ns.bind(s.sock, src, port);
        const c = b.ok ? ns.connect(s.sock, o.to.addr, o.to.port) : b;
        if (!c.ok) {
          ns.close(s.sock);
          continue;
        }
        got++;
      }
    }
    reached += got;
    if (got < share) exhausted++;
    if (got < share)
      failure ??= {
        errno: 'EADDRNOTAVAIL',
        rule: 'R14',
        reason: `client worker ${w} owns ports ${lo}-${hi} on ${o.sources.length} source address(es): ${got} (source, port) pairs can reach ${o.to.addr}:${o.to.port}, fewer than its ${share} connections (one 4-tuple per source port and destination)`,
        call: strategy === 'userspace' ? 'connector' : 'bind',
      };
  });
  return { strategy, reached, capacity: exhausted === shares.length ? reached : null, failure };
}

export function predict(o: LoadOptions, strategy: Strategy): Prediction {
  switch (strategy) {
    case 'kernel':
      return predictKernel(o);
    case 'bind':
      return predictBind(o);
    case 'userspace':
    case 'explicit':
      return predictExplicit(o, strategy);
  }
}
