/** Spec section 2 (R1-R8): sysctl defaults, write validation, and the knobs' direct effects. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Netns } from '../../src/model/index.js';
import { asUid, bind, binds, connects, inv, listener, netns, sock } from './helpers.js';

// exp_connect › sysctl defaults in a fresh netns (plus tcp_max_tw_buckets = 131072, R6).
const DEFAULTS: ReadonlyArray<readonly [string, string]> = [
  ['net.ipv4.ip_local_port_range', '32768\t60999'],
  ['net.ipv4.ip_local_reserved_ports', ''],
  ['net.ipv4.ip_unprivileged_port_start', '1024'],
  ['net.ipv4.tcp_tw_reuse', '2'],
  ['net.ipv4.tcp_tw_reuse_delay', '1000'],
  ['net.ipv4.ip_autobind_reuse', '0'],
  ['net.ipv4.tcp_fin_timeout', '60'],
  ['net.ipv4.tcp_timestamps', '1'],
  ['net.ipv4.ip_nonlocal_bind', '0'],
  ['net.ipv4.tcp_max_tw_buckets', '131072'],
  ['net.ipv6.bindv6only', '0'],
  ['net.ipv6.ip_nonlocal_bind', '0'],
];

for (const [name, value] of DEFAULTS) {
  test(`R1 default of ${name} in a fresh netns is ${JSON.stringify(value)}`, () => {
    const r = new Netns({ seed: 1 }).readSysctl(name);
    assert.ok(r.ok, `readSysctl ${name}`);
    assert.equal(r.value, value);
  });
}

test('R1 a new netns starts from the defaults, not from its creator’s values', () => {
  const parent = netns({ range: [40000, 40001], sysctls: [['tcp_tw_reuse', '1']] });
  assert.ok(parent.readSysctl('ip_local_port_range').ok);
  const child = new Netns({ seed: 2 });
  const r = child.readSysctl('ip_local_port_range');
  const t = child.readSysctl('tcp_tw_reuse');
  assert.ok(r.ok && t.ok);
  assert.deepEqual([r.value.split(/\s+/), t.value], [['32768', '60999'], '2']);
});

// exp_connect › ip_local_port_range write validation (each write on a fresh netns).
const RANGE_WRITES: ReadonlyArray<readonly [string, 'OK' | 'EINVAL']> = [
  ['40003 40000', 'EINVAL'],
  ['40000 40000', 'OK'],
  ['1000 2000', 'EINVAL'], // below ip_unprivileged_port_start 1024
  ['0 100', 'EINVAL'],
  ['1 65536', 'EINVAL'],
  ['1024 65535', 'OK'],
  ['40000 40002', 'OK'], // same parity: accepted (only a log line)
];

for (const [value, want] of RANGE_WRITES) {
  test(`R1 writing ip_local_port_range "${value}" gives ${want}`, () => {
    const ns = netns();
    const r = ns.sysctl('ip_local_port_range', value);
    assert.equal(r.ok ? 'OK' : r.errno, want);
    const now = ns.readSysctl('ip_local_port_range');
    assert.ok(now.ok);
    const expect = want === 'OK' ? value.split(' ') : ['32768', '60999'];
    assert.deepEqual(now.value.split(/\s+/), expect, 'a failed write leaves the value unchanged');
  });
}

test('R1 ip_local_port_range: low end below ip_unprivileged_port_start is refused, allowed once the start is lowered', () => {
  const ns = netns({ sysctls: [['ip_unprivileged_port_start', '500']] });
  assert.equal(ns.sysctl('ip_local_port_range', '600 700').ok, true);
  assert.equal(ns.sysctl('ip_local_port_range', '400 700').ok, false);
});

// exp_connect › ip_local_port_range write validation (the two ip_unprivileged_port_start writes).
test('R3 ip_unprivileged_port_start above the low end of the range is EINVAL; 0 is accepted', () => {
  const ns = netns({ range: [40000, 40010] });
  const high = ns.sysctl('ip_unprivileged_port_start', '50000');
  assert.equal(high.ok ? 'OK' : high.errno, 'EINVAL');
  const zero = ns.sysctl('ip_unprivileged_port_start', '0');
  assert.equal(zero.ok ? 'OK' : zero.errno, 'OK');
  const eq = ns.sysctl('ip_unprivileged_port_start', '40000');
  assert.equal(eq.ok ? 'OK' : eq.errno, 'OK', 'equal to the low end is not above it');
});

// exp_bind › privileged ports… (uid 65534 = nobody).
const PRIV: ReadonlyArray<{
  title: string;
  start?: string;
  uid: number;
  kind: 'tcp4' | 'tcp6';
  port: number;
  want: 'OK' | 'EACCES';
}> = [
  { title: 'nobody port 80', uid: 65534, kind: 'tcp4', port: 80, want: 'EACCES' },
  { title: 'nobody port 1023', uid: 65534, kind: 'tcp4', port: 1023, want: 'EACCES' },
  { title: 'nobody port 1024', uid: 65534, kind: 'tcp4', port: 1024, want: 'OK' },
  { title: 'nobody port 0 (never refused)', uid: 65534, kind: 'tcp4', port: 0, want: 'OK' },
  { title: 'nobody IPv6 port 80', uid: 65534, kind: 'tcp6', port: 80, want: 'EACCES' },
  { title: 'root port 80', uid: 0, kind: 'tcp4', port: 80, want: 'OK' },
  { title: 'start=81, nobody port 80', start: '81', uid: 65534, kind: 'tcp4', port: 80, want: 'EACCES' },
  { title: 'start=81, nobody port 81', start: '81', uid: 65534, kind: 'tcp4', port: 81, want: 'OK' },
  { title: 'start=0, nobody port 22', start: '0', uid: 65534, kind: 'tcp4', port: 22, want: 'OK' },
];

for (const c of PRIV) {
  test(`R3 privileged ports: ${c.title} -> ${c.want}`, () => {
    const ns = netns({ sysctls: c.start ? [['ip_unprivileged_port_start', c.start]] : [] });
    const r = asUid(ns, c.uid, () => {
      const s = sock(ns, { kind: c.kind });
      return bind(ns, s, c.kind === 'tcp4' ? '127.0.0.1' : '::1', c.port);
    });
    if (c.want === 'OK') assert.equal(typeof r, 'number', `expected success, got ${r}`);
    else assert.equal(r, c.want);
  });
}

// exp_timewait › tcp_tw_reuse_delay bounds: 1..60000 (and tcp_tw_reuse=3).
const R4_WRITES: ReadonlyArray<readonly [string, string, 'OK' | 'EINVAL']> = [
  ['tcp_tw_reuse_delay', '0', 'EINVAL'],
  ['tcp_tw_reuse_delay', '1', 'OK'],
  ['tcp_tw_reuse_delay', '60000', 'OK'],
  ['tcp_tw_reuse_delay', '60001', 'EINVAL'],
  ['tcp_tw_reuse', '0', 'OK'],
  ['tcp_tw_reuse', '1', 'OK'],
  ['tcp_tw_reuse', '2', 'OK'],
  ['tcp_tw_reuse', '3', 'EINVAL'],
];

for (const [name, value, want] of R4_WRITES) {
  test(`R4 writing ${name}=${value} gives ${want}`, () => {
    const ns = netns();
    const r = ns.sysctl(name, value);
    assert.equal(r.ok ? 'OK' : r.errno, want);
  });
}

test('R2 ip_local_reserved_ports: an explicit bind() to a reserved port works', () => {
  // exp_connect › reserved ports are skipped by connect but explicitly bindable.
  const ns = netns({ range: [40000, 40003], sysctls: [['ip_local_reserved_ports', '40000,40002']] });
  assert.equal(bind(ns, sock(ns), '127.0.0.1', 40000), 40000);
});

test('R2 ip_local_reserved_ports accepts ranges: 40000-40002 reserved leaves only 40003 to bind(0)', () => {
  const ns = netns({ range: [40000, 40003], sysctls: [['ip_local_reserved_ports', '40000-40002']] });
  assert.deepEqual(binds(ns, 2, '127.0.0.1'), [40003, 'EADDRINUSE']);
});

test('R2 reserved ports outside ip_local_port_range have no effect', () => {
  const ns = netns({ range: [40000, 40001], sysctls: [['ip_local_reserved_ports', '39999,40002,50000']] });
  listener(ns, '127.0.0.1', 5000);
  assert.deepEqual(connects(ns, 3, '127.0.0.1', 5000), [40000, 40001, 'EADDRNOTAVAIL']);
});

test('R5 ip_autobind_reuse accepts 0 and 1', () => {
  const ns = netns();
  assert.equal(ns.sysctl('ip_autobind_reuse', '1').ok, true);
  assert.equal(ns.sysctl('ip_autobind_reuse', '0').ok, true);
});

// exp_bind › non-local address… and › IPv6 bind details….
const R7: ReadonlyArray<{
  title: string;
  kind: 'tcp4' | 'tcp6';
  addr: string;
  sysctls?: [string, string][];
  want: 'OK' | 'EADDRNOTAVAIL' | 'EINVAL';
}> = [
  { title: 'plain 10.9.9.9 (not local)', kind: 'tcp4', addr: '10.9.9.9', want: 'EADDRNOTAVAIL' },
  {
    title: 'ip_nonlocal_bind=1, 10.9.9.9',
    kind: 'tcp4',
    addr: '10.9.9.9',
    sysctls: [['ip_nonlocal_bind', '1']],
    want: 'OK',
  },
  { title: 'multicast 224.0.0.1 on TCP', kind: 'tcp4', addr: '224.0.0.1', want: 'OK' },
  { title: 'broadcast 127.255.255.255 on TCP', kind: 'tcp4', addr: '127.255.255.255', want: 'OK' },
  { title: 'IPv6 multicast ff02::1 on TCP', kind: 'tcp6', addr: 'ff02::1', want: 'EINVAL' },
  { title: 'IPv6 2001:db8::1 (not local)', kind: 'tcp6', addr: '2001:db8::1', want: 'EADDRNOTAVAIL' },
  {
    title: 'net.ipv6.ip_nonlocal_bind=1, 2001:db8::1',
    kind: 'tcp6',
    addr: '2001:db8::1',
    sysctls: [['net.ipv6.ip_nonlocal_bind', '1']],
    want: 'OK',
  },
];

for (const c of R7) {
  test(`R7 non-local binding: ${c.title} -> ${c.want}`, () => {
    const ns = netns({ sysctls: c.sysctls ?? [] });
    const r = bind(ns, sock(ns, { kind: c.kind }), c.addr, 40000);
    assert.equal(r === 40000 ? 'OK' : r, c.want);
  });
}

test('R7 an address added with addAddress is local; other hosts of its prefix are not', () => {
  const ns = netns({ addrs: ['10.0.0.1/24'] });
  assert.equal(bind(ns, sock(ns), '10.0.0.1', 40000), 40000);
  assert.equal(bind(ns, sock(ns), '10.0.0.2', 40000), 'EADDRNOTAVAIL');
});

test('R8 net.ipv6.bindv6only=1: new IPv6 sockets start with V6ONLY (:: then 0.0.0.0 is OK)', () => {
  // exp_bind › IPv6 bind details… ("bindv6only=1 default": 1), with the R36 row "[::] v6only, 0.0.0.0 -> OK".
  const ns = netns({ sysctls: [['net.ipv6.bindv6only', '1']] });
  assert.equal(bind(ns, sock(ns, { kind: 'tcp6' }), '::', 40000), 40000);
  assert.equal(bind(ns, sock(ns), '0.0.0.0', 40000), 40000);
  inv(ns);
});

test('R8 net.ipv6.bindv6only=0 (default): new IPv6 sockets are dual-stack (:: then 0.0.0.0 is EADDRINUSE)', () => {
  const ns = netns();
  assert.equal(bind(ns, sock(ns, { kind: 'tcp6' }), '::', 40000), 40000);
  assert.equal(bind(ns, sock(ns), '0.0.0.0', 40000), 'EADDRINUSE');
});
