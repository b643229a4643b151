/**
 * The connector: outbound TCP connections from a pool of source addresses, each local port
 * chosen by the connector and checked by the model before the kernel sees it.
 *
 * Per connect(): resolve the destination and match it to the sources' family (Node turns Happy
 * Eyeballs off once a source address is set, so the family is chosen here); take the source with
 * the most headroom towards that destination; take a port from that pair's pool in O(1); let the
 * model bind and connect it (the reservation; a "no" costs no syscall); then the real handshake.
 * EADDRINUSE / EADDRNOTAVAIL from the kernel (another program got there first) put the port on
 * hold and try again, up to maxAttempts: undici and fetch never retry those, so it happens here.
 */
import dns from 'node:dns';
import type http from 'node:http';
import type https from 'node:https';
import type net from 'node:net';
import { performance } from 'node:perf_hooks';
import type { Registry } from 'prom-client';
import { parseAddr } from '../model/index.js';
import { dial } from './dial.js';
import { type Attempt, ConnectorError, errnoOf } from './errors.js';
import { type ForeignPorts, type HostPorts, readForeignPorts, readHostPorts } from './host.js';
import { makeHttpAgent, makeHttpsAgent } from './http-agents.js';
import { watchEnding } from './lifecycle.js';
import { type MetricsOptions, registerConnectorMetrics } from './metrics.js';
import { type Ending, Mirror, type MirrorConn } from './mirror.js';
import { loadNoPort, type NoPortAddon } from './noport.js';
import {
  type ConnectorOptions,
  candidatePorts,
  checkInt,
  checkShard,
  defaultPortRanges,
  parsePortRanges,
  parseSources,
  type SourceAddr,
  type Strategy,
} from './options.js';
import { Pair, pairKey } from './pairs.js';
import { PortPool } from './port-pool.js';
import { exhaustedReason } from './reason.js';
import { makeUndiciConnect, type UndiciConnectOptions } from './undici-connect.js';

/** R6: TIME_WAIT lasts 60 s; the pools wait a little longer than the kernel before reuse. */
const TIME_WAIT_MS = 60_000;
const TIME_WAIT_MARGIN_MS = 2_000;
/** A port the kernel refused is left alone this long (another program's TIME_WAIT lasts 60 s). */
const HOLD_MS = 60_000;

export interface ConnectRequest {
  /** An IP address or a name (resolved with dns.lookup, all addresses). */
  readonly host: string;
  readonly port: number;
  readonly signal?: AbortSignal | undefined;
}

/** One row of stats(): a (source, destination) pair. */
export interface PairStats {
  readonly source: string;
  /** `ip:port` or `[ip6]:port`. */
  readonly destination: string;
  /** Our connections on this pair now (including handshakes in flight). */
  readonly inUse: number;
  /** Our TIME_WAIT entries on this pair (R60). */
  readonly timeWait: number;
  /** Ports the kernel refused recently (other programs'), left alone for a while. */
  readonly onHold: number;
  /** Connections this pair could still take now. */
  readonly headroom: number;
  /** Ports this pair can ever use (userspace: our share of the ports; bind: ip_local_port_range). */
  readonly capacity: number;
  /** Handshakes started by the kernel on this pair. */
  readonly attempts: number;
  /** Handshakes that failed for any reason (refused, reset, timeout, abort, collision). */
  readonly failures: number;
  /** Of the failures: EADDRINUSE / EADDRNOTAVAIL from the kernel, retried elsewhere. */
  readonly collisions: number;
}

export interface ConnectorInfo {
  readonly strategy: Strategy;
  readonly sources: readonly string[];
  /** The ranges of local ports this connector binds from (userspace), before sharding. */
  readonly portRanges: readonly (readonly [number, number])[];
  /** How many ports this process uses (after reserved ports and its shard). */
  readonly portCount: number;
  /** The host's ip_local_port_range, read at start. */
  readonly hostRange: readonly [number, number];
  readonly notes: readonly string[];
}

interface Live {
  readonly pair: Pair;
  readonly port: number;
  readonly conn: MirrorConn;
}

