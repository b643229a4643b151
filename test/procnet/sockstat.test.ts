// net/tcp6 is skipped only when /proc/net/sockstat and sockstat6 prove it empty: no IPv6 TCP socket
// in use, and every TIME_WAIT entry the kernel counts was a line of net/tcp (src/procnet/sockstat.ts).
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { readProcSnapshot } from '../../src/procnet/reader.js';
import { sockstat6TcpInUse, sockstatTimeWait, tcp6ProvedEmpty } from '../../src/procnet/sockstat.js';

const V4_HEADER =
  '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode';
const V6_HEADER =
  '  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode';
// Two TIME_WAIT entries 127.0.0.1:40000, :40001 -> 127.0.0.1:80, one listener on 127.0.0.1:5000.
const TCP = [
  V4_HEADER,
  '   0: 0100007F:1388 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 9219423 1 0000000000000000 100 0 0 10 0',
  '   1: 0100007F:9C40 0100007F:0050 06 00000000:00000000 03:00001770 00000000     0        0 0 3 0000000000000000',
  '   2: 0100007F:9C41 0100007F:0050 06 00000000:00000000 03:00001770 00000000     0        0 0 3 0000000000000000',
].join('\n');
// One IPv6 listener on [::]:6000.
const TCP6 = [
  V6_HEADER,
  '   0: 00000000000000000000000000000000:1770 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 9219434 1 0000000029ac0028 100 0 0 10 0',
].join('\n');

function procCopy(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'portspace-sockstat-'));
  mkdirSync(join(dir, 'net'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, 'net', name), `${text}\n`);
  return dir;
}

function read(files: Record<string, string>) {
  const dir = procCopy(files);
  try {
    const snap = readProcSnapshot(dir);
    return {
      sockets: snap.tcp.count,
      provedEmpty: snap.provedEmptyFiles,
      read: snap.files.map((f) => f.file),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const sockstat = (tw: number) =>
  `sockets: used 9\nTCP: inuse 1 orphan 0 tw ${tw} alloc 1 mem 1\nUDP: inuse 0 mem 0`;
const sockstat6 = (inuse: number) => `TCP6: inuse ${inuse}\nUDP6: inuse 0`;

test('the counts are read from the kernel text, and anything else proves nothing', () => {
  assert.equal(sockstatTimeWait(sockstat(2)), 2);
  assert.equal(sockstat6TcpInUse(sockstat6(0)), 0);
  assert.equal(sockstatTimeWait('TCP: inuse 1 orphan 0 alloc 1'), null);
  assert.equal(sockstat6TcpInUse(null), null);
  assert.equal(sockstat6TcpInUse(`${'x'.repeat(5000)}\nTCP6: inuse 0`), null, 'bounded input');
  assert.equal(tcp6ProvedEmpty(0, 2, 2), true);
  assert.equal(tcp6ProvedEmpty(0, 3, 2), false, 'a TIME_WAIT entry net/tcp did not show may be IPv6');
  assert.equal(tcp6ProvedEmpty(1, 2, 2), false, 'an IPv6 socket in use');
  assert.equal(tcp6ProvedEmpty(null, 2, 2), false);
  assert.equal(tcp6ProvedEmpty(0, null, 2), false);
});

test('net/tcp6 is not read when sockstat6 has no TCP6 socket and every TIME_WAIT entry was in net/tcp', () => {
  const r = read({ tcp: TCP, tcp6: TCP6, sockstat: sockstat(2), sockstat6: sockstat6(0) });
  // The tcp6 file here holds a line (a copy can lie): skipping it shows in the count.
  assert.equal(r.sockets, 3);
  assert.deepEqual(r.provedEmpty, ['net/tcp6']);
  assert.ok(!r.read.includes('net/tcp6'));
});

test('net/tcp6 is read when the counts do not prove it empty', () => {
  for (const [why, files] of [
    ['an IPv6 socket in use', { sockstat: sockstat(2), sockstat6: sockstat6(1) }],
    ['one TIME_WAIT entry more than net/tcp shows', { sockstat: sockstat(3), sockstat6: sockstat6(0) }],
    ['no sockstat files (a copy without them)', {}],
    ['no sockstat6', { sockstat: sockstat(2) }],
  ] as const) {
    const r = read({ tcp: TCP, tcp6: TCP6, ...files });
    assert.equal(r.sockets, 4, why);
    assert.deepEqual(r.provedEmpty, [], why);
    assert.ok(r.read.includes('net/tcp6'), why);
  }
});

test('an unreadable sockstat6 (a directory here) proves nothing: net/tcp6 is read', () => {
  const dir = procCopy({ tcp: TCP, tcp6: TCP6, sockstat: sockstat(2) });
  try {
    mkdirSync(join(dir, 'net', 'sockstat6'));
    const snap = readProcSnapshot(dir);
    assert.equal(snap.tcp.count, 4);
    assert.deepEqual(snap.provedEmptyFiles, []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
