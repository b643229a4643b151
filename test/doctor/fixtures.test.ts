// The doctor on captured and handwritten /proc copies. Every expected number is derived from what
// the capture script did (test/fixtures/proc/capture.py) or what the handwritten lines say, by
// the rules cited, not from the doctor's own output.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildReport, toPrometheus } from '../../src/doctor/index.js';
import { readProcSnapshot } from '../../src/procnet/reader.js';

const fixtures = new URL('../fixtures/proc/', import.meta.url).pathname;

test('captured: R14 per-destination headroom, R12 listener and R23 bind(ip,0) ports, R62 young TIME_WAIT', () => {
  const r = buildReport(readProcSnapshot(`${fixtures}captured`), { to: { addr: '127.0.0.1', port: 5000 } });
  // Range 40000-40009 = 10 ports; the bind(127.0.0.2, 0) socket holds one (odd, R40), so 9 candidates.
  assert.deepEqual(r.range, [40000, 40009]);
  assert.equal(r.bindHeldInRange, 1);
  assert.equal(r.candidatePorts, 9);
  const row = (s: string) => r.destinations.find((d) => d.source === s && d.destination === '127.0.0.1:5000');
  // 127.0.0.1: one TIME_WAIT (younger than tcp_tw_reuse_delay, so it blocks) + the v4-mapped tcp6 socket.
  assert.deepEqual(
    [row('127.0.0.1')?.established, row('127.0.0.1')?.timeWait, row('127.0.0.1')?.headroom],
    [1, 1, 9 - 2],
  );
  // 127.0.0.2: the NOPORT socket's 4-tuple and the bind(ip,0) socket (whose port is no candidate anyway).
  assert.deepEqual(
    [row('127.0.0.2')?.established, row('127.0.0.2')?.bindHeld, row('127.0.0.2')?.headroom],
    [2, 1, 9 - 1],
  );
  assert.equal(r.destinations[0]?.source, '127.0.0.1', 'tightest first');
  assert.equal(r.tcp.accepted, 3, 'three server-side sockets on the listener port 5000');
  assert.deepEqual([r.udp.sockets, r.udp.connected], [2, 1]);
  assert.deepEqual(
    r.to?.map((t) => [t.source, t.headroom, t.result]),
    [
      ['127.0.0.2', 8, 'ok'],
      ['127.0.0.1', 7, 'ok'],
    ],
  );
  const codes = r.warnings.map((w) => w.code);
  assert.ok(codes.includes('RANGE_SMALL') && codes.includes('BIND_BEFORE_CONNECT'));
  const nop = r.warnings.find((w) => w.code === 'BIND_BEFORE_CONNECT')?.fixes[0];
  assert.equal(nop?.gain, 1, 'IP_BIND_ADDRESS_NO_PORT gives back the one bind-held port');
});

test('malformed: reserved ports (R2), a recyclable old TIME_WAIT (R62), IPv6 destinations, unreadable lines reported', () => {
  const r = buildReport(readProcSnapshot(`${fixtures}malformed`));
  // 20 ports - 2 reserved - 1 bind-held (the v4-mapped socket on odd 40003 while even ports are free).
  assert.equal(r.candidatePorts, 17);
  const lo = r.destinations.find((d) => d.destination === '127.0.0.1:5000');
  // 40000 ESTABLISHED, 40010 TIME_WAIT 60 s left (blocks), 40012 TIME_WAIT 1 s left (59 s old:
  // loopback, tcp_tw_reuse=2 -> recyclable), 40014 ESTABLISHED (line cut after the timer: readable).
  assert.deepEqual([lo?.established, lo?.timeWait, lo?.recyclableTimeWait, lo?.headroom], [3, 2, 1, 17 - 3]);
  assert.deepEqual(
    r.destinations.filter((d) => d.source !== '127.0.0.1').map((d) => [d.source, d.destination, d.headroom]),
    [
      ['2001:db8::1', '[2001:db8::2]:443', 16],
      ['::1', '[::1]:6000', 16],
    ],
  );
  assert.equal(r.unreadable.count, 6);
  assert.ok(r.warnings.some((w) => w.code === 'UNREADABLE_LINES' && w.value === 6));
  assert.ok(r.notes.some((n) => n.includes("tcp_tw_reuse: '7'")));
});

