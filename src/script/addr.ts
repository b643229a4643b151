/**
 * Address text for scripts: validation and one canonical spelling (dotted quad; RFC 5952 IPv6,
 * lower case, longest zero run compressed, v4-mapped written ::ffff:a.b.c.d), so that
 * `[0:0::1]` and `[::1]` are the same address in the AST and in expectation checks. The parsing
 * itself is the model's (one address parser in the project).
 */
import { parseAddr } from '../model/index.js';

/** The canonical dotted quad, or null when `text` is not an IPv4 address. */
export function canonicalV4(text: string): string | null {
  const a = parseAddr(text);
  return a?.family === 4 ? a.text : null;
}

/** RFC 5952 text of an IPv6 address (no brackets), or null. */
export function canonicalV6(text: string): string | null {
  const a = parseAddr(text);
  return a?.family === 6 ? a.text : null;
}

/** Canonical text of an IPv4 or IPv6 address (IPv6 without brackets), or null. */
export function canonicalAddr(text: string): string | null {
  return text.includes(':') ? canonicalV6(text) : canonicalV4(text);
}

/** `10.0.0.1/24` or `fd00::1/64`, canonicalised; null when malformed or the prefix is too long. */
export function canonicalCidr(text: string): string | null {
  const slash = text.indexOf('/');
  if (slash < 0) return null;
  const addr = canonicalAddr(text.slice(0, slash));
  const bits = text.slice(slash + 1);
  if (addr === null || !/^\d{1,3}$/.test(bits)) return null;
  const max = addr.includes(':') ? 128 : 32;
  const n = Number(bits);
  return n <= max ? `${addr}/${n}` : null;
}

/** How an address is written inside an endpoint: IPv6 in brackets. */
export function endpointText(addr: string, port: string | number): string {
  return addr.includes(':') ? `[${addr}]:${port}` : `${addr}:${port}`;
}

/**
 * Why `addr` cannot be one end of a `deliver` probe, or null when it can. The source is the
 * address the probe binds and sends from, so it must be one unicast address: not a wildcard
 * (0.0.0.0, ::, ::ffff:0.0.0.0), not multicast (224.0.0.0/4, ff00::/8, v4-mapped too), not the
 * limited broadcast. The destination must name one receiver: not a wildcard, multicast or
 * 255.255.255.255. A directed broadcast (10.0.0.255 of a /24) depends on the addresses the script
 * adds, so the parser cannot see it.
 */
export function deliverEndProblem(addr: string, end: 'source' | 'destination'): string | null {
  const a = parseAddr(addr);
  if (a === null) return null;
  const v4 = a.family === 4 || a.mapped ? a.v4 : -1;
  const what =
    a.wildcard || v4 === 0
      ? 'a wildcard address'
      : a.multicast || (v4 >= 0 && v4 >>> 28 === 14)
        ? 'a multicast address'
        : v4 === 0xffffffff
          ? 'the limited broadcast address'
          : null;
  if (what === null) return null;
  const why =
    end === 'source'
      ? 'the probe sends from one unicast address'
      : 'the probe needs one unicast receiver address';
  return `the ${end} of a delivery cannot be ${what} (${addr}): ${why}`;
}
