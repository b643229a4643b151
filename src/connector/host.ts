/**
 * What the connector reads from the host once, at start: the port sysctls (R1-R4), and with
 * avoidHostSockets the TCP sockets other programs hold on our source addresses. Thin I/O over
 * procnet's reader; everything it returns is plain data.
 */

import { parseAddr } from '../model/index.js';
import { readProcSnapshot } from '../procnet/reader.js';
import type { HostSysctls } from './mirror.js';

export interface HostPorts {
  readonly sysctls: HostSysctls & { readonly unprivilegedPortStart: number };
  /** Notes about values that were missing or refused (defaults used instead). */
  readonly notes: readonly string[];
}

export function readHostPorts(procRoot: string): HostPorts {
  const snap = readProcSnapshot(procRoot, { files: [] });
  const v = snap.sysctls.values;
  return {
    sysctls: {
      range: v.range,
      reserved: v.reserved,
      twReuse: v.twReuse,
      twReuseDelayMs: v.twReuseDelayMs,
      timestamps: v.timestamps,
      unprivilegedPortStart: v.unprivilegedPortStart,
    },
    notes: snap.sysctls.notes,
  };
}

/** Ports other programs hold: per source, for every destination; and per 4-tuple. */
export interface ForeignPorts {
  /** source text -> ports bound or listened on that source (or on the wildcard of its family). */
  readonly bySource: Map<string, Set<number>>;
  /** `source|dest|dport` -> local ports in use towards that destination. */
  readonly byTuple: Map<string, Set<number>>;
}

const LISTEN = 10;

export function readForeignPorts(procRoot: string, sources: readonly string[]): ForeignPorts {
  const snap = readProcSnapshot(procRoot, { files: ['tcp', 'tcp6'] });
  const t = snap.tcp;
  const wanted = new Set(sources.map((s) => parseAddr(s)?.text ?? s));
  const bySource = new Map<string, Set<number>>();
  const byTuple = new Map<string, Set<number>>();
  const add = (m: Map<string, Set<number>>, k: string, p: number) => {
    let s = m.get(k);
    if (!s) {
      s = new Set();
      m.set(k, s);
    }
    s.add(p);
  };
  for (let i = 0; i < t.count; i++) {
    const info = snap.addrs.info(t.laddr[i] ?? 0);
    const lport = t.lport[i] ?? 0;
    const connected = (t.rport[i] ?? 0) !== 0 && t.state[i] !== LISTEN;
    if (connected && wanted.has(info.text)) {
      add(byTuple, `${info.text}|${snap.addrs.text(t.raddr[i] ?? 0)}|${t.rport[i]}`, lport);
      continue;
    }
    if (connected) continue;
    // A listener or a bound socket: on one of our sources, or on the wildcard of its family.
    for (const s of wanted) {
      const sf = s.includes(':') ? 6 : 4;
      if (info.text === s || (info.wildcard && (info.family === sf || (info.family === 6 && sf === 4))))
        add(bySource, s, lport);
    }
  }
  return { bySource, byTuple };
}
