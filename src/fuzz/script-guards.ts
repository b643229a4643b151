/**
 * What the random-script writer (script-writer.ts) checks each call against as it writes it, to
 * stay clear of what the kernel does not decide the same way twice (random-scripts.ts's header):
 *  - the orphan race (R6): a bound connect from an explicit port onto a local destination port
 *    where that port's earlier connection was closed while its peer was open. Such a connect is
 *    moved to another destination port;
 *  - reuseport listeners on the destination ports (R81): which member a connection lands on is a
 *    keyed hash with a boot-time secret. At most one SO_REUSEPORT socket listens per script, and
 *    the setsockopt or listen that would make a second is left out.
 * It also remembers where each socket was first bound, which later actions read.
 */
import type { Call } from '../calls/index.js';
import { isRemoteText } from './random-addresses.js';
import { steerConnect } from './random-routes.js';

export class ScriptGuards {
  /** Address of each socket's first bind (at generation time: the bind may still fail). */
  readonly boundTo = new Map<string, string>();
  /** Port of that first bind, when it named one. */
  readonly boundPort = new Map<string, number>();
  /** `boundPort>dport` of closed connections from an explicit port to a local destination. */
  private readonly orphanTuples = new Set<string>();
  private readonly tupleOf = new Map<string, string>();
  /** Sockets that ever had SO_REUSEPORT set (clearing it is not trusted), and ever listened. */
  private readonly rpSet = new Set<string>();
  private readonly listened = new Set<string>();
  private rpListeners = 0;

  /** `dbase`: the first of the script's four destination ports. */
  constructor(private readonly dbase: number) {}

  /** The call to write in place of `c` (a connect may be moved), or null to leave it out. */
  admit(c0: Call): Call | null {
    let c = c0;
    if (c.op === 'close' && !c.rst) {
      const t = this.tupleOf.get(c.sock);
      if (t !== undefined) this.orphanTuples.add(t);
    }
    // Group sockets (`g...`) live on group ports of their own and are reached only by deliver.
    if (c.op === 'setsockopt' && c.opt === 'SO_REUSEPORT' && !c.sock.startsWith('g')) {
      if (c.value !== 0 && this.listened.has(c.sock) && !this.rpSet.has(c.sock)) {
        if (this.rpListeners > 0) return null;
        this.rpListeners++;
      }
      if (c.value !== 0) this.rpSet.add(c.sock);
    }
    if (c.op === 'listen' && !c.sock.startsWith('g')) {
      if (this.rpSet.has(c.sock) && !this.listened.has(c.sock)) {
        if (this.rpListeners > 0) return null;
        this.rpListeners++;
      }
      this.listened.add(c.sock);
    }
    // Only the first bind of a socket can succeed (a second one is EINVAL).
    if (c.op === 'bind' && !this.boundTo.has(c.sock)) {
      this.boundTo.set(c.sock, c.addr);
      if (c.port !== 0) this.boundPort.set(c.sock, c.port);
    }
    if (c.op === 'connect') {
      c = steerConnect(c, this.boundTo.get(c.sock), isRemoteText);
      const bp = this.boundPort.get(c.sock);
      const local = !isRemoteText(c.addr);
      const bad = (port: number) => bp !== undefined && local && this.orphanTuples.has(`${bp}>${port}`);
      for (let n = 0; n < 4 && bad(c.port); n++)
        c = { ...c, port: c.port === this.dbase + 3 ? this.dbase : c.port + 1 };
      if (bp !== undefined && local) this.tupleOf.set(c.sock, `${bp}>${c.port}`);
    }
    return c;
  }
}