export class Connector {
  readonly info: ConnectorInfo;
  private readonly sources: SourceAddr[];
  private readonly strategy: Strategy;
  private readonly maxAttempts: number;
  private readonly connectTimeout: number;
  private readonly clock: () => number;
  private readonly random: () => number;
  private readonly lookup: (host: string) => Promise<readonly { address: string; family: number }[]>;
  private readonly candidates: Uint16Array;
  private readonly host: HostPorts;
  private readonly mirror: Mirror;
  private readonly pairs = new Map<string, Pair>();
  /** Ports EADDRINUSE showed taken on a whole source (another program's bind or listen). */
  private readonly blocked = new Map<string, Map<number, number>>();
  private readonly foreign: ForeignPorts | null;
  private readonly live = new Map<net.Socket, Live>();
  private closed = false;
  private noPort: NoPortAddon | null = null;

  constructor(opts: ConnectorOptions) {
    this.sources = parseSources(opts.sources);
    let strategy = opts.strategy ?? 'userspace';
    if (strategy !== 'userspace' && strategy !== 'bind' && strategy !== 'no-port')
      throw new ConnectorError(
        'PORTSPACE_BAD_OPTION',
        `strategy: 'userspace', 'bind' or 'no-port', got ${JSON.stringify(strategy)}`,
      );
    const early: string[] = [];
    if (strategy === 'no-port') {
      const addon = loadNoPort();
      if ('reason' in addon) {
        early.push(`strategy 'no-port' unavailable (${addon.reason}): using 'userspace'`);
        strategy = 'userspace';
      } else this.noPort = addon;
    }
    this.strategy = strategy;
    this.maxAttempts = checkInt('maxAttempts', opts.maxAttempts, 8, 1, 1000);
    this.connectTimeout = checkInt('connectTimeout', opts.connectTimeout, 10_000, 0, 3_600_000);
    const shard = checkShard(opts.shard);
    this.clock = opts.clock ?? (() => performance.now());
    this.random = opts.random ?? Math.random;
    this.lookup =
      opts.lookup ??
      ((h) =>
        dns.promises.lookup(h, { all: true, verbatim: true }) as Promise<
          { address: string; family: number }[]
        >);
    const procRoot = opts.procRoot ?? '/proc';
    this.host = readHostPorts(procRoot);
    const hs = this.host.sysctls;
    const ranges =
      opts.ports === undefined
        ? defaultPortRanges(hs.range, hs.unprivilegedPortStart)
        : parsePortRanges(opts.ports);
    // R2: reserved ports are for someone's servers; the default leaves them out. Ports given
    // explicitly are used as given (reserving the connector's own band is the advice).
    this.candidates = candidatePorts(ranges, new Set(opts.ports === undefined ? hs.reserved : []), shard);
    if (strategy === 'userspace' && this.candidates.length === 0)
      throw new ConnectorError(
        'PORTSPACE_BAD_OPTION',
        `ports: no port left to bind from (ranges ${fmtRanges(ranges)}, minus reserved ports and the shard)`,
      );
    const notes = [...early, ...this.host.notes];
    if (strategy === 'userspace') {
      const inside = ranges.some(([lo, hi]) => lo <= hs.range[1] && hi >= hs.range[0]);
      if (inside)
        notes.push(
          `ports ${fmtRanges(ranges)} overlap ip_local_port_range ${hs.range[0]}-${hs.range[1]}: every port bound there is skipped by every other program's connect() (R12)`,
        );
    }
    this.info = {
      strategy,
      sources: this.sources.map((s) => s.text),
      portRanges: ranges,
      portCount: this.candidates.length,
      hostRange: hs.range,
      notes,
    };
    this.mirror = new Mirror(this.sources, hs, this.clock());
    this.foreign = opts.avoidHostSockets
      ? readForeignPorts(
          procRoot,
          this.sources.map((s) => s.text),
        )
      : null;
    if (this.foreign) {
      const now = this.clock();
      for (const [src, ports] of this.foreign.bySource) {
        const m = new Map<number, number>();
        for (const p of ports) m.set(p, now + HOLD_MS);
        this.blocked.set(src, m);
      }
    }
  }

