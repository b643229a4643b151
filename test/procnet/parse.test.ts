// /proc/net/tcp parsing: field decoding (host-order address words, big-endian ports, states,
// the TIME_WAIT timer), IPv6 and v4-mapped forms (D3: a v4-mapped address is its IPv4 address),
// lines split across read chunks, and bad lines counted with their line numbers, never a crash.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  AddressTable,
  type ParseIssues,
  ProcNetParser,
  parseProcNetText,
  readPortSysctls,
  SocketTable,
  ST,
} from '../../src/procnet/index.js';
import { readProcSnapshot } from '../../src/procnet/reader.js';
import { HEADER, procLine } from '../doctor/render-proc.js';

const fixtures = new URL('../fixtures/proc/', import.meta.url).pathname;

function parse(text: string, family: 4 | 6 = 4, littleEndian = true) {
  const table = new SocketTable('tcp');
  const addrs = new AddressTable(littleEndian);
  const issues: ParseIssues = { unreadable: 0, examples: [] };
  parseProcNetText(text, 'net/tcp', family, table, addrs, issues);
  return { table, addrs, issues };
}

test('an IPv4 line: 0100007F is 127.0.0.1 (little-endian word), 9C40 is port 40000, 06 TIME_WAIT, when in 1/100 s', () => {
  const { table, addrs, issues } = parse(
    `${HEADER}\n   6: 0100007F:9C40 0200007F:1388 06 00000000:00000000 03:0000175A 00000000     0        0 0 3 0000000090f4e3e2\n`,
  );
  assert.equal(issues.unreadable, 0);
  assert.equal(table.count, 1);
  assert.equal(addrs.text(table.laddr[0] ?? -1), '127.0.0.1');
  assert.equal(addrs.text(table.raddr[0] ?? -1), '127.0.0.2');
  assert.equal(table.lport[0], 40000);
  assert.equal(table.rport[0], 5000);
  assert.equal(table.state[0], ST.TIME_WAIT);
  assert.equal(table.timer[0], 3);
  assert.equal(table.whenMs[0], 0x175a * 10);
});

test('a big-endian host writes the same address as 7F000001', () => {
  const { table, addrs } = parse(
    `${HEADER}\n   0: 7F000001:9C40 7F000002:1388 01 00000000:00000000 00:00000000 00000000 0 0 1\n`,
    4,
    false,
  );
  assert.equal(addrs.text(table.laddr[0] ?? -1), '127.0.0.1');
});

test('D3: IPv6 lines, ::1, 2001:db8::1, and v4-mapped ::ffff:127.0.0.1 shares the id of 127.0.0.1', () => {
  const { table, addrs, issues } = parse(
    [
      HEADER,
      '   0: 00000000000000000000000001000000:9C44 00000000000000000000000001000000:1770 01 00000000:00000000 00:00000000 00000000 0 0 9',
      '   1: 0000000000000000FFFF00000100007F:9C43 0000000000000000FFFF00000100007F:1388 01 00000000:00000000 00:00000000 00000000 0 0 10',
      '   2: B80D0120000000000000000001000000:9C48 B80D0120000000000000000002000000:01BB 01 00000000:00000000 00:00000000 00000000 0 0 11',
    ].join('\n'),
    6,
  );
  assert.equal(issues.unreadable, 0);
  assert.deepEqual(
    [0, 1, 2].map((i) => [
      addrs.text(table.laddr[i] ?? -1),
      table.lport[i],
      addrs.text(table.raddr[i] ?? -1),
    ]),
    [
      ['::1', 40004, '::1'],
      ['127.0.0.1', 40003, '127.0.0.1'],
      ['2001:db8::1', 40008, '2001:db8::2'],
    ],
  );
  assert.equal(addrs.idOfText('127.0.0.1'), table.laddr[1]);
  assert.equal(addrs.idOfText('::ffff:127.0.0.1'), table.laddr[1]);
  assert.equal(addrs.info(table.laddr[0] ?? -1).loopback, true, 'R62: ::1 is loopback');
});

