/**
 * The wire format without a kernel: Call -> request line, response line -> Outcome, and the
 * process edge (hung, garbled or failing helpers) with small stand-in scripts. Runs anywhere.
 */
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { isKernelError } from '../../src/kernel/errors.js';
import { KernelBackend } from '../../src/kernel/kernel-backend.js';
import { decodeOutcome, encodeCall } from '../../src/kernel/protocol.js';

const opts = { connectTimeoutMs: 2000, acceptWaitMs: 100 };

test('encodeCall: one line per Call, in the helper grammar', () => {
  const lines = [
    encodeCall({ op: 'sysctl', name: 'net.ipv4.ip_local_port_range', value: '40000 40001' }, opts).line,
    encodeCall({ op: 'addr', cidr: '10.0.0.1/24' }, opts).line,
    encodeCall({ op: 'uid', uid: 65534 }, opts).line,
    encodeCall({ op: 'socket', name: 'c1', kind: 'tcp6' }, opts).line,
    encodeCall({ op: 'setsockopt', sock: 'c1', opt: 'IP_LOCAL_PORT_RANGE', value: [40000, 40009] }, opts)
      .line,
    encodeCall({ op: 'setsockopt', sock: 'c1', opt: 'SO_REUSEPORT', value: 1 }, opts).line,
    encodeCall({ op: 'bind', sock: 'c1', addr: '[::ffff:127.0.0.1]', port: 0 }, opts).line,
    encodeCall({ op: 'listen', sock: 'c1', backlog: 16 }, opts).line,
    encodeCall({ op: 'connect', sock: 'c1', addr: '::1', port: 80 }, opts).line,
    encodeCall({ op: 'accept', sock: 'L', name: 'a1' }, opts).line,
    encodeCall({ op: 'close', sock: 'c1', rst: true }, opts).line,
    encodeCall({ op: 'getsockname', sock: 'c1' }, opts).line,
    encodeCall({ op: 'sleep', ms: 1.2 }, opts).line,
  ];
  assert.deepEqual(lines, [
    'sysctl net.ipv4.ip_local_port_range 40000 40001',
    'addr 10.0.0.1/24',
    'uid 65534',
    'socket c1 tcp6',
    'setsockopt c1 IP_LOCAL_PORT_RANGE 40000 40009',
    'setsockopt c1 SO_REUSEPORT 1',
    'bind c1 ::ffff:127.0.0.1 0',
    'listen c1 16',
    'connect c1 ::1 80 2000',
    'accept L a1 100',
    'close c1 1',
    'getsockname c1',
    'sleep 2',
  ]);
});

test('encodeCall: route local with and without src (issue 10)', () => {
  assert.equal(encodeCall({ op: 'route', cidr: '198.51.100.0/24' }, opts).line, 'route 198.51.100.0/24');
  assert.equal(
    encodeCall({ op: 'route', cidr: '2001:db8::/64', src: '::1' }, opts).line,
    'route 2001:db8::/64 ::1',
  );
  assert.equal(
    encodeCall({ op: 'setsockopt', sock: 'c1', opt: 'IPV6_FREEBIND', value: 1 }, opts).line,
    'setsockopt c1 IPV6_FREEBIND 1',
  );
  assert.throws(
    () => encodeCall({ op: 'route', cidr: '198.51.100.0/24', src: '127.0.0.1 x' }, opts),
    (e) => isKernelError(e, 'PORTSPACE_KERNEL_BAD_CALL'),
  );
});

test('encodeCall refuses what the line format cannot carry', () => {
  const refused = (f: () => unknown) =>
    assert.throws(f, (e) => isKernelError(e, 'PORTSPACE_KERNEL_BAD_CALL'));
  refused(() => encodeCall({ op: 'socket', name: 'a b', kind: 'tcp4' }, opts));
  refused(() => encodeCall({ op: 'socket', name: 'x'.repeat(64), kind: 'tcp4' }, opts));
  refused(() => encodeCall({ op: 'sysctl', name: 'kernel.hostname', value: 'x' }, opts));
  refused(() => encodeCall({ op: 'sysctl', name: 'net.ipv4.x', value: '1\nsocket a tcp4' }, opts));
  refused(() => encodeCall({ op: 'bind', sock: 'a', addr: '127.0.0.1', port: 65536 }, opts));
  refused(() => encodeCall({ op: 'sleep', ms: -1 }, opts));
});

