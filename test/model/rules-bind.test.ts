/** Spec section 4, R30-R38: explicit-port bind(): argument checks, conflicts, RA/RP, v4/v6, flags. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Netns, SockId, SockOpt } from '../../src/model/index.js';
import {
  asUid,
  bind,
  close,
  connect,
  connects,
  type Got,
  listen,
  listener,
  netns,
  type SockSetup,
  sock,
} from './helpers.js';

const NOBODY = 65534;

function outcome(r: Got): string {
  return typeof r === 'number' ? 'OK' : r;
}

// ---------------------------------------------------------------- R30 argument checks

test('R30 an IPv6 address on an IPv4 socket is EAFNOSUPPORT', () => {
  // exp_bind › IPv4 bind() argument errors ("AF_INET6 family on AF_INET socket": EAFNOSUPPORT)
  const ns = netns();
  assert.equal(bind(ns, sock(ns), '::1', 40000), 'EAFNOSUPPORT');
});

test('R30 an IPv4 (16-byte) address on an IPv6 socket is EINVAL (length < 24)', () => {
  const ns = netns();
  assert.equal(bind(ns, sock(ns, { kind: 'tcp6' }), '127.0.0.1', 40000), 'EINVAL');
});

// exp_bind › check order: already-bound EINVAL vs EADDRNOTAVAIL differs between IPv4 and IPv6
const ORDER: ReadonlyArray<{ title: string; run: (ns: Netns) => Got; want: Got }> = [
  {
    title: 'v4 bound, rebind same address -> EINVAL',
    run: (ns) => {
      const a = sock(ns);
      bind(ns, a, '127.0.0.1', 40000);
      return bind(ns, a, '127.0.0.1', 40001);
    },
    want: 'EINVAL',
  },
  {
    title: 'v4 bound, rebind non-local -> EADDRNOTAVAIL (address checked before "already bound")',
    run: (ns) => {
      const a = sock(ns);
      bind(ns, a, '127.0.0.1', 40000);
      return bind(ns, a, '10.9.9.9', 40001);
    },
    want: 'EADDRNOTAVAIL',
  },
  {
    title: 'v4 bound, rebind port 80 as nobody -> EACCES (privilege checked before "already bound")',
    run: (ns) =>
      asUid(ns, NOBODY, () => {
        const a = sock(ns);
        bind(ns, a, '127.0.0.1', 40005);
        return bind(ns, a, '127.0.0.1', 80);
      }),
    want: 'EACCES',
  },
  {
    title: 'v6 bound, rebind same address -> EINVAL',
    run: (ns) => {
      const b = sock(ns, { kind: 'tcp6' });
      bind(ns, b, '::1', 40000);
      return bind(ns, b, '::1', 40001);
    },
    want: 'EINVAL',
  },
  {
    title: 'v6 bound, rebind non-local -> EINVAL ("already bound" checked before the address)',
    run: (ns) => {
      const b = sock(ns, { kind: 'tcp6' });
      bind(ns, b, '::1', 40000);
      return bind(ns, b, '2001:db8::1', 40001);
    },
    want: 'EINVAL',
  },
  {
    title: 'v4 connected socket, bind -> EINVAL',
    run: (ns) => {
      listener(ns, '127.0.0.1', 5001);
      const c = sock(ns);
      connect(ns, c, '127.0.0.1', 5001);
      return bind(ns, c, '127.0.0.1', 40002);
    },
    want: 'EINVAL',
  },
  {
    title: 'v4 non-local and privileged as nobody -> EADDRNOTAVAIL (step 3 before step 4)',
    run: (ns) => asUid(ns, NOBODY, () => bind(ns, sock(ns), '10.9.9.9', 80)),
    want: 'EADDRNOTAVAIL',
  },
  {
    title: 'v6 multicast and privileged as nobody -> EINVAL (step 3 before step 4)',
    run: (ns) => asUid(ns, NOBODY, () => bind(ns, sock(ns, { kind: 'tcp6' }), 'ff02::1', 80)),
    want: 'EINVAL',
  },
  {
    title: 'v6 bound, rebind port 80 as nobody -> EACCES (step 4 before step 5)',
    run: (ns) =>
      asUid(ns, NOBODY, () => {
        const b = sock(ns, { kind: 'tcp6' });
        bind(ns, b, '::1', 40000);
        return bind(ns, b, '::1', 80);
      }),
    want: 'EACCES',
  },
  {
    title: 'v6 v4-mapped non-local ::ffff:10.9.9.9 -> EADDRNOTAVAIL',
    run: (ns) => bind(ns, sock(ns, { kind: 'tcp6' }), '::ffff:10.9.9.9', 40000),
    want: 'EADDRNOTAVAIL',
  },
  {
    title: 'v6 link-local without scope id -> EINVAL',
    run: (ns) => bind(ns, sock(ns, { kind: 'tcp6' }), 'fe80::1', 40000),
    want: 'EINVAL',
  },
];

for (const c of ORDER) {
  test(`R30 check order: ${c.title}`, () => {
    assert.equal(c.run(netns()), c.want);
  });
}

test('R30 IPv6 step 7: v6only forced by a specific address is kept only if the bind succeeds', () => {
  const ns = netns();
  bind(ns, sock(ns, { kind: 'tcp6' }), '::1', 40000);
  const s = sock(ns, { kind: 'tcp6' });
  assert.equal(bind(ns, s, '::1', 40000), 'EADDRINUSE');
  assert.equal(bind(ns, s, '::', 40001), 40001);
  // s is still dual-stack, so it covers 0.0.0.0:40001.
  assert.equal(bind(ns, sock(ns), '0.0.0.0', 40001), 'EADDRINUSE');
});

// ---------------------------------------------------------------- R31 the two exemptions

test('R31 the exemptions are alternatives: RP on both (same uid) is enough against a listener with RA+RP', () => {
  const ns = netns();
  listener(ns, '127.0.0.1', 40000, { ra: true, rp: true });
  assert.equal(bind(ns, sock(ns, { ra: true, rp: true }), '127.0.0.1', 40000), 40000);
});

test('R31 the exemptions are alternatives: RA on both is enough when the uids differ (owner not listening)', () => {
  const ns = netns();
  bind(ns, sock(ns, { ra: true, rp: true }), '127.0.0.1', 40000);
  assert.equal(
    asUid(ns, NOBODY, () => bind(ns, sock(ns, { ra: true, rp: true }), '127.0.0.1', 40000)),
    40000,
  );
});

test('R31 neither exemption: a listener with RA+RP and a newcomer of another uid conflict', () => {
  const ns = netns();
  listener(ns, '127.0.0.1', 40000, { ra: true, rp: true });
  assert.equal(
    asUid(ns, NOBODY, () => bind(ns, sock(ns, { ra: true, rp: true }), '127.0.0.1', 40000)),
    'EADDRINUSE',
  );
});

// ---------------------------------------------------------------- R32 SO_REUSEADDR

type State = 'bound' | 'listening' | 'connected';
const STATES: readonly State[] = ['bound', 'listening', 'connected'];

/** exp_bind _existing(): a socket bound to ip:port, then listening or connected to 127.0.0.1:5001. */
function existing(ns: Netns, st: State, ip: string, port: number, o: SockSetup): SockId {
  const s = sock(ns, o);
  assert.equal(bind(ns, s, ip, port), port);
  if (st === 'listening') assert.equal(listen(ns, s), port);
  if (st === 'connected') assert.equal(connect(ns, s, '127.0.0.1', 5001), port);
  return s;
}

