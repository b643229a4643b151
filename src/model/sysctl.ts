/**
 * Per-namespace sysctls that drive port allocation (spec section 2, R1-R8), with Linux 6.18
 * defaults and the kernel's own validation: a bad write is a value (EINVAL), never a crash.
 */
import { type Failure, fail, type RuleId } from './result.js';

export interface Sysctls {
  /** R1: inclusive [lo, hi]. */
  portRange: readonly [number, number];
  /** R2: reserved ports, kept sorted. */
  reserved: ReadonlySet<number>;
  /** R3 */
  unprivilegedPortStart: number;
  /** R4: 0 never, 1 always, 2 loopback only. */
  twReuse: 0 | 1 | 2;
  /** R4: milliseconds. */
  twReuseDelayMs: number;
  /** R4: 0 disables timestamps (TW entries then can't be recycled). */
  timestamps: number;
  /** R5 */
  autobindReuse: 0 | 1;
  /** R6: seconds an orphaned FIN_WAIT2 lives. */
  finTimeoutSec: number;
  /** R6 */
  maxTwBuckets: number;
  /** R7 */
  nonlocalBind4: 0 | 1;
  nonlocalBind6: 0 | 1;
  /** R8 */
  bindV6Only: 0 | 1;
}

export function defaultSysctls(): Sysctls {
  return {
    portRange: [32768, 60999],
    reserved: new Set(),
    unprivilegedPortStart: 1024,
    twReuse: 2,
    twReuseDelayMs: 1000,
    timestamps: 1,
    autobindReuse: 0,
    finTimeoutSec: 60,
    maxTwBuckets: 131072,
    nonlocalBind4: 0,
    nonlocalBind6: 0,
    bindV6Only: 0,
  };
}

/** Every sysctl the model knows, by its full dotted name. */
export const SYSCTL_NAMES = [
  'net.ipv4.ip_local_port_range',
  'net.ipv4.ip_local_reserved_ports',
  'net.ipv4.ip_unprivileged_port_start',
  'net.ipv4.tcp_tw_reuse',
  'net.ipv4.tcp_tw_reuse_delay',
  'net.ipv4.tcp_timestamps',
  'net.ipv4.ip_autobind_reuse',
  'net.ipv4.tcp_fin_timeout',
  'net.ipv4.tcp_max_tw_buckets',
  'net.ipv4.ip_nonlocal_bind',
  'net.ipv6.ip_nonlocal_bind',
  'net.ipv6.bindv6only',
] as const;
export type SysctlName = (typeof SYSCTL_NAMES)[number];

/** The spec rule that describes each sysctl (R1-R8): what setting or reading it reports. */
export const SYSCTL_RULE: Readonly<Record<SysctlName, RuleId>> = {
  'net.ipv4.ip_local_port_range': 'R1',
  'net.ipv4.ip_local_reserved_ports': 'R2',
  'net.ipv4.ip_unprivileged_port_start': 'R3',
  'net.ipv4.tcp_tw_reuse': 'R4',
  'net.ipv4.tcp_tw_reuse_delay': 'R4',
  'net.ipv4.tcp_timestamps': 'R4',
  'net.ipv4.ip_autobind_reuse': 'R5',
  'net.ipv4.tcp_fin_timeout': 'R6',
  'net.ipv4.tcp_max_tw_buckets': 'R6',
  'net.ipv4.ip_nonlocal_bind': 'R7',
  'net.ipv6.ip_nonlocal_bind': 'R7',
  'net.ipv6.bindv6only': 'R8',
};

/** Accepts "net.ipv4.x", "ipv4.x", "net/ipv4/x" and the bare "x" for net.ipv4 names. */
export function canonicalSysctlName(name: string): SysctlName | null {
  let n = name.replaceAll('/', '.');
  if (!n.startsWith('net.'))
    n = n.startsWith('ipv4.') || n.startsWith('ipv6.') ? `net.${n}` : `net.ipv4.${n}`;
  return (SYSCTL_NAMES as readonly string[]).includes(n) ? (n as SysctlName) : null;
}

const INT = /^[+-]?\d+$/;

function ints(value: string): number[] | null {
  const parts = value
    .trim()
    .split(/\s+/)
    .filter((p) => p !== '');
  if (parts.length === 0 || !parts.every((p) => INT.test(p))) return null;
  return parts.map(Number);
}

function oneInt(value: string, lo: number, hi: number): number | null {
  const v = ints(value);
  if (v?.length !== 1) return null;
  const n = v[0] ?? Number.NaN;
  return n >= lo && n <= hi ? n : null;
}