test('decodeOutcome: results, errnos, faults and garbage', () => {
  assert.deepEqual(decodeOutcome('x', '{"ok":true,"port":40000,"addr":"127.0.0.1"}'), {
    ok: true,
    port: 40000,
    addr: '127.0.0.1',
  });
  assert.deepEqual(decodeOutcome('x', '{"ok":true,"peer":{"addr":"::1","port":5}}'), {
    ok: true,
    peer: { addr: '::1', port: 5 },
  });
  assert.deepEqual(decodeOutcome('x', '{"ok":true}'), { ok: true });
  assert.deepEqual(decodeOutcome('x', '{"ok":false,"errno":"EADDRINUSE"}'), {
    ok: false,
    errno: 'EADDRINUSE',
  });
  assert.deepEqual(decodeOutcome('x', '{"ok":false,"errno":"E134"}'), { ok: false, errno: 'E134' });
  assert.throws(
    () => decodeOutcome('x', '{"ok":false,"fault":"no"}'),
    (e) => isKernelError(e, 'PORTSPACE_KERNEL_BAD_CALL'),
  );
  for (const bad of ['nope', '[]', '{"ok":1}', '{"ok":true,"port":70000}', '{"ok":false}']) {
    assert.throws(
      () => decodeOutcome('x', bad),
      (e) => isKernelError(e, 'PORTSPACE_KERNEL_PROTOCOL'),
      bad,
    );
  }
});

