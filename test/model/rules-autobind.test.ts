/** Spec section 5, R40-R51: bind(port 0), listen() autobind and the listen() re-check. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Netns, SockId } from '../../src/model/index.js';
import {
  bind,
  binds,
  close,
  connect,
  followOf,
  type Got,
  listen,
  listener,
  makeTimeWait,
  name,
  netns,
  pair,
  type SockSetup,
  seeds,
  sock,
} from './helpers.js';

function setOf(xs: readonly Got[]): Set<Got> {
  return new Set(xs);
}

// ---------------------------------------------------------------- R40 search order

// Fully determined sequences (exp_autobind › 2-port range…, › 4-port range, SO_REUSEADDR…, › 3-port
// range…, › IPv6 bind(0)…).
const DET: ReadonlyArray<{
  title: string;
  range: [number, number];
  addr: string;
  o: SockSetup;
  n: number;
  want: Got[];
}> = [
  {
    title: '2-port range',
    range: [40000, 40001],
    addr: '127.0.0.1',
    o: {},
    n: 3,
    want: [40001, 40000, 'EADDRINUSE'],
  },
  {
    title: '4-port range with SO_REUSEADDR',
    range: [40000, 40003],
    addr: '127.0.0.1',
    o: { ra: true },
    n: 5,
    want: [40001, 40000, 40003, 40002, 'EADDRINUSE'],
  },
  {
    title: '3-port range 40000-40002',
    range: [40000, 40002],
    addr: '127.0.0.1',
    o: {},
    n: 3,
    want: [40001, 40000, 'EADDRINUSE'],
  },
  {
    title: 'IPv6 ::1, 2-port range',
    range: [40000, 40001],
    addr: '::1',
    o: { kind: 'tcp6' },
    n: 3,
    want: [40001, 40000, 'EADDRINUSE'],
  },
];

for (const c of DET) {
  test(`R40 ${c.title}: bind(0) gives ${c.want.join(', ')} for every seed`, () => {
    for (const seed of seeds(20)) {
      const ns = netns({ seed, range: c.range });
      assert.deepEqual(binds(ns, c.n, c.addr, c.o), c.want, `seed ${seed}`);
    }
  });
}

test('R40 3-port range: 40002 is never chosen by bind(0) but can be bound explicitly', () => {
  const ns = netns({ range: [40000, 40002] });
  assert.deepEqual(binds(ns, 3, '127.0.0.1'), [40001, 40000, 'EADDRINUSE']);
  assert.equal(bind(ns, sock(ns), '127.0.0.1', 40002), 40002);
});

// Parity classes with random order inside (exp_autobind › 4-port range, no SO_REUSEADDR; › odd low
// 40001-40004; › 8-port range, SO_REUSEADDR).
const CLASSES: ReadonlyArray<{ title: string; range: [number, number]; o: SockSetup; classes: number[][] }> =
  [
    {
      title: '4-port range, no SO_REUSEADDR: odd ports first',
      range: [40000, 40003],
      o: {},
      classes: [
        [40001, 40003],
        [40000, 40002],
      ],
    },
    {
      title: 'odd low 40001-40004: even ports first',
      range: [40001, 40004],
      o: {},
      classes: [
        [40002, 40004],
        [40001, 40003],
      ],
    },
    {
      title: '8-port range with SO_REUSEADDR: lower half first',
      range: [40000, 40007],
      o: { ra: true },
      classes: [
        [40001, 40003],
        [40000, 40002],
        [40005, 40007],
        [40004, 40006],
      ],
    },
  ];

for (const c of CLASSES) {
  const want = c.classes.map((k) => `{${k.join(',')}}`).join(', ');
  test(`R40 ${c.title}: ${want}, then EADDRINUSE; order inside a class is random`, () => {
    const firsts = new Set<Got>();
    for (const seed of seeds(40)) {
      const ns = netns({ seed, range: c.range });
      const r = binds(ns, c.classes.length * 2 + 1, '127.0.0.1', c.o);
      c.classes.forEach((k, i) => {
        assert.deepEqual(setOf(r.slice(2 * i, 2 * i + 2)), new Set(k), `seed ${seed}: ${r}`);
      });
      assert.equal(r[r.length - 1], 'EADDRINUSE');
      firsts.add(r[0] as Got);
    }
    assert.deepEqual(firsts, new Set(c.classes[0]), 'both orders of the first class occur');
  });
}

test('R40 4-port range: outcomes() of a first bind(0) is the opposite-parity class', () => {
  const ns = netns({ range: [40000, 40003] });
  assert.deepEqual(ns.outcomes(sock(ns), { op: 'bind', addr: '127.0.0.1', port: 0 }), {
    ports: [40001, 40003],
    mayFail: false,
  });
});

/** Occupies every port of `ports` on 127.0.0.1 with an explicit bind (no options). */
function occupy(ns: Netns, ports: readonly number[]): void {
  for (const p of ports) assert.equal(bind(ns, sock(ns), '127.0.0.1', p), p);
}

