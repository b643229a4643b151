// Netns.lastCallRules(): the spec rules that decided each call, on success too (issue 11). Random
// differential runs take their rule coverage from it, so each test checks that a rule is reported
// where it decides and, where it could be mistaken for another, that it is not reported where it
// does not.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Netns, Result } from '../../src/model/index.js';
import {
  bind,
  boundPair,
  close,
  connect,
  listen,
  listener,
  makeTimeWait,
  netns,
  pair,
  sock,
} from './helpers.js';

/** The rules of the call just made, after checking it succeeded. */
function rulesOf(ns: Netns, r: Result<object>): string[] {
  if (!r.ok) assert.fail(`expected success: ${r.errno} (${r.rule}: ${r.reason})`);
  return [...ns.lastCallRules()];
}

function has(rules: readonly string[], ...want: string[]): void {
  for (const w of want) assert.ok(rules.includes(w), `${w} missing from [${rules.join(' ')}]`);
}

function lacks(rules: readonly string[], ...unwanted: string[]): void {
  for (const u of unwanted) assert.ok(!rules.includes(u), `${u} unexpected in [${rules.join(' ')}]`);
}

test('R1-R8: each sysctl reports the rule that describes it, read or written', () => {
  const ns = netns();
  const cases: [string, string, string][] = [
    ['net.ipv4.ip_local_port_range', '40000 40009', 'R1'],
    ['net.ipv4.ip_local_reserved_ports', '40002', 'R2'],
    ['net.ipv4.ip_unprivileged_port_start', '1024', 'R3'],
    ['net.ipv4.tcp_tw_reuse', '1', 'R4'],
    ['net.ipv4.ip_autobind_reuse', '1', 'R5'],
    ['net.ipv4.tcp_fin_timeout', '30', 'R6'],
    ['net.ipv4.ip_nonlocal_bind', '1', 'R7'],
    ['net.ipv6.bindv6only', '0', 'R8'],
  ];
  for (const [name, value, rule] of cases) {
    assert.deepEqual(rulesOf(ns, ns.sysctl(name, value)), [rule], name);
    assert.deepEqual(rulesOf(ns, ns.readSysctl(name)), [rule], name);
  }
});

test('the log belongs to the last call: a failure adds its rule, queries leave the log alone', () => {
  const ns = netns();
  const a = sock(ns);
  assert.equal(bind(ns, a, '127.0.0.1', 40000), 40000);
  const r = ns.bind(sock(ns), '127.0.0.1', 40000);
  assert.equal(r.ok, false);
  const failed = [...ns.lastCallRules()];
  has(failed, 'R31', 'R38');
  // Queries are not calls.
  ns.inspect();
  ns.checkInvariants();
  ns.outcomes(sock(ns), { op: 'connect', addr: '127.0.0.1', port: 1 });
  assert.notDeepEqual([...ns.lastCallRules()], failed, 'socket() is a call and cleared the log');
  const s = sock(ns);
  ns.outcomes(s, { op: 'connect', addr: '127.0.0.1', port: 1 });
  ns.isPossible(s, { op: 'bind', addr: '127.0.0.1', port: 0 }, 40001);
  assert.deepEqual([...ns.lastCallRules()], []);
});

test('R3 R7 R22 R36: bind argument rules are reported on success', () => {
  const ns = netns({ sysctls: [['net.ipv4.ip_nonlocal_bind', '1']] });
  has(rulesOf(ns, ns.bind(sock(ns), '127.0.0.1', 80)), 'R3');
  lacks(rulesOf(ns, ns.bind(sock(ns), '127.0.0.1', 8080)), 'R3', 'R7');
  has(rulesOf(ns, ns.bind(sock(ns), '192.0.2.7', 8080)), 'R7');
  has(rulesOf(ns, ns.bind(sock(ns, { noPort: true }), '127.0.0.1', 0)), 'R22');
  has(rulesOf(ns, ns.bind(sock(ns, { kind: 'tcp6' }), '::1', 8081)), 'R36');
});

test('R31 R35 R38: a port shared with an owner on another address; R32 R33 through the fast path', () => {
  const ns = netns();
  assert.equal(bind(ns, sock(ns), '127.0.0.1', 40000), 40000);
  const other = rulesOf(ns, ns.bind(sock(ns), '127.0.0.2', 40000));
  has(other, 'R31', 'R35', 'R38');
  lacks(other, 'R32', 'R33');
  // A port nobody holds: no sharing rule decides.
  lacks(rulesOf(ns, ns.bind(sock(ns), '127.0.0.1', 40001)), 'R31', 'R38');
  assert.equal(bind(ns, sock(ns, { ra: true }), '127.0.0.1', 40002), 40002);
  has(rulesOf(ns, ns.bind(sock(ns, { ra: true }), '127.0.0.1', 40002)), 'R38', 'R32');
  assert.equal(bind(ns, sock(ns, { rp: true }), '127.0.0.1', 40003), 40003);
  has(rulesOf(ns, ns.bind(sock(ns, { rp: true }), '127.0.0.1', 40003)), 'R38', 'R33');
});