  /** Opens a TCP connection; resolves once it is established. */
  async connect(req: ConnectRequest): Promise<net.Socket> {
    if (this.closed)
      throw new ConnectorError('PORTSPACE_CONNECTOR_CLOSED', 'connect() after close(): make a new connector');
    const { host, port } = checkRequest(req);
    const dest = await this.resolve(host);
    if (this.strategy === 'bind') return this.connectBind(dest, port, req.signal);
    if (this.strategy === 'no-port') return this.connectNoPort(dest, port, req.signal);
    return this.connectUserspace(dest, port, req.signal);
  }

  /** A node:http Agent whose connections come from this connector (keep-alive etc. as usual). */
  httpAgent(opts: http.AgentOptions = {}): http.Agent {
    return makeHttpAgent(this, opts);
  }

  /** A node:https Agent: TLS (with Node's session cache) on top of this connector's TCP sockets. */
  httpsAgent(opts: https.AgentOptions = {}): https.Agent {
    return makeHttpsAgent(this, opts);
  }

  /**
   * For undici's `connect` option: `new Agent({ connect: connector.undiciConnect({ ca }) })`.
   * The options are undici's buildConnector options (TLS: ca, rejectUnauthorized, allowH2...).
   */
  undiciConnect(tlsOptions: UndiciConnectOptions = {}): ReturnType<typeof makeUndiciConnect> {
    return makeUndiciConnect(this, tlsOptions);
  }

  /**
   * Registers this connector's metrics on the application's prom-client registry:
   * portspace_connector_ports_in_use / _ports_limit (usage / limit), _ports_time_wait,
   * _ports_headroom, _ports_on_hold, _connect_attempts_total, _connect_failures_total,
   * _connect_collisions_total; labels source and destination.
   */
  registerMetrics(registry: Registry, opts: MetricsOptions = {}): void {
    registerConnectorMetrics(registry, () => this.stats(), opts);
  }

  /** Per (source, destination) pair: in use, TIME_WAIT, headroom, attempts, failures. */
  stats(): PairStats[] {
    const now = this.clock();
    const out: PairStats[] = [];
    for (const p of this.pairs.values()) {
      p.pool?.expire(now);
      p.bindTimeWait.expire(now - TIME_WAIT_MS);
      out.push({
        source: p.source.text,
        destination: p.destination,
        inUse: p.inUse,
        timeWait: p.timeWait,
        onHold: p.pool?.onHold ?? 0,
        headroom: this.headroom(p),
        capacity: this.capacity(p),
        attempts: p.attempts,
        failures: p.failures,
        collisions: p.collisions,
      });
    }
    return out;
  }

  /**
   * Our sockets and TIME_WAIT entries as the model sees them (`local -> remote STATE`, sorted):
   * for comparing with the kernel's /proc/net/tcp.
   */
  modelView(): string[] {
    this.mirror.advance(this.clock());
    const srcs = new Set(this.sources.map((s) => s.text));
    return this.mirror.view((l) => srcs.has(l.addr));
  }

  /** Leak check: connections tracked, model sockets of ours still open, pool ports taken. */
  openCounts(): { tracked: number; modelSockets: number; poolInUse: number } {
    let poolInUse = 0;
    for (const p of this.pairs.values()) poolInUse += p.inUse;
    return { tracked: this.live.size, modelSockets: this.mirror.openSockets(), poolInUse };
  }

  /** Model and kernel disagreements seen so far (bind strategy: a port the model thought taken). */
  get divergences(): number {
    return this.mirror.divergences;
  }

  /** No new connections; with destroySockets, ends the open ones too. */
  close(opts: { destroySockets?: boolean } = {}): void {
    this.closed = true;
    if (opts.destroySockets) for (const s of [...this.live.keys()]) s.destroy();
  }

  // ---- userspace strategy -------------------------------------------------------------------

