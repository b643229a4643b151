/**
 * Netns.headroom(source, destination) (R14, with R2, R11, R12, R23, R62) and the one R62 verdict
 * (mayReuseTimeWait, twReuseAllows) every user of TIME_WAIT asks.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  mayReuseTimeWait,
  Netns,
  type Result,
  type SockId,
  TIME_WAIT_MS,
  type TimeWaitFacts,
  twReuseAllows,
} from '../../src/model/index.js';

function ok<T extends object>(r: Result<T>): T {
  if (!r.ok) throw new Error(`${r.errno} (${r.rule}): ${r.reason}`);
  return r;
}

const DEST = { addr: '10.0.0.2', port: 80 };

/** A namespace with source 10.0.0.1 and every other IPv4 address a remote host (R10). */
function host(sysctls: Record<string, unknown> = {}): Netns {
  const ns = new Netns({ sysctls: { 'net.ipv4.ip_local_port_range': [40000, 40009], ...sysctls } });
  ok(ns.addAddress('10.0.0.1/0'));
  return ns;
}

function connect(ns: Netns, to = DEST): SockId {
  const s = ok(ns.socket('tcp4')).sock;
  ok(ns.connect(s, to.addr, to.port));
  return s;
}

/** How many connect()s to `to` succeed in a row now (each attempt on a fresh socket). */
function fill(ns: Netns, to = DEST): number {
  for (let n = 0; n <= 65536; n++) {
    const s = ok(ns.socket('tcp4')).sock;
    if (!ns.connect(s, to.addr, to.port).ok) return n;
  }
  throw new Error('no EADDRNOTAVAIL');
}

test('R14 headroom: the range for a fresh destination, minus what its 4-tuples hold; other destinations share', () => {
  const ns = host();
  const fresh = ok(ns.headroom('10.0.0.1', DEST));
  assert.deepEqual(
    [fresh.headroom, fresh.headroomMax, fresh.heldByTuples, fresh.recyclableTimeWait],
    [10, 10, 0, 0],
  );
  for (let i = 0; i < 3; i++) connect(ns);
  connect(ns, { addr: '10.0.0.3', port: 80 }); // connect-owned: shared with DEST (R14)
  assert.equal(ok(ns.headroom('10.0.0.1', DEST)).headroom, 7);
  assert.equal(ok(ns.headroom('10.0.0.1', DEST)).heldByTuples, 3);
  // The count is what the model then does: exactly 7 more connect()s succeed.
  assert.equal(fill(ns), 7);
  assert.equal(ok(ns.headroom('10.0.0.1', DEST)).headroom, 0);
});

test('R2 headroom: reserved ports are not candidates', () => {
  const ns = host({ 'net.ipv4.ip_local_reserved_ports': '40000-40003' });
  assert.equal(ok(ns.headroom('10.0.0.1', DEST)).headroom, 6);
  assert.equal(fill(ns), 6);
});

test('R12/R23 headroom: a port bound before connect() is lost to every destination, a listening one too', () => {
  const ns = host();
  const b = ok(ns.socket('tcp4')).sock;
  ok(ns.bind(b, '10.0.0.1', 0));
  ok(ns.connect(b, '10.0.0.9', 443)); // another destination: its port is still bind-owned (R23)
  const l = ok(ns.socket('tcp4')).sock;
  ok(ns.bind(l, '127.0.0.1', 40005));
  ok(ns.listen(l)); // on another address: the port is bind-owned whatever the address (R12)
  assert.equal(ok(ns.headroom('10.0.0.1', DEST)).headroom, 8);
  assert.equal(fill(ns), 8);
});

test('R11 headroom: an odd-sized range leaves one end out of each attempt: guaranteed and at most', () => {
  const ns = host({ 'net.ipv4.ip_local_port_range': [40000, 40008] });
  const h = ok(ns.headroom('10.0.0.1', DEST));
  assert.deepEqual([h.headroom, h.headroomMax], [8, 9]);
  const got = fill(ns);
  assert.ok(got === 8 || got === 9, `${got} connect()s`);
});

