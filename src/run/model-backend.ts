/**
 * The model as a Backend: one Netns per script run. Besides exec, it answers the two questions
 * the differential runner asks where the kernel chooses at random: which outcomes are possible
 * (outcomesFor), and "do what the kernel did" (exec with `follow`; for deliver, `followMember`
 * names the reuseport member the kernel's secret hash picked).
 */

import type { Call, Outcome } from '../calls/index.js';
import {
  type ChoiceCall,
  type ChoiceOptions,
  Netns,
  type NetnsOptions,
  type Outcomes,
  type Result,
  type SockId,
} from '../model/index.js';
import type { Backend } from './backend.js';

export class ModelBackend implements Backend {
  readonly name = 'model' as const;
  readonly ns: Netns;
  private readonly names = new Map<string, SockId>();
  /** The reverse of `names`, for naming the socket a delivery reached. */
  private readonly namesById = new Map<SockId, string>();

  constructor(opts: NetnsOptions = {}) {
    this.ns = new Netns(opts);
  }

  /** Possible results of a call that makes a random choice; null when the call's result is determined. */
  outcomesFor(call: Call): Outcomes | null {
    const c = this.choiceOf(call);
    return c ? this.ns.outcomes(c.sock, c.choice) : null;
  }

  /** Whether a call makes a random choice (so the kernel's result must be followed). */
  makesChoice(call: Call): boolean {
    const c = this.choiceOf(call);
    return c !== null && this.ns.makesChoice(c.sock, c.choice);
  }

  /** Could the kernel's result (a port, or 'fail') come out of this random call? Cheap; see Netns.isPossible. */
  isPossible(call: Call, result: number | 'fail'): boolean {
    const c = this.choiceOf(call);
    return c !== null && this.ns.isPossible(c.sock, c.choice, result);
  }

  /** The model's socket and the choice-making call behind a script call, if it is one. */
  private choiceOf(call: Call): { sock: SockId; choice: ChoiceCall } | null {
    const choice = toChoice(call);
    const sock = 'sock' in call && call.op !== 'accept' ? this.names.get(call.sock) : undefined;
    return choice && sock !== undefined ? { sock, choice } : null;
  }

  async exec(call: Call, follow?: number | 'fail'): Promise<Outcome> {
    return this.execSync(call, follow === undefined ? {} : { follow });
  }

  /** Same as exec, synchronously, with trace or follow options for the random calls. */
  execSync(call: Call, opts: ExecOptions = {}): Outcome & { readonly detail?: Result<object> } {
    const ns = this.ns;
    switch (call.op) {
      case 'sysctl':
        return plain(ns.sysctl(call.name, call.value));
      case 'addr':
        return plain(ns.addAddress(call.cidr));
      case 'route':
        return plain(ns.addLocalRoute(call.cidr, call.src));
      case 'uid':
        ns.setUid(call.uid);
        return { ok: true };
      case 'sleep':
        ns.advance(call.ms);
        return { ok: true };
      case 'socket': {
        const r = ns.socket(call.kind);
        if (!r.ok) return withDetail({ ok: false, errno: r.errno }, r);
        this.remember(call.name, r.sock);
        return { ok: true };
      }
      case 'deliver':
        return this.deliver(call, opts.followMember);
    }
    const sock = this.names.get(call.sock);
    if (sock === undefined) return { ok: false, errno: 'EBADF' };
    switch (call.op) {
      case 'setsockopt':
        return plain(ns.setsockopt(sock, call.opt, call.value, call.optlen));
      case 'getsockopt': {
        const r = ns.getsockopt(sock, call.opt);
        return r.ok ? { ok: true, optval: r.value } : withDetail({ ok: false, errno: r.errno }, r);
      }
      case 'bind':
        return endpoint(ns.bind(sock, call.addr, call.port, opts));
      case 'listen':
        return endpoint(ns.listen(sock, opts));
      case 'connect':
        return endpoint(ns.connect(sock, call.addr, call.port, opts));
      case 'sendto':
        return endpoint(ns.sendto(sock, call.addr, call.port, opts));
      case 'disconnect':
        return plain(ns.disconnect(sock));
      case 'getsockname':
        return endpoint(ns.getsockname(sock));
      case 'accept': {
        const r = ns.accept(sock);
        if (!r.ok) return withDetail({ ok: false, errno: r.errno }, r);
        this.remember(call.name, r.sock);
        return { ok: true, peer: r.peer };
      }
      case 'close': {
        const r = ns.close(sock, { rst: call.rst });
        if (r.ok) {
          this.names.delete(call.sock);
          this.namesById.delete(sock);
        }
        return plain(r);
      }
    }
  }

  private remember(name: string, sock: SockId): void {
    this.names.set(name, sock);
    this.namesById.set(sock, name);
  }

  private deliver(
    call: Call & { op: 'deliver' },
    followMember: string | undefined,
  ): Outcome & { readonly detail?: Result<object> } {
    const follow = followMember === undefined ? undefined : this.names.get(followMember);
    if (followMember !== undefined && follow === undefined)
      throw new RangeError(`deliver follow: no socket named ${followMember}`);
    const r = this.ns.deliver(call.proto, call.from, call.to, follow === undefined ? {} : { follow });
    if (!r.ok) return withDetail({ ok: false, errno: r.errno }, r);
    const nameOf = (id: SockId) => this.namesById.get(id) ?? `#${id}`;
    return {
      ok: true,
      member: nameOf(r.sock),
      members: r.eligible.map(nameOf),
      epoch: r.epoch,
      detail: r,
    };
  }

  async close(): Promise<void> {
    this.names.clear();
    this.namesById.clear();
  }
}

/** ChoiceOptions, plus the member a delivery must adopt (the kernel's, in differential runs). */
export type ExecOptions = ChoiceOptions & { readonly followMember?: string };

function toChoice(call: Call): ChoiceCall | null {
  if (call.op === 'connect') return { op: 'connect', addr: call.addr, port: call.port };
  if (call.op === 'sendto') return { op: 'sendto', addr: call.addr, port: call.port };
  if (call.op === 'bind') return { op: 'bind', addr: call.addr, port: call.port };
  if (call.op === 'listen') return { op: 'listen' };
  return null;
}

function plain(r: Result<object>): Outcome & { detail?: Result<object> } {
  return r.ok ? { ok: true } : withDetail({ ok: false, errno: r.errno }, r);
}

function endpoint(r: Result<{ addr: string; port: number }>): Outcome & { detail?: Result<object> } {
  return r.ok
    ? { ok: true, addr: r.addr, port: r.port, detail: r }
    : withDetail({ ok: false, errno: r.errno }, r);
}

function withDetail(o: Outcome, detail: Result<object>): Outcome & { detail: Result<object> } {
  return { ...o, detail };
}