  private async connectUserspace(
    dest: string,
    dport: number,
    signal: AbortSignal | undefined,
  ): Promise<net.Socket> {
    const family = familyOf(dest);
    const attempts: Attempt[] = [];
    // Each pass either reaches the kernel (at most maxAttempts times) or moves one port on hold,
    // which can happen at most once per port of each pool: the loop is bounded.
    let guard = this.maxAttempts + this.candidates.length * this.sources.length + 1;
    let kernelTries = 0;
    while (guard-- > 0) {
      const now = this.clock();
      this.mirror.advance(now);
      const pair = this.pickSource(dest, dport, family, now);
      if (!pair) throw this.exhausted(dest, dport, family, attempts);
      const pool = pair.pool as PortPool;
      const taken = pool.take(now, this.twRecyclable());
      if (!taken) throw this.exhausted(dest, dport, family, attempts);
      const lport = taken.port;
      if (this.isBlocked(pair.source.text, lport, now)) {
        pool.give(lport, 'held', now);
        continue;
      }
      const conn = this.mirror.open(pair.source, lport, dest, dport);
      if ('ok' in conn) {
        // The model refused before any syscall (a socket it knows holds the port or the 4-tuple).
        attempts.push({
          localAddress: pair.source.text,
          localPort: lport,
          result: conn.errno,
          byModel: true,
        });
        pool.give(lport, 'held', now);
        continue;
      }
      pair.attempts++;
      kernelTries++;
      try {
        const socket = await dial({
          host: dest,
          port: dport,
          family,
          localAddress: pair.source.text,
          localPort: lport,
          timeoutMs: this.connectTimeout,
          signal,
        });
        attempts.push({ localAddress: pair.source.text, localPort: lport, result: 'connected' });
        this.track(socket, { pair, port: lport, conn });
        return socket;
      } catch (err) {
        const t = this.clock();
        this.mirror.advance(t);
        this.mirror.end(conn, 'aborted');
        pair.failures++;
        const errno = errnoOf(err) ?? (err as { errnoName?: string }).errnoName ?? 'EUNKNOWN';
        attempts.push({ localAddress: pair.source.text, localPort: lport, result: errno });
        if (errno === 'EADDRINUSE' || errno === 'EADDRNOTAVAIL') {
          // Someone else holds it: the whole source port (bind conflict) or this 4-tuple.
          pair.collisions++;
          if (errno === 'EADDRINUSE') this.block(pair.source.text, lport, t);
          pool.give(lport, 'held', t);
          if (kernelTries >= this.maxAttempts) throw this.collided(dest, dport, attempts, err);
          continue;
        }
        pool.give(lport, 'free', t);
        throw err;
      }
    }
    throw this.collided(dest, dport, attempts, null);
  }

  /** The source with the most headroom towards dest (ties: the first listed). */
  private pickSource(dest: string, dport: number, family: 4 | 6, now: number): Pair | null {
    let best: Pair | null = null;
    let bestRoom = 0;
    for (const s of this.sources) {
      if (s.family !== family) continue;
      const p = this.pair(s, dest, dport, now);
      const room = this.headroom(p);
      if (room > bestRoom) {
        best = p;
        bestRoom = room;
      }
    }
    return best;
  }

  private pair(source: SourceAddr, dest: string, dport: number, now: number): Pair {
    const key = pairKey(source.text, dest, dport);
    let p = this.pairs.get(key);
    if (p) return p;
    let pool: PortPool | null = null;
    if (this.strategy === 'userspace') {
      const start = Math.floor(this.random() * this.candidates.length) % Math.max(1, this.candidates.length);
      pool = new PortPool(this.candidates, start, TIME_WAIT_MS + TIME_WAIT_MARGIN_MS, HOLD_MS);
      for (const port of this.foreign?.byTuple.get(key) ?? []) pool.holdUntaken(port, now);
    }
    p = new Pair(source, dest, dport, pool);
    this.pairs.set(key, p);
    return p;
  }

