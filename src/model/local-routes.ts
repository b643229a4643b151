/**
 * Local routes (`ip route add local PREFIX dev lo [src ADDR]`): "AnyIP" prefixes whose every
 * address is this host, each with an optional preferred source. Measured on 6.18 (issue 10,
 * experiments/exp_routes_freebind.py; the spec's R10 names the preferred source of a route but
 * has no rule for routes a script adds):
 *  - The local table is looked up before the prefixes of `addr`, longest prefix first; an
 *    address of the namespace (/32, /128) and 127.0.0.0/8 (src 127.0.0.1) are entries too.
 *  - connect()/UDP connect into the prefix take the route's `src` as source address; IPv4
 *    without `src` takes the destination itself; IPv6 without `src` selects among the
 *    namespace's own global addresses (longest common prefix), else ::1 (`v6SourceFor`).
 *  - IPv4 treats every address of the prefix as local: bind() needs no IP_FREEBIND, and a
 *    source bound inside it can connect (an address bound with IP_FREEBIND becomes usable once
 *    a route covers it). IPv6 bind() still needs a configured address (or FREEBIND).
 *  - `src` must be an address of the namespace (IPv4: local as IPv4 sees it, routes included;
 *    IPv6: a configured address or ::1), else EINVAL; the same prefix twice is EEXIST.
 */
import { type Addr, inPrefix, LOOP4, LOOP6, type Prefix, parseAddr } from './addr.js';
import type { Core } from './core.js';
import { type Failure, fail } from './result.js';

export interface LocalRoute {
  /** Network address (host bits zero) and length. */
  readonly prefix: Prefix;
  /** The preferred source (`src`), or null. */
  readonly src: Addr | null;
}

/** Adds a local route after the kernel's checks (see the module comment). */
export function addLocalRoute(core: Core, prefix: Prefix, src: Addr | null): Failure | null {
  const v4 = prefix.addr.family === 4;
  if (src && (src.family === 4) !== v4)
    return fail('EINVAL', 'R10', `the preferred source ${src.text} is not of the prefix's family`);
  if (src) {
    // IPv4 accepts a /32 whose src is its own address (that route makes it local).
    const self = v4 && prefix.len === 32 && src === prefix.addr;
    const ok = v4 ? self || core.isLocal(src) : src.loopback || core.hasAddress(src);
    if (!ok)
      return fail('EINVAL', 'R10', `the preferred source ${src.text} is not an address of this namespace`);
  }
  const dup = core.localRoutes.some((r) => r.prefix.addr === prefix.addr && r.prefix.len === prefix.len);
  if (dup || (v4 && prefix.len === 8 && prefix.addr.v4 === 0x7f000000))
    return fail('EEXIST', 'R10', `a local route for ${prefix.addr.text}/${prefix.len} exists already`);
  core.addLocalRoute({ prefix, src });
  return null;
}

/** The longest local route covering `a` (IPv4 view for v4-mapped addresses), if any. */
export function localRouteFor(routes: readonly LocalRoute[], a: Addr): LocalRoute | null {
  let best: LocalRoute | null = null;
  const v4 = a.family === 4 || a.mapped;
  for (const r of routes) {
    if ((r.prefix.addr.family === 4) !== v4) continue;
    if (inPrefix(a, r.prefix) && (!best || r.prefix.len > best.prefix.len)) best = r;
  }
  return best;
}

/**
 * R10 for a destination of the local table: its source address, or undefined when the local
 * table has no entry for it (the `addr` prefixes decide then). `dest` is the IPv4 view on the
 * IPv4 path.
 */
export function localSourceFor(core: Core, dest: Addr): Addr | undefined {
  if (core.hasAddress(dest)) return dest; // the address's own /32 (/128) entry
  const r = localRouteFor(core.localRoutes, dest);
  if (dest.family === 4) {
    // 127.0.0.0/8 carries src 127.0.0.1; only a longer local route beats it.
    if (dest.v4 >>> 24 === 127 && (!r || r.prefix.len <= 8)) return LOOP4;
    if (r) return r.src ?? dest;
    return undefined;
  }
  if (dest.loopback) return LOOP6;
  if (r) return r.src ?? v6SourceFor(core, dest);
  return undefined;
}

/**
 * IPv6 source selection for a local route without `src` (RFC 6724 as Linux applies it, reduced
 * to what a namespace of this model holds): a global address of the namespace beats ::1
 * (scope), one whose policy label matches the destination's beats one whose does not, then the
 * longest common prefix (counted up to the address's prefix length) wins. Measured: ::1 when
 * there is none (a link-local address on another device is not taken); 2001:db8:0:1::1 before
 * 2001:db8:1::1 and 2001:db9::1 for 2001:db8::7. Ties keep the address added first (not measured).
 */
export function v6SourceFor(core: Core, dest: Addr): Addr {
  let best: Addr = LOOP6;
  let bestScore = -1;
  const label = policyLabel(dest);
  for (const p of core.prefixes) {
    const a = p.addr;
    if (a.family !== 6 || a.linkLocal || a.loopback) continue;
    const score = (policyLabel(a) === label ? 256 : 0) + Math.min(commonBits(a, dest), p.len);
    if (score > bestScore) {
      best = a;
      bestScore = score;
    }
  }
  return best;
}

/** The bytes of one address of the fixed table below (a typo there is a bug, not input). */
function policyBytes(text: string): readonly number[] {
  const a = parseAddr(text);
  if (!a) throw new Error(`bug: bad address ${text} in the IPv6 policy table`);
  return a.bytes;
}

/** RFC 6724's default policy table, the label column (longest prefix wins); ::/0 is label 1. */
const POLICY: readonly { readonly net: readonly number[]; readonly len: number; readonly label: number }[] = [
  ['::1', 128, 0],
  ['::ffff:0.0.0.0', 96, 4],
  ['2002::', 16, 2],
  ['2001::', 32, 5],
  ['fc00::', 7, 13],
  ['::', 96, 3],
  ['fec0::', 10, 11],
  ['3ffe::', 16, 12],
].map(([net, len, label]) => ({ net: policyBytes(String(net)), len: Number(len), label: Number(label) }));

function policyLabel(a: Addr): number {
  let label = 1;
  let bestLen = -1;
  for (const p of POLICY) {
    if (p.len > bestLen && prefixMatch(a.bytes, p.net, p.len)) {
      label = p.label;
      bestLen = p.len;
    }
  }
  return label;
}

function prefixMatch(a: readonly number[], b: readonly number[], len: number): boolean {
  for (let i = 0, bits = len; bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if (((a[i] ?? 0) & mask) !== ((b[i] ?? 0) & mask)) return false;
  }
  return true;
}

function commonBits(a: Addr, b: Addr): number {
  let n = 0;
  for (let i = 0; i < 16; i++) {
    const x = (a.bytes[i] ?? 0) ^ (b.bytes[i] ?? 0);
    if (x === 0) {
      n += 8;
      continue;
    }
    return n + Math.clz32(x) - 24;
  }
  return n;
}
