/**
 * The search a call would run now, without making the call: what `Netns.outcomes`, `makesChoice`
 * and `isPossible` ask about. null when the call makes no random choice (its result is determined).
 */
import type { ChoiceCall } from './choice.js';
import type { Core } from './core.js';
import type { Socket, SockId } from './entities.js';
import type { Phase } from './search.js';
import { validPort } from './socket-checks.js';
import { autobindPhases } from './tcp-autobind.js';
import { checkBindArgs, planBind, viewAs } from './tcp-bind.js';
import { planConnect } from './tcp-connect.js';
import { udpAutobindPhases } from './udp-autobind.js';
import { udpView } from './udp-bind.js';

export function phasesFor(core: Core, sock: SockId, call: ChoiceCall): Phase[] | null {
  const s = core.socket(sock);
  if (!s?.userOpen) return null;
  if (s.proto === 'udp') return udpPhases(core, s, call);
  if (call.op === 'sendto') return null;
  if (call.op === 'connect') {
    const a = core.addrs.parse(call.addr);
    if (!a) return null;
    const plan = planConnect(core, s, a, call.port);
    return 'kind' in plan && plan.kind === 'auto' ? plan.phases : null;
  }
  if (call.op === 'listen') {
    if (s.state !== 'CLOSE' || s.raddr || s.wasReset || s.lport !== 0) return null;
    return autobindPhases(core, viewAs(s, s.laddr, s.v6only, true), s.lpr);
  }
  const a = core.addrs.parse(call.addr);
  if (!a) return null;
  const plan = planBind(core, s, a, call.port);
  return 'kind' in plan && plan.kind === 'auto' ? autobindPhases(core, plan.view, s.lpr) : null;
}

/** R90: bind(0), and connect()/sendto() on a socket without a port, search; nothing else does. */
function udpPhases(core: Core, s: Socket, call: ChoiceCall): Phase[] | null {
  if (call.op === 'listen') return null;
  if (call.op === 'bind') {
    const a = core.addrs.parse(call.addr);
    if (!a || call.port !== 0 || s.noPort) return null;
    const args = checkBindArgs(core, s, a, 0);
    return 'ok' in args ? null : udpAutobindPhases(core, udpView(s, a, args.v6only), s.lpr);
  }
  if (s.lport !== 0 || !core.addrs.parse(call.addr) || !validPort(call.port)) return null;
  return udpAutobindPhases(core, udpView(s), s.lpr);
}
