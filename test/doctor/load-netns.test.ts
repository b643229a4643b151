/**
 * The /proc loader (netnsFromSnapshot): the doctor's headroom and the model's, asked of the
 * loaded namespace, agree on every destination of every fixture and on a fresh one (R14, with
 * R2, R11, R12, R23 by the doctor's parity guess, R62); the loaded namespace holds the snapshot's
 * sockets, ports and TIME_WAIT entries with their age (R6).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { aggregate, candidates, headroomOf, netnsFromSnapshot, paramsOf } from '../../src/doctor/index.js';
import { TIME_WAIT_MS } from '../../src/model/index.js';
import { snapshotFromTexts } from '../../src/procnet/index.js';
import { readProcSnapshot } from '../../src/procnet/reader.js';

const fixtures = new URL('../fixtures/proc/', import.meta.url).pathname;
const FIXTURES = ['captured', 'parity-guess', 'malformed'];

for (const name of FIXTURES) {
  test(`R14 doctor headroom == model headroom on the loaded namespace: fixture ${name}`, () => {
    const snap = readProcSnapshot(`${fixtures}${name}`);
    const { ns } = netnsFromSnapshot(snap);
    const agg = aggregate(snap);
    const c = candidates(agg, paramsOf(snap));
    const text = (id: number) => snap.addrs.text(id);
    assert.ok(agg.triples.length > 0, 'the fixture has destinations');
    for (const tr of agg.triples) {
      const doctor = headroomOf(agg, c, tr);
      const model = ns.headroom(text(tr.laddr), { addr: text(tr.raddr), port: tr.rport });
      assert.deepEqual(model, { ok: true, ...doctor }, `${text(tr.laddr)} -> ${text(tr.raddr)}:${tr.rport}`);
    }
    // A destination nobody connects to yet: the candidates alone.
    const src = text(agg.triples[0]?.laddr ?? 0);
    const fresh = ns.headroom(src, { addr: src.includes(':') ? '::1' : '127.0.0.9', port: 9 });
    assert.deepEqual(fresh, { ok: true, ...headroomOf(agg, c, null) });
  });
}

test('the loaded namespace holds the captured host: listeners, both ends of local connections, TIME_WAIT with its age', () => {
  const snap = readProcSnapshot(`${fixtures}captured`);
  const { ns, skipped, approximated } = netnsFromSnapshot(snap);
  assert.deepEqual([skipped, approximated], [[], []]);
  const v = ns.inspect();
  assert.deepEqual(v.portRange, snap.sysctls.values.range);
  // 9 TCP rows and 2 UDP ones: every one is a socket or an entry of the model.
  assert.equal(v.sockets.length + v.timewaits.length, snap.tcp.count + snap.udp.count);
  assert.deepEqual(
    v.sockets.filter((s) => s.state === 'LISTEN').map((s) => `${s.local.addr}:${s.local.port}`),
    ['127.0.0.1:5000', ':::6000'],
  );
  const i = [...Array(snap.tcp.count).keys()].find((k) => snap.tcp.state[k] === 6);
  assert.ok(i !== undefined);
  const tw = v.timewaits[0];
  assert.equal(v.timewaits.length, 1);
  assert.equal(tw?.local.port, snap.tcp.lport[i]);
  // R6: the age is what is gone of the 60 s the timer counts down from.
  assert.equal(tw?.ageMs, TIME_WAIT_MS - (snap.tcp.whenMs[i] ?? 0));
  assert.equal(tw?.remainingMs, snap.tcp.whenMs[i]);
});

test('R23 the parity guess: the ports the doctor guesses bind-held are bind-owned in the model', () => {
  const snap = readProcSnapshot(`${fixtures}parity-guess`);
  const agg = aggregate(snap);
  const guessed = [...agg.bindHeld.keys()].filter((p) => agg.bindHeld[p] === 1);
  assert.ok(guessed.length > 0, 'the fixture has a guessed port');
  const v = netnsFromSnapshot(snap).ns.inspect();
  for (const p of guessed) assert.ok(v.bindOwnedPorts.includes(p), `port ${p}`);
});

const HEADER =
  '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n';

test('R62 loaded TIME_WAIT entries age as /proc says: older than tcp_tw_reuse_delay recycles (loopback), younger not', () => {
  // Two loopback TIME_WAIT entries to 127.0.0.1:5000 (listening): 59.5 s left (0.5 s old) and 58 s left (2 s old).
  const row = (sl: number, port: number, left: number) =>
    `${String(sl).padStart(4)}: 0100007F:${port.toString(16).toUpperCase()} 0100007F:1388 06 00000000:00000000 03:${left.toString(16).toUpperCase().padStart(8, '0')} 00000000     0        0 0 1 0000000000000000\n`;
  const listen =
    '   0: 0100007F:1388 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1 0000000000000000 100 0 0 10 0\n';
  const snap = snapshotFromTexts({
    net: { tcp: HEADER + listen + row(1, 40000, 5950) + row(2, 40002, 5800) },
    sys: { ip_local_port_range: '40000 40009', tcp_tw_reuse: '2', tcp_tw_reuse_delay: '1000' },
  });
  const { ns, skipped } = netnsFromSnapshot(snap);
  assert.deepEqual(skipped, []);
  assert.deepEqual(
    ns.inspect().timewaits.map((t) => [t.local.port, t.ageMs, t.recyclable]),
    [
      [40002, 2000, true],
      [40000, 500, false],
    ],
  );
  const h = ns.headroom('127.0.0.1', { addr: '127.0.0.1', port: 5000 });
  assert.ok(h.ok);
  assert.deepEqual([h.heldByTuples, h.recyclableTimeWait], [1, 1]);
});

test('an incoming connection from another host is reported, not dropped silently', () => {
  const listen =
    '   0: 0100000A:01BB 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1 0000000000000000 100 0 0 10 0\n';
  const incoming =
    '   1: 0100000A:01BB 0500000A:D431 01 00000000:00000000 00:00000000 00000000     0        0 2 1 0000000000000000 20 0 0 10 -1\n';
  const { ns, skipped } = netnsFromSnapshot(snapshotFromTexts({ net: { tcp: HEADER + listen + incoming } }));
  assert.equal(skipped.length, 1);
  assert.match(skipped[0] ?? '', /10\.0\.0\.1:443 -> 10\.0\.0\.5:54321 ESTABLISHED: an incoming connection/);
  assert.equal(ns.inspect().sockets.length, 1);
});
