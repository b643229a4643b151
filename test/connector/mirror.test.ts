// The model's mirror of the connector's sockets (pure, no sockets): who closed first (R60),
// resets and aborts (R61), TIME_WAIT for 60 s (R6) recycled at once by a bound connect with
// timestamps (R63), remote and local destinations, and the model's remotePeerClosed checks.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Mirror, type MirrorConn } from '../../src/connector/mirror.js';
import { Netns } from '../../src/model/index.js';

const host = {
  range: [40000, 40009] as const,
  reserved: [],
  twReuse: 2,
  twReuseDelayMs: 1000,
  timestamps: 1,
};
const src = { text: '10.0.0.1', family: 4 as const };
const ours = () => true;

function open(m: Mirror, port: number, dest = '10.1.1.1'): MirrorConn {
  const c = m.open(src, port, dest, 5432);
  assert.ok(!('ok' in c), 'ok' in c ? c.reason : '');
  return c as MirrorConn;
}

for (const dest of ['10.1.1.1', '127.0.0.1']) {
  test(`R60/R61 endings towards ${dest}: only "we closed first" leaves TIME_WAIT, for 60 s`, () => {
    const m = new Mirror([src], host, 0);
    const conns = [20000, 20001, 20002, 20003].map((p) => open(m, p, dest));
    // Ours only: towards 127.0.0.1 the stand-in listener and the 4 server sides it accepted are left out.
    assert.equal(m.view(ours).length, 4);
    assert.equal(m.openSockets(), 4);
    m.end(conns[0] as MirrorConn, 'we-closed-first');
    m.end(conns[1] as MirrorConn, 'peer-closed-first');
    m.end(conns[2] as MirrorConn, 'peer-reset');
    m.end(conns[3] as MirrorConn, 'aborted');
    assert.deepEqual(
      m.view((l) => l.addr === '10.0.0.1'),
      [`10.0.0.1:20000 -> ${dest}:5432 TIME_WAIT`],
    );
    assert.equal(m.openSockets(), 0);
    m.advance(59_999);
    assert.equal(m.view((l) => l.addr === '10.0.0.1').length, 1);
    m.advance(60_000);
    assert.deepEqual(
      m.view((l) => l.addr === '10.0.0.1'),
      [],
    );
  });
}

test('R63: a bound connect recycles our TIME_WAIT 4-tuple at once (timestamps on); R20: a live one is EADDRNOTAVAIL', () => {
  const m = new Mirror([src], host, 0);
  const a = open(m, 20000);
  const busy = m.open(src, 20000, '10.1.1.1', 5432);
  assert.ok('ok' in busy && busy.errno === 'EADDRNOTAVAIL' && busy.rule === 'R20');
  m.end(a, 'we-closed-first');
  open(m, 20000);
  assert.deepEqual(m.view(ours), ['10.0.0.1:20000 -> 10.1.1.1:5432 ESTABLISHED']);
});

test('R63: without timestamps our TIME_WAIT blocks its 4-tuple; another destination shares the port (R20)', () => {
  const m = new Mirror([src], { ...host, timestamps: 0 }, 0);
  m.end(open(m, 20000), 'we-closed-first');
  const again = m.open(src, 20000, '10.1.1.1', 5432);
  assert.ok('ok' in again && again.errno === 'EADDRNOTAVAIL' && again.rule === 'R63');
  assert.ok(!('ok' in m.open(src, 20000, '10.1.1.2', 5432)));
});

test('remotePeerClosed: only for connected sockets whose peer is outside the namespace', () => {
  const ns = new Netns({ seed: 1 });
  ns.addAddress('10.0.0.1/8'); // 10.1.1.1 is a remote host of this prefix (no route is ENETUNREACH, R10)
  const s = ns.socket('tcp4');
  assert.ok(s.ok);
  assert.deepEqual(ns.remotePeerClosed(s.sock).ok, false);
  ns.bind(s.sock, '10.0.0.1', 20000);
  assert.ok(ns.connect(s.sock, '10.1.1.1', 80).ok);
  assert.ok(ns.remotePeerClosed(s.sock).ok);
  ns.close(s.sock);
  // CLOSE_WAIT then close: no TIME_WAIT (R60).
  assert.deepEqual(ns.inspect().timewaits, []);
  const l = ns.socket('tcp4');
  const c = ns.socket('tcp4');
  assert.ok(l.ok && c.ok);
  ns.bind(l.sock, '127.0.0.1', 5000);
  ns.listen(l.sock);
  assert.ok(ns.connect(c.sock, '127.0.0.1', 5000).ok);
  const r = ns.remotePeerClosed(c.sock);
  assert.ok(!r.ok && r.errno === 'EINVAL');
  assert.deepEqual(ns.checkInvariants(), []);
});
