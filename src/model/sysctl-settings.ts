/**
 * Typed sysctls for the model's users: `parseSysctl` reads one value (the /proc/sys text or the
 * typed value) exactly as the kernel's handler does, and `new Netns({ sysctls })` sets several at
 * once. Both go through sysctl.ts's one parser: a typed value is written out as the text
 * /proc/sys would take and parsed like any other write, so there is one set of rules (R1-R8).
 */
import { fail, type Result } from './result.js';
import {
  canonicalSysctlName,
  parseSysctlValue,
  type SysctlName,
  type SysctlValue,
  type SysctlValues,
} from './sysctl.js';

/** A value as a user gives it: the text `sysctl -w` would take ('32768 60999'), or the typed value. */
export type SysctlInput<N extends SysctlName = SysctlName> = string | SysctlValues[N];

/** Sysctls by full name, for `new Netns({ sysctls })`. */
export type SysctlSettings = { readonly [N in SysctlName]?: SysctlInput<N> };

/** The text /proc/sys would take for a typed value (a string passes as it is). */
export function sysctlText(name: SysctlName, value: string | number | readonly number[]): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  // R2's list is comma-separated; the port range is "low high".
  return value.join(name === 'net.ipv4.ip_local_reserved_ports' ? ',' : ' ');
}

/**
 * One sysctl's value, typed, or the errno the kernel gives for it (ENOENT for a name it does not
 * know). Names may be short ('tcp_tw_reuse', 'ipv6.bindv6only') as in `Netns.sysctl`. Only the
 * value itself is judged: a range whose low end is below ip_unprivileged_port_start (R1, R3) is
 * refused when written to a namespace, which knows the other value.
 */
export function parseSysctl<N extends SysctlName>(
  name: N,
  value: SysctlInput<N>,
): Result<{ name: N; value: SysctlValues[N] }>;
export function parseSysctl(
  name: string,
  value: string | number | readonly number[],
): Result<{ name: SysctlName; value: SysctlValue }>;
export function parseSysctl(
  name: string,
  value: string | number | readonly number[],
): Result<{ name: SysctlName; value: SysctlValue }> {
  const n = canonicalSysctlName(name);
  if (!n) return fail('ENOENT', 'R1', `unknown sysctl ${name}`);
  const r = parseSysctlValue(n, sysctlText(n, value));
  return 'ok' in r ? r : { ok: true, name: n, value: r.value };
}

/**
 * Writes every setting through `write` (Netns.sysctl). The range and ip_unprivileged_port_start
 * are checked against each other (R1, R3), so a write refused in the first pass is tried once
 * more after the others: any order of a consistent pair works. A value still refused is a
 * caller's bug in a constructor: thrown as a RangeError naming the sysctl and the reason.
 */
export function applySysctlSettings(
  settings: SysctlSettings,
  write: (name: string, value: string) => Result,
): void {
  let pending = Object.entries(settings).filter(([, v]) => v !== undefined) as [
    SysctlName,
    string | number | readonly number[],
  ][];
  let refused: string[] = [];
  for (let pass = 0; pass < 2 && pending.length > 0; pass++) {
    const again: typeof pending = [];
    refused = [];
    for (const [name, value] of pending) {
      // A plain-JS caller may use a short name; Netns.sysctl accepts it, so the text must match.
      const r = write(name, sysctlText(canonicalSysctlName(name) ?? name, value));
      if (r.ok) continue;
      again.push([name, value]);
      refused.push(`${name}: ${r.reason} (${r.errno}, ${r.rule})`);
    }
    pending = again;
  }
  if (pending.length > 0) throw new RangeError(`new Netns: sysctls refused: ${refused.join('; ')}`);
}
