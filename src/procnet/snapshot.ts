/**
 * One reading of a host's (or a captured copy's) port state: the TCP and UDP sockets of
 * /proc/net/{tcp,tcp6,udp,udp6}, the sysctls that drive allocation, and what could not be read.
 * Built by reader.ts (files) or by `snapshotFromTexts` (tests, pure).
 */
import { AddressTable } from './addresses.js';
import { type ParseIssues, parseProcNetText } from './parse-sockets.js';
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
    parseProcNetText(
      text,
      `net/${f.name}`,
      f.family,
      f.proto === 'tcp' ? snap.tcp : snap.udp,
      snap.addrs,
      snap.issues,
    );
  }
  return snap;
}