test('Prometheus exposition: HELP and TYPE per family, escaped labels, one sample per destination', () => {
  const r = buildReport(readProcSnapshot(`${fixtures}malformed`));
  const text = toPrometheus(r);
  const lines = text.trimEnd().split('\n');
  const families = lines.filter((l) => l.startsWith('# TYPE ')).map((l) => l.split(' ')[2]);
  for (const f of families)
    assert.ok(
      lines.includes(
        `# HELP ${f} ${lines.find((l) => l.startsWith(`# HELP ${f} `))?.slice(`# HELP ${f} `.length)}`,
      ),
    );
  // Every sample line: name{labels} value, with a family declared before it.
  const sample = /^([a-z_]+)(\{([a-z_]+="(?:[^"\\]|\\.)*",?)*\})? -?[0-9.e+]+$/;
  for (const l of lines.filter((x) => !x.startsWith('#'))) {
    const m = sample.exec(l);
    assert.ok(m, `not a sample line: ${l}`);
    assert.ok(families.includes(m[1]), `${m[1]} has no TYPE line`);
  }
  assert.ok(
    lines.includes('portspace_headroom_connections{source="127.0.0.1",destination="127.0.0.1:5000"} 14'),
  );
  assert.ok(lines.includes('portspace_unreadable_lines 6'));
  assert.equal(lines.filter((l) => l.startsWith('portspace_headroom_connections{')).length, 3);
});

test('label values escape backslash, quote and newline', async () => {
  const { escapeLabel } = await import('../../src/doctor/index.js');
  assert.equal(escapeLabel('a\\b"c\nd'), 'a\\\\b\\"c\\nd');
});

test('issue 15, R11 vs R40: the parity inference of bind-held ports is reported as a guess, with the other reading and both headrooms', () => {
  // capture-parity-guess.py: 7 plain connects (no bind at all) on 40000-40009, the 5 on even
  // ports closed by reset. The kernel then made 10 connects to a new destination and 8 more to
  // 127.0.0.1:5000 (the script's printed counts).
  const r = buildReport(readProcSnapshot(`${fixtures}parity-guess`), {
    to: { addr: '127.0.0.1', port: 6000 },
  });
  assert.equal(r.bindHeldInRange, 2, 'the odd ports 40001 and 40009 look bind-held by parity');
  assert.equal(
    r.bindHeldGuess?.needsClosed,
    5,
    'the other reading needs the 5 even-port sockets closed without TIME_WAIT',
  );
  assert.match(r.bindHeldGuess?.alternative ?? '', /closed without TIME_WAIT/);
  // Sure and most: the kernel's 10 (new destination) and 8 (5000) lie within, the sure one never above.
  assert.deepEqual([r.freshHeadroom, r.freshHeadroomMax], [8, 10]);
  const d = r.destinations.find((x) => x.destination === '127.0.0.1:5000');
  assert.deepEqual([d?.headroom, d?.headroomMax], [8, 8]);
  assert.deepEqual(
    r.to?.map((t) => [t.result, t.headroom, t.headroomMax]),
    [['ok', 8, 10]],
  );
  assert.match(
    r.to?.[0]?.explanation ?? '',
    /8 more connects surely succeed; up to 10 if the 2 ports guessed bind-held/,
  );
  const w = r.warnings.find((x) => x.code === 'BIND_BEFORE_CONNECT');
  assert.equal(w?.severity, 'info', 'a guess is no warning');
  assert.ok(w?.guess !== undefined);
  assert.match(
    w?.message ?? '',
    /^2 ports may be held by sockets that bound before connect\(\) \(a guess by parity/,
  );
  assert.match(
    w?.message ?? '',
    /Or connect\(\) took them .* 5 sockets that have since closed without TIME_WAIT/,
  );
  assert.doesNotMatch(w?.message ?? '', /are held by sockets that bound/);
  for (const f of w?.fixes ?? []) {
    assert.match(f.fix, /^if they did bind before connect: /);
    assert.match(f.per, /only if the guess is right$/);
  }
});
