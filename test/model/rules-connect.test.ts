/** Spec section 3, R10-R15: connect() source address, autoselection order, acceptance, capacity, release. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { seededHost } from '../../src/model/index.js';
import {
  bind,
  close,
  connect,
  connects,
  followOf,
  type Got,
  listener,
  name,
  netns,
  parityPorts,
  seeds,
  sock,
} from './helpers.js';

// ---------------------------------------------------------------- R10 source address

for (const dest of ['127.0.0.1', '127.0.0.3', '127.0.0.5']) {
  test(`R10 connect to ${dest} takes source address 127.0.0.1 (prefsrc of the local route)`, () => {
    // exp_connect › source address chosen by route: 127.0.0.5 -> src 127.0.0.1
    const ns = netns();
    listener(ns, '0.0.0.0', 5000);
    const c = sock(ns);
    assert.equal(typeof connect(ns, c, dest, 5000), 'number');
    assert.equal(name(ns, c)[0], '127.0.0.1');
  });
}

test('R10 IPv6 connect to ::1 gets source ::1 and uses the same range and parity', () => {
  // exp_connect › IPv6 connect to ::1 gets source ::1… ([40000, 40001, EADDRNOTAVAIL], "::1")
  for (const seed of seeds(10)) {
    const ns = netns({ seed, range: [40000, 40001] });
    listener(ns, '::1', 5000);
    const c = sock(ns, { kind: 'tcp6' });
    assert.equal(connect(ns, c, '::1', 5000), 40000);
    assert.equal(name(ns, c)[0], '::1');
    assert.deepEqual(connects(ns, 2, '::1', 5000), [40001, 'EADDRNOTAVAIL']);
  }
});

test('R10 IPv4 and IPv6 connects draw from the same range and port buckets', () => {
  // exp_connect › IPv4 and IPv6 connects draw from the same range… ({v4: [40000, 40001], v6: [40000, 40001, EADDRNOTAVAIL]})
  const ns = netns({ range: [40000, 40001] });
  listener(ns, '0.0.0.0', 5000);
  listener(ns, '::1', 5000);
  assert.deepEqual(connects(ns, 2, '127.0.0.1', 5000), [40000, 40001]);
  assert.deepEqual(connects(ns, 3, '::1', 5000), [40000, 40001, 'EADDRNOTAVAIL']);
});

test('R10 an IPv6 socket connecting to a v4-mapped destination takes the IPv4 path (same 4-tuples as IPv4)', () => {
  const ns = netns({ range: [40000, 40001] });
  listener(ns, '0.0.0.0', 5000);
  assert.deepEqual(connects(ns, 1, '127.0.0.1', 5000), [40000]);
  const c = sock(ns, { kind: 'tcp6' });
  assert.equal(connect(ns, c, '::ffff:127.0.0.1', 5000), 40001);
  assert.deepEqual(name(ns, c), ['::ffff:127.0.0.1', 40001]);
  assert.deepEqual(connects(ns, 1, '::ffff:127.0.0.1', 5000, { kind: 'tcp6' }), ['EADDRNOTAVAIL']);
});

test('R10 a remote destination takes the source address of the route that covers it', () => {
  const ns = netns({ addrs: ['10.0.0.1/24'] });
  const c = sock(ns);
  assert.equal(typeof connect(ns, c, '10.0.0.2', 80), 'number');
  assert.equal(name(ns, c)[0], '10.0.0.1');
});

// ---------------------------------------------------------------- R11 candidate order

// exp_connect › 2-port range, even low / odd low / 3-port range (each repeated; fully determined).
const TINY: ReadonlyArray<{ range: [number, number]; want: Got[] }> = [
  { range: [40000, 40001], want: [40000, 40001, 'EADDRNOTAVAIL'] },
  { range: [40001, 40002], want: [40001, 40002, 'EADDRNOTAVAIL'] },
  { range: [40000, 40002], want: [40000, 40001, 'EADDRNOTAVAIL'] }, // 40002 never: remaining rounded to 2
];

for (const c of TINY) {
  test(`R11 range ${c.range[0]}-${c.range[1]}: connects to one destination give ${c.want.join(', ')} for every seed`, () => {
    for (const seed of seeds(20)) {
      const ns = netns({ seed, range: c.range });
      listener(ns, '127.0.0.1', 5000);
      assert.deepEqual(connects(ns, 3, '127.0.0.1', 5000), c.want, `seed ${seed}`);
    }
  });
}

test('R11 4-port range: first two connects are {40000, 40002} in some order, the next two {40001, 40003}, then EADDRNOTAVAIL', () => {
  // exp_connect › 4-port range: first two connects get low-parity ports, next two the others
  const firsts = new Set<Got>();
  for (const seed of seeds(40)) {
    const ns = netns({ seed, range: [40000, 40003] });
    listener(ns, '127.0.0.1', 5000);
    const r = connects(ns, 5, '127.0.0.1', 5000);
    assert.deepEqual(new Set(r.slice(0, 2)), new Set([40000, 40002]), `seed ${seed}: ${r}`);
    assert.deepEqual(new Set(r.slice(2, 4)), new Set([40001, 40003]), `seed ${seed}: ${r}`);
    assert.equal(r[4], 'EADDRNOTAVAIL');
    firsts.add(r[0] as Got);
  }
  assert.deepEqual(firsts, new Set([40000, 40002]), 'the order inside a parity class is random');
});

test('R11 4-port range: outcomes() of each connect is exactly the free ports of the class being scanned', () => {
  const ns = netns({ range: [40000, 40003] });
  listener(ns, '127.0.0.1', 5000);
  const want: number[][] = [[40000, 40002]];
  const c1 = sock(ns);
  assert.deepEqual(ns.outcomes(c1, { op: 'connect', addr: '127.0.0.1', port: 5000 }), {
    ports: want[0],
    mayFail: false,
  });
  const p1 = connect(ns, c1, '127.0.0.1', 5000) as number;
  const c2 = sock(ns);
  const other = p1 === 40000 ? 40002 : 40000;
  assert.deepEqual(ns.outcomes(c2, { op: 'connect', addr: '127.0.0.1', port: 5000 }), {
    ports: [other],
    mayFail: false,
  });
  connect(ns, c2, '127.0.0.1', 5000);
  const c3 = sock(ns);
  assert.deepEqual(ns.outcomes(c3, { op: 'connect', addr: '127.0.0.1', port: 5000 }), {
    ports: [40001, 40003],
    mayFail: false,
  });
});

// Every sequence the kernel produced (exp_connect › 4-port range…, › odd-sized range 40000-40004…,
// › 3-port range…), replayed with `follow`: each step must be a possible outcome for the model.
const OBSERVED: ReadonlyArray<{ title: string; range: [number, number]; runs: Got[][] }> = [
  {
    title: '4-port range',
    range: [40000, 40003],
    runs: [
      [40000, 40002, 40001, 40003, 'EADDRNOTAVAIL'],
      [40000, 40002, 40003, 40001, 'EADDRNOTAVAIL'],
      [40002, 40000, 40001, 40003, 'EADDRNOTAVAIL'],
    ],
  },
  {
    title: 'odd-sized range 40000-40004',
    range: [40000, 40004],
    runs: [
      [40002, 40004, 40003, 40000, 40001, 'EADDRNOTAVAIL'],
      [40000, 40002, 40004, 40001, 40003, 'EADDRNOTAVAIL'],
      [40000, 40002, 40004, 40003, 40001, 'EADDRNOTAVAIL'],
      [40002, 40000, 40004, 40003, 40001, 'EADDRNOTAVAIL'],
      [40002, 40004, 40003, 40001, 'EADDRNOTAVAIL'],
      [40002, 40004, 40000, 40001, 40003, 'EADDRNOTAVAIL'],
      [40000, 40002, 40001, 40004, 40003, 'EADDRNOTAVAIL'],
      [40002, 40000, 40001, 40003, 40004, 'EADDRNOTAVAIL'],
      [40002, 40000, 40001, 40003, 'EADDRNOTAVAIL'],
    ],
  },
  { title: '3-port range', range: [40000, 40002], runs: [[40000, 40001, 'EADDRNOTAVAIL']] },
];

for (const o of OBSERVED) {
  test(`R11 ${o.title}: every observed kernel sequence is a possible model sequence (follow)`, () => {
    for (const run of o.runs) {
      const ns = netns({ range: o.range });
      listener(ns, '127.0.0.1', 5000);
      for (const step of run) {
        const c = sock(ns);
        const follow = followOf(step);
        assert.equal(connect(ns, c, '127.0.0.1', 5000, { follow }), step, `run ${run}`);
      }
    }
  });
}

test('R11 odd-sized range 40000-40004: 4 or 5 connects succeed, the first two on even ports, then EADDRNOTAVAIL', () => {
  const counts = new Set<number>();
  for (const seed of seeds(60)) {
    const ns = netns({ seed, range: [40000, 40004] });
    listener(ns, '127.0.0.1', 5000);
    const r = connects(ns, 6, '127.0.0.1', 5000);
    const okn = r.filter((x): x is number => typeof x === 'number');
    const firstFail = r.indexOf('EADDRNOTAVAIL');
    assert.ok(okn.length === 4 || okn.length === 5, `seed ${seed}: ${r}`);
    assert.equal(firstFail, okn.length, 'successes come first, then EADDRNOTAVAIL');
    assert.ok(
      okn.slice(0, 2).every((p) => p % 2 === 0),
      `seed ${seed}: ${r}`,
    );
    assert.equal(new Set(okn).size, okn.length);
    counts.add(okn.length);
  }
  assert.deepEqual(counts, new Set([4, 5]), 'both counts were observed (the start moves)');
});

test('R11 default range: a first connect can only give an even port of 32768-60998 (parity of lo)', () => {
  const ns = netns();
  listener(ns, '127.0.0.1', 80);
  const o = ns.outcomes(sock(ns), { op: 'connect', addr: '127.0.0.1', port: 80 });
  assert.deepEqual(o, { ports: parityPorts(32768, 60998, 0), mayFail: false });
});

test('R11 odd low end: the first pass uses odd ports (range 40001-40010)', () => {
  const ns = netns({ range: [40001, 40010] });
  listener(ns, '127.0.0.1', 5000);
  const o = ns.outcomes(sock(ns), { op: 'connect', addr: '127.0.0.1', port: 5000 });
  assert.deepEqual(o, { ports: parityPorts(40001, 40009, 1), mayFail: false });
});

test('R11 with every port of lo’s parity taken, connect uses the other parity', () => {
  const ns = netns({ range: [40000, 40009] });
  listener(ns, '127.0.0.1', 5000);
  const first = connects(ns, 5, '127.0.0.1', 5000);
  assert.deepEqual([...first].sort(), parityPorts(40000, 40009, 0));
  const o = ns.outcomes(sock(ns), { op: 'connect', addr: '127.0.0.1', port: 5000 });
  assert.deepEqual(o, { ports: parityPorts(40000, 40009, 1), mayFail: false });
});

// ---------------------------------------------------------------- R12 per-port acceptance

test('R12 a port held by a bind()-only socket on another address is skipped by connect', () => {
  // exp_connect › port held by a bind()-only socket (any address) is skipped by connect
  const ns = netns({ range: [40000, 40001] });
  listener(ns, '127.0.0.1', 5000);
  assert.equal(bind(ns, sock(ns), '127.0.0.9', 40000), 40000);
  assert.deepEqual(connects(ns, 2, '127.0.0.1', 5000), [40001, 'EADDRNOTAVAIL']);
});

test('R12 a listening port inside the range is skipped by connect', () => {
  // exp_connect › listening port inside the range is skipped by connect
  const ns = netns({ range: [40000, 40001] });
  listener(ns, '127.0.0.1', 40000);
  assert.deepEqual(connects(ns, 2, '127.0.0.1', 40000), [40001, 'EADDRNOTAVAIL']);
});

test('R12 reserved ports are skipped by connect', () => {
  // exp_connect › reserved ports are skipped by connect but explicitly bindable
  for (const seed of seeds(10)) {
    const ns = netns({ seed, range: [40000, 40003], sysctls: [['ip_local_reserved_ports', '40000,40002']] });
    listener(ns, '127.0.0.1', 5000);
    const r = connects(ns, 3, '127.0.0.1', 5000);
    assert.deepEqual(new Set(r.slice(0, 2)), new Set([40001, 40003]));
    assert.equal(r[2], 'EADDRNOTAVAIL');
  }
});

// R15: any bind() join makes the bucket bind-owned (RA alone sets rp to 0, RP sets STRICT).
for (const opts of [{}, { ra: true }, { rp: true }, { ra: true, rp: true }] as const) {
  const label = Object.keys(opts).join('+') || 'no options';
  test(`R12 a port bound by a socket with ${label} (another address) is skipped by connect`, () => {
    const ns = netns({ range: [40000, 40001] });
    listener(ns, '127.0.0.1', 5000);
    assert.equal(bind(ns, sock(ns, opts), '127.0.0.9', 40000), 40000);
    assert.deepEqual(connects(ns, 2, '127.0.0.1', 5000, opts), [40001, 'EADDRNOTAVAIL']);
  });
}

test('R12 a connect-shareable port is reused whatever the source addresses of its other users', () => {
  const ns = netns({ range: [40000, 40000] });
  listener(ns, '0.0.0.0', 5000);
  const a = sock(ns, { noPort: true });
  assert.equal(bind(ns, a, '127.0.0.2', 0), 0);
  assert.equal(connect(ns, a, '127.0.0.1', 5000), 40000);
  assert.deepEqual(connects(ns, 2, '127.0.0.1', 5000), [40000, 'EADDRNOTAVAIL']);
});

// ---------------------------------------------------------------- R13 offsets and increments

test('R13 same destination: successive ports advance by an even gap in {2,...,16}, every value occurring', () => {
  // exp_connect › same destination: successive ports advance by an even gap in [2,16]
  for (const seed of seeds(3)) {
    const ns = netns({ seed });
    listener(ns, '127.0.0.1', 23456);
    const ports = connects(ns, 300, '127.0.0.1', 23456) as number[];
    const rem = (61000 - 32768) & ~1;
    const gaps = ports.slice(1).map((p, k) => (((p - (ports[k] as number)) % rem) + rem) % rem);
    assert.ok(
      ports.every((p) => p % 2 === 0),
      'all even',
    );
    assert.deepEqual(new Set(gaps), new Set([2, 4, 6, 8, 10, 12, 14, 16]), `seed ${seed}`);
  }
});

test('R13 different destinations: independent start points', () => {
  // exp_connect › different destinations: independent start points (>= 6 distinct of 8)
  for (const seed of seeds(5)) {
    const ns = netns({ seed });
    const starts: Got[] = [];
    for (let k = 0; k < 8; k++) {
      listener(ns, '127.0.0.1', 5000 + k);
      starts.push(...connects(ns, 1, '127.0.0.1', 5000 + k));
    }
    assert.ok(new Set(starts).size >= 6, `seed ${seed}: ${starts}`);
  }
});

test('R13 the perturbation table is global: another netns connecting to the same triple shifts our sequence', () => {
  // exp_connect › perturb table is global… (gaps become sums of two increments: 4..32, some > 16)
  const host = seededHost(7);
  const a = netns({ host });
  const b = netns({ host });
  listener(a, '127.0.0.1', 5000);
  listener(b, '127.0.0.1', 5000);
  const ports: number[] = [];
  for (let k = 0; k < 200; k++) {
    ports.push(connects(a, 1, '127.0.0.1', 5000)[0] as number);
    assert.equal(typeof connects(b, 1, '127.0.0.1', 5000)[0], 'number');
  }
  const rem = (61000 - 32768) & ~1;
  const gaps = ports.slice(1).map((p, k) => (((p - (ports[k] as number)) % rem) + rem) % rem);
  assert.ok(
    Math.min(...gaps) >= 4 && Math.max(...gaps) <= 32,
    `gaps ${Math.min(...gaps)}..${Math.max(...gaps)}`,
  );
  assert.ok(Math.max(...gaps) > 16);
});

// ---------------------------------------------------------------- R14 capacity

test('R14 ports are shared across destinations: range size per (saddr, daddr, dport)', () => {
  // exp_connect › ports are shared across destinations (range size per destination)
  const ns = netns({ range: [40000, 40001] });
  listener(ns, '127.0.0.1', 5001);
  listener(ns, '127.0.0.1', 5002);
  listener(ns, '127.0.0.2', 5001);
  for (const [ip, port] of [
    ['127.0.0.1', 5001],
    ['127.0.0.1', 5002],
    ['127.0.0.2', 5001],
  ] as const) {
    assert.deepEqual(connects(ns, 3, ip, port), [40000, 40001, 'EADDRNOTAVAIL'], `${ip}:${port}`);
  }
});

test('R14 default range: exactly 28232 connections to 127.0.0.1:80, then EADDRNOTAVAIL', () => {
  // exp_article › A2 (28232 then EADDRNOTAVAIL, all still alive)
  const ns = netns({ seed: 3 });
  listener(ns, '127.0.0.1', 80);
  const seen = new Set<number>();
  for (let k = 0; k < 28232; k++) {
    const c = ns.socket('tcp4');
    assert.ok(c.ok);
    const r = ns.connect(c.sock, '127.0.0.1', 80);
    if (!r.ok) assert.fail(`connect ${k + 1} failed: ${r.errno}`);
    seen.add(r.port);
  }
  assert.deepEqual(ns.checkInvariants(), []);
  assert.equal(seen.size, 28232);
  assert.deepEqual(connects(ns, 1, '127.0.0.1', 80), ['EADDRNOTAVAIL']);
});

test('R14 range 1024-65535: exactly 64512 connections to one destination, then EADDRNOTAVAIL', () => {
  // exp_article › A3
  const ns = netns({ seed: 4, range: [1024, 65535] });
  listener(ns, '127.0.0.1', 80);
  let n = 0;
  for (;;) {
    const c = ns.socket('tcp4');
    assert.ok(c.ok);
    const r = ns.connect(c.sock, '127.0.0.1', 80);
    if (!r.ok) {
      assert.equal(r.errno, 'EADDRNOTAVAIL');
      break;
    }
    n++;
    assert.ok(n <= 64512, 'more connections than ports');
  }
  assert.equal(n, 64512);
  assert.deepEqual(ns.checkInvariants(), []);
});

// ---------------------------------------------------------------- R15 release

test('R15 6.18: a port becomes connect-shareable again after its bind() owner closes', () => {
  // exp_connect › 6.18: port becomes connect-shareable again… ([40000, 40000, 40001, EADDRNOTAVAIL, 40000])
  const ns = netns({ range: [40000, 40001] });
  listener(ns, '127.0.0.1', 5001);
  listener(ns, '127.0.0.1', 5002);
  const s1 = connects(ns, 1, '127.0.0.1', 5001)[0];
  const b = sock(ns);
  const sb = bind(ns, b, '127.0.0.2', 40000);
  const [s2, s3] = connects(ns, 2, '127.0.0.1', 5002);
  close(ns, b);
  const s4 = connects(ns, 1, '127.0.0.1', 5002)[0];
  assert.deepEqual([s1, sb, s2, s3, s4], [40000, 40000, 40001, 'EADDRNOTAVAIL', 40000]);
});

test('R15 a port stays bind-owned while an owner placed by bind() remains (its TIME_WAIT entry)', () => {
  // A TW entry keeps connectBound of its socket (D4): an explicitly bound socket's TW is not connect-bound.
  const ns = netns({ range: [40000, 40001], addrs: ['10.0.0.1/24'] });
  listener(ns, '127.0.0.1', 5002);
  const a = sock(ns);
  assert.equal(bind(ns, a, '10.0.0.1', 40000), 40000);
  assert.equal(connect(ns, a, '10.0.0.2', 80), 40000);
  close(ns, a); // remote host closes after us: TIME_WAIT 60 s
  assert.deepEqual(connects(ns, 2, '127.0.0.1', 5002), [40001, 'EADDRNOTAVAIL']);
  ns.advance(61_000);
  assert.deepEqual(connects(ns, 1, '127.0.0.1', 5002), [40000]);
});

test('R15 connect-bound users and their TIME_WAIT entries keep a port connect-shareable', () => {
  const ns = netns({ range: [40000, 40000], addrs: ['10.0.0.1/24'] });
  const a = sock(ns);
  assert.equal(connect(ns, a, '10.0.0.2', 80), 40000);
  close(ns, a); // TIME_WAIT of a connect-bound socket
  assert.deepEqual(connects(ns, 1, '10.0.0.3', 80), [40000]);
});
