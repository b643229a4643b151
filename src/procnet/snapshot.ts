/**
 * One reading of a host's (or a captured copy's) port state: the TCP and UDP sockets of
 * /proc/net/{tcp,tcp6,udp,udp6}, the sysctls that drive allocation, and what could not be read.
 * Built by reader.ts (files) or by `snapshotFromTexts` (tests, pure).
 */
import { AddressTable } from './addresses.js';
import { type FileStats, type ParseIssues, ProcNetParser } from './parse-sockets.js';
import { SocketTable } from './socket-table.js';
import { readPortSysctls, type SysctlFile, type SysctlRead } from './sysctls.js';

export interface Snapshot {
  readonly addrs: AddressTable;
  /** tcp and tcp6 together (v4-mapped addresses carry their IPv4 ids). */
  readonly tcp: SocketTable;
  /** udp and udp6 together. */
  readonly udp: SocketTable;
  readonly sysctls: SysctlRead;
  readonly issues: ParseIssues;
  /** Socket files that were absent (e.g. no IPv6 on the host). */
  readonly missingFiles: string[];
  /** Socket files that were read, with what they held (copyProblems judges them). */
  readonly files: FileStats[];
  /** Socket files not read because the kernel's own counts proved them empty (sockstat.ts). */
  readonly provedEmptyFiles: string[];
}

export const SOCKET_FILES = [
  { name: 'tcp', proto: 'tcp', family: 4 },
  { name: 'tcp6', proto: 'tcp', family: 6 },
  { name: 'udp', proto: 'udp', family: 4 },
  { name: 'udp6', proto: 'udp', family: 6 },
] as const;

export type SocketFile = (typeof SOCKET_FILES)[number]['name'];

export function emptySnapshot(littleEndian: boolean, sysctls: SysctlRead): Snapshot {
  return {
    addrs: new AddressTable(littleEndian),
    tcp: new SocketTable('tcp'),
    udp: new SocketTable('udp'),
    sysctls,
    issues: { unreadable: 0, examples: [] },
    missingFiles: [],
    provedEmptyFiles: [],
    files: [],
  };
}

export interface SnapshotTexts {
  readonly net: Readonly<Partial<Record<SocketFile, string>>>;
  readonly sys?: Readonly<Partial<Record<SysctlFile, string>>>;
  /** Default: true (x86, arm64). */
  readonly littleEndian?: boolean;
}

/** A snapshot from file texts held in memory. */
export function snapshotFromTexts(t: SnapshotTexts): Snapshot {
  const snap = emptySnapshot(t.littleEndian ?? true, readPortSysctls(t.sys ?? {}));
  for (const f of SOCKET_FILES) {
    const text = t.net[f.name];
    if (text === undefined) {
      snap.missingFiles.push(`net/${f.name}`);
      continue;
    }
    const p = new ProcNetParser(
      `net/${f.name}`,
      f.family,
      f.proto === 'tcp' ? snap.tcp : snap.udp,
      snap.addrs,
      snap.issues,
    );
    p.feed(new TextEncoder().encode(text));
    p.finish();
    snap.files.push(p.stats);
  }
  return snap;
}

/** How to copy /proc so that --proc can read it (procfs files report size 0: tar/cp -r copy nothing). */
export const PROC_COPY_COMMANDS =
  'mkdir -p DIR/net DIR/sys/net/ipv4; for f in tcp tcp6 udp udp6; do cat /proc/net/$f > DIR/net/$f; done; for f in ip_local_port_range ip_local_reserved_ports ip_unprivileged_port_start tcp_tw_reuse tcp_tw_reuse_delay tcp_timestamps tcp_max_tw_buckets; do cat /proc/sys/net/ipv4/$f > DIR/sys/net/ipv4/$f; done';

/**
 * Why a snapshot cannot be a copy of /proc, or [] when it may be: a socket file of 0 bytes (what
 * `tar` or `cp -r` of /proc gives: procfs reports size 0, so nothing is copied; even a host without
 * sockets has the header line), a file whose first line is not the kernel's header, or one with
 * data lines none of which can be read. A broken copy would otherwise read as a healthy, empty host.
 */
export function copyProblems(snap: Snapshot): string[] {
  const out: string[] = [];
  for (const f of snap.files) {
    if (f.bytes === 0) out.push(`${f.file} is empty (0 bytes)`);
    else if (!f.header)
      out.push(
        `${f.file} does not start with the kernel's header line ('  sl  local_address rem_address   st ...')`,
      );
    else if (f.dataLines > 0 && f.parsed === 0)
      out.push(`none of the ${f.dataLines} lines of ${f.file} can be read as a socket`);
  }
  for (const name of snap.sysctls.emptyFiles) out.push(`sys/net/ipv4/${name} is empty (0 bytes)`);
  return out;
}