test('R36: an owner of the other family on the port; R64: a TIME_WAIT owner on the port', () => {
  const ns = netns();
  assert.equal(bind(ns, sock(ns, { kind: 'tcp6', v6only: true }), '::', 40000), 40000);
  has(rulesOf(ns, ns.bind(sock(ns), '127.0.0.1', 40000)), 'R31', 'R36');
  const p = boundPair(ns, listener(ns, '127.0.0.1', 5000), '127.0.0.1', 40010, 5000);
  makeTimeWait(ns, p.c, p.s);
  // The entry is an ordinary owner: another specific address may take the port (R35).
  has(rulesOf(ns, ns.bind(sock(ns), '127.0.0.2', 40010)), 'R31', 'R35', 'R64');
});

test('R40 R44 R2 R42 R45: bind(0) reports its search and what its window holds', () => {
  const ns = netns({ range: [40000, 40009], sysctls: [['net.ipv4.ip_local_reserved_ports', '40004']] });
  const first = rulesOf(ns, ns.bind(sock(ns), '127.0.0.1', 0));
  has(first, 'R40', 'R44', 'R2');
  lacks(first, 'R41', 'R42', 'R5');
  // An owner on another specific address does not count (R42); one that overlaps does (R41).
  has(rulesOf(ns, ns.bind(sock(ns), '127.0.0.2', 0)), 'R42');
  has(rulesOf(ns, ns.bind(sock(ns), '127.0.0.1', 0)), 'R41');
  has(rulesOf(ns, ns.bind(sock(ns, { lpr: [40000, 40005] }), '127.0.0.3', 0)), 'R45');
});

test('R5 R41: ip_autobind_reuse adds the relaxed round', () => {
  const ns = netns({ range: [40000, 40009], sysctls: [['net.ipv4.ip_autobind_reuse', '1']] });
  has(rulesOf(ns, ns.bind(sock(ns), '127.0.0.1', 0)), 'R40', 'R5', 'R41');
});

test('R50: listen() autobinds; R51: listen() on a bound port re-checks it', () => {
  const ns = netns({ range: [40000, 40009] });
  has(rulesOf(ns, ns.listen(sock(ns))), 'R50', 'R40');
  const s = sock(ns);
  assert.equal(bind(ns, s, '127.0.0.1', 5000), 5000);
  const r = rulesOf(ns, ns.listen(s));
  has(r, 'R51');
  lacks(r, 'R50', 'R40');
});

test('R10 R11 R13: connect() autoselection; R12 and R14 only when the window holds such ports', () => {
  const ns = netns({ range: [40000, 40009] });
  listener(ns, '127.0.0.1', 5000);
  const first = rulesOf(ns, ns.connect(sock(ns), '127.0.0.1', 5000));
  has(first, 'R10', 'R11', 'R13');
  lacks(first, 'R12', 'R14', 'R62', 'R20');
  // Another connection to the same destination holds a port of the window (R14).
  has(rulesOf(ns, ns.connect(sock(ns), '127.0.0.1', 5000)), 'R14');
  assert.equal(bind(ns, sock(ns), '127.0.0.1', 40005), 40005);
  has(rulesOf(ns, ns.connect(sock(ns), '127.0.0.1', 5000)), 'R12');
  // Another destination: its window holds no 4-tuple of its own.
  listener(ns, '127.0.0.1', 5001);
  lacks(rulesOf(ns, ns.connect(sock(ns), '127.0.0.1', 5001)), 'R14');
});

test('R2: a reserved port in connect()s window; R22 R70 R71: the socket options it honours', () => {
  const ns = netns({ range: [40000, 40009], sysctls: [['net.ipv4.ip_local_reserved_ports', '40003']] });
  listener(ns, '127.0.0.1', 5000);
  has(rulesOf(ns, ns.connect(sock(ns), '127.0.0.1', 5000)), 'R2');
  const s = sock(ns, { noPort: true, lpr: [40000, 40004] });
  assert.equal(bind(ns, s, '127.0.0.1', 0), 0);
  has(rulesOf(ns, ns.connect(s, '127.0.0.1', 5000)), 'R22', 'R70', 'R71', 'R11');
  has(rulesOf(ns, ns.getsockopt(s, 'IP_LOCAL_PORT_RANGE')), 'R70');
});

test('R62: a TIME_WAIT entry in the window, and its recycling', () => {
  const ns = netns({ range: [40000, 40001], sysctls: [['net.ipv4.tcp_tw_reuse_delay', '100']] });
  const l = listener(ns, '127.0.0.1', 5000);
  const p = pair(ns, l, '127.0.0.1', 5000);
  assert.equal(p.port, 40000);
  makeTimeWait(ns, p.c, p.s);
  ns.advance(1000);
  const r = rulesOf(ns, ns.connect(sock(ns), '127.0.0.1', 5000));
  has(r, 'R11', 'R62');
  assert.equal(ns.timeWaitCount, 0, 'the entry was recycled (tcp_tw_reuse = 2 on loopback)');
});

