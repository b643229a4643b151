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
import { sockstat6TcpInUse, sockstatTimeWait, tcp6ProvedEmpty } from './sockstat.js';
import { readPortSysctls, SYSCTL_FILES, type SysctlFile } from './sysctls.js';
import { ST } from './tcp-states.js';

const CHUNK = 1 << 20;

/**
 * A file of the /proc copy that exists but cannot be read: carries the file's own path and the
 * errno code, so the message names the file and the real problem (a directory where a file
 * should be is not a permissions problem).
 */
export class ProcFileError extends Error {
  constructor(
    readonly path: string,
    readonly code: string,
    options?: { cause?: unknown },
  ) {
    const why =
      code === 'EISDIR'
        ? 'it is a directory, not a file'
        : code === 'EACCES' || code === 'EPERM'
          ? 'permission denied'
          : code === 'ENOTDIR'
            ? 'a part of the path is a file, not a directory'
            : `${code} while reading it`;
    super(`${path}: ${why}`, options);
    this.name = 'ProcFileError';
  }
}

function wrap(path: string, e: unknown): ProcFileError {
  return new ProcFileError(path, (e as NodeJS.ErrnoException).code ?? 'EIO', { cause: e });
}

function readText(path: string): string | null {
  try {
    return readFileSync(path, 'latin1');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw wrap(path, e);
  }
}

/** Streams one socket file into the parser; false when the file does not exist. */
function streamFile(path: string, parser: ProcNetParser): boolean {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw wrap(path, e);
  }
  try {
    const buf = new Uint8Array(CHUNK);
    for (;;) {
      let n: number;
      try {
        n = readSync(fd, buf, 0, CHUNK, null);
      } catch (e) {
        throw wrap(path, e);
      }
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
  let v4TimeWaitRows = 0;
  for (const f of SOCKET_FILES) {
    if (opts.files && !opts.files.includes(f.name)) continue;
    // Read just after net/tcp, so that little can change in between (sockstat.ts says why).
    if (f.name === 'tcp6' && opts.files === undefined && provedEmpty(proc, v4TimeWaitRows)) {
      snap.provedEmptyFiles.push('net/tcp6');
      continue;
    }
    const table = f.proto === 'tcp' ? snap.tcp : snap.udp;
    const parser = new ProcNetParser(`net/${f.name}`, f.family, table, snap.addrs, snap.issues);
    if (!streamFile(join(proc, 'net', f.name), parser)) snap.missingFiles.push(`net/${f.name}`);
    else snap.files.push(parser.stats);
    if (f.name === 'tcp')
      for (let i = 0; i < table.count; i++) if (table.state[i] === ST.TIME_WAIT) v4TimeWaitRows++;
  }
  return snap;
}

/** The kernel's counts say net/tcp6 has no line (sockstat.ts); a copy without them never does. */
function provedEmpty(proc: string, v4TimeWaitRows: number): boolean {
  try {
    const inUse6 = sockstat6TcpInUse(readText(join(proc, 'net', 'sockstat6')));
    if (inUse6 !== 0) return false;
    return tcp6ProvedEmpty(inUse6, sockstatTimeWait(readText(join(proc, 'net', 'sockstat'))), v4TimeWaitRows);
  } catch {
    // An unreadable sockstat proves nothing: tcp6 is read, and its own errors are reported.
    return false;
  }
}
