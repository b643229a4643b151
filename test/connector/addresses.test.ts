// Addresses: IPv6 sources, names resolved and matched to the sources' family (Node turns
// Happy Eyeballs off with a source address), clear errors when no family matches, and
// avoidHostSockets keeping away from ports other sockets hold at start (R12, R20, R31).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { inNetns } from './netns.js';

interface AddrRun {
  dualEnds: string[];
  dualView: { kernel: string[]; model: string[] };
  v4: string;
  noFamily: { code: string; message: string; errno: string };
  notFound: { code: string; message: string; errno: string };
  avoided: string[];
  avoidStats: [string, number, number][];
}

test('connector addresses: IPv6, names by family, family errors, avoidHostSockets', async (t) => {
  const r = await inNetns<AddrRun>(t, './addresses-worker.ts', {});
  if (r === null) return;
  // db.test lists fd00::9 first and we have an IPv6 source: IPv6 it is.
  assert.deepEqual(r.dualEnds, ['fd00::1:20000 -> fd00::9:5000', 'fd00::1:20001 -> fd00::9:5000']);
  assert.deepEqual(r.dualView.kernel, r.dualView.model);
  assert.equal(r.dualView.model.length, 2);
  // IPv4 sources only: the IPv4 address of the same name.
  assert.equal(r.v4, '10.0.0.1:20000 -> 10.1.1.1');
  assert.equal(r.noFamily.code, 'PORTSPACE_NO_SOURCE_FOR_FAMILY');
  assert.equal(r.noFamily.errno, 'EAFNOSUPPORT');
  assert.match(
    r.noFamily.message,
    /fd00::9 \(IPv6\), but the sources are IPv4 only \(10\.0\.0\.1\).*Happy Eyeballs/,
  );
  assert.equal(r.notFound.code, 'PORTSPACE_LOOKUP_FAILED');
  assert.equal(r.notFound.errno, 'ENOTFOUND');
  // 20000 (a listener on our source) and 20001 towards :5000 (a connection) were never tried:
  // one kernel attempt each, no collision; 20001 is fine towards :6000 (another 4-tuple).
  assert.deepEqual(r.avoided, ['10.0.0.1:20002 -> 5000', '10.0.0.1:20001 -> 6000']);
  assert.deepEqual(r.avoidStats, [
    ['10.1.1.1:5000', 1, 0],
    ['10.1.1.1:6000', 1, 0],
  ]);
});
