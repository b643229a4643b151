/**
 * The thin I/O edge of procnet: reads `<proc>/net/{tcp,tcp6,udp,udp6}` in 1 MiB chunks straight
 * into the streaming parser (a million-line file is never one string), and the sysctl files
 * under `<proc>/sys/net/ipv4/`. `proc` is `/proc` for the live host or a captured copy's
 * directory. A missing socket file is noted (a host without IPv6 has no tcp6); a missing
 * directory is the caller's error to report.
 */
import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import { endianness } from 'node:os';
import { join } from 'node:path';
import { ProcNetParser } from './parse-sockets.js';
import { emptySnapshot, type Snapshot, SOCKET_FILES } from './snapshot.js';
import { readPortSysctls, SYSCTL_FILES, type SysctlFile } from './sysctls.js';

const CHUNK = 1 << 20;

function readText(path: string): string | null {
  try {
    return readFileSync(path, 'latin1');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}

/** Streams one socket file into the parser; false when the file does not exist. */
function streamFile(path: string, parser: ProcNetParser): boolean {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw e;
  }
  try {
    const buf = new Uint8Array(CHUNK);
    for (;;) {
      const n = readSync(fd, buf, 0, CHUNK, null);
      if (n === 0) break;
      parser.feed(buf.subarray(0, n));
    }
    parser.finish();
  } finally {
    closeSync(fd);
  }
  return true;
}

export interface ReadOptions {
  /** Only these socket files (default: all four). */
  readonly files?: readonly string[];
  /** Byte order of the host that wrote the files (default: this machine's). */
  readonly littleEndian?: boolean;
}

/** Reads a snapshot from a /proc directory. Throws only for I/O errors other than a missing file. */
export function readProcSnapshot(proc: string, opts: ReadOptions = {}): Snapshot {
  const texts: Partial<Record<SysctlFile, string | null>> = {};
  for (const name of SYSCTL_FILES) texts[name] = readText(join(proc, 'sys', 'net', 'ipv4', name));
  const snap = emptySnapshot(opts.littleEndian ?? endianness() === 'LE', readPortSysctls(texts));
  for (const f of SOCKET_FILES) {
    if (opts.files && !opts.files.includes(f.name)) continue;
    const table = f.proto === 'tcp' ? snap.tcp : snap.udp;
    const parser = new ProcNetParser(`net/${f.name}`, f.family, table, snap.addrs, snap.issues);
    if (!streamFile(join(proc, 'net', f.name), parser)) snap.missingFiles.push(`net/${f.name}`);
  }
  return snap;
}