  private headroom(p: Pair): number {
    if (p.pool) {
      p.pool.expire(this.clock());
      return p.pool.headroom(this.twRecyclable());
    }
    if (this.strategy === 'no-port') {
      // R22: the port is chosen per destination; our connections and TIME_WAIT entries towards
      // it count (other programs' do too, but only the kernel knows them: it has the last word).
      p.bindTimeWait.expire(this.clock() - TIME_WAIT_MS);
      return Math.max(0, this.capacity(p) - p.bindInUse - p.bindTimeWait.size);
    }
    return Math.max(0, this.capacity(p) - this.bindHeld(p.source.text));
  }

  private capacity(p: Pair): number {
    if (p.pool) return p.pool.capacity;
    const [lo, hi] = this.host.sysctls.range;
    return hi - lo + 1 - this.host.sysctls.reserved.filter((r) => r >= lo && r <= hi).length;
  }

  /** R63: a bound connect() recycles a TIME_WAIT 4-tuple at once, if the entry has timestamps. */
  private twRecyclable(): boolean {
    return this.host.sysctls.timestamps !== 0;
  }

  private isBlocked(source: string, port: number, now: number): boolean {
    const m = this.blocked.get(source);
    const until = m?.get(port);
    if (until === undefined) return false;
    if (until > now) return true;
    m?.delete(port);
    return false;
  }

  private block(source: string, port: number, now: number): void {
    let m = this.blocked.get(source);
    if (!m) {
      m = new Map();
      this.blocked.set(source, m);
    }
    m.set(port, now + HOLD_MS);
  }

  // ---- bind strategy ------------------------------------------------------------------------

  /** bind(source, 0) then connect(): the kernel picks (R23): one port of the range per connection per source. */
  private async connectBind(
    dest: string,
    dport: number,
    signal: AbortSignal | undefined,
  ): Promise<net.Socket> {
    const family = familyOf(dest);
    const attempts: Attempt[] = [];
    for (let tries = 0; tries < this.maxAttempts; tries++) {
      const now = this.clock();
      this.mirror.advance(now);
      const pair = this.pickSource(dest, dport, family, now);
      if (!pair) throw this.exhausted(dest, dport, family, attempts);
      pair.attempts++;
      pair.bindInUse++;
      let socket: net.Socket;
      try {
        socket = await dial({
          host: dest,
          port: dport,
          family,
          localAddress: pair.source.text,
          timeoutMs: this.connectTimeout,
          signal,
        });
      } catch (err) {
        pair.bindInUse--;
        pair.failures++;
        const errno = errnoOf(err) ?? 'EUNKNOWN';
        attempts.push({ localAddress: pair.source.text, localPort: 0, result: errno });
        if (errno === 'EADDRINUSE' || errno === 'EADDRNOTAVAIL') {
          pair.collisions++;
          continue;
        }
        throw err;
      }
      const lport = socket.localPort ?? 0;
      this.mirror.advance(this.clock());
      const conn = this.mirror.open(pair.source, 0, dest, dport, lport);
      if ('ok' in conn) {
        // The kernel connected where the model says it could not: keep the socket, note it.
        if (conn.step === 'connect') this.mirror.divergences++;
        pair.bindInUse--;
        this.trackUnmirrored(socket);
        return socket;
      }
      attempts.push({ localAddress: pair.source.text, localPort: lport, result: 'connected' });
      this.track(socket, { pair, port: lport, conn });
      return socket;
    }
    throw this.collided(dest, dport, attempts, null);
  }

  // ---- no-port strategy ---------------------------------------------------------------------

