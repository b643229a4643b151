/**
 * The random generator's local routes and FREEBIND (issue 10; src/fuzz/random-routes.ts): they
 * appear in the scripts, and the generator keeps its promises (no IPv6 route address without an
 * IPv6 route, no connect from a route address to a remote host).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { steerConnect } from '../../src/fuzz/random-routes.js';
import { planArb, planToText } from '../../src/fuzz/random-scripts.js';

const isRemote = (a: string) => a.startsWith('10.') || a.startsWith('fd00:') || a.startsWith('::ffff:10.');

test('random scripts add IPv4 and IPv6 local routes (some halfway through), FREEBIND, and use their addresses', () => {
  const texts = fc.sample(planArb, { seed: 42, numRuns: 300 }).map((p) => ({ p, t: planToText(p, 't') }));
  const count = (re: RegExp) => texts.filter(({ t }) => re.test(t)).length;
  // About a third of the plans get an IPv4 route, a fifth an IPv6 one (random-routes.ts).
  assert.ok(count(/^route local 198\.51\.100\.0\/24/m) > 60, 'IPv4 routes');
  assert.ok(count(/^route local 2001:db8::\/64/m) > 30, 'IPv6 routes');
  assert.ok(
    count(/^route local 198\.51\.100\.0\/24 src 198\.51\.100\.1$/m) > 5,
    'a src that is not local (EINVAL)',
  );
  assert.ok(count(/^route local 198\.51\.100\.0\/24 src 10\.0\.0\.1$/m) > 5, 'the prefix address as src');
  const late = texts.filter(({ t }) => /socket\([^)]*\)[\s\S]*\nroute local 198/.test(t)).length;
  assert.ok(late > 10, `IPv4 routes added after the first socket: ${late}`);
  assert.ok(count(/IP_FREEBIND, 1\)/) > 50, 'IP_FREEBIND');
  assert.ok(count(/IPV6_FREEBIND/) > 20, 'IPV6_FREEBIND');
  assert.ok(count(/bind\([^,]+, (\[::ffff:)?198\.51\.100\./) > 20, 'binds inside the IPv4 prefix');
  assert.ok(count(/connect\([^,]+, \[?(::ffff:)?198\.51\.100\./) > 40, 'connects into the IPv4 prefix');
  for (const { p, t } of texts) {
    if (p.routes.v6 === null)
      assert.doesNotMatch(t, /2001:db8/, 'an IPv6 route address without an IPv6 route');
  }
});

test('random scripts never connect from a route address to a remote host (the rig cannot answer)', () => {
  for (const p of fc.sample(planArb, { seed: 43, numRuns: 300 })) {
    const t = planToText(p, 't');
    const bound = new Map<string, string>();
    for (const line of t.split('\n')) {
      const b = /^\s*bind\((\w+), \[?([^\]]+?)\]?:\d+\)/.exec(line);
      if (b?.[1] && b[2] && !bound.has(b[1])) bound.set(b[1], b[2]);
      const c = /^\s*connect\((\w+), \[?([^\]]+?)\]?:\d+\)/.exec(line);
      if (!c?.[1] || !c[2]) continue;
      const src = bound.get(c[1]) ?? '';
      if (/198\.51\.100\.|2001:db8:/.test(src)) assert.ok(!isRemote(c[2]), `${line} from ${src}`);
    }
  }
});

test('steerConnect sends a route-bound socket to its prefix instead of a remote host', () => {
  const c = { op: 'connect', sock: 's', addr: '10.0.0.2', port: 80 } as const;
  assert.deepEqual(steerConnect(c, '198.51.100.7', isRemote), { ...c, addr: '198.51.100.9' });
  assert.deepEqual(steerConnect({ ...c, addr: 'fd00::2' }, '2001:db8::7', isRemote), {
    ...c,
    addr: '2001:db8::9',
  });
  assert.deepEqual(steerConnect({ ...c, addr: '::ffff:10.0.0.2' }, '::ffff:198.51.100.7', isRemote), {
    ...c,
    addr: '::ffff:198.51.100.9',
  });
  assert.equal(steerConnect(c, '127.0.0.1', isRemote), c);
  const local = { ...c, addr: '127.0.0.1' };
  assert.equal(steerConnect(local, '198.51.100.7', isRemote), local);
});