test('R40 odd-sized range 40000-40006 with RA: the upper half (5 ports, 4 scanned) reaches 40003 or 40005 first', () => {
  // exp_autobind › odd-sized range 40000-40006 with SO_REUSEADDR
  const ns = netns({ range: [40000, 40006] });
  occupy(ns, [40000, 40001]);
  assert.deepEqual(ns.outcomes(sock(ns, { ra: true }), { op: 'bind', addr: '127.0.0.1', port: 0 }), {
    ports: [40003, 40005],
    mayFail: false,
  });
});

test('R40 odd-sized range 40000-40006 with RA: EADDRINUSE can appear while 40006 is still free', () => {
  const ns = netns({ range: [40000, 40006] });
  occupy(ns, [40000, 40001, 40002, 40003, 40004, 40005]);
  assert.deepEqual(ns.outcomes(sock(ns, { ra: true }), { op: 'bind', addr: '127.0.0.1', port: 0 }), {
    ports: [40006],
    mayFail: true,
  });
});

test('R40 odd-sized range 40000-40006 with RA: EADDRINUSE can appear while 40002 is still free', () => {
  const ns = netns({ range: [40000, 40006] });
  occupy(ns, [40000, 40001, 40003, 40004, 40005, 40006]);
  assert.deepEqual(ns.outcomes(sock(ns, { ra: true }), { op: 'bind', addr: '127.0.0.1', port: 0 }), {
    ports: [40002],
    mayFail: true,
  });
});

// Every observed kernel sequence, replayed with `follow` (EADDRINUSE = 'fail').
const OBSERVED: ReadonlyArray<{ title: string; range: [number, number]; o: SockSetup; runs: Got[][] }> = [
  {
    title: 'odd-sized range 40000-40006 with SO_REUSEADDR',
    range: [40000, 40006],
    o: { ra: true },
    runs: [
      [40001, 40000, 40003, 40005, 40002, 40004, 40006, 'EADDRINUSE'],
      [40001, 40000, 40003, 40005, 40002, 40004, 'EADDRINUSE', 40006],
      [40001, 40000, 40005, 40003, 40002, 40004, 'EADDRINUSE', 40006],
      [40001, 40000, 40005, 40003, 40004, 40006, 'EADDRINUSE', 'EADDRINUSE'],
    ],
  },
  {
    title: '8-port range with SO_REUSEADDR',
    range: [40000, 40007],
    o: { ra: true },
    runs: [
      [40001, 40003, 40000, 40002, 40007, 40005, 40006, 40004, 'EADDRINUSE'],
      [40003, 40001, 40002, 40000, 40007, 40005, 40006, 40004, 'EADDRINUSE'],
    ],
  },
  {
    title: 'odd low 40001-40004',
    range: [40001, 40004],
    o: {},
    runs: [
      [40004, 40002, 40001, 40003, 'EADDRINUSE'],
      [40002, 40004, 40003, 40001, 'EADDRINUSE'],
    ],
  },
];

for (const c of OBSERVED) {
  test(`R40 ${c.title}: every observed kernel sequence is a possible model sequence (follow)`, () => {
    for (const run of c.runs) {
      const ns = netns({ range: c.range });
      for (const step of run) {
        const follow = followOf(step);
        assert.equal(bind(ns, sock(ns, c.o), '127.0.0.1', 0, { follow }), step, `run ${run}`);
      }
    }
  });
}

