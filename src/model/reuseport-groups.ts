/**
 * SO_REUSEPORT groups (spec R80-R82): the sockets of one port that share incoming connections
 * (TCP listeners, joined at listen()) or datagrams (UDP sockets, joined at bind()).
 *
 * A member's slot is its join order; when a member leaves, the LAST member moves into its slot
 * (R81). The kernel picks the member for a flow by a keyed hash of the 4-tuple scaled to the
 * member count; the secret cannot be known, so the model keeps the structure (who is in which
 * group, in which slot, and a version that changes whenever the membership does) and uses a
 * stand-in hash of its own. Differential runs adopt the kernel's member instead.
 */
import type { Socket } from './entities.js';

export interface ReuseportGroup {
  readonly id: number;
  readonly proto: 'tcp' | 'udp';
  /** Slot order (R81). */
  readonly members: Socket[];
  /** Changes whenever a member joins or leaves: "the group is unchanged" means the same version. */
  version: number;
}

/** May `s` join the group of `m`? Same port, family, v6only, uid, exact local address, both RP (R80). */
function sameGroupKey(s: Socket, m: Socket): boolean {
  return (
    m !== s &&
    m.proto === s.proto &&
    m.lport === s.lport &&
    m.family === s.family &&
    m.v6only === s.v6only &&
    m.uid === s.uid &&
    m.reusePort &&
    s.reusePort &&
    m.laddr.key === s.laddr.key &&
    m.laddr.wildcard === s.laddr.wildcard &&
    m.laddr.mapped === s.laddr.mapped
  );
}

export class ReuseportGroups {
  private readonly of = new Map<Socket, ReuseportGroup>();
  private nextId = 1;

  groupOf(s: Socket): ReuseportGroup | undefined {
    return this.of.get(s);
  }

  /**
   * R80: `s` (with SO_REUSEPORT, just bound or just listening) joins the group of the first
   * matching member among `peers`, or starts a group of its own.
   */
  join(s: Socket, peers: Iterable<Socket>): ReuseportGroup | null {
    if (!s.reusePort || this.of.has(s)) return this.of.get(s) ?? null;
    let g: ReuseportGroup | undefined;
    for (const m of peers) {
      if (!sameGroupKey(s, m)) continue;
      g = this.of.get(m);
      if (g) break;
    }
    if (!g) g = { id: this.nextId++, proto: s.proto, members: [], version: 0 };
    g.members.push(s);
    g.version++;
    this.of.set(s, g);
    return g;
  }

  /** R81: the last member moves into the leaver's slot. */
  leave(s: Socket): void {
    const g = this.of.get(s);
    if (!g) return;
    this.of.delete(s);
    const i = g.members.indexOf(s);
    const last = g.members.pop();
    if (last && last !== s && i >= 0) g.members[i] = last;
    g.version++;
  }

  *groups(): IterableIterator<ReuseportGroup> {
    const seen = new Set<ReuseportGroup>();
    for (const g of this.of.values()) {
      if (seen.has(g)) continue;
      seen.add(g);
      yield g;
    }
  }
}

/** R81: the slot a 32-bit flow hash lands on in a group of n members. */
export function slotOf(hash: number, n: number): number {
  return Math.floor(((hash >>> 0) * n) / 4294967296);
}
