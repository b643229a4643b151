/**
 * fast-check generators of valid script ASTs: every socket is created before use, body names stay
 * in their body, and comments/blank lines sit only where the printer can place them unambiguously
 * (a comment right under the header would join the header).
 */
import fc from 'fast-check';
import type { Call, ErrnoName, SocketKind, SockOptName } from '../../src/calls/index.js';
import type { Expect, PortExpect, RepeatStep, Script, Step } from '../../src/script/index.js';
import {
  canonicalV4,
  canonicalV6,
  ERRNO_NAMES,
  GET_OPTIONS,
  MAX_OPTLEN,
  PAIR_OPTIONS,
  rulesOf,
  SCRIPT_SYSCTLS,
  SOCKET_KINDS,
  SOCKET_OPTIONS,
} from '../../src/script/index.js';

const NOWHERE = { line: 0, col: 0 };
const text = (max: number) =>
  fc.string({ unit: fc.constantFrom(...' abcxyz#=:"\\{}R1A3-é\t'), maxLength: max });
const commentText = text(16).map((s) => s.trim());
const port = fc.integer({ min: 0, max: 65535 });

const v4 = fc
  .tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255))
  .map((b) => canonicalV4(b.join('.')) ?? '');
const v6 = fc
  .array(fc.oneof(fc.constant(0), fc.nat(0xffff)), { minLength: 8, maxLength: 8 })
  .map((g) => canonicalV6(g.map((x) => x.toString(16)).join(':')) ?? '');
const mapped = v4.map((a) => canonicalV6(`::ffff:${a}`) ?? '');
const addr = fc.oneof(v4, v6, mapped);

const portExpect = (min: number): fc.Arbitrary<PortExpect> =>
  fc.oneof(
    fc.integer({ min, max: 65535 }).map((p) => ({ kind: 'port' as const, port: p })),
    fc
      .tuple(port, port)
      .map(([a, b]) => ({ kind: 'range' as const, lo: Math.min(a, b), hi: Math.max(a, b) })),
    fc.uniqueArray(port, { minLength: 1, maxLength: 4 }).map((ports) => ({ kind: 'set' as const, ports })),
  );
const errno = fc.constantFrom(...ERRNO_NAMES);
const okOrErrno: fc.Arbitrary<Expect> = fc.oneof(
  fc.constant({ kind: 'none' as const }),
  fc.constant({ kind: 'ok' as const }),
  errno.map((e) => ({ kind: 'errno' as const, errno: e })),
);
// A bare port 0 prints as `= 0`, which means success, so a top-level port expectation starts at 1.
const anyExpect: fc.Arbitrary<Expect> = fc.oneof(
  okOrErrno,
  portExpect(1),
  fc.tuple(addr, portExpect(0)).map(([a, p]) => ({ kind: 'endpoint' as const, addr: a, port: p })),
);