// exp_bind › SO_REUSEADDR matrix…: only "both RA and existing not listening" succeeds.
for (const st of STATES) {
  for (const old of [false, true]) {
    for (const neu of [false, true]) {
      const want = old && neu && st !== 'listening' ? 'OK' : 'EADDRINUSE';
      test(`R32 SO_REUSEADDR matrix: existing ${st} RA=${+old}, new RA=${+neu} -> ${want}`, () => {
        const ns = netns();
        listener(ns, '127.0.0.1', 5001);
        existing(ns, st, '127.0.0.1', 40001, { ra: old });
        assert.equal(outcome(bind(ns, sock(ns, { ra: neu }), '127.0.0.1', 40001)), want);
      });
    }
  }
}

test('R32 both RA: any number of non-listening sockets share one exact ip:port', () => {
  const ns = netns();
  for (let k = 0; k < 6; k++) assert.equal(bind(ns, sock(ns, { ra: true }), '127.0.0.1', 40000), 40000);
});

test('R32 the new socket’s later listen() is checked again: two RA listeners are impossible', () => {
  // exp_bind › SO_REUSEADDR: the NEW socket's later listen() is checked again
  const ns = netns();
  const [a, b, c, d] = [1, 2, 3, 4].map(() => sock(ns, { ra: true })) as [SockId, SockId, SockId, SockId];
  const r = [bind(ns, a, '127.0.0.1', 40000), bind(ns, b, '127.0.0.1', 40000), listen(ns, a), listen(ns, b)];
  const r2 = [bind(ns, c, '0.0.0.0', 40001), bind(ns, d, '127.0.0.1', 40001), listen(ns, d), listen(ns, c)];
  assert.deepEqual(r, [40000, 40000, 40000, 'EADDRINUSE']);
  assert.deepEqual(r2, [40001, 40001, 40001, 'EADDRINUSE']);
});

