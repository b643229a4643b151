/**
 * The model as a Backend: one Netns per script run. Besides exec, it answers the two questions
 * the differential runner asks where the kernel chooses at random: which outcomes are possible
 * (outcomesFor), and "do what the kernel did" (exec with `follow`).
 */
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
import type { Call, Outcome } from './calls.js';

export class ModelBackend implements Backend {
  readonly name = 'model' as const;
  readonly ns: Netns;
  private readonly names = new Map<string, SockId>();

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
    const sock = 'sock' in call ? this.names.get(call.sock) : undefined;
    return choice && sock !== undefined ? { sock, choice } : null;
  }

  async exec(call: Call, follow?: number | 'fail'): Promise<Outcome> {
    return this.execSync(call, follow === undefined ? {} : { follow });
  }

  /** Same as exec, synchronously, with trace or follow options for the random calls. */
  execSync(call: Call, opts: ChoiceOptions = {}): Outcome & { readonly detail?: Result<object> } {
    const ns = this.ns;
    switch (call.op) {
      case 'sysctl':
        return plain(ns.sysctl(call.name, call.value));
      case 'addr':
        return plain(ns.addAddress(call.cidr));
      case 'uid':
        ns.setUid(call.uid);
        return { ok: true };
      case 'sleep':
        ns.advance(call.ms);
        return { ok: true };
      case 'socket': {
        const r = ns.socket(call.kind);
        if (!r.ok) return withDetail({ ok: false, errno: r.errno }, r);
        this.names.set(call.name, r.sock);
        return { ok: true };
      }
    }
    const sock = this.names.get(call.sock);
    if (sock === undefined) return { ok: false, errno: 'EBADF' };
    switch (call.op) {
      case 'setsockopt':
        return plain(ns.setsockopt(sock, call.opt, call.value));
      case 'bind':
        return endpoint(ns.bind(sock, call.addr, call.port, opts));
      case 'listen':
        return endpoint(ns.listen(sock, opts));
      case 'connect':
        return endpoint(ns.connect(sock, call.addr, call.port, opts));
      case 'getsockname':
        return endpoint(ns.getsockname(sock));
      case 'accept': {
        const r = ns.accept(sock);
        if (!r.ok) return withDetail({ ok: false, errno: r.errno }, r);
        this.names.set(call.name, r.sock);
        return { ok: true, peer: r.peer };
      }
      case 'close': {
        const r = ns.close(sock, { rst: call.rst });
        if (r.ok) this.names.delete(call.sock);
        return plain(r);
      }
    }
  }

  async close(): Promise<void> {
    this.names.clear();
  }
}

function toChoice(call: Call): ChoiceCall | null {
  if (call.op === 'connect') return { op: 'connect', addr: call.addr, port: call.port };
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