// ---------------------------------------------------------------- R41 strictness

for (const o of [{ ra: true }, { rp: true }, { ra: true, rp: true }] as const) {
  const label = Object.keys(o).join('+');
  test(`R41 bind(0) never shares a port by default, even with ${label} on every socket`, () => {
    // exp_autobind › bind(0) never shares a port… ([low+1, low, EADDRINUSE] for RA, RP, RA+RP)
    const ns = netns({ range: [40010, 40011] });
    assert.deepEqual(binds(ns, 3, '127.0.0.1', o), [40011, 40010, 'EADDRINUSE']);
  });
}

test('R41 ip_autobind_reuse=1: the relaxed round shares with RA non-listening owners only', () => {
  // exp_autobind › ip_autobind_reuse=1: second round may share… ([40001, 40000, 40001, EADDRINUSE, 40000])
  for (const seed of seeds(5)) {
    const ns = netns({ seed, range: [40000, 40001], sysctls: [['ip_autobind_reuse', '1']] });
    const a = sock(ns, { ra: true });
    const b = sock(ns, { ra: true });
    const ra = bind(ns, a, '127.0.0.1', 0);
    const rb = bind(ns, b, '127.0.0.1', 0);
    const rc = bind(ns, sock(ns, { ra: true }), '127.0.0.1', 0);
    const rd = bind(ns, sock(ns), '127.0.0.1', 0);
    assert.equal(listen(ns, a), 40001);
    const re = bind(ns, sock(ns, { ra: true }), '127.0.0.1', 0);
    assert.deepEqual([ra, rb, rc, rd, re], [40001, 40000, 40001, 'EADDRINUSE', 40000], `seed ${seed}`);
  }
});

test('R41 ip_autobind_reuse=1 does not share between sockets that both have SO_REUSEPORT', () => {
  // exp_autobind › ip_autobind_reuse=1 does NOT share… ([[40001, 40000, EADDRINUSE], 40001])
  const ns = netns({ range: [40000, 40001], sysctls: [['ip_autobind_reuse', '1']] });
  assert.deepEqual(binds(ns, 3, '127.0.0.1', { ra: true, rp: true }), [40001, 40000, 'EADDRINUSE']);
  assert.equal(bind(ns, sock(ns, { ra: true }), '127.0.0.1', 0), 40001);
});

// ---------------------------------------------------------------- R42 address awareness

test('R42 bind(0) conflict check is address-aware: another address can reuse a port in use', () => {
  // exp_autobind › bind(0) conflict check is address-aware ([40001, 40000, 40001, EADDRINUSE])
  const ns = netns({ range: [40000, 40001] });
  assert.equal(bind(ns, sock(ns), '127.0.0.1', 40001), 40001);
  const r = [
    bind(ns, sock(ns), '127.0.0.2', 0),
    bind(ns, sock(ns), '0.0.0.0', 0),
    bind(ns, sock(ns), '127.0.0.3', 0),
    bind(ns, sock(ns), '127.0.0.3', 0),
  ];
  assert.deepEqual(r, [40001, 40000, 40001, 'EADDRINUSE']);
});

test('R42 ports used by connect() count for bind(0) only on overlapping addresses', () => {
  // exp_autobind › ports used by connect() count for bind(0) only on overlapping addresses
  const ns = netns({ range: [40000, 40001] });
  listener(ns, '127.0.0.1', 5001);
  const rc = connect(ns, sock(ns), '127.0.0.1', 5001);
  const r = [
    bind(ns, sock(ns), '127.0.0.2', 0),
    bind(ns, sock(ns), '127.0.0.2', 0),
    bind(ns, sock(ns), '0.0.0.0', 0),
  ];
  assert.deepEqual([rc, ...r], [40000, 40001, 40000, 'EADDRINUSE']);
});

// ---------------------------------------------------------------- R44 reserved