// ---------------------------------------------------------------- R33 SO_REUSEPORT

// exp_bind › SO_REUSEPORT: both sockets need it, same effective uid, works for listeners
for (const st of STATES) {
  for (const old of [false, true]) {
    for (const neu of [false, true]) {
      const want = old && neu ? 'OK' : 'EADDRINUSE';
      test(`R33 SO_REUSEPORT matrix: existing ${st} RP=${+old}, new RP=${+neu} -> ${want}`, () => {
        const ns = netns();
        listener(ns, '127.0.0.1', 5001);
        existing(ns, st, '127.0.0.1', 41000, { rp: old });
        assert.equal(outcome(bind(ns, sock(ns, { rp: neu }), '127.0.0.1', 41000)), want);
      });
    }
  }
}

for (const st of ['listening', 'bound'] as const) {
  test(`R33 SO_REUSEPORT needs the same uid: root ${st} owner, nobody RP bind -> EADDRINUSE`, () => {
    const ns = netns();
    existing(ns, st, '127.0.0.1', 42000, { rp: true });
    assert.equal(
      asUid(ns, NOBODY, () => bind(ns, sock(ns, { rp: true }), '127.0.0.1', 42000)),
      'EADDRINUSE',
    );
  });
}

test('R33 a second RP listener on the same address binds and listens', () => {
  const ns = netns();
  listener(ns, '127.0.0.1', 42002, { rp: true });
  const l2 = sock(ns, { rp: true });
  assert.deepEqual([bind(ns, l2, '127.0.0.1', 42002), listen(ns, l2)], [42002, 42002]);
});

test('R33 SO_REUSEPORT: wildcard and specific addresses can be shared, uid must match', () => {
  // exp_bind › SO_REUSEPORT: wildcard and specific addresses can be shared… ([40000, EADDRINUSE])
  const ns = netns();
  listener(ns, '0.0.0.0', 40000, { rp: true });
  const r1 = bind(ns, sock(ns, { rp: true }), '127.0.0.1', 40000);
  const r2 = asUid(ns, NOBODY, () => bind(ns, sock(ns, { rp: true }), '127.0.0.2', 40000));
  assert.deepEqual([r1, r2], [40000, 'EADDRINUSE']);
});

test('R33 SO_REUSEPORT with SO_REUSEADDR only on one side still needs RP on both', () => {
  // exp_bind › SO_REUSEPORT with SO_REUSEADDR only on one side… ([EADDRINUSE, 40000])
  const ns = netns();
  listener(ns, '127.0.0.1', 40000, { ra: true, rp: true });
  const r1 = bind(ns, sock(ns, { ra: true }), '127.0.0.1', 40000);
  const r2 = bind(ns, sock(ns, { rp: true }), '127.0.0.1', 40000);
  assert.deepEqual([r1, r2], ['EADDRINUSE', 40000]);
});

// ---------------------------------------------------------------- R35 address overlap

// exp_bind › address overlap: wildcard overlaps everything, distinct specific addresses do not
const OVERLAP: ReadonlyArray<readonly [string, string, 'OK' | 'EADDRINUSE']> = [
  ['0.0.0.0', '127.0.0.1', 'EADDRINUSE'],
  ['127.0.0.1', '0.0.0.0', 'EADDRINUSE'],
  ['127.0.0.1', '127.0.0.2', 'OK'],
  ['0.0.0.0', '0.0.0.0', 'EADDRINUSE'],
  ['127.0.0.1', '127.0.0.1', 'EADDRINUSE'],
];

for (const [a, b, want] of OVERLAP) {
  test(`R35 address overlap: ${a} then ${b} -> ${want}`, () => {
    const ns = netns();
    assert.equal(bind(ns, sock(ns), a, 40001), 40001);
    assert.equal(outcome(bind(ns, sock(ns), b, 40001)), want);
  });
}