test('R20 R21 R23 R63: connect() from a bound port', () => {
  const ns = netns();
  const l = listener(ns, '127.0.0.1', 5000);
  const wild = sock(ns, { ra: true });
  assert.equal(bind(ns, wild, '0.0.0.0', 40000), 40000);
  const r = rulesOf(ns, ns.connect(wild, '127.0.0.1', 5000));
  has(r, 'R20', 'R21', 'R10');
  lacks(r, 'R11', 'R23', 'R63');
  const auto = sock(ns);
  assert.equal(typeof bind(ns, auto, '127.0.0.1', 0), 'number');
  has(rulesOf(ns, ns.connect(auto, '127.0.0.1', 5000)), 'R20', 'R23');
  // The accepted side of `wild` closes second, so `wild` ends in TIME_WAIT on 40000.
  const a = ns.accept(l);
  if (!a.ok) assert.fail(a.errno);
  makeTimeWait(ns, wild, a.sock);
  const again = sock(ns, { ra: true });
  assert.equal(bind(ns, again, '0.0.0.0', 40000), 40000);
  has(rulesOf(ns, ns.connect(again, '127.0.0.1', 5000)), 'R20', 'R63');
});

test('R60 R6 R64: close() of a connected socket leaves TIME_WAIT; R61: an abort leaves nothing', () => {
  const ns = netns();
  const l = listener(ns, '127.0.0.1', 5000);
  const { c, s } = boundPair(ns, l, '127.0.0.1', 40000, 5000);
  // The client closes first and keeps its bound port in TIME_WAIT; the server then closes passively.
  has(rulesOf(ns, ns.close(c)), 'R60', 'R6', 'R64');
  const server = rulesOf(ns, ns.close(s));
  has(server, 'R60');
  lacks(server, 'R6', 'R64');
  const p = pair(ns, l, '127.0.0.1', 5000);
  const abort = rulesOf(ns, ns.close(p.c, { rst: true }));
  has(abort, 'R60', 'R61');
  lacks(abort, 'R6');
});

test('R15: a bind-owned port whose last bind() owner leaves becomes connect-shareable again', () => {
  const ns = netns({ range: [40000, 40000] });
  listener(ns, '127.0.0.1', 5000);
  assert.equal(connect(ns, sock(ns), '127.0.0.1', 5000), 40000);
  const b = sock(ns);
  assert.equal(bind(ns, b, '127.0.0.2', 40000), 40000);
  has(rulesOf(ns, ns.close(b)), 'R15');
  // Without connect-bound owners left, the bucket just goes: no R15.
  const lone = sock(ns);
  assert.equal(bind(ns, lone, '127.0.0.1', 41000), 41000);
  lacks(rulesOf(ns, ns.close(lone)), 'R15');
});

test('R61: getsockname() still shows the port a refused connect() gave back; R53: port 0', () => {
  const ns = netns();
  const s = sock(ns);
  assert.equal(connect(ns, s, '127.0.0.1', 5999), 'ECONNREFUSED');
  has(rulesOf(ns, ns.getsockname(s)), 'R61');
  const z = ns.connect(sock(ns), '127.0.0.1', 0);
  assert.equal(z.ok, false);
  has([...ns.lastCallRules()], 'R53', 'R11');
});

test('R80 R81 R82: deliveries; R90-R96: UDP', () => {
  const ns = netns({ range: [40000, 40009] });
  const l = listener(ns, '127.0.0.1', 5000);
  assert.equal(listen(ns, l), 5000);
  const from = { addr: '127.0.0.1', port: 30000 };
  has(rulesOf(ns, ns.deliver('tcp', from, { addr: '127.0.0.1', port: 5000 })), 'R80', 'R81');
  const u = sock(ns, { kind: 'udp4', ra: true });
  has(rulesOf(ns, ns.bind(u, '127.0.0.1', 6000)), 'R91');
  has(rulesOf(ns, ns.deliver('udp', from, { addr: '127.0.0.1', port: 6000 })), 'R80', 'R82');
  const auto = sock(ns, { kind: 'udp4', ra: true });
  has(rulesOf(ns, ns.bind(auto, '127.0.0.1', 0)), 'R90', 'R92');
  const np = sock(ns, { kind: 'udp4', noPort: true });
  has(rulesOf(ns, ns.bind(np, '127.0.0.1', 0)), 'R96');
  has(rulesOf(ns, ns.connect(np, '127.0.0.1', 6000)), 'R94', 'R96', 'R90');
  has(rulesOf(ns, ns.close(u)), 'R95');
  close(ns, auto);
});
