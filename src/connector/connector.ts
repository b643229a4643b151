/**
 * The connector: outbound TCP connections from a pool of source addresses, each local port
 * chosen by the connector and checked by the model before the kernel sees it.
 *
 * Per connect(): resolve the destination and match it to the sources' family (destination.ts);
 * then the strategy's loop: userspace (connect-userspace.ts: the connector picks the port from
 * the pair with the most headroom, the model reserves it, then the real handshake), or bind and
 * no-port (connect-kernel-picks.ts: the kernel picks, the model follows). Kernel refusals
 * (EADDRINUSE / EADDRNOTAVAIL: another program got there first) are retried up to maxAttempts:
 * undici and fetch never retry those, so it happens here. This file holds the options, the
 * strategy choice and the public surface (agents, metrics, stats, close).
 */
import type http from 'node:http';
import type https from 'node:https';
import type net from 'node:net';
import { performance } from 'node:perf_hooks';
import type { Registry } from 'prom-client';
import type { ConnectContext } from './connect-context.js';
import { connectBind, connectNoPort } from './connect-kernel-picks.js';
import { connectUserspace } from './connect-userspace.js';
import {
  type ConnectRequest,
  checkRequest,
  familyOf,
  type Lookup,
  literalDestination,
  resolveDestination,
  systemLookup,
} from './destination.js';
import { ConnectorError } from './errors.js';
import { type HostPorts, readForeignPorts, readHostPorts } from './host.js';
import { makeHttpAgent, makeHttpsAgent } from './http-agents.js';
import { LiveSockets } from './live-sockets.js';
import { type MetricsOptions, registerConnectorMetrics } from './metrics.js';
import { Mirror } from './mirror.js';
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
import { PairBook, type PairStats } from './pair-book.js';
import { makeUndiciConnect, type UndiciConnectOptions } from './undici-connect.js';

export type { ConnectRequest } from './destination.js';
export type { PairStats } from './pair-book.js';

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

/** How many literal destinations a connector keeps worked out (a bound on memory, not a limit). */
const LITERALS_KEPT = 1024;

export class Connector {
  readonly info: ConnectorInfo;
  private readonly sources: SourceAddr[];
  private readonly strategy: Strategy;
  private readonly clock: () => number;
  private readonly lookup: Lookup;
  private readonly host: HostPorts;
  private readonly mirror: Mirror;
  private readonly book: PairBook;
  private readonly live: LiveSockets;
  private readonly ctx: ConnectContext;
  private closed = false;
  private noPort: NoPortAddon | null = null;
  /** Literal hosts and their destination address (see resolve). */
  private readonly literals = new Map<string, string>();

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
    const maxAttempts = checkInt('maxAttempts', opts.maxAttempts, 8, 1, 1000);
    const connectTimeout = checkInt('connectTimeout', opts.connectTimeout, 10_000, 0, 3_600_000);
    const shard = checkShard(opts.shard);
    this.clock = opts.clock ?? (() => performance.now());
    const random = opts.random ?? Math.random;
    this.lookup = opts.lookup ?? systemLookup;
    const procRoot = opts.procRoot ?? '/proc';
    this.host = readHostPorts(procRoot);
    const hs = this.host.sysctls;
    const ranges =
      opts.ports === undefined
        ? defaultPortRanges(hs.range, hs.unprivilegedPortStart)
        : parsePortRanges(opts.ports);
    // R2: reserved ports are for someone's servers; the default leaves them out. Ports given
    // explicitly are used as given (reserving the connector's own band is the advice).
    const candidates = candidatePorts(ranges, new Set(opts.ports === undefined ? hs.reserved : []), shard);
    if (strategy === 'userspace' && candidates.length === 0)
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
      portCount: candidates.length,
      hostRange: hs.range,
      notes,
    };
    this.mirror = new Mirror(this.sources, hs, this.clock());
    const foreign = opts.avoidHostSockets
      ? readForeignPorts(
          procRoot,
          this.sources.map((s) => s.text),
        )
      : null;
    this.book = new PairBook({
      sources: this.sources,
      strategy,
      candidates,
      sysctls: hs,
      foreign,
      clock: this.clock,
      random,
    });
    this.live = new LiveSockets(this.mirror, this.clock);
    this.ctx = {
      book: this.book,
      mirror: this.mirror,
      live: this.live,
      clock: this.clock,
      maxAttempts,
      connectTimeout,
    };
  }

  /** Opens a TCP connection; resolves once it is established. */
  async connect(req: ConnectRequest): Promise<net.Socket> {
    if (this.closed)
      throw new ConnectorError('PORTSPACE_CONNECTOR_CLOSED', 'connect() after close(): make a new connector');
    const { host, port } = checkRequest(req);
    const dest = this.literals.get(host) ?? (await this.resolve(host));
    const target = { dest, dport: port, family: familyOf(dest), signal: req.signal };
    if (this.strategy === 'bind') return connectBind(this.ctx, target);
    if (this.strategy === 'no-port') return connectNoPort(this.ctx, target, this.noPort as NoPortAddon);
    return connectUserspace(this.ctx, target);
  }

  /**
   * A literal destination's address is worked out once and kept (parsing it made a fresh address
   * and its twin per connect: a fifth of the connector's own time in the 50,000-connection
   * benchmark); names are looked up every time, so DNS changes are seen.
   */
  private async resolve(host: string): Promise<string> {
    const literal = literalDestination(host, this.sources);
    if (literal === null) return resolveDestination(host, this.sources, this.lookup);
    if (this.literals.size >= LITERALS_KEPT) this.literals.clear();
    this.literals.set(host, literal);
    return literal;
  }

  /** A node:http Agent whose connections come from this connector (keep-alive etc. as usual). */
  httpAgent(opts: http.AgentOptions = {}): http.Agent {
    return makeHttpAgent(this, opts);
  }

  /** A node:https Agent: TLS (with Node's session cache) on top of this connector's TCP sockets. */
  httpsAgent(opts: https.AgentOptions = {}): https.Agent {
    return makeHttpsAgent(this, this.live, opts);
  }

  /**
   * For undici's `connect` option: `new Agent({ connect: connector.undiciConnect({ ca }) })`.
   * The options are undici's buildConnector options (TLS: ca, rejectUnauthorized, allowH2...).
   */
  undiciConnect(tlsOptions: UndiciConnectOptions = {}): ReturnType<typeof makeUndiciConnect> {
    return makeUndiciConnect(this, this.live, tlsOptions);
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
    return this.book.stats();
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
    return { tracked: this.live.size, modelSockets: this.mirror.openSockets(), poolInUse: this.book.inUse() };
  }

  /** Model and kernel disagreements seen so far (bind strategy: a port the model thought taken). */
  get divergences(): number {
    return this.mirror.divergences;
  }

  /** No new connections; with destroySockets, ends the open ones too. */
  close(opts: { destroySockets?: boolean } = {}): void {
    this.closed = true;
    if (opts.destroySockets) this.live.destroyAll();
  }
}

export function createConnector(opts: ConnectorOptions): Connector {
  return new Connector(opts);
}

function fmtRanges(r: readonly (readonly [number, number])[]): string {
  return r.map(([lo, hi]) => (lo === hi ? `${lo}` : `${lo}-${hi}`)).join(',');
}