// exp_bind › SO_REUSEADDR + wildcard vs specific with a listener in the mix
const RA_MIX: ReadonlyArray<{
  title: string;
  first: string;
  listens: boolean;
  second: string;
  want: 'OK' | 'EADDRINUSE';
}> = [
  {
    title: 'listen 0.0.0.0, then RA bind 127.0.0.1',
    first: '0.0.0.0',
    listens: true,
    second: '127.0.0.1',
    want: 'EADDRINUSE',
  },
  {
    title: 'listen 127.0.0.1, then RA bind 0.0.0.0',
    first: '127.0.0.1',
    listens: true,
    second: '0.0.0.0',
    want: 'EADDRINUSE',
  },
  {
    title: 'listen 127.0.0.1, then RA bind 127.0.0.2',
    first: '127.0.0.1',
    listens: true,
    second: '127.0.0.2',
    want: 'OK',
  },
  {
    title: 'bound 127.0.0.1, then RA bind 0.0.0.0',
    first: '127.0.0.1',
    listens: false,
    second: '0.0.0.0',
    want: 'OK',
  },
];

for (const c of RA_MIX) {
  test(`R35 SO_REUSEADDR with a listener in the mix: ${c.title} -> ${c.want}`, () => {
    const ns = netns();
    existing(ns, c.listens ? 'listening' : 'bound', c.first, 40002, { ra: true });
    assert.equal(outcome(bind(ns, sock(ns, { ra: true }), c.second, 40002)), c.want);
  });
}

// ---------------------------------------------------------------- R36 v4 / v6 / V6ONLY / mapped

interface End {
  readonly kind: 'tcp4' | 'tcp6';
  readonly addr: string;
  readonly v6only?: boolean;
}
const v4 = (addr: string): End => ({ kind: 'tcp4', addr });
const v6 = (addr: string, v6only = false): End => ({ kind: 'tcp6', addr, v6only });

// exp_bind › IPv4 / IPv6 / V6ONLY / v4-mapped conflict table (all 22 observed rows; the spec's table in R36).
const R36: ReadonlyArray<readonly [End, End, 'OK' | 'EADDRINUSE']> = [
  [v6('::'), v4('0.0.0.0'), 'EADDRINUSE'],
  [v6('::'), v4('127.0.0.1'), 'EADDRINUSE'],
  [v6('::', true), v4('0.0.0.0'), 'OK'],
  [v4('0.0.0.0'), v6('::'), 'EADDRINUSE'],
  [v4('0.0.0.0'), v6('::', true), 'OK'],
  [v4('127.0.0.1'), v6('::'), 'EADDRINUSE'],
  [v4('127.0.0.1'), v6('::', true), 'OK'],
  [v6('::1'), v4('0.0.0.0'), 'OK'],
  [v6('::1'), v4('127.0.0.1'), 'OK'],
  [v4('0.0.0.0'), v6('::1'), 'OK'],
  [v6('::1'), v6('::'), 'EADDRINUSE'],
  [v6('::1'), v6('::', true), 'EADDRINUSE'],
  [v6('::', true), v6('::'), 'EADDRINUSE'],
  [v6('::', true), v6('::1'), 'EADDRINUSE'],
  [v6('::ffff:127.0.0.1'), v4('127.0.0.1'), 'EADDRINUSE'],
  [v6('::ffff:127.0.0.1'), v4('127.0.0.2'), 'OK'],
  [v4('127.0.0.1'), v6('::ffff:127.0.0.1'), 'EADDRINUSE'],
  [v4('127.0.0.1'), v6('::ffff:0.0.0.0'), 'EADDRINUSE'],
  [v6('::ffff:0.0.0.0'), v4('127.0.0.1'), 'EADDRINUSE'],
  [v6('::ffff:0.0.0.0'), v6('::1'), 'OK'],
  [v6('::', true), v6('::ffff:127.0.0.1'), 'OK'],
  [v6('::'), v6('::ffff:127.0.0.1'), 'EADDRINUSE'],
];

function label(e: End): string {
  return `${e.kind === 'tcp6' ? `[${e.addr}]` : e.addr}${e.v6only ? ' v6only' : ''}`;
}

for (const [first, second, want] of R36) {
  test(`R36 ${label(first)} then ${label(second)} -> ${want}`, () => {
    const ns = netns();
    const mk = (e: End) => sock(ns, e.kind === 'tcp6' ? { kind: 'tcp6', v6only: e.v6only ?? false } : {});
    assert.equal(bind(ns, mk(first), first.addr, 43001), 43001);
    assert.equal(outcome(bind(ns, mk(second), second.addr, 43001)), want);
  });
}

test('R36 a v6only socket binding a v4-mapped address gets EINVAL', () => {
  const ns = netns();
  assert.equal(bind(ns, sock(ns, { kind: 'tcp6', v6only: true }), '::ffff:127.0.0.1', 40001), 'EINVAL');
});

