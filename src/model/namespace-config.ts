/**
 * The calls that configure a namespace rather than a socket: sysctls (with the profile's missing
 * ones), local addresses (R7) and local routes (R10), the effective uid, virtual time.
 */
import { type Addr, networkOf } from './addr.js';
import type { Core } from './core.js';
import { addLocalRoute } from './local-routes.js';
import { missingSysctl, refusedSysctlValue } from './profile.js';
import { fail, type Result } from './result.js';
import { canonicalSysctlName, readSysctl, SYSCTL_RULE, writeSysctl } from './sysctl.js';

export function setSysctl(core: Core, name: string, value: string): Result {
  const n = canonicalSysctlName(name);
  if (!n) return fail('ENOENT', 'R1', `unknown sysctl ${name}`);
  core.rules.add(SYSCTL_RULE[n]);
  const absent = missingSysctl(core.profile, n) ?? refusedSysctlValue(core.profile, n, value);
  if (absent) return absent;
  const f = writeSysctl(core.sysctl, n, value);
  if (f) return f;
  if (n === 'net.ipv4.ip_local_reserved_ports') core.ports.setReserved(core.sysctl.reserved);
  return { ok: true };
}

export function getSysctl(core: Core, name: string): Result<{ value: string }> {
  const n = canonicalSysctlName(name);
  if (!n) return fail('ENOENT', 'R1', `unknown sysctl ${name}`);
  core.rules.add(SYSCTL_RULE[n]);
  const absent = missingSysctl(core.profile, n);
  if (absent) return absent;
  return { ok: true, value: readSysctl(core.sysctl, n) };
}

/** R7: a new local address; the rest of its prefix is remote hosts that accept. */
export function addAddressCall(core: Core, cidr: string): Result {
  const p = core.addrs.parseCidr(cidr);
  if (!p) return fail('EINVAL', 'R7', `not an address with prefix length: ${cidr}`);
  // An address inside a local route is not one yet: adding it works (only routes cover it).
  if (core.hasAddress(p.addr) || (p.addr.family === 4 ? p.addr.v4 >>> 24 === 127 : p.addr.loopback))
    return fail('EEXIST', 'R7', `${p.addr.text} is already local`);
  core.addPrefix(p);
  return { ok: true };
}

/** R10: `ip route add local PREFIX dev lo [src SRC]` (local-routes.ts). */
export function addLocalRouteCall(core: Core, cidr: string, src: string | undefined): Result {
  const p = core.addrs.parseCidr(cidr);
  if (!p) return fail('EINVAL', 'R10', `not a prefix: ${cidr}`);
  if (networkOf(p).text !== p.addr.text) return fail('EINVAL', 'R10', `${cidr} has host bits set`);
  let s: Addr | null = null;
  if (src !== undefined) {
    s = core.addrs.parse(src);
    if (!s) return fail('EINVAL', 'R10', `not an IP address: ${src}`);
  }
  const f = addLocalRoute(core, p, s);
  // R7: every address of a local route is this host's (bind, AnyIP); R10: its source for connect().
  core.rules.add('R7');
  core.rules.add('R10');
  return f ?? { ok: true };
}

/** The effective uid of the following calls; a caller bug (RangeError) when it is not a uid. */
export function setUidOf(core: Core, uid: number): void {
  if (!Number.isInteger(uid) || uid < 0 || uid > 0xfffffffe)
    throw new RangeError(`uid must be an integer 0..4294967294, got ${uid}`);
  core.uid = uid;
}

/** Moves virtual time on; a caller bug (RangeError) when `ms` is negative or not finite. */
export function advanceTime(core: Core, ms: number): void {
  if (!(ms >= 0) || !Number.isFinite(ms))
    throw new RangeError(`advance: ms must be a finite number >= 0, got ${ms}`);
  core.advance(ms);
}
