// createConnector's options: port ranges (default outside ip_local_port_range, R1/R12),
// reserved ports (R2), shards, and clear PORTSPACE_BAD_OPTION errors for bad input.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isConnectorError } from '../../src/connector/index.js';
import {
  candidatePorts,
  checkShard,
  defaultPortRanges,
  parsePortRanges,
  parseSources,
} from '../../src/connector/options.js';
import { exhaustedReason } from '../../src/connector/reason.js';

const bad = (f: () => unknown, re: RegExp) =>
  assert.throws(f, (e: unknown) => isConnectorError(e, 'PORTSPACE_BAD_OPTION') && re.test(e.message));

test('R1/R12: the default ports are those outside ip_local_port_range, from ip_unprivileged_port_start (>= 1024)', () => {
  assert.deepEqual(defaultPortRanges([32768, 60999], 1024), [
    [1024, 32767],
    [61000, 65535],
  ]);
  assert.deepEqual(defaultPortRanges([1024, 65535], 1024), []);
  assert.deepEqual(defaultPortRanges([32768, 60999], 2000), [
    [2000, 32767],
    [61000, 65535],
  ]);
});

test('ports: strings and arrays, merged and sorted; bad ranges named', () => {
  assert.deepEqual(parsePortRanges('30000-30009, 20000-20009,20005-20019'), [
    [20000, 20019],
    [30000, 30009],
  ]);
  assert.deepEqual(parsePortRanges([[5, 5]]), [[5, 5]]);
  bad(() => parsePortRanges('20000-'), /ports: '20000-'/);
  bad(() => parsePortRanges([[10, 5]]), /1 <= lo <= hi <= 65535/);
  bad(() => parsePortRanges([[0, 5]]), /1 <= lo/);
});

test('R2 and shards: reserved ports are left out; each shard owns a contiguous slice, all together exactly once', () => {
  const all = candidatePorts([[100, 109]], new Set([103]), undefined);
  assert.deepEqual([...all], [100, 101, 102, 104, 105, 106, 107, 108, 109]);
  const slices = [0, 1, 2].map((index) => [
    ...candidatePorts([[100, 109]], new Set([103]), { index, count: 3 }),
  ]);
  assert.deepEqual(slices, [
    [100, 101, 102],
    [104, 105, 106],
    [107, 108, 109],
  ]);
  assert.deepEqual(checkShard({ index: 1, count: 2 }), { index: 1, count: 2 });
  bad(() => checkShard({ index: 2, count: 2 }), /0 <= index < count/);
});

test('sources: IPv4 and IPv6, canonical; wildcard, mapped, duplicates and junk refused', () => {
  assert.deepEqual(parseSources(['10.0.0.1', '2001:DB8::1']), [
    { text: '10.0.0.1', family: 4 },
    { text: '2001:db8::1', family: 6 },
  ]);
  bad(() => parseSources([]), /at least one/);
  bad(() => parseSources(['0.0.0.0']), /not a unicast/);
  bad(() => parseSources(['::ffff:10.0.0.1']), /v4-mapped/);
  bad(() => parseSources(['10.0.0.1', '10.0.0.1']), /listed twice/);
  bad(() => parseSources(['example.com']), /not a unicast/);
});

test('exhausted reason: one clause per source, the rule that decides (R14, R63, R23)', () => {
  const row = {
    source: '127.0.0.2',
    free: 0,
    capacity: 31744,
    inUse: 31500,
    timeWait: 244,
    onHold: 0,
    bindHeld: null,
  };
  const ctx = { strategy: 'userspace' as const, timestamps: 1, hostRange: [32768, 60999] as const };
  assert.deepEqual(exhaustedReason('10.1.1.1', 5432, [row], ctx), {
    text: '127.0.0.2 -> 10.1.1.1:5432: 0 of 31,744 ports free; 31,500 in use, 244 in TIME_WAIT',
    rule: 'R14',
  });
  const noTs = exhaustedReason('10.1.1.1', 5432, [row], { ...ctx, timestamps: 0 });
  assert.equal(noTs.rule, 'R63');
  assert.match(noTs.text, /244 in TIME_WAIT without timestamps/);
  const bind = exhaustedReason('2001:db8::9', 443, [{ ...row, bindHeld: 28232, inUse: 12 }], {
    ...ctx,
    strategy: 'bind',
  });
  assert.equal(bind.rule, 'R23');
  assert.match(
    bind.text,
    /-> \[2001:db8::9\]:443: 0 of 31,744 ports free; 28,232 held by bind\(127\.0\.0\.2, 0\)/,
  );
});
