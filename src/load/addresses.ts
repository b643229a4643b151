/**
 * Addresses a load may use: loopback only (127.0.0.0/8 and ::1), because the load runs in a
 * private namespace whose only interface is lo. Parses `--to ADDR:PORT`, `--sources A-B` (a
 * range of IPv4 loopback addresses, or a comma list) and `--range LO-HI`. Each returns a value
 * or a message saying what was wrong; the CLI turns messages into usage errors.
 */
import { parseAddr } from '../model/index.js';
import type { Destination } from './types.js';

export type Parsed<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly message: string };

/** At most this many source addresses (each is a full port range of connections). */
export const MAX_SOURCES = 64;

function isLoopback(text: string): boolean {
  return text === '::1' || /^127\./.test(text);
}

function v4Number(text: string): number | null {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (!m) return null;
  const parts = m.slice(1).map(Number);
  if (parts.some((p) => p > 255)) return null;
  return (((parts[0] ?? 0) << 24) | ((parts[1] ?? 0) << 16) | ((parts[2] ?? 0) << 8) | (parts[3] ?? 0)) >>> 0;
}

function v4Text(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

/** `127.0.0.1:9000` or `[::1]:9000`. */
export function parseDestination(text: string): Parsed<Destination> {
  const m = /^\[([^\]]+)\]:(\d{1,5})$/.exec(text) ?? /^([^:[\]]+):(\d{1,5})$/.exec(text);
  if (!m)
    return {
      ok: false,
      message: `--to must be ADDR:PORT (e.g. 127.0.0.1:9000 or [::1]:9000), got '${text}'`,
    };
  const addr = parseAddr(m[1] ?? '');
  const port = Number(m[2]);
  if (!addr) return { ok: false, message: `--to: '${m[1]}' is not an IP address` };
  if (!isLoopback(addr.text))
    return {
      ok: false,
      message: `--to: ${addr.text} is not a loopback address; the load runs in a private namespace that has only lo (use 127.0.0.0/8 or ::1)`,
    };
  if (port < 1 || port > 65535) return { ok: false, message: `--to: port must be 1..65535, got ${port}` };
  return { ok: true, value: { addr: addr.text, port } };
}

/** `127.0.0.2-127.0.0.5`, `127.0.0.2`, `127.0.0.2,127.0.0.7` or `::1`: distinct loopback addresses. */
export function parseSources(text: string): Parsed<string[]> {
  const out: string[] = [];
  for (const part of text.split(',')) {
    const range = /^([\d.]+)-([\d.]+)$/.exec(part.trim());
    if (range) {
      const lo = v4Number(range[1] ?? '');
      const hi = v4Number(range[2] ?? '');
      if (lo === null || hi === null)
        return { ok: false, message: `--sources: '${part}' is not an IPv4 range A-B` };
      if (hi < lo) return { ok: false, message: `--sources: '${part}' ends before it starts` };
      if (hi - lo + 1 > MAX_SOURCES)
        return {
          ok: false,
          message: `--sources: at most ${MAX_SOURCES} addresses, '${part}' has ${hi - lo + 1}`,
        };
      for (let n = lo; n <= hi; n++) out.push(v4Text(n));
      continue;
    }
    const a = parseAddr(part.trim());
    if (!a) return { ok: false, message: `--sources: '${part}' is not an address or a range A-B` };
    out.push(a.text);
  }
  const bad = out.find((a) => !isLoopback(a) || a === '127.0.0.0' || a === '127.255.255.255');
  if (bad !== undefined)
    return {
      ok: false,
      message: `--sources: ${bad} is not a usable loopback address; the namespace has only lo (127.0.0.1-127.255.255.254, ::1)`,
    };
  if (new Set(out).size !== out.length) return { ok: false, message: `--sources lists an address twice` };
  if (out.length > MAX_SOURCES)
    return { ok: false, message: `--sources: at most ${MAX_SOURCES} addresses, got ${out.length}` };
  return { ok: true, value: out };
}

/**
 * `1024-65535`: the namespace's ip_local_port_range. The kernel refuses HI < LO and LO below
 * ip_unprivileged_port_start (1024 in a fresh namespace), R1.
 */
export function parsePortRange(text: string): Parsed<[number, number]> {
  const m = /^(\d{1,5})-(\d{1,5})$/.exec(text);
  if (!m) return { ok: false, message: `--range must be LO-HI (e.g. 1024-65535), got '${text}'` };
  const lo = Number(m[1]);
  const hi = Number(m[2]);
  if (lo < 1024 || hi > 65535 || hi < lo)
    return {
      ok: false,
      message: `--range: need 1024 <= LO <= HI <= 65535 (the kernel refuses others in a fresh namespace, R1), got ${lo}-${hi}`,
    };
  return { ok: true, value: [lo, hi] };
}

export function familyOf(addr: string): 4 | 6 {
  return addr.includes(':') ? 6 : 4;
}
