// Warnings and their fixes on handwritten /proc/net/tcp states. Each expected number follows from
// the state by the rule cited (the fix gains re-derived by hand, not read off the doctor).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { buildReport, measureRates } from '../../src/doctor/index.js';
import { snapshotFromTexts } from '../../src/procnet/index.js';
import { HEADER, procLine } from './render-proc.js';

/** `n` TIME_WAIT entries 10.0.0.1 -> 10.0.0.2:80 on ports 40000.., with `leftCs` of their 60 s left. */
function timeWaits(n: number, leftCs: number): string[] {
  return Array.from({ length: n }, (_, k) =>
    procLine(k, ['10.0.0.1', 40000 + k], ['10.0.0.2', 80], 6, 3, leftCs),
  );
}

test('R14, R62: ten TIME_WAIT entries fill a 10-port range; tcp_tw_reuse=1 would recycle all ten', () => {
  const snap = snapshotFromTexts({
    net: { tcp: [HEADER, ...timeWaits(10, 3000)].join('\n') },
    sys: { ip_local_port_range: '40000 40009', tcp_tw_reuse: '0' },
  });
  const r = buildReport(snap, { to: { addr: '10.0.0.2', port: 80 } });
  assert.deepEqual(
    r.destinations.map((d) => [d.timeWait, d.headroom]),
    [[10, 0]],
  );
  assert.deepEqual(
    r.to?.map((t) => [t.source, t.result]),
    [['10.0.0.1', 'EADDRNOTAVAIL']],
  );
  const w = (code: string) => r.warnings.find((x) => x.code === code);
  assert.equal(w('NEAR_EXHAUSTION')?.severity, 'critical');
  const pile = w('TIME_WAIT_PILEUP');
  assert.equal(pile?.value, 10);
  // Entries are 30 s old (> tcp_tw_reuse_delay 1 s), non-loopback: only tcp_tw_reuse=1 recycles them.
  assert.deepEqual(
    pile?.fixes.map((f) => [f.fix, f.gain]),
    [
      ['sysctl -w net.ipv4.tcp_tw_reuse=1', 10],
      ['add a source address and spread connects over it (bind(ip, 0) with IP_BIND_ADDRESS_NO_PORT)', 10],
    ],
  );
  // 1024-65535 has 64,512 ports; the ten TIME_WAIT 4-tuples still hold ten of them.
  assert.equal(w('RANGE_SMALL')?.fixes[0]?.gain, 64_512 - 10);
  assert.equal(w('TW_REUSE_OFF')?.value, 10);
  // No --watch: the rate is the entries of the last 60 s over 60 s.
  assert.match(pile?.message ?? '', /about 0\.2 new per second/);
});

test('--watch rates: TIME_WAIT entries younger than the interval, per second', () => {
  const text = [HEADER, ...timeWaits(6, 5000), ...timeWaits(4, 1000).map((l) => l.replace(':9C4', ':9D4'))];
  const snap = snapshotFromTexts({
    net: { tcp: text.join('\n') },
    sys: { ip_local_port_range: '40000 40099' },
  });
  const r = buildReport(snap);
  // 6 entries have 50 s left (10 s old), 4 have 10 s left (50 s old): in a 20 s interval, 6 are new.
  const rates = measureRates(r, r, snap, 20);
  assert.equal(rates.timeWaitPerSec.get('10.0.0.1>10.0.0.2:80'), 6 / 20);
  assert.equal(rates.establishedPerSec.get('10.0.0.1>10.0.0.2:80'), 0);
});

test('R1, R11: an odd-sized range warns; one more port gives +2 guaranteed connections to a new destination', () => {
  const snap = snapshotFromTexts({ net: { tcp: HEADER }, sys: { ip_local_port_range: '40000 40004' } });
  const r = buildReport(snap);
  // 5 ports: each attempt reaches 4 (R11), so 4 are guaranteed; 40000-40005 reaches all 6.
  assert.equal(r.freshHeadroom, 4);
  const parity = r.warnings.find((w) => w.code === 'RANGE_PARITY');
  assert.deepEqual(
    parity?.fixes.map((f) => [f.fix, f.gain]),
    [['sysctl -w net.ipv4.ip_local_port_range="40000 40005"', 2]],
  );
});

