/**
 * The kernel's own count, for checking ours: the entries of this namespace's /proc/net/tcp and
 * tcp6 (read through procnet, the same parser the doctor uses) that involve the destination.
 * Client ends have the destination as their remote end; server ends (accepted sockets) have it
 * as their local end. Must run inside the load's namespace: /proc/net is per namespace.
 */

import { readFileSync } from 'node:fs';
import { type Snapshot, ST } from '../procnet/index.js';
import { readProcSnapshot } from '../procnet/reader.js';
import type { Destination } from './types.js';

export interface ProcCount {
  /** ESTABLISHED client ends towards the destination. */
  readonly clientEstablished: number;
  /** ESTABLISHED server ends on the destination. */
  readonly serverEstablished: number;
  /** Entries of either end in a state other than ESTABLISHED, TIME_WAIT or LISTEN (closing). */
  readonly closing: number;
  readonly timeWait: number;
}

export function countInSnapshot(snap: Snapshot, to: Destination): ProcCount {
  const t = snap.tcp;
  let clientEstablished = 0;
  let serverEstablished = 0;
  let closing = 0;
  let timeWait = 0;
  for (let i = 0; i < t.count; i++) {
    const remote = t.rport[i] === to.port && snap.addrs.infos[t.raddr[i] ?? -1]?.text === to.addr;
    const local = t.lport[i] === to.port && snap.addrs.infos[t.laddr[i] ?? -1]?.text === to.addr;
    if (!remote && !local) continue;
    const st = t.state[i];
    if (st === ST.LISTEN) continue;
    if (st === ST.TIME_WAIT) timeWait++;
    else if (st === ST.ESTABLISHED) {
      if (remote) clientEstablished++;
      else serverEstablished++;
    } else closing++;
  }
  return { clientEstablished, serverEstablished, closing, timeWait };
}

/** Reads /proc/net/tcp{,6} of the calling process's namespace and counts. */
export function countInProc(to: Destination, proc = '/proc'): ProcCount {
  return countInSnapshot(readProcSnapshot(proc, { files: ['tcp', 'tcp6'] }), to);
}

/** Two readings that agree on every count (see the close phase: one reading can skip an entry). */
export function sameCount(a: ProcCount, b: ProcCount): boolean {
  return (
    a.clientEstablished === b.clientEstablished &&
    a.serverEstablished === b.serverEstablished &&
    a.closing === b.closing &&
    a.timeWait === b.timeWait
  );
}

/**
 * The namespace's count of TIME_WAIT entries made so far (TcpExt `TW` of /proc/net/netstat; the
 * kernel counts an entry when it is made), or null when the file does not have it. The load's
 * namespace is fresh, so this is the run's own count. It tells "every client end entered
 * TIME_WAIT" (R60) apart from what the table still shows: on these machines a few entries now and
 * then leave the table within a second, with no reset and no TWKilled (see docs/load.md).
 */
export function timeWaitEntered(proc = '/proc'): number | null {
  let text: string;
  try {
    text = readFileSync(`${proc}/net/netstat`, 'latin1');
  } catch {
    return null;
  }
  const lines = text.split('\n', 64);
  for (let i = 0; i + 1 < lines.length; i++) {
    const names = lines[i]?.split(' ') ?? [];
    const values = lines[i + 1]?.split(' ') ?? [];
    if (names[0] !== 'TcpExt:' || values[0] !== 'TcpExt:') continue;
    const k = names.indexOf('TW');
    const v = k > 0 ? Number(values[k]) : Number.NaN;
    return Number.isSafeInteger(v) ? v : null;
  }
  return null;
}
