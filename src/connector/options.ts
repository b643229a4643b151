/**
 * createConnector's options, checked once and turned into a plan: which source addresses, which
 * local ports (by default every port OUTSIDE the host's ip_local_port_range, R1/R12), which slice
 * of them this process owns (shard), and the limits. Bad input is a PORTSPACE_BAD_OPTION error
 * that names the option and what would be accepted.
 */
import { parseAddr } from '../model/index.js';
import { badOption } from './errors.js';

export type Strategy = 'userspace' | 'bind' | 'no-port';

/** A process's share of the ports when several processes on one host use the same sources. */
export interface Shard {
  /** 0-based index of this process. */
  readonly index: number;
  /** How many processes share the ports. */
  readonly count: number;
}

export interface ConnectorOptions {
  /** Local source addresses (IPv4 and/or IPv6), each an address of this host. */
  readonly sources: readonly string[];
  /**
   * Local ports to bind from: 'lo-hi[,lo-hi...]' or [[lo, hi], ...], inclusive, used as given.
   * Default: every port from ip_unprivileged_port_start (at least 1024) to 65535 that is outside
   * the host's ip_local_port_range and not in ip_local_reserved_ports.
   */
  readonly ports?: string | readonly (readonly [number, number])[];
  /**
   * 'userspace' (default): the model picks source and port. 'bind': plain localAddress, the
   * kernel picks (R23). 'no-port': IP_BIND_ADDRESS_NO_PORT through the optional native addon,
   * the kernel picks per destination (R22); falls back to 'userspace' when the addon is missing.
   */
  readonly strategy?: Strategy;
  /** Kernel tries per connect() on EADDRINUSE / EADDRNOTAVAIL (default 8). */
  readonly maxAttempts?: number;
  /** Milliseconds for the TCP handshake (default 10,000; 0 = none). */
  readonly connectTimeout?: number;
  /** This process's share of the ports (default: all of them, collisions are retried). */
  readonly shard?: Shard;
  /** Where to read sysctls (and, with avoidHostSockets, socket tables) from (default '/proc'). */
  readonly procRoot?: string;
  /**
   * Read /proc/net/tcp{,6} once at start and keep away from ports other programs hold on our
   * sources (listeners, bound sockets, their 4-tuples). Default false.
   */
  readonly avoidHostSockets?: boolean;
  /** Monotonic milliseconds (default performance.now): the model's clock moves with it. */
  readonly clock?: () => number;
  /** [0, 1) numbers for where each (source, destination) pool starts (default Math.random). */
  readonly random?: () => number;
  /** Name lookup (default dns.promises.lookup with all: true). */
  readonly lookup?: (host: string) => Promise<readonly { address: string; family: number }[]>;
}

export interface SourceAddr {
  /** Canonical text (the model's). */
  readonly text: string;
  readonly family: 4 | 6;
}

const MAX_SOURCES = 4096;

export function parseSources(sources: unknown): SourceAddr[] {
  if (!Array.isArray(sources) || sources.length === 0)
    throw badOption('sources: give at least one local IP address, e.g. sources: ["10.0.0.5", "10.0.0.6"]');
  if (sources.length > MAX_SOURCES) throw badOption(`sources: at most ${MAX_SOURCES} addresses`);
  const seen = new Set<string>();
  const out: SourceAddr[] = [];
  for (const s of sources) {
    const a = typeof s === 'string' ? parseAddr(s) : null;
    if (!a || a.wildcard || a.multicast || a.mapped)
      throw badOption(
        `sources: ${JSON.stringify(s)} is not a unicast IPv4 or IPv6 address (no wildcard, no v4-mapped)`,
      );
    if (seen.has(a.text)) throw badOption(`sources: ${a.text} is listed twice`);
    seen.add(a.text);
    out.push({ text: a.text, family: a.family });
  }
  return out;
}

/** 'lo-hi,lo-hi' or [[lo,hi],...] -> sorted, merged inclusive ranges. */
export function parsePortRanges(ports: ConnectorOptions['ports']): [number, number][] {
  let raw: (readonly [number, number])[];
  if (typeof ports === 'string') {
    raw = ports.split(',').map((part) => {
      const m = /^\s*(\d{1,5})\s*(?:-\s*(\d{1,5}))?\s*$/.exec(part);
      if (!m) throw badOption(`ports: '${part}' is not 'lo-hi' or a port (e.g. ports: '20000-29999')`);
      const lo = Number(m[1]);
      return [lo, m[2] === undefined ? lo : Number(m[2])] as const;
    });
  } else if (Array.isArray(ports)) raw = ports;
  else throw badOption("ports: give 'lo-hi[,lo-hi]' or [[lo, hi], ...]");
  for (const r of raw) {
    if (!Array.isArray(r) || r.length !== 2) throw badOption('ports: each range is [lo, hi]');
    const [lo, hi] = r;
    if (!Number.isInteger(lo) || !Number.isInteger(hi) || lo < 1 || hi > 65535 || lo > hi)
      throw badOption(`ports: [${lo}, ${hi}] must be integers with 1 <= lo <= hi <= 65535`);
  }
  const sorted = [...raw].map((r) => [r[0], r[1]] as [number, number]).sort((a, b) => a[0] - b[0]);
  const merged: [number, number][] = [];
  for (const r of sorted) {
    const last = merged[merged.length - 1];
    if (last && r[0] <= last[1] + 1) last[1] = Math.max(last[1], r[1]);
    else merged.push(r);
  }
  return merged;
}

/** R1/R12: the default is what the kernel's own connect() never picks: outside the host's range. */
export function defaultPortRanges(
  hostRange: readonly [number, number],
  unprivilegedPortStart: number,
): [number, number][] {
  const floor = Math.max(1024, unprivilegedPortStart);
  const out: [number, number][] = [];
  if (hostRange[0] - 1 >= floor) out.push([floor, hostRange[0] - 1]);
  if (hostRange[1] + 1 <= 65535) out.push([Math.max(floor, hostRange[1] + 1), 65535]);
  return out;
}

/**
 * The ports this process uses, in order: the ranges minus `excluded` (the default leaves out
 * reserved ports, R2: someone wants them), then this shard's contiguous slice. A typed array:
 * the pools index into it.
 */
export function candidatePorts(
  ranges: readonly (readonly [number, number])[],
  excluded: ReadonlySet<number>,
  shard: Shard | undefined,
): Uint16Array {
  const all: number[] = [];
  for (const [lo, hi] of ranges) for (let p = lo; p <= hi; p++) if (!excluded.has(p)) all.push(p);
  if (!shard) return Uint16Array.from(all);
  const from = Math.floor((all.length * shard.index) / shard.count);
  const to = Math.floor((all.length * (shard.index + 1)) / shard.count);
  return Uint16Array.from(all.slice(from, to));
}

export function checkShard(shard: unknown): Shard | undefined {
  if (shard === undefined) return undefined;
  const s = shard as Partial<Shard> | null;
  if (
    !s ||
    !Number.isInteger(s.count) ||
    !Number.isInteger(s.index) ||
    (s.count ?? 0) < 1 ||
    (s.count ?? 0) > 1024 ||
    (s.index ?? -1) < 0 ||
    (s.index ?? 0) >= (s.count ?? 0)
  )
    throw badOption('shard: { index, count } with 1 <= count <= 1024 and 0 <= index < count');
  return { index: s.index as number, count: s.count as number };
}

export function checkInt(name: string, v: unknown, dflt: number, min: number, max: number): number {
  if (v === undefined) return dflt;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
    throw badOption(`${name}: an integer from ${min} to ${max}, got ${String(v)}`);
  return v;
}
