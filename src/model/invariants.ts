/**
 * checkInvariants (DESIGN idea 12): rebuild every index from the flat lists of sockets and
 * TIME_WAIT entries and compare with what the port table keeps incrementally.
 */
import type { Core } from './core.js';
import type { Owner } from './entities.js';
import { isConnectShareable } from './port-bucket.js';
import { checkUdpInvariants } from './udp-invariants.js';

export function checkInvariants(core: Core): string[] {
  const problems: string[] = [];
  const owners: Owner[] = [];
  for (const s of core.sockets.values()) if (s.proto === 'tcp' && s.lport !== 0) owners.push(s);
  for (const t of core.timewaits.values()) owners.push(t);

  // Buckets: exactly the owners that hold each port.
  const byPort = new Map<number, Owner[]>();
  for (const o of owners) {
    const list = byPort.get(o.lport) ?? [];
    list.push(o);
    byPort.set(o.lport, list);
  }
  for (const [port, list] of byPort) {
    const b = core.ports.bucket(port);
    if (!b) {
      problems.push(`port ${port}: ${list.length} owners but no bucket`);
      continue;
    }
    if (b.owners.size !== list.length || !list.every((o) => b.owners.has(o))) {
      problems.push(`port ${port}: bucket has ${b.owners.size} owners, sockets say ${list.length}`);
    }
    const subCounts = new Map<string, { n: number; ncb: number }>();
    for (const o of list) {
      const c = subCounts.get(o.laddr.key) ?? { n: 0, ncb: 0 };
      c.n++;
      if (!o.connectBound) c.ncb++;
      subCounts.set(o.laddr.key, c);
    }
    if (b.subs.length !== subCounts.size)
      problems.push(`port ${port}: ${b.subs.length} sub-buckets, expected ${subCounts.size}`);
    for (const s of b.subs) {
      const c = subCounts.get(s.key);
      if (!c || c.n !== s.count || c.ncb !== s.nonConnectBound) {
        problems.push(
          `port ${port} sub ${s.key}: count ${s.count}/${s.nonConnectBound}, expected ${c?.n ?? 0}/${c?.ncb ?? 0}`,
        );
      }
    }
    if (core.ports.bindOwned.has(port) === isConnectShareable(b))
      problems.push(`port ${port}: bindOwned index disagrees with flags`);
  }
  for (const port of core.ports.bucketPorts())
    if (!byPort.has(port)) problems.push(`port ${port}: bucket without owners`);
  for (const port of core.ports.bindOwned)
    if (!core.ports.bucket(port)) problems.push(`port ${port}: in bindOwned without bucket`);

  // 4-tuples: every connected owner exactly once.
  let tupleCount = 0;
  for (const o of owners) {
    const raddr = o.kind === 'timewait' ? o.raddr : o.raddr;
    if (!raddr) continue;
    tupleCount++;
    const slot = core.ports.tuples.get(o.laddr, raddr, o.rport);
    const held = o.kind === 'timewait' ? slot?.tw.get(o.lport) : slot?.live.get(o.lport);
    if (held !== o) problems.push(`${o.kind} #${o.id}: 4-tuple not indexed`);
  }
  let indexed = 0;
  for (const slot of core.ports.tuples.values()) indexed += slot.live.size + slot.tw.size;
  if (indexed !== tupleCount) problems.push(`4-tuple index holds ${indexed} entries, expected ${tupleCount}`);

  // Address groups: per (family, address, v6only) the multiset of ports.
  const groups = new Map<string, Map<number, number>>();
  for (const o of owners) {
    const key = `${o.family}/${o.laddr.text}/${o.v6only ? 1 : 0}`;
    const m = groups.get(key) ?? new Map<number, number>();
    m.set(o.lport, (m.get(o.lport) ?? 0) + 1);
    groups.set(key, m);
  }
  for (const [key, g] of core.ports.byAddress) {
    const want = groups.get(key) ?? new Map<number, number>();
    const have = new Map(g.ports.entries());
    if (have.size !== want.size || [...want].some(([p, n]) => have.get(p) !== n))
      problems.push(`address group ${key}: port counts differ`);
  }
  for (const key of groups.keys())
    if (!core.ports.byAddress.has(key)) problems.push(`address group ${key} missing`);

  // Reserved finder mirrors the sysctl.
  const reserved = [...core.ports.reserved];
  if (reserved.length !== core.sysctl.reserved.size || !reserved.every((p) => core.sysctl.reserved.has(p))) {
    problems.push('reserved-port index differs from ip_local_reserved_ports');
  }
  // Listener index.
  for (const s of core.sockets.values()) {
    if (s.state === 'LISTEN' && !core.listeners.get(s.lport)?.has(s))
      problems.push(`listener #${s.id} not indexed`);
  }
  problems.push(...checkUdpInvariants(core));
  return problems;
}