test('bad lines are counted with file:line and reason, the good ones kept (malformed fixture)', () => {
  const snap = readProcSnapshot(`${fixtures}malformed`);
  // The fixture has 12 tcp lines after the header: 6 good (one blank), 5 bad; tcp6: 3 good, 1 bad.
  assert.equal(snap.issues.unreadable, 6);
  assert.deepEqual(
    snap.issues.examples.map((e) => [e.file, e.line, e.reason]),
    [
      ['net/tcp', 4, 'line ends inside the remote port'],
      ['net/tcp', 5, 'unknown state 0x1F'],
      ['net/tcp', 6, 'bad hex digit in the address'],
      ['net/tcp', 7, 'address of 9 hex digits (8 for IPv4, 32 for IPv6)'],
      ['net/tcp', 8, 'no slot number at the start of the line'],
    ],
  );
  assert.equal(snap.tcp.count, 5 + 3);
  assert.deepEqual(snap.missingFiles, ['net/udp', 'net/udp6']);
});

test('each unreadable line carries the column of the byte its reason is about (file:line:col)', () => {
  // The malformed fixture's kept examples: the column is found in the fixture's own line text.
  const lines = readFileSync(`${fixtures}malformed/net/tcp`, 'latin1').split('\n');
  const at = (line: number, s: string, after = 0) => (lines[line - 1] ?? '').indexOf(s) + 1 + after;
  const snap = readProcSnapshot(`${fixtures}malformed`);
  assert.deepEqual(
    snap.issues.examples.map((e) => [e.line, e.col]),
    [
      [4, (lines[3] ?? '').length + 1], // cut short inside the remote port: just past the end
      [5, at(5, ' 1F ', 1)], // the unknown state
      [6, at(6, 'G')], // the bad digit
      [7, at(7, '0100007F0')], // the 9-digit address starts there
      [8, 1], // no slot number: the first byte
    ],
  );
  // Reasons the fixture does not reach (the line text is kept with its leading spaces, so `col`
  // indexes it).
  const good = procLine(0, ['127.0.0.1', 40000], ['127.0.0.2', 5000], 1);
  const cases: [string, string, string][] = [
    [good.replace(':9C40', ':9X40'), 'bad hex digit in the local port', 'X'],
    [good.replace(' 01 ', ' 01x'), "unexpected 'x' before the tx_queue", 'x'],
    [
      good.replace('0200007F:1388', '00000000000000000000000002000000:1388'),
      'local and remote addresses of different lengths',
      '00000000000000000000000002000000',
    ],
    [
      good.replace(' 00:00000000 ', ' 00:000000001 '),
      'timer expiry longer than 8 hex digits',
      '00:000000001',
    ],
  ];
  for (const [line, reason, marker] of cases) {
    const { issues } = parse(`${HEADER}\n${line}\n`);
    const e = issues.examples[0];
    assert.equal(e?.reason, reason, line);
    const want = line.indexOf(marker) + 1 + (reason.startsWith('timer expiry') ? marker.length - 1 : 0);
    assert.equal(e?.col, want, `${reason}: ${line}`);
    assert.equal(e?.text.slice((e?.col ?? 1) - 1).startsWith(line.slice(want - 1, want)), true);
  }
});

test('a line split across read chunks at any byte parses the same as in one piece', () => {
  const text = [
    HEADER,
    procLine(0, ['127.0.0.1', 40000], ['127.0.0.2', 5000], 1),
    procLine(1, ['10.0.0.1', 40001], ['10.0.0.2', 80], 6, 3, 1234),
  ].join('\n');
  const bytes = new TextEncoder().encode(text);
  fc.assert(
    fc.property(fc.uniqueArray(fc.integer({ min: 1, max: bytes.length - 1 }), { maxLength: 6 }), (cuts) => {
      const table = new SocketTable('tcp');
      const addrs = new AddressTable(true);
      const issues: ParseIssues = { unreadable: 0, examples: [] };
      const p = new ProcNetParser('net/tcp', 4, table, addrs, issues);
      let at = 0;
      for (const c of [...cuts].sort((a, b) => a - b)) {
        p.feed(bytes.subarray(at, c));
        at = c;
      }
      p.feed(bytes.subarray(at));
      p.finish();
      assert.equal(issues.unreadable, 0);
      assert.equal(table.count, 2);
      assert.deepEqual([table.lport[1], table.state[1], table.whenMs[1]], [40001, 6, 12340]);
    }),
    { numRuns: 200 },
  );
});