test('R44 reserved ports are skipped by bind(0) and listen() autobind', () => {
  // exp_autobind › reserved ports are skipped… ([[40000, 40002, EADDRINUSE], 40003])
  for (const seed of seeds(10)) {
    const ns = netns({ seed, range: [40000, 40003], sysctls: [['ip_local_reserved_ports', '40001,40003']] });
    const r = binds(ns, 3, '127.0.0.1');
    assert.deepEqual(setOf(r.slice(0, 2)), new Set([40000, 40002]));
    assert.equal(r[2], 'EADDRINUSE');
    assert.ok(ns.sysctl('ip_local_reserved_ports', '40000-40002').ok);
    assert.equal(listen(ns, sock(ns)), 40003);
  }
});

// ---------------------------------------------------------------- R45 per-socket range and bind(0)

test('R45 IP_LOCAL_PORT_RANGE does not change bind(0)’s parity order', () => {
  // exp_autobind › per-socket IP_LOCAL_PORT_RANGE does not change bind(0)'s parity order
  for (const seed of seeds(20)) {
    const ns = netns({ seed, range: [40000, 40003] });
    const r = binds(ns, 5, '127.0.0.1', { lpr: [40000, 40003] });
    assert.deepEqual(setOf(r.slice(0, 2)), new Set([40001, 40003]), `seed ${seed}: ${r}`);
    assert.deepEqual(setOf(r.slice(2, 4)), new Set([40000, 40002]), `seed ${seed}: ${r}`);
    assert.equal(r[4], 'EADDRINUSE');
  }
});

test('R45 bind(0) with an odd-sized effective range of 3 never returns the top port', () => {
  // exp_lpr › bind(0) with an odd-sized effective range of 3… ([40003, 40002, EADDRINUSE, EADDRINUSE])
  for (const seed of seeds(20)) {
    const ns = netns({ seed, range: [40000, 40009] });
    assert.deepEqual(binds(ns, 4, '127.0.0.1', { lpr: [40002, 40004] }), [
      40003,
      40002,
      'EADDRINUSE',
      'EADDRINUSE',
    ]);
  }
});

// ---------------------------------------------------------------- R50 listen() autobind

test('R50 listen() on an unbound socket autobinds exactly like bind(0)', () => {
  // exp_autobind › listen() on an unbound socket autobinds exactly like bind(0) ([40001, 40000, EADDRINUSE])
  for (const seed of seeds(10)) {
    const ns = netns({ seed, range: [40000, 40001] });
    assert.deepEqual(
      [1, 2, 3].map(() => listen(ns, sock(ns))),
      [40001, 40000, 'EADDRINUSE'],
    );
  }
});

test('R50 listen() autobind binds the wildcard address', () => {
  // exp_autobind › listen() autobind binds the wildcard address
  const ns = netns();
  const s = sock(ns);
  const p = listen(ns, s);
  assert.equal(typeof p, 'number');
  assert.deepEqual(name(ns, s), ['0.0.0.0', p]);
});

test('R50 a listener that autobound with RA does not let an RA bind share its port', () => {
  const ns = netns({ range: [40000, 40001] });
  const l = sock(ns, { ra: true });
  assert.equal(listen(ns, l), 40001);
  assert.equal(bind(ns, sock(ns, { ra: true }), '127.0.0.1', 40001), 'EADDRINUSE');
});

// ---------------------------------------------------------------- R51 listen() re-check

function bindAll(ns: Netns, spec: ReadonlyArray<readonly [SockSetup, string, number]>): SockId[] {
  return spec.map(([o, addr, port]) => {
    const s = sock(ns, o);
    assert.equal(bind(ns, s, addr, port), port);
    return s;
  });
}

test('R51 two RA sockets bound to the same address: the first listen() succeeds, the second fails', () => {
  // exp_listen › listen() re-checks the port… ("RA/RA same addr": [40000, 40000, 40000, EADDRINUSE])
  const ns = netns();
  const [a, b] = bindAll(ns, [
    [{ ra: true }, '127.0.0.1', 40000],
    [{ ra: true }, '127.0.0.1', 40000],
  ]) as [SockId, SockId];
  assert.deepEqual([listen(ns, a), listen(ns, b)], [40000, 'EADDRINUSE']);
});

test('R51 two RP sockets (same uid) both listen', () => {
  // exp_listen › listen() re-checks the port… ("RP/RP same addr": [40001, 40001, 40001, 40001])
  const ns = netns();
  const [c, d] = bindAll(ns, [
    [{ rp: true }, '127.0.0.1', 40001],
    [{ rp: true }, '127.0.0.1', 40001],
  ]) as [SockId, SockId];
  assert.deepEqual([listen(ns, c), listen(ns, d)], [40001, 40001]);
});