test('R36 binding ::1 forces V6ONLY; binding :: keeps a dual-stack socket dual', () => {
  // exp_bind › IPv6 bind details… ("v6only after bind ::1": 1, "v6only after bind ::": 0), seen through D5
  const ns = netns();
  bind(ns, sock(ns, { kind: 'tcp6', v6only: false }), '::1', 40000);
  assert.equal(bind(ns, sock(ns), '0.0.0.0', 40000), 40000, '::1 (v6only) does not cover 0.0.0.0');
  bind(ns, sock(ns, { kind: 'tcp6', v6only: false }), '::', 40004);
  assert.equal(bind(ns, sock(ns), '127.0.0.1', 40004), 'EADDRINUSE', ':: stayed dual-stack');
});

// ---------------------------------------------------------------- R37 devices

test('R37 SO_BINDTODEVICE: two sockets bound to different devices never conflict', {
  todo: 'model disagrees: SO_BINDTODEVICE is not modelled (no such socket option; D6 is always true)',
}, () => {
  // exp_bind › SO_BINDTODEVICE… ("v0 then v1": 40000)
  const ns = netns();
  const a = sock(ns);
  const b = sock(ns);
  // Explicit messages: without them node:assert reads the source file to build one, which is
  // very slow under tsx.
  assert.equal(ns.setsockopt(a, 'SO_BINDTODEVICE' as SockOpt, 1).ok, true, 'SO_BINDTODEVICE accepted');
  assert.equal(ns.setsockopt(b, 'SO_BINDTODEVICE' as SockOpt, 2).ok, true, 'SO_BINDTODEVICE accepted');
  assert.equal(bind(ns, a, '0.0.0.0', 40000), 40000);
  assert.equal(bind(ns, b, '0.0.0.0', 40000), 40000);
});

// ---------------------------------------------------------------- R38 fast path and flags

test('R38 RA switched off on the owner after it joined: the kernel re-reads it (EADDRINUSE), unlike the spec says', () => {
  // The spec (R38, "not tested" in section 13) says the stale B.ra = 1 lets an RA newcomer through;
  // Linux 6.18 refuses it (measured; test/scripts/regressions/model-bug-reuseaddr-cleared-after-bind.pst
  // runs the case on both backends). The RP summary does stay stale (next test).
  const ns = netns();
  const a = sock(ns, { ra: true });
  assert.equal(bind(ns, a, '127.0.0.1', 40000), 40000);
  assert.ok(ns.setsockopt(a, 'SO_REUSEADDR', 0).ok);
  assert.equal(bind(ns, sock(ns, { ra: true }), '127.0.0.1', 40000), 'EADDRINUSE');
});

test('R38 stale flags: RP switched off on the owner after it joined; reuseportMatch still accepts (same uid)', () => {
  const ns = netns();
  const a = sock(ns, { rp: true });
  assert.equal(bind(ns, a, '127.0.0.1', 40000), 40000);
  assert.ok(ns.setsockopt(a, 'SO_REUSEPORT', 0).ok);
  assert.equal(bind(ns, sock(ns, { rp: true }), '127.0.0.1', 40000), 40000);
});

test('R38 without stale flags the full check runs: a second owner without RA clears B.ra', () => {
  // a (RA) and b (RA) share 127.0.0.1; c without RA on 127.0.0.2 sets B.ra = 0; d (RA) on 127.0.0.1 must
  // then pass the pairwise check, which it does (a and b have RA and are not listening).
  const ns = netns();
  bind(ns, sock(ns, { ra: true }), '127.0.0.1', 40000);
  bind(ns, sock(ns, { ra: true }), '127.0.0.1', 40000);
  assert.equal(bind(ns, sock(ns), '127.0.0.2', 40000), 40000);
  assert.equal(bind(ns, sock(ns, { ra: true }), '127.0.0.1', 40000), 40000);
  assert.equal(bind(ns, sock(ns, { ra: true }), '127.0.0.2', 40000), 'EADDRINUSE');
});

test('R38 an RA bind joining a connect-created bucket keeps ra at -1 but sets rp to 0: the port is bind-owned', () => {
  // R15 text: "RA alone leaves ra at -1 but sets rp to 0".
  const ns = netns({ range: [40000, 40000] });
  listener(ns, '0.0.0.0', 5001);
  listener(ns, '0.0.0.0', 5002);
  assert.deepEqual(connects(ns, 1, '127.0.0.1', 5001, { ra: true }), [40000]);
  const b = sock(ns, { ra: true });
  assert.equal(bind(ns, b, '127.0.0.2', 40000), 40000);
  assert.deepEqual(connects(ns, 1, '127.0.0.1', 5002), ['EADDRNOTAVAIL']);
  close(ns, b);
  assert.deepEqual(connects(ns, 1, '127.0.0.1', 5002), [40000]);
});