/** R2's list syntax: "40000,40002-40005". Empty resets. */
function parseReserved(value: string): Set<number> | null {
  const out = new Set<number>();
  const text = value.trim();
  if (text === '') return out;
  for (const item of text.split(',')) {
    const m = /^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$/.exec(item);
    if (!m) return null;
    const a = Number(m[1]);
    const b = m[2] === undefined ? a : Number(m[2]);
    if (a > 65535 || b > 65535 || b < a) return null;
    for (let p = a; p <= b; p++) out.add(p);
  }
  return out;
}

function formatReserved(set: ReadonlySet<number>): string {
  const ports = [...set].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < ports.length; ) {
    let j = i;
    while (j + 1 < ports.length && (ports[j + 1] ?? 0) === (ports[j] ?? 0) + 1) j++;
    parts.push(i === j ? `${ports[i]}` : `${ports[i]}-${ports[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}

/** Each sysctl's value, typed: what `parseSysctlValue` returns and `new Netns({ sysctls })` takes. */
export interface SysctlValues {
  /** R1: inclusive [low, high]. */
  readonly 'net.ipv4.ip_local_port_range': readonly [number, number];
  /** R2: the reserved ports, ascending. */
  readonly 'net.ipv4.ip_local_reserved_ports': readonly number[];
  /** R3 */
  readonly 'net.ipv4.ip_unprivileged_port_start': number;
  /** R4: 0 never, 1 always, 2 loopback only. */
  readonly 'net.ipv4.tcp_tw_reuse': 0 | 1 | 2;
  /** R4: milliseconds, 1..60000. */
  readonly 'net.ipv4.tcp_tw_reuse_delay': number;
  /** R4 */
  readonly 'net.ipv4.tcp_timestamps': 0 | 1 | 2;
  /** R5 */
  readonly 'net.ipv4.ip_autobind_reuse': 0 | 1;
  /** R6: seconds. */
  readonly 'net.ipv4.tcp_fin_timeout': number;
  /** R6 */
  readonly 'net.ipv4.tcp_max_tw_buckets': number;
  /** R7 */
  readonly 'net.ipv4.ip_nonlocal_bind': 0 | 1;
  readonly 'net.ipv6.ip_nonlocal_bind': 0 | 1;
  /** R8 */
  readonly 'net.ipv6.bindv6only': 0 | 1;
}

export type SysctlValue = SysctlValues[SysctlName];

/**
 * Reads a value as the kernel's handler does (syntax and each value's own bounds), or returns
 * its errno. What depends on another sysctl (the range's low end against
 * ip_unprivileged_port_start, R1/R3) is checked when the value is written (writeSysctl).
 */
export function parseSysctlValue<N extends SysctlName>(
  name: N,
  value: string,
): Failure | { readonly value: SysctlValues[N] } {
  return parseAny(name, value) as Failure | { readonly value: SysctlValues[N] };
}

function parseAny(name: SysctlName, value: string): Failure | { readonly value: SysctlValue } {
  const einval = (why: string) => fail('EINVAL', 'R1', `${name} = ${JSON.stringify(value)}: ${why}`);
  switch (name) {
    case 'net.ipv4.ip_local_port_range': {
      const v = ints(value);
      if (v?.length !== 2) return einval('expects two integers "low high"');
      const [lo = 0, hi = 0] = v;
      if (lo < 1 || hi > 65535) return einval('values must lie in 1..65535');
      if (hi < lo) return einval('high end is below the low end');
      return { value: [lo, hi] };
    }
    case 'net.ipv4.ip_local_reserved_ports': {
      const r = parseReserved(value);
      if (!r) return fail('EINVAL', 'R2', `${name}: expects ports and ranges like "40000,40002-40005"`);
      return { value: [...r].sort((a, b) => a - b) };
    }
    case 'net.ipv4.ip_unprivileged_port_start': {
      const n = oneInt(value, 0, 65535);
      if (n === null) return fail('EINVAL', 'R3', `${name}: expects an integer in 0..65535`);
      return { value: n };
    }
    case 'net.ipv4.tcp_tw_reuse': {
      const n = oneInt(value, 0, 2);
      if (n === null) return fail('EINVAL', 'R4', `${name}: expects 0, 1 or 2`);
      return { value: n as 0 | 1 | 2 };
    }
    case 'net.ipv4.tcp_tw_reuse_delay': {
      const n = oneInt(value, 1, 60000);
      if (n === null) return fail('EINVAL', 'R4', `${name}: expects milliseconds in 1..60000`);
      return { value: n };
    }
    case 'net.ipv4.tcp_timestamps': {
      const n = oneInt(value, 0, 2);
      if (n === null) return fail('EINVAL', 'R4', `${name}: expects 0, 1 or 2`);
      return { value: n as 0 | 1 | 2 };
    }
    case 'net.ipv4.ip_autobind_reuse': {
      const n = oneInt(value, 0, 1);
      if (n === null) return fail('EINVAL', 'R5', `${name}: expects 0 or 1`);
      return { value: n as 0 | 1 };
    }
    case 'net.ipv4.tcp_fin_timeout': {
      const n = oneInt(value, 0, 2147483);
      if (n === null) return fail('EINVAL', 'R6', `${name}: expects seconds >= 0`);
      return { value: n };
    }
    case 'net.ipv4.tcp_max_tw_buckets': {
      const n = oneInt(value, 0, 2147483647);
      if (n === null) return fail('EINVAL', 'R6', `${name}: expects an integer >= 0`);
      return { value: n };
    }
    case 'net.ipv4.ip_nonlocal_bind':
    case 'net.ipv6.ip_nonlocal_bind':
    case 'net.ipv6.bindv6only': {
      const n = oneInt(value, 0, 1);
      if (n === null)
        return fail('EINVAL', name === 'net.ipv6.bindv6only' ? 'R8' : 'R7', `${name}: expects 0 or 1`);
      return { value: n as 0 | 1 };
    }
  }
}

/** The field of Sysctls each sysctl without a cross-check or a form of its own sets. */
const PLAIN_FIELDS = {
  'net.ipv4.tcp_tw_reuse': 'twReuse',
  'net.ipv4.tcp_tw_reuse_delay': 'twReuseDelayMs',
  'net.ipv4.tcp_timestamps': 'timestamps',
  'net.ipv4.ip_autobind_reuse': 'autobindReuse',
  'net.ipv4.tcp_fin_timeout': 'finTimeoutSec',
  'net.ipv4.tcp_max_tw_buckets': 'maxTwBuckets',
  'net.ipv4.ip_nonlocal_bind': 'nonlocalBind4',
  'net.ipv6.ip_nonlocal_bind': 'nonlocalBind6',
  'net.ipv6.bindv6only': 'bindV6Only',
} as const satisfies Partial<Record<SysctlName, keyof Sysctls>>;

/** Applies a write, or returns the kernel's errno. Mutates `s` only on success. */
export function writeSysctl(s: Sysctls, name: SysctlName, value: string): Failure | null {
  const parsed = parseAny(name, value);
  if ('ok' in parsed) return parsed;
  const v = parsed.value;
  switch (name) {
    case 'net.ipv4.ip_local_port_range': {
      const range = v as SysctlValues[typeof name];
      if (range[0] < s.unprivilegedPortStart)
        return fail(
          'EINVAL',
          'R1',
          `${name} = ${JSON.stringify(value)}: low end is below ip_unprivileged_port_start`,
        );
      s.portRange = range;
      return null;
    }
    case 'net.ipv4.ip_local_reserved_ports':
      s.reserved = new Set(v as SysctlValues[typeof name]);
      return null;
    case 'net.ipv4.ip_unprivileged_port_start':
      if ((v as number) > s.portRange[0])
        return fail('EINVAL', 'R3', `${name}: may not exceed the low end of ip_local_port_range`);
      s.unprivilegedPortStart = v as number;
      return null;
    default:
      // The parser gave the field's own type (SysctlValues); nothing else depends on it.
      (s as unknown as Record<string, SysctlValue>)[PLAIN_FIELDS[name]] = v;
      return null;
  }
}

/** The value as /proc/sys prints it. */
export function readSysctl(s: Sysctls, name: SysctlName): string {
  switch (name) {
    case 'net.ipv4.ip_local_port_range':
      return `${s.portRange[0]}\t${s.portRange[1]}`;
    case 'net.ipv4.ip_local_reserved_ports':
      return formatReserved(s.reserved);
    case 'net.ipv4.ip_unprivileged_port_start':
      return String(s.unprivilegedPortStart);
    case 'net.ipv4.tcp_tw_reuse':
      return String(s.twReuse);
    case 'net.ipv4.tcp_tw_reuse_delay':
      return String(s.twReuseDelayMs);
    case 'net.ipv4.tcp_timestamps':
      return String(s.timestamps);
    case 'net.ipv4.ip_autobind_reuse':
      return String(s.autobindReuse);
    case 'net.ipv4.tcp_fin_timeout':
      return String(s.finTimeoutSec);
    case 'net.ipv4.tcp_max_tw_buckets':
      return String(s.maxTwBuckets);
    case 'net.ipv4.ip_nonlocal_bind':
      return String(s.nonlocalBind4);
    case 'net.ipv6.ip_nonlocal_bind':
      return String(s.nonlocalBind6);
    case 'net.ipv6.bindv6only':
      return String(s.bindV6Only);
  }
}
