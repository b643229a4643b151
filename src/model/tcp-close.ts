/**
 * close(), accept() and what each does to ports (R60, R61): the active closer keeps its port in
 * TIME_WAIT, an orphan whose peer never closes waits tcp_fin_timeout in FIN_WAIT2, SO_LINGER
 * {1, 0} resets and keeps nothing, and a closing listener resets the connections it never
 * accepted.
 */
import { type Core, TIME_WAIT_MS } from './core.js';
import type { Socket, TimeWait } from './entities.js';
import { type Failure, fail } from './result.js';

/** The connection's other end when it lives here: a socket, or the FIN_WAIT2 entry it left. */
function localPeer(core: Core, s: Socket): Socket | TimeWait | null {
  const p = s.peer;
  if (p && core.socket(p.id) === p && p.peer === s) return p;
  const e = s.peerEntry;
  if (e && core.timewaits.get(e.id) === e && e.peer === s) return e;
  return null;
}

/** Sends an RST to the peer of `s` (linger 0, a listener dropping a queued connection, AF_UNSPEC). */
export function resetPeer(core: Core, s: Socket): void {
  const p = localPeer(core, s);
  if (!p) return;
  if (p.kind === 'socket') core.resetByPeer(p);
  else core.removeTimeWait(p); // an RST ends a FIN_WAIT2 orphan (and TIME_WAIT, tcp_rfc1337 = 0)
}

/** A listener stops: connections still in its accept queue are reset (their clients see ECONNRESET). */
export function resetAcceptQueue(core: Core, s: Socket): void {
  for (const child of s.acceptQueue) {
    if (core.socket(child.id) !== child) continue;
    resetPeer(core, child);
    core.destroy(child);
  }
  s.acceptQueue.length = 0;
}

export function closeTcp(core: Core, s: Socket, rst: boolean): void {
  core.rules.add('R60');
  if (rst) s.linger0 = true;
  // R61: an abort (RST, SO_LINGER {1, 0}) keeps nothing of a connection.
  if (s.linger0 && (s.state === 'ESTABLISHED' || s.state === 'CLOSE_WAIT')) core.rules.add('R61');
  switch (s.state) {
    case 'LISTEN': {
      resetAcceptQueue(core, s);
      core.destroy(s);
      return;
    }
    case 'ESTABLISHED':
    case 'CLOSE_WAIT': {
      if (s.linger0) {
        resetPeer(core, s);
        core.destroy(s);
        return;
      }
      const peer = localPeer(core, s);
      if (s.state === 'CLOSE_WAIT') {
        // Passive close: LAST_ACK, released when the ACK comes back (at once here). Our FIN
        // moves the peer's FIN_WAIT2 entry into TIME_WAIT.
        if (peer?.kind === 'timewait') core.finishTimeWait(peer);
        core.destroy(s);
        return;
      }
      if (peer?.kind === 'socket') {
        // Active close towards a local peer that has not closed: we wait in FIN_WAIT2 as an
        // orphan for tcp_fin_timeout; the peer sits in CLOSE_WAIT.
        peer.state = 'CLOSE_WAIT';
        core.enterTimeWait(s, 'FIN_WAIT2', core.sysctl.finTimeoutSec * 1000, peer);
        return;
      }
      // A remote host closes as soon as it reads our FIN: we end in TIME_WAIT for 60 s.
      core.enterTimeWait(s, 'TIME_WAIT', TIME_WAIT_MS, null);
      return;
    }
    case 'CLOSE':
      core.destroy(s);
      return;
  }
}

export function acceptTcp(core: Core, l: Socket): Failure | { child: Socket } {
  if (l.state !== 'LISTEN') return fail('EINVAL', 'R50', 'accept() needs a listening socket');
  let child = l.acceptQueue.shift();
  // Skip anything no longer in the socket table (defensive: queued children leave only with their listener).
  while (child && core.socket(child.id) !== child) child = l.acceptQueue.shift();
  if (!child) return fail('EAGAIN', 'R50', 'no connection is waiting');
  child.queuedOn = null;
  child.userOpen = true;
  return { child };
}
