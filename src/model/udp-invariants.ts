/**
 * checkInvariants for UDP and reuseport groups (DESIGN idea 12): rebuild the UDP port table from
 * the sockets and compare; every group member holds the group's port (TCP: and listens).
 */
import type { Core } from './core.js';

export function checkUdpInvariants(core: Core): string[] {
  const problems: string[] = [];
  const want = new Map<number, number>();
  for (const s of core.sockets.values()) {
    if (s.proto !== 'udp' || s.lport === 0) continue;
    want.set(s.lport, (want.get(s.lport) ?? 0) + 1);
    if (!core.udp.owners(s.lport).includes(s))
      problems.push(`udp socket #${s.id}: not in port ${s.lport}'s list`);
  }
  for (const port of core.udp.ports()) {
    const owners = core.udp.owners(port);
    if (owners.length !== (want.get(port) ?? 0))
      problems.push(`udp port ${port}: ${owners.length} owners listed, sockets say ${want.get(port) ?? 0}`);
    for (const o of owners)
      if (!o.userOpen || o.lport !== port) problems.push(`udp port ${port}: stale owner #${o.id}`);
  }
  for (const g of core.groups.groups()) {
    const port = g.members[0]?.lport;
    for (const m of g.members) {
      if (m.lport === 0 || m.lport !== port || core.groups.groupOf(m) !== g)
        problems.push(`reuseport group ${g.id}: member #${m.id} does not belong`);
      if (m.proto === 'tcp' && m.state !== 'LISTEN')
        problems.push(`reuseport group ${g.id}: #${m.id} is not listening`);
    }
  }
  return problems;
}