test('random bytes never throw: every non-header line is a socket or an unreadable line', () => {
  fc.assert(
    fc.property(fc.array(fc.string({ maxLength: 160 }), { maxLength: 20 }), (lines) => {
      const { table, issues } = parse([HEADER, ...lines].join('\n'));
      const nonBlank = lines
        .join('\n')
        .split('\n')
        .filter((l) => l.replace(/ /g, '') !== '').length;
      assert.equal(table.count + issues.unreadable, nonBlank);
    }),
    { numRuns: 300 },
  );
});

test('R1-R4: sysctl files go through the kernel validation; missing or refused values fall back with a note', () => {
  const r = readPortSysctls({
    ip_local_port_range: '40000\t40019\n',
    ip_local_reserved_ports: '40016-40017\n',
    tcp_tw_reuse: '7\n',
    tcp_tw_reuse_delay: null,
  });
  assert.deepEqual(r.values.range, [40000, 40019]);
  assert.deepEqual(r.values.reserved, [40016, 40017]);
  assert.equal(r.values.twReuse, 2, 'R4: 7 is EINVAL, the default 2 stays');
  assert.equal(r.values.twReuseDelayMs, 1000);
  assert.ok(r.notes.some((n) => n.startsWith("tcp_tw_reuse: '7' is not a value Linux accepts")));
  assert.ok(r.notes.some((n) => n.startsWith('tcp_tw_reuse_delay: not found')));
  // R1/R3: a range below the default unprivileged start is accepted when the file says so.
  const low = readPortSysctls({ ip_unprivileged_port_start: '0', ip_local_port_range: '100 200' });
  assert.deepEqual(low.values.range, [100, 200]);
  assert.deepEqual(
    low.notes.filter((n) => n.includes('not a value')),
    [],
  );
});

test('a 1,000,000-line file is streamed through the reader in 1 MiB chunks: every line counted, one bad line reported', () => {
  const dir = mkdtempSync(join(tmpdir(), 'portspace-procnet-'));
  try {
    mkdirSync(join(dir, 'net'));
    const lines = [HEADER];
    for (let i = 0; i < 1_000_000; i++) {
      const port = 32768 + (i % 28232);
      const dst = `10.1.${(i >> 16) & 255}.${(i >> 8) & 255}`;
      lines.push(
        i === 777_777
          ? '777777: 0100007F:9C4'
          : procLine(i, ['10.0.0.1', port], [dst, 443], i % 3 === 0 ? 6 : 1),
      );
    }
    writeFileSync(join(dir, 'net', 'tcp'), `${lines.join('\n')}\n`);
    const snap = readProcSnapshot(dir);
    assert.equal(snap.tcp.count, 999_999);
    assert.equal(snap.issues.unreadable, 1);
    assert.deepEqual(
      snap.issues.examples.map((e) => [e.line, e.reason]),
      [[777_779, 'line ends inside the local port']],
    );
    assert.equal(snap.tcp.lport[999_998], 32768 + (999_999 % 28232));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('found by the fuzzer (issue 15): a long unreadable line keeps the excerpt around its column', () => {
  const issues: ParseIssues = { unreadable: 0, examples: [] };
  const long = `   0: 0100007F:1B58 ${'A'.repeat(300)}`;
  parseProcNetText(
    `  sl  local_address rem_address   st\n${long}`,
    'net/tcp',
    4,
    new SocketTable('tcp'),
    new AddressTable(true),
    issues,
  );
  const e = issues.examples[0];
  assert.ok(e !== undefined && e.col > 121, `col ${e?.col}`);
  assert.ok(e.text.startsWith('...'), e.text);
  assert.ok(e.text.length <= 123);
  // The excerpt ends 20 characters after the column (or at the line's end).
  assert.ok(long.endsWith(e.text.slice(3)) || long.includes(e.text.slice(3)));
});
