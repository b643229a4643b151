/** Spec section 7, R70-R72: IP_LOCAL_PORT_RANGE (per-socket ephemeral range). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  bind,
  binds,
  connect,
  connects,
  followOf,
  type Got,
  listener,
  netns,
  portsOf,
  seeds,
  sock,
} from './helpers.js';

function enc(lo: number, hi: number): number {
  return ((hi << 16) | lo) >>> 0;
}

// exp_lpr › setsockopt validation and getsockopt round trip (the cases the API can express).
const SET: ReadonlyArray<{ title: string; kind: 'tcp4' | 'tcp6'; value: number; want: 'OK' | 'EINVAL' }> = [
  { title: 'lo=40005 hi=40001', kind: 'tcp4', value: enc(40005, 40001), want: 'EINVAL' },
  { title: 'lo=hi=40002', kind: 'tcp4', value: enc(40002, 40002), want: 'OK' },
  { title: 'lo=0 hi=40001', kind: 'tcp4', value: enc(0, 40001), want: 'OK' },
  { title: 'lo=40001 hi=0', kind: 'tcp4', value: enc(40001, 0), want: 'OK' },
  { title: 'IPv6 TCP socket (SOL_IP)', kind: 'tcp6', value: enc(40000, 40001), want: 'OK' },
  { title: 'value 0 (reset)', kind: 'tcp4', value: 0, want: 'OK' },
];

for (const c of SET) {
  test(`R70 setsockopt IP_LOCAL_PORT_RANGE ${c.title} -> ${c.want}`, () => {
    const ns = netns();
    const r = ns.setsockopt(sock(ns, { kind: c.kind }), 'IP_LOCAL_PORT_RANGE', c.value);
    assert.equal(r.ok ? 'OK' : r.errno, c.want);
  });
}

test('R70 value 0 unsets the option: connect() goes back to the parity split', () => {
  const ns = netns({ range: [40000, 40003] });
  listener(ns, '127.0.0.1', 5000);
  const s = sock(ns, { lpr: [40000, 40003] });
  assert.ok(ns.setsockopt(s, 'IP_LOCAL_PORT_RANGE', 0).ok);
  assert.deepEqual(ns.outcomes(s, { op: 'connect', addr: '127.0.0.1', port: 5000 }), {
    ports: [40000, 40002],
    mayFail: false,
  });
});

// exp_lpr › intersection with the netns range: each bound applies only if it lies inside it (netns 40000-40009)
const EFFECTIVE: ReadonlyArray<{ lpr: [number, number]; want: number[] }> = [
  { lpr: [40002, 40004], want: portsOf(40002, 40004) },
  { lpr: [39990, 40003], want: portsOf(40000, 40003) },
  { lpr: [40007, 50000], want: portsOf(40007, 40009) },
  { lpr: [30000, 30010], want: portsOf(40000, 40009) },
  { lpr: [0, 40001], want: portsOf(40000, 40001) },
  { lpr: [40008, 0], want: portsOf(40008, 40009) },
  { lpr: [40005, 40005], want: [40005] },
];

for (const c of EFFECTIVE) {
  test(`R70 effective range: netns 40000-40009, LPR (${c.lpr[0]},${c.lpr[1]}) -> ${c.want[0]}..${c.want[c.want.length - 1]}`, () => {
    const ns = netns({ range: [40000, 40009] });
    listener(ns, '127.0.0.1', 5000);
    assert.deepEqual(
      ns.outcomes(sock(ns, { lpr: c.lpr }), { op: 'connect', addr: '127.0.0.1', port: 5000 }),
      {
        ports: c.want,
        mayFail: false,
      },
    );
    const got = connects(ns, c.want.length + 1, '127.0.0.1', 5000, { lpr: c.lpr });
    assert.deepEqual(
      got.slice(0, -1).sort((a, b) => Number(a) - Number(b)),
      c.want,
    );
    assert.equal(got[got.length - 1], 'EADDRNOTAVAIL');
  });
}

test('R70 explicit bind() ignores IP_LOCAL_PORT_RANGE', () => {
  // exp_lpr › IP_LOCAL_PORT_RANGE does not restrict explicit binds (45000)
  const ns = netns({ range: [40000, 40009] });
  assert.equal(bind(ns, sock(ns, { lpr: [40003, 40004] }), '127.0.0.1', 45000), 45000);
});

// ---------------------------------------------------------------- R71 connect()

test('R71 connect() with IP_LOCAL_PORT_RANGE uses odd and even ports from the first connect', () => {
  // exp_lpr › connect() with IP_LOCAL_PORT_RANGE: uses odd AND even ports… (8 of 10 trials mixed)
  const ns = netns({ range: [40000, 40003] });
  listener(ns, '127.0.0.1', 5000);
  assert.deepEqual(
    ns.outcomes(sock(ns, { lpr: [40000, 40003] }), { op: 'connect', addr: '127.0.0.1', port: 5000 }),
    {
      ports: portsOf(40000, 40003),
      mayFail: false,
    },
  );
  let mixed = 0;
  for (const seed of seeds(20)) {
    const n = netns({ seed, range: [40000, 40003] });
    listener(n, '127.0.0.1', 5000);
    const [a, b] = connects(n, 2, '127.0.0.1', 5000, { lpr: [40000, 40003] }) as [number, number];
    if (a % 2 !== b % 2) mixed++;
  }
  assert.ok(mixed >= 1, 'some trials mix parities');
});

test('R71 a per-socket range wholly outside the netns range is ignored for the bounds but still disables the parity split', () => {
  // exp_lpr › connect(): a per-socket range lying wholly outside… (lpr (1, 65535))
  const ns = netns({ range: [40000, 40003] });
  listener(ns, '127.0.0.1', 5000);
  assert.deepEqual(
    ns.outcomes(sock(ns, { lpr: [1, 65535] }), { op: 'connect', addr: '127.0.0.1', port: 5000 }),
    {
      ports: portsOf(40000, 40003),
      mayFail: false,
    },
  );
});

test('R71 odd-sized range fully usable: 5 of 5 ports on 40000-40004, then EADDRNOTAVAIL', () => {
  // exp_lpr › connect() with IP_LOCAL_PORT_RANGE: odd-sized range fully usable
  for (const seed of seeds(20)) {
    const ns = netns({ seed, range: [40000, 40004] });
    listener(ns, '127.0.0.1', 5000);
    const r = connects(ns, 6, '127.0.0.1', 5000, { lpr: [40000, 40004] });
    assert.deepEqual(
      r.slice(0, 5).sort((a, b) => Number(a) - Number(b)),
      portsOf(40000, 40004),
      `seed ${seed}`,
    );
    assert.equal(r[5], 'EADDRNOTAVAIL');
  }
});

// Observed kernel sequences (exp_lpr › odd-sized range fully usable; exp_connect › per-socket
// IP_LOCAL_PORT_RANGE set -> no parity split), replayed with `follow`.
const OBSERVED: ReadonlyArray<{ range: [number, number]; runs: Got[][] }> = [
  {
    range: [40000, 40004],
    runs: [
      [40003, 40001, 40002, 40000, 40004, 'EADDRNOTAVAIL'],
      [40002, 40003, 40000, 40004, 40001, 'EADDRNOTAVAIL'],
      [40003, 40001, 40004, 40000, 40002, 'EADDRNOTAVAIL'],
      [40001, 40004, 40000, 40002, 40003, 'EADDRNOTAVAIL'],
      [40004, 40002, 40000, 40003, 40001, 'EADDRNOTAVAIL'],
    ],
  },
  {
    range: [40000, 40003],
    runs: [
      [40000, 40002, 40003, 40001, 'EADDRNOTAVAIL'],
      [40000, 40003, 40001, 40002, 'EADDRNOTAVAIL'],
      [40003, 40002, 40000, 40001, 'EADDRNOTAVAIL'],
      [40001, 40003, 40000, 40002, 'EADDRNOTAVAIL'],
      [40000, 40001, 40002, 40003, 'EADDRNOTAVAIL'],
    ],
  },
];

for (const o of OBSERVED) {
  test(`R71 LPR ${o.range[0]}-${o.range[1]}: every observed kernel sequence is a possible model sequence (follow)`, () => {
    for (const run of o.runs) {
      const ns = netns({ range: o.range });
      listener(ns, '127.0.0.1', 5000);
      for (const step of run) {
        const s = sock(ns, { lpr: o.range });
        const follow = followOf(step);
        assert.equal(connect(ns, s, '127.0.0.1', 5000, { follow }), step, `run ${run}`);
      }
    }
  });
}

test('R71 with IP_LOCAL_PORT_RANGE successive ports to one destination advance by 1..8', () => {
  // R13 consequence 2 with LPR: next - previous (mod remaining) uniform over {1, ..., 8}
  for (const seed of seeds(3)) {
    const ns = netns({ seed });
    listener(ns, '127.0.0.1', 23457);
    const ports = connects(ns, 200, '127.0.0.1', 23457, { lpr: [40000, 40999] }) as number[];
    const gaps = ports.slice(1).map((p, k) => (((p - (ports[k] as number)) % 1000) + 1000) % 1000);
    assert.deepEqual(new Set(gaps), new Set([1, 2, 3, 4, 5, 6, 7, 8]), `seed ${seed}`);
  }
});

// ---------------------------------------------------------------- R72 other users

test('R72 an IPv6 TCP socket honours SOL_IP IP_LOCAL_PORT_RANGE for bind(0) and connect()', () => {
  // exp_lpr › IPv6 TCP socket honours SOL_IP IP_LOCAL_PORT_RANGE ([40007, 40008])
  const ns = netns({ range: [40000, 40009] });
  const r = bind(ns, sock(ns, { kind: 'tcp6', lpr: [40007, 40007] }), '::1', 0);
  listener(ns, '::1', 5000);
  const rc = connects(ns, 1, '::1', 5000, { lpr: [40008, 40008] })[0];
  assert.deepEqual([r, rc], [40007, 40008]);
});

test('R72 bind(0) uses the effective range (a 2-port LPR inside the netns range)', () => {
  const ns = netns({ range: [40000, 40009] });
  assert.deepEqual(binds(ns, 3, '127.0.0.1', { lpr: [40004, 40005] }), [40005, 40004, 'EADDRINUSE']);
});
