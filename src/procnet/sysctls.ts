/**
 * The /proc/sys values that decide connect()'s headroom (spec section 2), read into the model's
 * own sysctl state so that they are validated exactly as the kernel validates them (R1-R4): a
 * value the kernel would refuse is reported and replaced by the 6.18 default, never trusted.
 * Pure: it takes the files' texts (null for a missing file).
 */
import { Netns } from '../model/index.js';

export interface PortSysctls {
  /** R1, inclusive. */
  readonly range: readonly [number, number];
  /** R2, sorted. */
  readonly reserved: readonly number[];
  /** R4: 0 never, 1 always, 2 loopback only. */
  readonly twReuse: 0 | 1 | 2;
  /** R4, milliseconds. */
  readonly twReuseDelayMs: number;
  /** R4: 0 means new TIME_WAIT entries carry no timestamps and are never recycled. */
  readonly timestamps: number;
  readonly unprivilegedPortStart: number;
  readonly maxTwBuckets: number;
}

/** The files under `<proc>/sys/net/ipv4/` that are read, in the order they are applied. */
export const SYSCTL_FILES = [
  'ip_unprivileged_port_start',
  'ip_local_port_range',
  'ip_local_reserved_ports',
  'tcp_tw_reuse',
  'tcp_tw_reuse_delay',
  'tcp_timestamps',
  'tcp_max_tw_buckets',
] as const;

export type SysctlFile = (typeof SYSCTL_FILES)[number];

export interface SysctlRead {
  readonly values: PortSysctls;
  /** One line per file that was missing or held a value the kernel refuses. */
  readonly notes: string[];
  /** Files that exist but hold nothing at all (a bad copy of /proc, see copyProblems). */
  readonly emptyFiles: string[];
}

/** Applies the texts to a fresh model namespace (6.18 defaults) and reads the result back. */
export function readPortSysctls(texts: Readonly<Partial<Record<SysctlFile, string | null>>>): SysctlRead {
  const ns = new Netns({ seed: 1 });
  const notes: string[] = [];
  const emptyFiles = SYSCTL_FILES.filter((n) => texts[n] === '');
  const apply = (name: SysctlFile, quiet: boolean): boolean => {
    const raw = texts[name];
    if (raw === undefined || raw === null) {
      if (!quiet) notes.push(`${name}: not found, using the Linux 6.18 default (${defaultOf(ns, name)})`);
      return true;
    }
    const value = raw.trim().replace(/\s+/g, ' ');
    const r = ns.sysctl(`net.ipv4.${name}`, value);
    if (!r.ok && !quiet)
      notes.push(
        `${name}: '${value}' is not a value Linux accepts (${r.errno}), using ${defaultOf(ns, name)}`,
      );
    return r.ok;
  };
  // ip_local_port_range and ip_unprivileged_port_start validate against each other (R1, R3):
  // try the range quietly first, so that either order of values the kernel held together works.
  apply('ip_local_port_range', true);
  for (const name of SYSCTL_FILES) apply(name, false);
  const read = (name: string): number => {
    const r = ns.readSysctl(`net.ipv4.${name}`);
    if (!r.ok) throw new Error(`model has no sysctl ${name}`);
    return Number(r.value);
  };
  const view = ns.inspect();
  const twReuse = read('tcp_tw_reuse');
  return {
    values: {
      range: [view.portRange[0], view.portRange[1]],
      reserved: view.reserved,
      twReuse: twReuse === 0 || twReuse === 1 ? twReuse : 2,
      twReuseDelayMs: read('tcp_tw_reuse_delay'),
      timestamps: read('tcp_timestamps'),
      unprivilegedPortStart: read('ip_unprivileged_port_start'),
      maxTwBuckets: read('tcp_max_tw_buckets'),
    },
    notes,
    emptyFiles,
  };
}

function defaultOf(ns: Netns, name: string): string {
  const r = ns.readSysctl(`net.ipv4.${name}`);
  return r.ok ? `'${r.value.replace(/\t/g, ' ')}'` : '?';
}