test('R51 RA wildcard plus RA specific on one port: the specific one listens, then the wildcard’s listen() fails', () => {
  // exp_listen › listen() re-checks the port… ("RA wildcard + RA specific": [40002, 40002, 40002, EADDRINUSE])
  const ns = netns();
  const [e, f] = bindAll(ns, [
    [{ ra: true }, '0.0.0.0', 40002],
    [{ ra: true }, '127.0.0.1', 40002],
  ]) as [SockId, SockId];
  assert.deepEqual([listen(ns, f), listen(ns, e)], [40002, 'EADDRINUSE']);
});

test('R51 a listener is not blocked by a connected RA socket on the same port', () => {
  // exp_listen › listen() is not blocked by connected or merely-bound SO_REUSEADDR sockets, nor by TIME_WAIT
  const ns = netns();
  const l1 = listener(ns, '127.0.0.1', 5001);
  const [c] = bindAll(ns, [[{ ra: true }, '127.0.0.1', 40000]]) as [SockId];
  assert.equal(connect(ns, c, '127.0.0.1', 5001), 40000);
  assert.ok(ns.accept(l1).ok);
  const [l] = bindAll(ns, [[{ ra: true }, '0.0.0.0', 40000]]) as [SockId];
  assert.equal(listen(ns, l), 40000);
});

test('R51 a listener is not blocked by a merely bound RA socket on the same address', () => {
  const ns = netns();
  const [, m] = bindAll(ns, [
    [{ ra: true }, '127.0.0.1', 40001],
    [{ ra: true }, '127.0.0.1', 40001],
  ]) as [SockId, SockId];
  assert.equal(listen(ns, m), 40001);
});

test('R51 a listener is not blocked by the TIME_WAIT entry of an RA socket', () => {
  const ns = netns();
  const l1 = listener(ns, '127.0.0.1', 5001);
  const [t] = bindAll(ns, [[{ ra: true }, '127.0.0.1', 40002]]) as [SockId];
  assert.equal(connect(ns, t, '127.0.0.1', 5001), 40002);
  const srv = ns.accept(l1);
  assert.ok(srv.ok);
  makeTimeWait(ns, t, srv.sock);
  const [n] = bindAll(ns, [[{ ra: true }, '127.0.0.1', 40002]]) as [SockId];
  assert.equal(listen(ns, n), 40002);
});

test('R51 once a listener exists, a new RA bind on an overlapping address fails', () => {
  // exp_listen › after a listener exists, a new SO_REUSEADDR bind on an overlapping address fails ([EADDRINUSE, 40001])
  const ns = netns();
  listener(ns, '0.0.0.0', 40000, { ra: true });
  const r = bind(ns, sock(ns, { ra: true }), '127.0.0.1', 40000);
  const r2 = bind(ns, sock(ns, { ra: true }), '127.0.0.1', 40001);
  assert.deepEqual([r, r2], ['EADDRINUSE', 40001]);
});

test('R51 a failed listen() leaves the socket bound in CLOSE: it keeps the port and can listen later', () => {
  const ns = netns();
  const [a, b] = bindAll(ns, [
    [{ ra: true }, '127.0.0.1', 40000],
    [{ ra: true }, '127.0.0.1', 40000],
  ]) as [SockId, SockId];
  assert.equal(listen(ns, a), 40000);
  assert.equal(listen(ns, b), 'EADDRINUSE');
  close(ns, a);
  assert.equal(bind(ns, sock(ns), '127.0.0.1', 40000), 'EADDRINUSE', 'b still owns 40000');
  assert.deepEqual(name(ns, b), ['127.0.0.1', 40000]);
  assert.equal(listen(ns, b), 40000);
});

test('R51 listen() on a connected socket gives EINVAL', () => {
  const ns = netns();
  const l = listener(ns, '127.0.0.1', 5001);
  const { c } = pair(ns, l, '127.0.0.1', 5001);
  assert.equal(listen(ns, c), 'EINVAL');
});