test('R4: tcp_timestamps=0 is reported (TIME_WAIT entries are never recycled)', () => {
  const snap = snapshotFromTexts({ net: { tcp: HEADER }, sys: { tcp_timestamps: '0' } });
  assert.ok(buildReport(snap).warnings.some((w) => w.code === 'TIMESTAMPS_OFF'));
});

test('R10: --to a loopback destination includes 127.0.0.1, the source connect() picks for 127.0.0.0/8', () => {
  const snap = snapshotFromTexts({
    net: { tcp: [HEADER, procLine(0, ['10.0.0.1', 40000], ['10.0.0.2', 80], 1)].join('\n') },
    sys: { ip_local_port_range: '40000 40009' },
  });
  const r = buildReport(snap, { to: { addr: '127.0.0.5', port: 5000 } });
  assert.deepEqual(
    r.to?.map((t) => [t.source, t.destination, t.headroom]),
    [
      ['127.0.0.1', '127.0.0.5:5000', 10],
      ['10.0.0.1', '127.0.0.5:5000', 10],
    ],
  );
});

test('R10: --to an IPv6 destination lists only IPv6 sources, ::1 first for [::1]', () => {
  const snap = snapshotFromTexts({
    net: {
      tcp: [HEADER, procLine(0, ['10.0.0.1', 40000], ['10.0.0.2', 80], 1)].join('\n'),
      tcp6: [
        HEADER,
        '   0: B80D0120000000000000000001000000:9C48 B80D0120000000000000000002000000:01BB 01 00000000:00000000 00:00000000 00000000 0 0 11',
      ].join('\n'),
    },
    sys: { ip_local_port_range: '40000 40009' },
  });
  const r = buildReport(snap, { to: { addr: '::1', port: 6000 } });
  assert.deepEqual(
    r.to?.map((t) => [t.source, t.destination]),
    [
      ['::1', '[::1]:6000'],
      ['2001:db8::1', '[::1]:6000'],
    ],
  );
});

/** `n` TIME_WAIT entries `from` -> `to`:80 on even ports from `port0` (even: no bind inference, R11), 30 s old. */
function oldTimeWaits(n: number, from: string, to: string, port0: number, slot0 = 0): string[] {
  return Array.from({ length: n }, (_, k) =>
    procLine(slot0 + k, [from, port0 + 2 * k], [to, 80], 6, 3, 3000),
  );
}

test('R4, R62: TW_REUSE_OFF on non-loopback entries offers only tcp_tw_reuse=1 (2 recycles loopback only)', () => {
  const snap = snapshotFromTexts({
    net: { tcp: [HEADER, ...oldTimeWaits(4, '10.0.0.1', '10.0.0.2', 40000)].join('\n') },
    sys: { ip_local_port_range: '40000 40099', tcp_tw_reuse: '0' },
  });
  const tw = buildReport(snap).warnings.find((w) => w.code === 'TW_REUSE_OFF');
  assert.equal(tw?.value, 4);
  // 30 s old > tcp_tw_reuse_delay 1 s, timestamps on: 1 recycles all four 4-tuples; 2 none of
  // them (neither 10.0.0.1 nor 10.0.0.2 is loopback), so 2 is not offered.
  assert.deepEqual(
    tw?.fixes.map((f) => [f.fix, f.gain, f.per]),
    [['sysctl -w net.ipv4.tcp_tw_reuse=1', 4, 'per destination (10.0.0.1 -> 10.0.0.2:80)']],
  );
});