// Stand-in helpers: shell scripts that misbehave in one way each.
const dir = mkdtempSync(join(tmpdir(), 'portspace-fake-helper-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function fake(name: string, body: string): string {
  const path = join(dir, name);
  writeFileSync(path, `#!/bin/sh\n${body}\n`);
  chmodSync(path, 0o755);
  return path;
}

test('a helper that never answers is killed and reported as PORTSPACE_KERNEL_TIMEOUT', async () => {
  const helperPath = fake('hang.sh', `echo '{"ok":true,"ready":true}'\nexec sleep 30`);
  const k = await KernelBackend.start({ helperPath, answerTimeoutMs: 200 });
  const t0 = Date.now();
  await assert.rejects(k.exec({ op: 'uid', uid: 0 }), (e) => isKernelError(e, 'PORTSPACE_KERNEL_TIMEOUT'));
  assert.ok(Date.now() - t0 < 3000);
  // The backend is dead from then on, and close() is still fine.
  await assert.rejects(k.exec({ op: 'uid', uid: 0 }), (e) => isKernelError(e, 'PORTSPACE_KERNEL_TIMEOUT'));
  await k.close();
});

test('garbage from the helper is PORTSPACE_KERNEL_PROTOCOL', async () => {
  const helperPath = fake(
    'garbage.sh',
    `echo '{"ok":true,"ready":true}'\nread x\necho 'hello'\nexec sleep 30`,
  );
  const k = await KernelBackend.start({ helperPath });
  await assert.rejects(k.exec({ op: 'uid', uid: 0 }), (e) => isKernelError(e, 'PORTSPACE_KERNEL_PROTOCOL'));
  // Out of step: the helper was killed, and later calls fail the same way.
  await assert.rejects(k.exec({ op: 'uid', uid: 0 }), (e) => isKernelError(e, 'PORTSPACE_KERNEL_PROTOCOL'));
  await k.close();
});

test('a helper that cannot make its namespace is PORTSPACE_KERNEL_UNAVAILABLE, with its reason', async () => {
  const refuse = fake(
    'refuse.sh',
    `echo '{"ok":false,"errno":"EPERM","detail":"unshare(CLONE_NEWNET) failed"}'`,
  );
  await assert.rejects(
    KernelBackend.start({ helperPath: refuse }),
    (e) => isKernelError(e, 'PORTSPACE_KERNEL_UNAVAILABLE') && /EPERM unshare/.test(e.message),
  );
  const die = fake('die.sh', `echo 'cannot start' >&2\nexit 3`);
  await assert.rejects(
    KernelBackend.start({ helperPath: die }),
    (e) => isKernelError(e, 'PORTSPACE_KERNEL_UNAVAILABLE') && /cannot start/.test(e.message),
  );
  await assert.rejects(KernelBackend.start({ helperPath: join(dir, 'missing') }), (e) =>
    isKernelError(e, 'PORTSPACE_KERNEL_UNAVAILABLE'),
  );
});

test('a helper that exits mid-run is PORTSPACE_KERNEL_HELPER_EXITED', async () => {
  const helperPath = fake('exit.sh', `echo '{"ok":true,"ready":true}'\nread x\necho 'bye' >&2\nexit 1`);
  const k = await KernelBackend.start({ helperPath });
  await assert.rejects(
    k.exec({ op: 'uid', uid: 0 }),
    (e) => isKernelError(e, 'PORTSPACE_KERNEL_HELPER_EXITED') && /bye/.test(e.message),
  );
  await k.close();
});

test('R94 R80 encodeCall/decodeOutcome: sendto, disconnect and the delivery probe', () => {
  assert.equal(
    encodeCall({ op: 'sendto', sock: 'u', addr: '[::1]', port: 5000 }, opts).line,
    'sendto u ::1 5000',
  );
  assert.equal(encodeCall({ op: 'disconnect', sock: 'u' }, opts).line, 'disconnect u');
  const d = encodeCall(
    {
      op: 'deliver',
      proto: 'udp',
      from: { addr: '127.0.0.2', port: 50000 },
      to: { addr: '127.0.0.1', port: 6000 },
    },
    opts,
  );
  assert.equal(d.line, 'deliver udp 127.0.0.2 50000 127.0.0.1 6000 2000');
  assert.equal(d.extraMs, 2000, 'the probe may wait as long as a connect');
  assert.deepEqual(decodeOutcome(d.line, '{"ok":true,"member":"g2"}'), { ok: true, member: 'g2' });
  assert.deepEqual(decodeOutcome(d.line, '{"ok":false,"errno":"ECONNREFUSED"}'), {
    ok: false,
    errno: 'ECONNREFUSED',
  });
  assert.throws(() => decodeOutcome(d.line, '{"ok":true,"member":7}'), /PORTSPACE_KERNEL_PROTOCOL|member/);
});

test('getsockopt and setsockopt with an option length: request lines and the optval field', () => {
  assert.equal(
    encodeCall({ op: 'getsockopt', sock: 'c', opt: 'IP_LOCAL_PORT_RANGE' }, opts).line,
    'getsockopt c IP_LOCAL_PORT_RANGE',
  );
  assert.equal(
    encodeCall({ op: 'setsockopt', sock: 'c', opt: 'SO_REUSEADDR', value: 4294967296, optlen: 8 }, opts).line,
    'setsockoptlen c SO_REUSEADDR 8 4294967296',
  );
  // R70: the pair goes as one u32, hi << 16 | lo (40010 * 65536 + 40000 = 2622135360).
  assert.equal(
    encodeCall(
      { op: 'setsockopt', sock: 'c', opt: 'IP_LOCAL_PORT_RANGE', value: [40000, 40010], optlen: 2 },
      opts,
    ).line,
    'setsockoptlen c IP_LOCAL_PORT_RANGE 2 2622135360',
  );
  assert.throws(
    () => encodeCall({ op: 'setsockopt', sock: 'c', opt: 'SO_REUSEADDR', value: 1, optlen: 65 }, opts),
    (e) => isKernelError(e, 'PORTSPACE_KERNEL_BAD_CALL'),
  );
  assert.deepEqual(decodeOutcome('g', '{"ok":true,"optval":1}'), { ok: true, optval: 1 });
  assert.deepEqual(decodeOutcome('g', '{"ok":true,"optval":[40000,0]}'), { ok: true, optval: [40000, 0] });
  for (const bad of ['{"ok":true,"optval":"1"}', '{"ok":true,"optval":[1]}', '{"ok":true,"optval":[1,"x"]}'])
    assert.throws(
      () => decodeOutcome('g', bad),
      (e) => isKernelError(e, 'PORTSPACE_KERNEL_PROTOCOL'),
      bad,
    );
});
