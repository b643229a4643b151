/**
 * Deliberately broken models, to test the tester: decorators around ModelBackend (the model itself
 * is untouched) that the random differential run must catch within its budget.
 *  - ParitySwappedModel: believes connect() autoselection prefers the other parity. Its candidate
 *    set is the real one with every port's parity flipped (p xor 1), and it follows by flipping back.
 *  - ReuseAddrIgnoresListenModel: forgets that SO_REUSEADDR never helps against a listener (R31,
 *    R32, R51): an explicit bind or a listen() re-check that the real model refuses with EADDRINUSE
 *    succeeds when the newcomer and every socket in the way have SO_REUSEADDR.
 *  - FirstMemberOnlyModel: believes a SO_REUSEPORT group always hands a flow to its first member
 *    (R81/R82 say: a secret hash picks any member), so its eligible set is that one socket.
 */

import type { Call, Outcome } from '../calls/index.js';
import type { ChoiceOptions, Outcomes, Result } from '../model/index.js';
import { type ExecOptions, ModelBackend } from '../run/model-backend.js';

export class FirstMemberOnlyModel extends ModelBackend {
  override execSync(call: Call, opts: ExecOptions = {}): Outcome & { readonly detail?: Result<object> } {
    const r = super.execSync(call, opts);
    if (call.op !== 'deliver' || !r.ok || r.members === undefined) return r;
    const first = r.members[0] ?? r.member;
    return first === undefined ? r : { ...r, member: opts.followMember ?? first, members: [first] };
  }
}

export class ParitySwappedModel extends ModelBackend {
  override outcomesFor(call: Call): Outcomes | null {
    const o = super.outcomesFor(call);
    if (o === null || call.op !== 'connect') return o;
    return { ports: o.ports.map((p) => p ^ 1).sort((a, b) => a - b), mayFail: o.mayFail };
  }

  override isPossible(call: Call, result: number | 'fail'): boolean {
    if (call.op !== 'connect' || result === 'fail') return super.isPossible(call, result);
    return super.isPossible(call, result ^ 1);
  }

  override execSync(call: Call, opts: ChoiceOptions = {}): Outcome & { readonly detail?: Result<object> } {
    if (call.op !== 'connect' || typeof opts.follow !== 'number') return super.execSync(call, opts);
    const real = super.outcomesFor(call);
    const follow = real?.ports.includes(opts.follow ^ 1) ? opts.follow ^ 1 : opts.follow;
    const r = super.execSync(call, { ...opts, follow });
    // The broken model reports the port it believes it took.
    return r.ok && r.port === follow ? { ...r, port: opts.follow } : r;
  }
}

export class ReuseAddrIgnoresListenModel extends ModelBackend {
  /** Socket name -> SO_REUSEADDR, and model socket id -> name (from the socket calls). */
  private readonly ra = new Map<string, boolean>();
  private readonly byId = new Map<number, string>();

  override execSync(call: Call, opts: ChoiceOptions = {}): Outcome & { readonly detail?: Result<object> } {
    const before =
      call.op === 'socket' || call.op === 'accept'
        ? new Set(this.ns.inspect().sockets.map((s) => s.id))
        : null;
    const r = super.execSync(call, opts);
    if (before !== null && r.ok) {
      const name = call.op === 'socket' || call.op === 'accept' ? call.name : '';
      for (const s of this.ns.inspect().sockets)
        if (!before.has(s.id) && !this.byId.has(s.id)) this.byId.set(s.id, name);
    }
    if (call.op === 'setsockopt' && call.opt === 'SO_REUSEADDR' && r.ok)
      this.ra.set(call.sock, typeof call.value === 'number' ? call.value !== 0 : call.value[0] !== 0);
    const explicit = (call.op === 'bind' && call.port !== 0) || call.op === 'listen';
    if (!explicit || r.ok || r.errno !== 'EADDRINUSE' || !r.detail || r.detail.ok) return r;
    if (!this.ra.get(call.sock)) return r;
    const inWay = r.detail.conflictsWith;
    const allRa = inWay.every((o) => o.kind === 'socket' && this.ra.get(this.byId.get(o.id) ?? '') === true);
    const someListener = inWay.some((o) => /LISTEN/.test(o.label));
    if (inWay.length === 0 || !allRa || !someListener) return r;
    // The broken rule lets it through (without changing the real model's state).
    const name = super.execSync({ op: 'getsockname', sock: call.sock });
    const port = call.op === 'bind' ? call.port : name.ok ? (name.port ?? 0) : 0;
    const addr = call.op === 'bind' ? call.addr : name.ok ? (name.addr ?? '') : '';
    return { ok: true, port, addr };
  }
}
