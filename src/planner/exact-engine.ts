/**
 * The exact engine: the plan replayed call by call on the full model (a Netns on virtual time).
 * Each attempt is socket() [+ setsockopt] [+ bind] + connect(); after `hold` the socket is
 * closed. It is the judge the fast engine is proven against, and the engine to use when the
 * kernel's random choices matter (which TIME_WAIT entries tcp_tw_reuse recycles, R13/R62).
 *
 * How the workload is put to the model:
 *  - every source is added as `addr/0`: it is local, every other address of its family is a
 *    remote host that accepts, and the first source is the route's preferred source (R10);
 *  - the client closing first: close() with the remote end closing after us leaves TIME_WAIT
 *    for 60 s (R60); the server closing first: the client's port is released when it closes
 *    (CLOSE_WAIT then LAST_ACK, R60), modelled as close() with SO_LINGER {1, 0}, which frees the
 *    port at once the same way (R61) since the model's remote hosts never close first;
 *  - the measured counts are the model's own (Netns.heldTowards: 4-tuples and TIME_WAIT per path).
 */
import { Netns, type SockId } from '../model/index.js';
import type { EngineOptions } from './fast-engine.js';
import type { PlanConfig, StrategyResult } from './plan-types.js';
import { Recorder } from './recorder.js';
import { arrivalClock, attemptCount, destinationIndex, sourceIndex, userspacePorts } from './workload.js';

interface OpenConn {
  readonly sock: SockId;
  readonly due: number;
  readonly pair: number;
  readonly port: number;
}

export interface ExactOptions extends EngineOptions {
  /** Seed of the model's entropy (the kernel's random choices). */
  readonly seed?: number;
}

export function runExact(cfg: PlanConfig, opts: ExactOptions = {}): StrategyResult {
  // A sysctl the model refuses throws here, naming it (the plan's config is validated before).
  const ns = new Netns({
    seed: opts.seed ?? 1,
    sysctls: {
      'net.ipv4.ip_local_port_range': cfg.range,
      'net.ipv4.ip_local_reserved_ports': cfg.reserved,
      'net.ipv4.tcp_tw_reuse': cfg.twReuse,
      'net.ipv4.tcp_tw_reuse_delay': cfg.twReuseDelayMs,
      'net.ipv4.tcp_max_tw_buckets': cfg.maxTwBuckets,
    },
  });
  const family = cfg.sources[0]?.includes(':') ? 6 : 4;
  const kind = family === 6 ? 'tcp6' : 'tcp4';
  const must = (r: { ok: boolean; reason?: string }, what: string) => {
    if (!r.ok) throw new Error(`plan: the model refused ${what}: ${r.reason ?? ''}`);
  };
  for (const s of cfg.sources) must(ns.addAddress(`${s}/0`), `source ${s}`);

  const D = cfg.destinations.length;
  const rec = new Recorder(cfg, opts.bins);
  const ports = userspacePorts(cfg);
  // reuseaddr's userspace: a cursor per pair and the ports of its own open connections.
  const cursor = new Int32Array(cfg.sources.length * D);
  const mine = new Map<number, Set<number>>();
  const queue: OpenConn[] = [];
  let qHead = 0;
  let open = 0;

  const pairHeld = (p: number) => {
    const src = cfg.sources[Math.floor(p / D)];
    const dst = cfg.destinations[p % D];
    return src !== undefined && dst !== undefined ? ns.heldTowards(src, dst.addr, dst.port) : 0;
  };
  const sourceHeld = (s: number) => {
    let n = 0;
    for (let d = 0; d < D; d++) n += pairHeld(s * D + d);
    return n;
  };

  const close = (c: OpenConn) => {
    ns.advance(c.due - ns.now);
    const r = ns.close(c.sock, cfg.closer === 'client' ? {} : { rst: true });
    must(r, 'close()');
    mine.get(c.pair)?.delete(c.port);
    open--;
    rec.closed(c.due, open, ns.timeWaitCount);
  };

  const total = attemptCount(cfg);
  const clock = arrivalClock(cfg);
  let i = 0;
  for (let t = clock.next(); t < cfg.durationMs; t = clock.next(), i++) {
    for (let c = queue[qHead]; c && c.due <= t; c = queue[qHead]) {
      qHead++;
      close(c);
    }
    if (qHead > 4096 && qHead * 2 > queue.length) {
      queue.splice(0, qHead);
      qHead = 0;
    }
    ns.advance(t - ns.now);
    rec.timeWaitNow(ns.timeWaitCount);
    const s = sourceIndex(i, cfg);
    const d = destinationIndex(i, cfg);
    const p = s * D + d;
    const src = cfg.sources[s] ?? '';
    const dst = cfg.destinations[d];
    if (!dst) throw new Error('plan: no destination');
    const sock = ns.socket(kind);
    if (!sock.ok) throw new Error(`plan: socket() failed: ${sock.reason}`);
    const id = sock.sock;
    let port = 0;
    let k = -1;
    let failure: { errno: string; call: 'connect' | 'bind' } | null = null;
    if (cfg.strategy === 'noport') {
      must(ns.setsockopt(id, 'IP_BIND_ADDRESS_NO_PORT', 1), 'IP_BIND_ADDRESS_NO_PORT');
      must(ns.bind(id, src, 0), `bind(${src}, 0) with IP_BIND_ADDRESS_NO_PORT`);
    } else if (cfg.strategy === 'bind0') {
      const b = ns.bind(id, src, 0);
      if (!b.ok) failure = { errno: b.errno, call: 'bind' };
    } else if (cfg.strategy === 'reuseaddr') {
      must(ns.setsockopt(id, 'SO_REUSEADDR', 1), 'SO_REUSEADDR');
      const used = mine.get(p) ?? new Set<number>();
      mine.set(p, used);
      // The userspace policy: the next port in round-robin order that none of our own open
      // connections to this destination uses (the one at the cursor when all are in use).
      k = cursor[p] ?? 0;
      for (let n = 0; n < ports.length && used.has(ports[k] ?? 0); n++) k = (k + 1) % ports.length;
      port = ports[k] ?? 0;
      const b = ns.bind(id, src, port);
      if (!b.ok) failure = { errno: b.errno, call: 'bind' };
    }
    if (failure === null) {
      const r = ns.connect(id, dst.addr, dst.port);
      if (!r.ok) {
        failure = { errno: r.errno, call: 'connect' };
      } else {
        port = r.port;
        if (k >= 0) cursor[p] = (k + 1) % ports.length;
      }
    }
    if (failure) {
      must(ns.close(id), 'close() after a failed attempt');
      rec.attempt(
        t,
        false,
        failure.errno,
        failure.call,
        cfg.strategy === 'bind0' ? sourceHeld(s) : pairHeld(p),
      );
    } else {
      rec.attempt(t, true, null, null);
      open++;
      mine.get(p)?.add(port);
      const held = pairHeld(p);
      rec.connected(t, cfg.strategy === 'bind0' ? sourceHeld(s) : held, p, held, open, ns.timeWaitCount);
      const c: OpenConn = { sock: id, due: t + cfg.holdMs, pair: p, port };
      if (cfg.holdMs === 0) close(c);
      else queue.push(c);
    }
    if ((i & 0xffff) === 0) opts.onProgress?.(Math.min(i, total), total);
  }
  for (let c = queue[qHead]; c && c.due < cfg.durationMs; c = queue[qHead]) {
    qHead++;
    close(c);
  }
  opts.onProgress?.(total, total);
  return rec.finish(cfg.strategy);
}