test('R4, R62: tcp_tw_reuse=2 and =1 are measured apart, each on the destination it gains most', () => {
  const snap = snapshotFromTexts({
    net: {
      tcp: [
        HEADER,
        ...oldTimeWaits(3, '127.0.0.1', '127.0.0.2', 40000),
        ...oldTimeWaits(4, '10.0.0.1', '10.0.0.2', 40010, 3),
      ].join('\n'),
    },
    sys: { ip_local_port_range: '40000 40099', tcp_tw_reuse: '0' },
  });
  const tw = buildReport(snap).warnings.find((w) => w.code === 'TW_REUSE_OFF');
  // 2 recycles the three loopback entries only; 1 recycles the four 10.0.0.1 entries as well,
  // and that destination gains most from it.
  assert.deepEqual(
    tw?.fixes.map((f) => [f.fix, f.gain, f.per]),
    [
      ['sysctl -w net.ipv4.tcp_tw_reuse=2 (loopback only)', 3, 'per destination (127.0.0.1 -> 127.0.0.2:80)'],
      ['sysctl -w net.ipv4.tcp_tw_reuse=1', 4, 'per destination (10.0.0.1 -> 10.0.0.2:80)'],
    ],
  );
});

test('R62: a TIME_WAIT pile-up on loopback with tcp_tw_reuse=0 offers 2 and 1, each recycling every entry', () => {
  const snap = snapshotFromTexts({
    net: { tcp: [HEADER, ...oldTimeWaits(5, '127.0.0.1', '127.0.0.2', 40000)].join('\n') },
    sys: { ip_local_port_range: '40000 40009', tcp_tw_reuse: '0' },
  });
  const pile = buildReport(snap).warnings.find((w) => w.code === 'TIME_WAIT_PILEUP');
  // 5 of 10 ports held by 30 s old loopback entries: 2 and 1 both recycle all five; a new source
  // address gives the whole range of 10.
  assert.deepEqual(
    pile?.fixes.map((f) => [f.fix, f.gain]),
    [
      ['sysctl -w net.ipv4.tcp_tw_reuse=2 (loopback only)', 5],
      ['sysctl -w net.ipv4.tcp_tw_reuse=1', 5],
      ['add a source address and spread connects over it (bind(ip, 0) with IP_BIND_ADDRESS_NO_PORT)', 10],
    ],
  );
});

test('R23, R12: IP_BIND_ADDRESS_NO_PORT is measured where it gains, not on the destination holding the port', () => {
  // Range 40000-40009. A = 10.0.0.1 -> 10.0.0.2:80 on 40000, 40002 and odd 40001: first-parity
  // ports to spare, so 40001 came from bind(ip, 0) (R11 vs R40) and no connect may take it (R23).
  // B = 10.0.0.1 -> 10.0.0.3:80 on 40004.
  const snap = snapshotFromTexts({
    net: {
      tcp: [
        HEADER,
        procLine(0, ['10.0.0.1', 40000], ['10.0.0.2', 80], 1),
        procLine(1, ['10.0.0.1', 40002], ['10.0.0.2', 80], 1),
        procLine(2, ['10.0.0.1', 40001], ['10.0.0.2', 80], 1),
        procLine(3, ['10.0.0.1', 40004], ['10.0.0.3', 80], 1),
      ].join('\n'),
    },
    sys: { ip_local_port_range: '40000 40009' },
  });
  const r = buildReport(snap);
  // 9 candidates: A holds 2 of them (headroom 7, the tightest), B 1 (8).
  assert.deepEqual(
    r.destinations.map((d) => [d.destination, d.headroom]),
    [
      ['10.0.0.2:80', 7],
      ['10.0.0.3:80', 8],
    ],
  );
  // Freeing 40001 gives A nothing (its own 4-tuple holds 40001), B and a new destination one port
  // each: the fix names B, the tighter of those two.
  const nop = r.warnings.find((w) => w.code === 'BIND_BEFORE_CONNECT');
  assert.deepEqual(
    nop?.fixes.map((f) => [f.gain, f.per]),
    [[1, 'per destination (10.0.0.1 -> 10.0.0.3:80), only if the guess is right']],
  );
});

