/**
 * Netns.deliver: one TCP connection (SYN) or UDP datagram from a local address and a port no
 * socket holds, to a destination; which socket receives it (R80-R82, delivery.ts).
 */
import type { Endpoint } from '../calls/index.js';
import type { Core } from './core.js';
import { findReceiver, noteUdpReceived, probeBlocked } from './delivery.js';
import type { SockId } from './entities.js';
import { fail, type Result } from './result.js';
import { validPort } from './socket-checks.js';

/** Who received a connection or datagram (R80-R82). */
export interface DeliveryResult {
  /** The receiving socket: the model's stand-in choice, or the followed one. */
  readonly sock: SockId;
  /** Every socket the kernel could have chosen (a reuseport group, or the one best receiver). */
  readonly eligible: readonly SockId[];
  /** The groups that decided, as `id.version`: the same 4-tuple keeps its member while this is unchanged. */
  readonly epoch: string;
}

export function deliverCall(
  core: Core,
  proto: 'tcp' | 'udp',
  from: Endpoint,
  to: Endpoint,
  follow: SockId | undefined,
): Result<DeliveryResult> {
  // R80: group formation and lookup precedence; R81 (TCP) or R82 (UDP): the member selection.
  core.rules.add('R80');
  core.rules.add(proto === 'tcp' ? 'R81' : 'R82');
  const sa = core.addrs.parse(from.addr);
  const da = core.addrs.parse(to.addr);
  if (!sa || !da || !validPort(from.port) || !validPort(to.port) || from.port === 0)
    return fail('EINVAL', 'R80', 'deliver needs two addresses with ports (the source port not 0)');
  if ((sa.family === 4 || sa.mapped) !== (da.family === 4 || da.mapped))
    return fail('EINVAL', 'R80', 'source and destination of a delivery must be of one family');
  if (!core.isLocal(sa)) return fail('EADDRNOTAVAIL', 'R7', `${sa.text} is not an address of this namespace`);
  const blocked = probeBlocked(core, proto, sa, from.port);
  if (blocked) return blocked;
  const flow = { proto, saddr: sa, sport: from.port, daddr: da, dport: to.port };
  const d = core.isLocalDest(da) ? findReceiver(core, flow) : null;
  if (!d)
    return fail('ECONNREFUSED', 'R80', `no ${proto.toUpperCase()} socket receives at ${to.addr}:${to.port}`);
  const eligible = d.eligible.map((e) => e.id);
  let sock = d.chosen.id;
  if (follow !== undefined) {
    if (!eligible.includes(follow))
      throw new RangeError(
        `deliver follow: socket #${follow} is not among the eligible ${eligible.join(',')}`,
      );
    sock = follow;
  }
  const receiver = core.socket(sock);
  if (receiver) noteUdpReceived(core, receiver);
  return { ok: true, sock, eligible, epoch: d.epoch };
}
