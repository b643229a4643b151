/**
 * Where a connect() goes: the request checked, the name resolved (all addresses), and the first
 * address of a family the sources have. Node turns Happy Eyeballs off once a source address is
 * set, so the connector picks the family itself.
 */
import dns from 'node:dns';
import { parseAddr } from '../model/index.js';
import { ConnectorError, errnoOf } from './errors.js';
import type { SourceAddr } from './options.js';

export interface ConnectRequest {
  /** An IP address or a name (resolved with dns.lookup, all addresses). */
  readonly host: string;
  readonly port: number;
  readonly signal?: AbortSignal | undefined;
}

export type Lookup = (host: string) => Promise<readonly { address: string; family: number }[]>;

/** dns.lookup with every address, in the resolver's order. */
export const systemLookup: Lookup = (h) =>
  dns.promises.lookup(h, { all: true, verbatim: true }) as Promise<{ address: string; family: number }[]>;

export function checkRequest(req: ConnectRequest): { host: string; port: number } {
  if (!req || typeof req.host !== 'string' || req.host.length === 0 || req.host.length > 255)
    throw new ConnectorError('PORTSPACE_BAD_OPTION', 'connect: host must be an IP address or a name');
  if (!Number.isInteger(req.port) || req.port < 1 || req.port > 65535)
    throw new ConnectorError(
      'PORTSPACE_BAD_OPTION',
      `connect: port must be 1..65535, got ${String(req.port)}`,
    );
  return { host: req.host, port: req.port };
}

/** The destination address for `host` (a literal, `[v6]`, or a name). */
export async function resolveDestination(
  host: string,
  sources: readonly SourceAddr[],
  lookup: Lookup,
): Promise<string> {
  const literal = parseAddr(host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host);
  if (literal) return matchFamily(host, [{ address: literal.text, family: literal.family }], sources);
  let found: readonly { address: string; family: number }[];
  try {
    found = await lookup(host);
  } catch (err) {
    throw new ConnectorError(
      'PORTSPACE_LOOKUP_FAILED',
      `getaddrinfo ${errnoOf(err) ?? 'failed'} ${host}: the destination name did not resolve`,
      { errno: errnoOf(err) ?? 'ENOTFOUND', syscall: 'getaddrinfo', address: host, cause: err },
    );
  }
  return matchFamily(host, found, sources);
}

/** The first address whose family has a source: Happy Eyeballs is off with a source address. */
function matchFamily(
  host: string,
  found: readonly { address: string; family: number }[],
  sources: readonly SourceAddr[],
): string {
  const families = new Set(sources.map((s) => s.family));
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
    `${host} resolves to ${got}, but the sources are ${have} only (${sources.map((s) => s.text).join(', ')}). Node turns Happy Eyeballs off when a source address is set, so the connector picks the family itself: add a source of the destination's family`,
    { errno: 'EAFNOSUPPORT', syscall: 'connect', address: found[0]?.address ?? host },
  );
}

export function familyOf(ip: string): 4 | 6 {
  return ip.includes(':') ? 6 : 4;
}

/** `ip:port`, or `[ip6]:port`. */
export function fmtDest(dest: string, dport: number): string {
  return dest.includes(':') ? `[${dest}]:${dport}` : `${dest}:${dport}`;
}