  /**
   * IP_BIND_ADDRESS_NO_PORT + bind(source, 0), then connect(): the kernel picks the port per
   * destination (R22), so each source gives a whole ip_local_port_range to each destination.
   * EADDRNOTAVAIL means that source is full towards this destination: the next source is tried.
   */
  private async connectNoPort(
    dest: string,
    dport: number,
    signal: AbortSignal | undefined,
  ): Promise<net.Socket> {
    const family = familyOf(dest);
    const attempts: Attempt[] = [];
    const tried = new Set<string>();
    const addon = this.noPort as NoPortAddon;
    for (let tries = 0; tries < this.maxAttempts; tries++) {
      const now = this.clock();
      this.mirror.advance(now);
      let pair: Pair | null = null;
      let best = -1;
      for (const s of this.sources) {
        if (s.family !== family || tried.has(s.text)) continue;
        const p = this.pair(s, dest, dport, now);
        const room = this.headroom(p);
        if (room > best) {
          pair = p;
          best = room;
        }
      }
      if (!pair) break;
      tried.add(pair.source.text);
      pair.attempts++;
      pair.bindInUse++;
      let socket: net.Socket;
      try {
        const fd = addon.bindNoPort(pair.source.text);
        socket = await dial({
          host: dest,
          port: dport,
          family,
          localAddress: pair.source.text,
          timeoutMs: this.connectTimeout,
          signal,
          fd,
        });
      } catch (err) {
        pair.bindInUse--;
        pair.failures++;
        const errno = errnoOf(err) ?? 'EUNKNOWN';
        attempts.push({ localAddress: pair.source.text, localPort: 0, result: errno });
        if (errno === 'EADDRNOTAVAIL' || errno === 'EADDRINUSE') {
          pair.collisions++;
          continue;
        }
        throw err;
      }
      const lport = socket.localPort ?? 0;
      this.mirror.advance(this.clock());
      const conn = this.mirror.openNoPort(pair.source, dest, dport, lport);
      if ('ok' in conn) {
        pair.bindInUse--;
        this.trackUnmirrored(socket);
        return socket;
      }
      attempts.push({ localAddress: pair.source.text, localPort: lport, result: 'connected' });
      this.track(socket, { pair, port: lport, conn });
      return socket;
    }
    throw this.exhausted(dest, dport, family, attempts);
  }

  /** Ports bind(source, 0) holds now: our connections and their TIME_WAIT entries on that source (R23, R64). */
  private bindHeld(source: string): number {
    const before = this.clock() - TIME_WAIT_MS;
    let n = 0;
    for (const p of this.pairs.values()) {
      if (p.source.text !== source) continue;
      p.bindTimeWait.expire(before);
      n += p.bindInUse + p.bindTimeWait.size;
    }
    return n;
  }

  // ---- common -------------------------------------------------------------------------------

  private track(socket: net.Socket, l: Live): void {
    this.live.set(socket, l);
    watchEnding(socket, (how: Ending) => {
      const now = this.clock();
      this.mirror.advance(now);
      this.mirror.end(l.conn, how);
      this.live.delete(socket);
      if (l.pair.pool) l.pair.pool.give(l.port, how === 'we-closed-first' ? 'timewait' : 'free', now);
      else {
        l.pair.bindInUse--;
        if (how === 'we-closed-first') l.pair.bindTimeWait.push(now);
      }
    });
  }

  private trackUnmirrored(socket: net.Socket): void {
    this.live.set(socket, null as unknown as Live);
    socket.once('close', () => this.live.delete(socket));
  }

  private async resolve(host: string): Promise<string> {
    const literal = parseAddr(host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host);
    if (literal) return this.matchFamily(host, [{ address: literal.text, family: literal.family }]);
    let found: readonly { address: string; family: number }[];
    try {
      found = await this.lookup(host);
    } catch (err) {
      throw new ConnectorError(
        'PORTSPACE_LOOKUP_FAILED',
        `getaddrinfo ${errnoOf(err) ?? 'failed'} ${host}: the destination name did not resolve`,
        { errno: errnoOf(err) ?? 'ENOTFOUND', syscall: 'getaddrinfo', address: host, cause: err },
      );
    }
    return this.matchFamily(host, found);
  }

