// Warnings and their fixes on handwritten /proc/net/tcp states. Each expected number follows from
// the state by the rule cited (the fix gains re-derived by hand, not read off the doctor).
import assert from 'node:assert/strict';
import { test } from 'node:test';
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
