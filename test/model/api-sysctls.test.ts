/** The typed sysctl API (R1-R8): parseSysctl, and new Netns({ sysctls }). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Netns, parseSysctl } from '../../src/model/index.js';

test('R1 parseSysctl reads the port range from text or as a pair, typed', () => {
  assert.deepEqual(parseSysctl('net.ipv4.ip_local_port_range', '40000 40009'), {
    ok: true,
    name: 'net.ipv4.ip_local_port_range',
    value: [40000, 40009],
  });
  // The /proc/sys form (a tab) and a typed pair give the same value; short names are accepted.
  const tab = parseSysctl('ip_local_port_range', '40000\t40009');
  const pair = parseSysctl('net.ipv4.ip_local_port_range', [40000, 40009]);
  assert.ok(tab.ok && pair.ok);
  assert.deepEqual(
    [tab.name, tab.value, pair.value],
    ['net.ipv4.ip_local_port_range', [40000, 40009], [40000, 40009]],
  );
});

test('R1 parseSysctl refuses what the kernel refuses, with its errno and a reason', () => {
  const cases: [string, string | number | readonly number[], string][] = [
    ['net.ipv4.ip_local_port_range', [40009, 40000], 'high end is below the low end'],
    ['net.ipv4.ip_local_port_range', '0 100', '1..65535'],
    ['net.ipv4.ip_local_port_range', '40000', 'two integers'],
    ['net.ipv4.ip_local_port_range', [1.5, 3], 'two integers'],
  ];
  for (const [name, value, why] of cases) {
    const r = parseSysctl(name, value);
    assert.ok(!r.ok, `${name} = ${String(value)}`);
    assert.equal(r.errno, 'EINVAL');
    assert.equal(r.rule, 'R1');
    assert.match(r.reason, new RegExp(why.replace(/\./g, '\\.')));
  }
  const unknown = parseSysctl('net.ipv4.tcp_fastopen', '1');
  assert.ok(!unknown.ok);
  assert.deepEqual([unknown.errno, unknown.rule], ['ENOENT', 'R1']);
});

test('R2 parseSysctl reads reserved ports as a sorted list, from text or an array', () => {
  const text = parseSysctl('net.ipv4.ip_local_reserved_ports', '40005,40000-40002');
  assert.ok(text.ok);
  assert.deepEqual(text.value, [40000, 40001, 40002, 40005]);
  const list = parseSysctl('net.ipv4.ip_local_reserved_ports', [40005, 40000]);
  assert.ok(list.ok);
  assert.deepEqual(list.value, [40000, 40005]);
  const bad = parseSysctl('net.ipv4.ip_local_reserved_ports', '40002-40000');
  assert.ok(!bad.ok);
  assert.deepEqual([bad.errno, bad.rule], ['EINVAL', 'R2']);
});

test('R3-R8 parseSysctl types the integer sysctls and keeps their bounds', () => {
  const ok: [string, string | number, number][] = [
    ['net.ipv4.tcp_tw_reuse', 1, 1],
    ['net.ipv4.tcp_tw_reuse_delay', '250', 250],
    ['net.ipv4.ip_unprivileged_port_start', 0, 0],
    ['net.ipv6.bindv6only', '1', 1],
  ];
  for (const [name, value, want] of ok) {
    const r = parseSysctl(name, value);
    assert.ok(r.ok, name);
    assert.equal(r.value, want);
  }
  const refused: [string, string | number, string][] = [
    ['net.ipv4.tcp_tw_reuse', 3, 'R4'],
    ['net.ipv4.tcp_tw_reuse_delay', 0, 'R4'],
    ['net.ipv4.tcp_tw_reuse_delay', 60001, 'R4'],
    ['net.ipv4.ip_unprivileged_port_start', 65536, 'R3'],
    ['net.ipv6.bindv6only', 2, 'R8'],
    ['net.ipv4.ip_nonlocal_bind', -1, 'R7'],
  ];
  for (const [name, value, rule] of refused) {
    const r = parseSysctl(name, value);
    assert.ok(!r.ok, `${name} = ${value}`);
    assert.deepEqual([r.errno, r.rule], ['EINVAL', rule]);
  }
});

test('R1 new Netns({ sysctls }) sets typed and text values, read back as /proc/sys prints them', () => {
  const ns = new Netns({
    sysctls: {
      'net.ipv4.ip_local_port_range': [40000, 40009],
      'net.ipv4.ip_local_reserved_ports': '40002,40004-40005',
      'net.ipv4.tcp_tw_reuse': 1,
    },
  });
  assert.deepEqual(ns.readSysctl('net.ipv4.ip_local_port_range'), { ok: true, value: '40000\t40009' });
  assert.deepEqual(ns.readSysctl('net.ipv4.ip_local_reserved_ports'), {
    ok: true,
    value: '40002,40004-40005',
  });
  assert.deepEqual(ns.readSysctl('net.ipv4.tcp_tw_reuse'), { ok: true, value: '1' });
  assert.deepEqual(ns.inspect().reserved, [40002, 40004, 40005]);
});

test('R1/R3 new Netns({ sysctls }): the range and ip_unprivileged_port_start work in either order', () => {
  // A range below 1024 needs ip_unprivileged_port_start lowered first (R1); listed the other way
  // round, the range is refused once and applied after it.
  const ns = new Netns({
    sysctls: { 'net.ipv4.ip_local_port_range': [500, 600], 'net.ipv4.ip_unprivileged_port_start': 400 },
  });
  assert.deepEqual(ns.inspect().portRange, [500, 600]);
  assert.deepEqual(ns.readSysctl('ip_unprivileged_port_start'), { ok: true, value: '400' });
});

test('R1 new Netns({ sysctls }) throws a RangeError naming a value the kernel refuses', () => {
  assert.throws(
    () => new Netns({ sysctls: { 'net.ipv4.ip_local_port_range': [500, 600] } }),
    (e: unknown) =>
      e instanceof RangeError &&
      /net\.ipv4\.ip_local_port_range/.test(e.message) &&
      /ip_unprivileged_port_start/.test(e.message),
  );
  assert.throws(() => new Netns({ sysctls: { 'net.ipv4.tcp_tw_reuse': 7 as 0 } }), /tcp_tw_reuse.*EINVAL/);
});

test('R4 new Netns({ sysctls }) respects the profile: linux-4.1 has no tcp_tw_reuse_delay', () => {
  assert.throws(
    () => new Netns({ profile: 'linux-4.1', sysctls: { 'net.ipv4.tcp_tw_reuse_delay': 100 } }),
    /tcp_tw_reuse_delay/,
  );
});
