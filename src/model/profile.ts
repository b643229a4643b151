/**
 * Kernel profiles: which Linux the model behaves like. 'linux-6.18' is the model (every rule of
 * the spec); 'linux-4.1' is the article era (spec section 10, first row), for showing what the
 * 2014 "Bind before connect" article saw beside what 6.18 does. The 4.1 profile changes only
 * what section 10 lists: the connect() scan (one global hint, step 1; linux41-search.ts), bind(0)
 * sharing the least-used port once the range is exhausted (linux41-search.ts), the default
 * range, tcp_tw_reuse's default, and the knobs that did not exist yet (this file). Everything
 * else (conflict rules, bhash2's address awareness, TIME_WAIT timing) stays 6.18.
 */
import type { SockOpt } from '../calls/index.js';
import { type Failure, fail } from './result.js';
import type { SysctlName, Sysctls } from './sysctl.js';

export type Profile = 'linux-6.18' | 'linux-4.1';
export const PROFILES: readonly Profile[] = ['linux-6.18', 'linux-4.1'];
export const DEFAULT_PROFILE: Profile = 'linux-6.18';

export function isProfile(x: string): x is Profile {
  return (PROFILES as readonly string[]).includes(x);
}

/** Sysctls that 4.1 did not have, with the version that added them (writes and reads: ENOENT). */
const MISSING_IN_41: Partial<Record<SysctlName, string>> = {
  'net.ipv4.ip_unprivileged_port_start': '4.11',
  'net.ipv4.ip_autobind_reuse': '5.7',
  'net.ipv4.tcp_tw_reuse_delay': '6.14',
};

/** Socket options that 4.1 did not have: setsockopt answers ENOPROTOOPT. */
const OPTIONS_MISSING_IN_41: Partial<Record<SockOpt, string>> = {
  IP_BIND_ADDRESS_NO_PORT: '4.2',
  IP_LOCAL_PORT_RANGE: '6.3',
};

/** The profile's defaults over 6.18's: 4.1's range was 32768-61000 (R1) and tcp_tw_reuse was off (R4). */
export function applyProfileDefaults(s: Sysctls, profile: Profile): void {
  if (profile !== 'linux-4.1') return;
  s.portRange = [32768, 61000];
  s.twReuse = 0;
}

/** A sysctl this profile's kernel has no file for: ENOENT, like a missing /proc/sys entry. */
export function missingSysctl(profile: Profile, name: SysctlName): Failure | null {
  if (profile !== 'linux-4.1') return null;
  const since = MISSING_IN_41[name];
  return since === undefined
    ? null
    : fail('ENOENT', 'R1', `${name} does not exist in Linux 4.1 (added in ${since})`);
}

/** A sysctl value this profile's kernel refuses: tcp_tw_reuse = 2 (loopback only) came in 4.19. */
export function refusedSysctlValue(profile: Profile, name: SysctlName, value: string): Failure | null {
  if (profile !== 'linux-4.1' || name !== 'net.ipv4.tcp_tw_reuse' || value.trim() !== '2') return null;
  return fail('EINVAL', 'R4', 'tcp_tw_reuse = 2 (loopback only) does not exist in Linux 4.1 (added in 4.19)');
}

/** A socket option this profile's kernel does not know: ENOPROTOOPT. */
export function missingOption(profile: Profile, opt: SockOpt): Failure | null {
  if (profile !== 'linux-4.1') return null;
  const since = OPTIONS_MISSING_IN_41[opt];
  return since === undefined
    ? null
    : fail('ENOPROTOOPT', 'D2', `${opt} does not exist in Linux 4.1 (added in ${since})`);
}