/** A call whose socket names are placeholders ('?'), resolved by `build`. */
const callArb: fc.Arbitrary<Call> = fc.oneof(
  fc.record({
    op: fc.constant('sysctl' as const),
    name: fc.constantFrom(...SCRIPT_SYSCTLS),
    value: text(12),
  }),
  fc
    .tuple(addr, fc.nat(128))
    .map(([a, n]) => ({ op: 'addr' as const, cidr: `${a}/${a.includes(':') ? n : n % 33}` })),
  fc
    .tuple(
      fc.constantFrom(
        ['198.51.100.0/24', '127.0.0.1'],
        ['10.2.0.0/16', '10.1.1.1'],
        ['2001:db8::/64', '::1'],
      ),
      fc.boolean(),
    )
    .map(([[cidr, src], withSrc]) =>
      withSrc ? { op: 'route' as const, cidr, src } : { op: 'route' as const, cidr },
    ),
  fc.record({ op: fc.constant('uid' as const), uid: fc.integer({ min: 0, max: 4294967294 }) }),
  fc.record({ op: fc.constant('sleep' as const), ms: fc.nat(200_000) }),
  fc.record({
    op: fc.constant('socket' as const),
    name: fc.constant('?'),
    kind: fc.constantFrom(...SOCKET_KINDS),
  }),
  fc.constantFrom(...SOCKET_OPTIONS).chain((opt: SockOptName) =>
    fc
      .tuple(
        PAIR_OPTIONS.includes(opt) ? fc.tuple(port, port) : fc.nat(5),
        // An explicit buffer size (not for SO_LINGER, which the parser refuses it for).
        opt === 'SO_LINGER' ? fc.constant(null) : fc.option(fc.nat(MAX_OPTLEN)),
      )
      .map(([value, optlen]) => ({
        op: 'setsockopt' as const,
        sock: '?',
        opt,
        value,
        ...(optlen === null ? {} : { optlen }),
      })),
  ),
  fc.constantFrom(...GET_OPTIONS).map((opt) => ({ op: 'getsockopt' as const, sock: '?', opt })),
  fc
    .tuple(fc.constantFrom('bind' as const, 'connect' as const, 'sendto' as const), addr, port)
    .map(([op, a, p]) => ({
      op,
      sock: '?',
      addr: a,
      port: p,
    })),
  fc.record({ op: fc.constant('listen' as const), sock: fc.constant('?'), backlog: fc.nat(4096) }),
  fc.constant({ op: 'accept' as const, sock: '?', name: '?' }),
  fc.boolean().map((rst) => ({ op: 'close' as const, sock: '?', rst })),
  fc.constant({ op: 'getsockname' as const, sock: '?' }),
  fc.constant({ op: 'disconnect' as const, sock: '?' }),
  fc
    .tuple(
      fc.constantFrom('tcp' as const, 'udp' as const),
      fc.constantFrom(
        ['127.0.0.1', '127.0.0.2'],
        ['::1', '::1'],
        // A directed broadcast once 10.0.0.1/24 exists: the parser cannot know, so it parses.
        ['10.0.0.1', '10.0.0.255'],
        ['::ffff:127.0.0.1', 'fd00::2'],
      ),
      fc.integer({ min: 1, max: 65535 }),
      port,
    )
    .map(([proto, [from, to], fp, tp]) => ({
      op: 'deliver' as const,
      proto,
      from: { addr: from ?? '127.0.0.1', port: fp },
      to: { addr: to ?? '127.0.0.1', port: tp },
    })),
);

interface Trivia {
  blankBefore: boolean;
  comments: string[];
  trailing: string | null;
}
const trivia: fc.Arbitrary<Trivia> = fc.record({
  blankBefore: fc.boolean(),
  comments: fc.array(commentText, { maxLength: 2 }),
  trailing: fc.option<string>(commentText),
});

interface LeafSeed {
  kind: 'leaf';
  call: Call;
  expect: Expect;
  pick: number;
  trivia: Trivia;
}
interface RepeatSeed {
  kind: 'repeat';
  max: number;
  body: Seed[];
  count: PortExpect | null;
  thenErrno: ErrnoName | null;
  trivia: Trivia;
  footer: string[];
  endTrailing: string | null;
}
type Seed = LeafSeed | RepeatSeed;

const leafSeed: fc.Arbitrary<Seed> = fc.record({
  kind: fc.constant('leaf' as const),
  call: callArb,
  expect: anyExpect,
  pick: fc.nat(),
  trivia,
});
const repeatSeed = (body: fc.Arbitrary<Seed>): fc.Arbitrary<Seed> =>
  fc.record({
    kind: fc.constant('repeat' as const),
    max: fc.integer({ min: 1, max: 10_000 }),
    body: fc.array(body, { minLength: 1, maxLength: 4 }),
    count: fc.option<PortExpect>(portExpect(0)),
    thenErrno: fc.option<ErrnoName>(errno),
    trivia,
    footer: fc.array(commentText, { maxLength: 2 }),
    endTrailing: fc.option<string>(commentText),
  });
const seed: fc.Arbitrary<Seed> = fc.oneof(
  { weight: 6, arbitrary: leafSeed },
  { weight: 1, arbitrary: repeatSeed(fc.oneof({ weight: 4, arbitrary: leafSeed }, repeatSeed(leafSeed))) },
);

/** Sockets open at each nesting level, innermost last. */
type Scopes = string[][];

function fitExpect(call: Call, e: Expect, inBody: boolean): Expect {
  if (call.op === 'sleep') return { kind: 'none' };
  if (call.op === 'getsockopt') {
    // `= 0` after getsockopt is the value 0, not "success": the expectation is always a value.
    if (e.kind === 'none' || (e.kind === 'errno' && !inBody)) return e;
    const v = e.kind === 'port' ? e.port % 2 : 1;
    return { kind: 'optval', value: call.opt === 'IP_LOCAL_PORT_RANGE' ? [v, 40000 + v] : v };
  }
  if (inBody && e.kind === 'errno') return { kind: 'ok' };
  if (call.op === 'deliver')
    return e.kind === 'none' || e.kind === 'ok' || e.kind === 'errno' ? e : { kind: 'ok' };
  const portLike = ['bind', 'listen', 'connect', 'accept', 'getsockname', 'sendto'].includes(call.op);
  if (portLike || e.kind === 'none' || e.kind === 'ok' || e.kind === 'errno') return e;
  return { kind: 'ok' };
}