test('R62 headroom: TIME_WAIT entries count as held until tcp_tw_reuse and the delay let connect() recycle them', () => {
  for (const [twReuse, recycles] of [
    [0, false],
    [1, true],
    [2, false], // 10.0.0.x is not loopback
  ] as const) {
    const ns = host({ 'net.ipv4.tcp_tw_reuse': twReuse });
    for (let i = 0; i < 4; i++) ok(ns.close(connect(ns)));
    assert.equal(ok(ns.headroom('10.0.0.1', DEST)).heldByTuples, 4, `tw_reuse ${twReuse}: young entries`);
    ns.advance(1001); // older than tcp_tw_reuse_delay (1000 ms, R4)
    const h = ok(ns.headroom('10.0.0.1', DEST));
    assert.deepEqual(
      [h.headroom, h.heldByTuples, h.recyclableTimeWait],
      recycles ? [10, 0, 4] : [6, 4, 0],
      `tcp_tw_reuse=${twReuse}`,
    );
    assert.equal(fill(ns), h.headroom, `tcp_tw_reuse=${twReuse}: the model agrees`);
  }
});

test('R14 headroom of a bad address or port is EINVAL', () => {
  const ns = host();
  const r = ns.headroom('10.0.0.1', { addr: 'nowhere', port: 80 });
  assert.ok(!r.ok);
  assert.equal(r.errno, 'EINVAL');
  assert.equal(ns.headroom('10.0.0.1', { addr: '10.0.0.2', port: 70000 }).ok, false);
});

test('R6 TIME_WAIT lasts 60 s: one constant, and an entry is gone when it is up', () => {
  assert.equal(TIME_WAIT_MS, 60_000);
  const ns = host({ 'net.ipv4.tcp_tw_reuse': 0 });
  ok(ns.close(connect(ns)));
  ns.advance(TIME_WAIT_MS - 1);
  assert.equal(ns.timeWaitCount, 1);
  ns.advance(1);
  assert.equal(ns.timeWaitCount, 0);
});

const entry = (over: Partial<TimeWaitFacts> = {}): TimeWaitFacts => ({
  substate: 'TIME_WAIT',
  hasPeerTs: true,
  laddr: { loopback: false },
  raddr: { loopback: false },
  entryMs: 0,
  ...over,
});

test('R62 mayReuseTimeWait: tcp_tw_reuse per address, the delay strictly passed, never FIN_WAIT2 or without timestamps', () => {
  const s = (twReuse: number) => ({ twReuse, twReuseDelayMs: 1000 });
  assert.equal(mayReuseTimeWait(entry(), 1001, s(1), 'AUTOSELECT'), true);
  assert.equal(mayReuseTimeWait(entry(), 1000, s(1), 'AUTOSELECT'), false, 'now > entry + delay, strictly');
  assert.equal(mayReuseTimeWait(entry(), 1001, s(0), 'AUTOSELECT'), false);
  assert.equal(mayReuseTimeWait(entry(), 1001, s(2), 'AUTOSELECT'), false, '2: loopback only');
  assert.equal(mayReuseTimeWait(entry({ raddr: { loopback: true } }), 1001, s(2), 'AUTOSELECT'), true);
  assert.equal(mayReuseTimeWait(entry({ laddr: { loopback: true } }), 1001, s(2), 'AUTOSELECT'), true);
  assert.equal(mayReuseTimeWait(entry({ substate: 'FIN_WAIT2' }), 5000, s(1), 'AUTOSELECT'), false);
  assert.equal(mayReuseTimeWait(entry({ hasPeerTs: false }), 5000, s(1), 'AUTOSELECT'), false, 'R4');
});

test('R63 mayReuseTimeWait BOUND: at once with timestamps, whatever tcp_tw_reuse; never without', () => {
  const off = { twReuse: 0, twReuseDelayMs: 60000 };
  assert.equal(mayReuseTimeWait(entry({ substate: 'FIN_WAIT2' }), 0, off, 'BOUND'), true);
  assert.equal(mayReuseTimeWait(entry({ hasPeerTs: false }), 0, off, 'BOUND'), false);
});

test('R4 twReuseAllows: 0 never, 1 always, 2 when either end is loopback', () => {
  assert.deepEqual(
    [0, 1, 2].map((r) => [
      twReuseAllows(r, false, false),
      twReuseAllows(r, true, false),
      twReuseAllows(r, false, true),
    ]),
    [
      [false, false, false],
      [true, true, true],
      [false, true, true],
    ],
  );
});
