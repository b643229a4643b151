/** Read-only views of a namespace's state, for reports, pages and capacity planners. */
import type { Endpoint } from '../calls/index.js';
import type { Core } from './core.js';
import { describeOwner } from './entities.js';

export interface NetnsView {
  readonly now: number;
  readonly portRange: readonly [number, number];
  readonly reserved: readonly number[];
  readonly sockets: readonly {
    id: number;
    label: string;
    state: string;
    local: Endpoint;
    remote: Endpoint | null;
    connectBound: boolean;
  }[];
  readonly timewaits: readonly {
    id: number;
    substate: string;
    local: Endpoint;
    remote: Endpoint;
    expiresMs: number;
  }[];
  readonly bindOwnedPorts: readonly number[];
}

export function viewOf(c: Core): NetnsView {
  return {
    now: c.now,
    portRange: c.sysctl.portRange,
    reserved: [...c.sysctl.reserved].sort((a, b) => a - b),
    sockets: [...c.sockets.values()].map((s) => ({
      id: s.id,
      label: describeOwner(s),
      state: s.state,
      local: { addr: s.laddr.text, port: s.lport },
      remote: s.raddr ? { addr: s.raddr.text, port: s.rport } : null,
      connectBound: s.connectBound,
    })),
    timewaits: [...c.timewaits.values()].map((t) => ({
      id: t.id,
      substate: t.substate,
      local: { addr: t.laddr.text, port: t.lport },
      remote: { addr: t.raddr.text, port: t.rport },
      expiresMs: t.expiresMs,
    })),
    bindOwnedPorts: [...c.ports.bindOwned],
  };
}

/** R14 with R60: live 4-tuples plus TIME_WAIT entries from `source` towards `destination`:`port`. */
export function heldTowards(c: Core, source: string, destination: string, port: number): number {
  const s = c.addrs.parse(source);
  const d = c.addrs.parse(destination);
  const slot = s && d ? c.ports.tuples.get(s, d, port) : undefined;
  return slot ? slot.live.size + slot.tw.size : 0;
}
