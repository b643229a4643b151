/**
 * Measures how a real SO_REUSEPORT group spreads flows (spec R81/R82, article claim A6): a group
 * of N TCP listeners or UDP sockets on 127.0.0.1 in a private network namespace (the kernel
 * helper's), F flows from distinct source addresses and ports on loopback, each reported by the
 * helper's delivery probe with the member that got it; then a sample of the flows is sent again
 * to see each reach the same member. Nothing leaves the namespace.
 */
import type { Call } from '../calls/index.js';
import { MIN_MEMBERS, type SpreadReport, spreadReport } from '../run/spread-stats.js';
import { KernelBackend, type KernelBackendOptions } from './kernel-backend.js';

export interface SpreadOptions {
  readonly proto: 'tcp' | 'udp';
  readonly members: number;
  readonly flows: number;
  /** Flows sent a second time for the stability check (default min(flows, 1000)). */
  readonly resend?: number;
  /** Called after every 500 flows (progress). */
  readonly onProgress?: (done: number, total: number) => void;
  readonly kernel?: KernelBackendOptions;
}

const GROUP_PORT = 5000;
const SOURCES_PER_ADDRESS = 20_000;

/** The i-th flow's source: 127.0.0.2, 127.0.0.3, ... with ports 20000..39999 on each. */
function sourceOf(i: number): { addr: string; port: number } {
  const a = Math.floor(i / SOURCES_PER_ADDRESS);
  return { addr: `127.0.${Math.floor(a / 250)}.${2 + (a % 250)}`, port: 20_000 + (i % SOURCES_PER_ADDRESS) };
}

/** Opens members m0..m(n-1) of a SO_REUSEPORT group on 127.0.0.1:port (TCP: listening). */
export async function openGroup(
  k: KernelBackend,
  proto: 'tcp' | 'udp',
  n: number,
  port: number,
): Promise<string[]> {
  const names: string[] = [];
  for (let m = 0; m < n; m++) {
    const name = `m${m}`;
    const steps: Call[] = [
      { op: 'socket', name, kind: proto === 'tcp' ? 'tcp4' : 'udp4' },
      { op: 'setsockopt', sock: name, opt: 'SO_REUSEPORT', value: 1 },
      { op: 'bind', sock: name, addr: '127.0.0.1', port },
      ...(proto === 'tcp' ? [{ op: 'listen' as const, sock: name, backlog: 4096 }] : []),
    ];
    for (const call of steps) {
      const r = await k.exec(call);
      if (!r.ok) throw new Error(`setting up member ${name}: ${call.op} failed with ${r.errno}`);
    }
    names.push(name);
  }
  return names;
}

export async function measureSpread(opts: SpreadOptions): Promise<SpreadReport> {
  const { proto, members, flows } = opts;
  if (!Number.isInteger(members) || members < MIN_MEMBERS || members > 64)
    throw new RangeError(`members must be ${MIN_MEMBERS}..64, got ${members}`);
  if (!Number.isInteger(flows) || flows < 1 || flows > 1_000_000)
    throw new RangeError(`flows must be 1..1000000, got ${flows}`);
  const k = await KernelBackend.start(opts.kernel);
  try {
    const names = await openGroup(k, proto, members, GROUP_PORT);
    const slotOf = new Map(names.map((n, i) => [n, i]));
    const deliver = async (i: number): Promise<number> => {
      const r = await k.exec({
        op: 'deliver',
        proto,
        from: sourceOf(i),
        to: { addr: '127.0.0.1', port: GROUP_PORT },
      });
      const slot = r.ok && r.member !== undefined ? slotOf.get(r.member) : undefined;
      if (slot === undefined)
        throw new Error(`flow ${i}: no member received it (${r.ok ? 'no member' : r.errno})`);
      return slot;
    };
    const slots: number[] = [];
    for (let i = 0; i < flows; i++) {
      slots.push(await deliver(i));
      if ((i + 1) % 500 === 0) opts.onProgress?.(i + 1, flows);
    }
    const resend = Math.min(flows, opts.resend ?? 1000);
    let same = 0;
    for (let i = 0; i < resend; i++) if ((await deliver(i)) === slots[i]) same++;
    return spreadReport(proto, members, slots, { same, resent: resend });
  } finally {
    await k.close();
  }
}