test('R1, R4, R14, R23, R62: on random /proc states no fix is offered that gains nothing, and tcp_tw_reuse=2 only for loopback entries', () => {
  const addrs = ['127.0.0.1', '127.0.0.2', '10.0.0.1', '10.0.0.2'] as const;
  const socketArb = fc.record({
    from: fc.constantFrom(...addrs),
    to: fc.constantFrom(...addrs),
    port: fc.integer({ min: 40000, max: 40011 }),
    rport: fc.constantFrom(80, 5000),
    state: fc.constantFrom(1, 6), // ESTABLISHED, TIME_WAIT
    leftCs: fc.integer({ min: 0, max: 6000 }),
  });
  fc.assert(
    fc.property(
      fc.uniqueArray(socketArb, { maxLength: 30, selector: (s) => `${s.from}:${s.port}>${s.to}:${s.rport}` }),
      fc.constantFrom('0', '1', '2'),
      fc.constantFrom('0', '1'),
      fc.constantFrom('40000 40009', '40000 40010', '40001 40011'),
      (sockets, twReuse, timestamps, range) => {
        const lines = sockets.map((s, k) =>
          procLine(k, [s.from, s.port], [s.to, s.rport], s.state, s.state === 6 ? 3 : 0, s.leftCs),
        );
        const snap = snapshotFromTexts({
          net: { tcp: [HEADER, ...lines].join('\n') },
          sys: { ip_local_port_range: range, tcp_tw_reuse: twReuse, tcp_timestamps: timestamps },
        });
        const loopbackTimeWait = sockets.some(
          (s) => s.state === 6 && (s.from.startsWith('127.') || s.to.startsWith('127.')),
        );
        for (const w of buildReport(snap).warnings)
          for (const f of w.fixes) {
            assert.ok(f.gain > 0, `${w.code}: '${f.fix}' offered with +${f.gain}`);
            if (f.fix.includes('tcp_tw_reuse=2'))
              assert.ok(
                loopbackTimeWait,
                `${w.code}: tcp_tw_reuse=2 offered without a loopback TIME_WAIT entry`,
              );
          }
      },
    ),
    { numRuns: 300 },
  );
});

test('R41, R12 (issue 15): an other-parity port the same source uses towards two destinations is connect-owned, never guessed bind-held', () => {
  // 10.0.0.1 on odd 40001 towards two destinations, with even ports to spare: bind(ip, 0) never
  // takes a port an overlapping socket holds (R41) and connect() never a bind-owned one (R12),
  // so only connect() shared it. 40003 towards one destination only stays a guess.
  const snap = snapshotFromTexts({
    net: {
      tcp: [
        HEADER,
        procLine(0, ['10.0.0.1', 40001], ['10.0.0.2', 80], 1),
        procLine(1, ['10.0.0.1', 40001], ['10.0.0.3', 80], 1),
        procLine(2, ['10.0.0.1', 40003], ['10.0.0.4', 80], 1),
      ].join('\n'),
    },
    sys: { ip_local_port_range: '40000 40009' },
  });
  const r = buildReport(snap);
  assert.equal(r.bindHeldInRange, 1);
  assert.equal(r.bindHeldGuess?.clearedBySharing, 2, 'both sockets on the shared port 40001 cleared');
  assert.deepEqual(r.destinations.map((d) => [d.destination, d.bindHeld]).sort(), [
    ['10.0.0.2:80', 0],
    ['10.0.0.3:80', 0],
    ['10.0.0.4:80', 1],
  ]);
});

test('issue 15: one number formatter: every count of 5+ digits in a message reads 20,001, never 20001', () => {
  // Range 30000-50000: 20,001 ports (RANGE_SMALL), odd (RANGE_PARITY: 20,000 reached per attempt).
  const snap = snapshotFromTexts({
    net: { tcp: [HEADER, ...timeWaits(3, 3000)].join('\n') },
    sys: { ip_local_port_range: '30000 50000', tcp_tw_reuse: '0' },
  });
  const r = buildReport(snap);
  const texts = r.warnings.flatMap((w) => [w.message, ...w.fixes.map((f) => f.fix)]);
  assert.ok(
    texts.some((t) => t.includes('20,001 ports')),
    texts.join('\n'),
  );
  for (const t of texts) {
    // Port ranges (30000-50000, "1024 65535") are settings written as the sysctl takes them.
    const bare = t.replace(/\d+-\d+|"\d+ \d+"/g, '').match(/\b\d{5,}\b/g);
    assert.equal(bare, null, t);
  }
});