  /** The first address whose family has a source: Happy Eyeballs is off with a source address. */
  private matchFamily(host: string, found: readonly { address: string; family: number }[]): string {
    const families = new Set(this.sources.map((s) => s.family));
    for (const f of found) {
      const a = parseAddr(f.address);
      if (!a) continue;
      if (a.mapped && families.has(4)) return a.canon.text;
      if (families.has(a.family)) return a.text;
    }
    const have = [...families].map((f) => `IPv${f}`).join(' and ');
    const got = found.map((f) => `${f.address} (IPv${f.family})`).join(', ') || 'no address';
    throw new ConnectorError(
      'PORTSPACE_NO_SOURCE_FOR_FAMILY',
      `${host} resolves to ${got}, but the sources are ${have} only (${this.sources.map((s) => s.text).join(', ')}). Node turns Happy Eyeballs off when a source address is set, so the connector picks the family itself: add a source of the destination's family`,
      { errno: 'EAFNOSUPPORT', syscall: 'connect', address: found[0]?.address ?? host },
    );
  }

  private exhausted(dest: string, dport: number, family: 4 | 6, attempts: Attempt[]): ConnectorError {
    const rows = this.sources
      .filter((s) => s.family === family)
      .map((s) => {
        const p = this.pair(s, dest, dport, this.clock());
        return {
          source: s.text,
          free: this.headroom(p),
          capacity: this.capacity(p),
          inUse: p.inUse,
          timeWait: p.timeWait,
          onHold: p.pool?.onHold ?? 0,
          bindHeld: p.pool || this.strategy === 'no-port' ? null : this.bindHeld(s.text),
        };
      });
    const r = exhaustedReason(dest, dport, rows, {
      strategy: this.strategy,
      timestamps: this.host.sysctls.timestamps,
      hostRange: this.host.sysctls.range,
    });
    const last = attempts[attempts.length - 1];
    return new ConnectorError(
      'PORTSPACE_PORTS_EXHAUSTED',
      `connect EADDRNOTAVAIL ${fmtDest(dest, dport)}: ${r.text}`,
      {
        errno: 'EADDRNOTAVAIL',
        syscall: 'connect',
        address: dest,
        port: dport,
        ...(last ? { localAddress: last.localAddress, localPort: last.localPort } : {}),
        attempts,
        rule: r.rule,
      },
    );
  }

  private collided(dest: string, dport: number, attempts: Attempt[], cause: unknown): ConnectorError {
    const last = attempts[attempts.length - 1];
    const tries = attempts.filter((a) => !a.byModel).length;
    return new ConnectorError(
      'PORTSPACE_TOO_MANY_COLLISIONS',
      `connect ${last?.result ?? 'EADDRNOTAVAIL'} ${fmtDest(dest, dport)}: the kernel refused ${tries} ports in a row (${attempts
        .filter((a) => !a.byModel)
        .map((a) => `${a.localAddress}:${a.localPort} ${a.result}`)
        .join(
          ', ',
        )}); another program holds them. Give each process its own share (shard) or raise maxAttempts (${this.maxAttempts})`,
      {
        errno: last?.result === 'EADDRINUSE' ? 'EADDRINUSE' : 'EADDRNOTAVAIL',
        syscall: 'connect',
        address: dest,
        port: dport,
        ...(last ? { localAddress: last.localAddress, localPort: last.localPort } : {}),
        attempts,
        cause,
      },
    );
  }
}

export function createConnector(opts: ConnectorOptions): Connector {
  return new Connector(opts);
}

function checkRequest(req: ConnectRequest): { host: string; port: number } {
  if (!req || typeof req.host !== 'string' || req.host.length === 0 || req.host.length > 255)
    throw new ConnectorError('PORTSPACE_BAD_OPTION', 'connect: host must be an IP address or a name');
  if (!Number.isInteger(req.port) || req.port < 1 || req.port > 65535)
    throw new ConnectorError(
      'PORTSPACE_BAD_OPTION',
      `connect: port must be 1..65535, got ${String(req.port)}`,
    );
  return { host: req.host, port: req.port };
}

function familyOf(ip: string): 4 | 6 {
  return ip.includes(':') ? 6 : 4;
}

function fmtDest(dest: string, dport: number): string {
  return dest.includes(':') ? `[${dest}]:${dport}` : `${dest}:${dport}`;
}

function fmtRanges(r: readonly (readonly [number, number])[]): string {
  return r.map(([lo, hi]) => (lo === hi ? `${lo}` : `${lo}-${hi}`)).join(',');
}