/** Clamps a loop count so that it can hold (the parser rejects counts that never can). */
function fitCount(count: PortExpect | null, then: string | null, max: number): PortExpect | null {
  if (then === null) return count === null ? null : { kind: 'port', port: max };
  if (count === null) return null;
  const m = (p: number) => p % (max + 1);
  if (count.kind === 'port') return { kind: 'port', port: m(count.port) };
  if (count.kind === 'range') return { kind: 'range', lo: m(count.lo), hi: Math.max(m(count.lo), count.hi) };
  return { kind: 'set', ports: [...new Set(count.ports.map(m))] };
}

/** Names handed out so far and the kind of each socket. */
interface Counter {
  n: number;
  readonly kinds: Map<string, SocketKind>;
}

function build(seeds: Seed[], scopes: Scopes, counter: Counter): Step[] {
  const steps: Step[] = [];
  const local = scopes[scopes.length - 1] ?? [];
  const inBody = scopes.length > 1;
  for (const s of seeds) {
    if (s.kind === 'repeat') {
      const max = s.max;
      const body = build(s.body, [...scopes, []], counter);
      const step: RepeatStep = {
        kind: 'repeat',
        max,
        body,
        expectCount: fitCount(s.count, s.thenErrno, max),
        thenErrno: s.thenErrno,
        pos: NOWHERE,
        endPos: NOWHERE,
        footer: s.footer,
        endTrailing: s.endTrailing,
        ...s.trivia,
      };
      steps.push(step);
      continue;
    }
    const visible = scopes.flat();
    let call: Call = s.call;
    const fresh = () => `s${counter.n++}`;
    if ('sock' in call) {
      const scope = call.op === 'close' ? local : visible;
      const pool = scope;
      const sock = pool[s.pick % Math.max(pool.length, 1)];
      if (sock === undefined) call = { op: 'socket', name: '?', kind: 'tcp4' };
      else {
        call = { ...call, sock };
        if (call.op === 'close') local.splice(local.indexOf(sock), 1);
      }
    }
    if (call.op === 'socket' || call.op === 'accept') {
      call = { ...call, name: fresh() };
      local.push(call.name);
      // An accepted socket has the kind of the socket it came from.
      counter.kinds.set(
        call.name,
        call.op === 'socket' ? call.kind : (counter.kinds.get(call.sock) ?? 'tcp4'),
      );
    }
    let expect = fitExpect(call, s.expect, inBody);
    // deliver names the receiving socket: one open socket, or a set of them.
    if (call.op === 'deliver' && expect.kind === 'ok' && visible.length > 0) {
      const one = visible[s.pick % visible.length] ?? '';
      const set = visible.filter((_, i) => (s.pick >> (i % 20)) & 1);
      expect =
        s.pick % 3 === 0 || set.length === 0
          ? { kind: 'member', name: one }
          : { kind: 'members', names: set };
    }
    steps.push({ kind: 'call', call, expect, pos: NOWHERE, ...s.trivia });
  }
  return steps;
}

export const scriptArb: fc.Arbitrary<Script> = fc
  .record({
    header: fc.array(commentText, { maxLength: 3 }),
    seeds: fc.array(seed, { maxLength: 12 }),
    footer: fc.array(commentText, { maxLength: 2 }),
  })
  .map(({ header, seeds, footer }) => {
    const steps = build(seeds, [[]], { n: 0, kinds: new Map() });
    const first = steps[0];
    if (first !== undefined) {
      // Comments right after the header (or at the very top) are header lines, so the first step
      // keeps its own comments only behind a blank line, and only when there is a header.
      const fixed =
        header.length === 0
          ? { ...first, blankBefore: false, comments: [] }
          : first.comments.length > 0
            ? { ...first, blankBefore: true }
            : first;
      steps[0] = fixed;
    }
    return {
      file: 'gen.pst',
      header,
      rules: rulesOf(header),
      steps,
      footer: steps.length === 0 && header.length === 0 ? [] : footer,
    };
  });
