/**
 * The kernel backend against the real kernel, each test in fresh namespaces made by the helper.
 * Skips with the printed reason where kernel runs are impossible (not root, no unshare, ...).
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import type { Call, Outcome } from '../../src/calls/index.js';
import { isKernelError } from '../../src/kernel/errors.js';
import { KernelBackend } from '../../src/kernel/kernel-backend.js';
import { availability, kernelTest } from './kernel-test.js';

async function run(k: KernelBackend, calls: readonly Call[]): Promise<Outcome[]> {
  const out: Outcome[] = [];
  for (const c of calls) out.push(await k.exec(c));
  return out;
}

const range = (lo: number, hi: number): Call => ({
  op: 'sysctl',
  name: 'net.ipv4.ip_local_port_range',
  value: `${lo} ${hi}`,
});

/** The port of a successful outcome, else the errno: compact for assertions. */
const short = (o: Outcome): number | string => (o.ok ? (o.port ?? 0) : o.errno);

async function listener(k: KernelBackend, name: string, addr: string, port: number): Promise<void> {
  assert.deepEqual(await k.exec({ op: 'socket', name, kind: addr.includes(':') ? 'tcp6' : 'tcp4' }), {
    ok: true,
  });
  assert.equal(short(await k.exec({ op: 'bind', sock: name, addr, port })), port);
  assert.equal(short(await k.exec({ op: 'listen', sock: name, backlog: 128 })), port);
}

kernelTest(
  'R11: range 40000-40001, connects to one destination give 40000, 40001, EADDRNOTAVAIL',
  async (k) => {
    assert.deepEqual(await k.exec(range(40000, 40001)), { ok: true });
    await listener(k, 'L', '127.0.0.1', 5001);
    const got: (number | string)[] = [];
    for (const name of ['c1', 'c2', 'c3']) {
      await k.exec({ op: 'socket', name, kind: 'tcp4' });
      got.push(short(await k.exec({ op: 'connect', sock: name, addr: '127.0.0.1', port: 5001 })));
    }
    assert.deepEqual(got, [40000, 40001, 'EADDRNOTAVAIL']);
    assert.deepEqual(await k.exec({ op: 'getsockname', sock: 'c1' }), {
      ok: true,
      port: 40000,
      addr: '127.0.0.1',
    });
  },
);

kernelTest('R40: bind(127.0.0.1, 0) on range 40000-40001 gives 40001, 40000, EADDRINUSE', async (k) => {
  await k.exec(range(40000, 40001));
  const got: (number | string)[] = [];
  for (const name of ['b1', 'b2', 'b3']) {
    await k.exec({ op: 'socket', name, kind: 'tcp4' });
    got.push(short(await k.exec({ op: 'bind', sock: name, addr: '127.0.0.1', port: 0 })));
  }
  assert.deepEqual(got, [40001, 40000, 'EADDRINUSE']);
});

kernelTest('R1: invalid ip_local_port_range writes give EINVAL; an unknown sysctl ENOENT', async (k) => {
  const out = await run(k, [
    range(0, 100),
    range(40001, 40000),
    range(1, 65536),
    range(40000, 40000),
    { op: 'sysctl', name: 'net.ipv4.no_such_knob', value: '1' },
  ]);
  assert.deepEqual(out.map(short), ['EINVAL', 'EINVAL', 'EINVAL', 0, 'ENOENT']);
});

kernelTest('R3: uid 65534 cannot bind port 80 (EACCES) but can bind 1024; root can bind 80', async (k) => {
  const out = await run(k, [
    { op: 'uid', uid: 65534 },
    { op: 'socket', name: 'a', kind: 'tcp4' },
    { op: 'bind', sock: 'a', addr: '0.0.0.0', port: 80 },
    { op: 'socket', name: 'u', kind: 'udp6' },
    { op: 'bind', sock: 'u', addr: '::', port: 1023 },
    { op: 'bind', sock: 'a', addr: '0.0.0.0', port: 1024 },
    { op: 'uid', uid: 0 },
    { op: 'socket', name: 'b', kind: 'tcp4' },
    { op: 'bind', sock: 'b', addr: '0.0.0.0', port: 80 },
  ]);
  assert.deepEqual(out.map(short), [0, 0, 'EACCES', 0, 'EACCES', 1024, 0, 0, 80]);
});

kernelTest('accept returns the peer; EAGAIN when nothing is pending; v4-mapped and ::1 work', async (k) => {
  await k.exec(range(40000, 40009));
  await listener(k, 'L', '::', 5001);
  await k.exec({ op: 'socket', name: 'c', kind: 'tcp4' });
  const c = await k.exec({ op: 'connect', sock: 'c', addr: '127.0.0.1', port: 5001 });
  assert.ok(c.ok && c.port !== undefined);
  assert.deepEqual(await k.exec({ op: 'accept', sock: 'L', name: 'a' }), {
    ok: true,
    peer: { addr: '::ffff:127.0.0.1', port: c.port },
  });
  assert.deepEqual(await k.exec({ op: 'accept', sock: 'L', name: 'a2' }), { ok: false, errno: 'EAGAIN' });
  await k.exec({ op: 'socket', name: 'm', kind: 'tcp6' });
  const m = await k.exec({ op: 'connect', sock: 'm', addr: '::ffff:127.0.0.1', port: 5001 });
  assert.ok(m.ok && m.addr === '::ffff:127.0.0.1');
  await k.exec({ op: 'socket', name: 's', kind: 'tcp6' });
  const s = await k.exec({ op: 'connect', sock: 's', addr: '::1', port: 5001 });
  assert.ok(s.ok && s.addr === '::1');
  // A refused connect is the kernel's answer, not a harness error.
  await k.exec({ op: 'socket', name: 'r', kind: 'tcp4' });
  assert.deepEqual(await k.exec({ op: 'connect', sock: 'r', addr: '127.0.0.1', port: 1 }), {
    ok: false,
    errno: 'ECONNREFUSED',
  });
});

kernelTest('UDP connect takes a port from the range and the route source address', async (k) => {
  await k.exec(range(40000, 40001));
  const out = await run(k, [
    { op: 'socket', name: 'u4', kind: 'udp4' },
    { op: 'connect', sock: 'u4', addr: '127.0.0.1', port: 9 },
    { op: 'socket', name: 'u6', kind: 'udp6' },
    { op: 'connect', sock: 'u6', addr: '::1', port: 9 },
  ]);
  const u4 = out[1];
  const u6 = out[3];
  assert.ok(
    u4?.ok && u4.addr === '127.0.0.1' && (u4.port === 40000 || u4.port === 40001),
    JSON.stringify(u4),
  );
  assert.ok(u6?.ok && u6.addr === '::1' && (u6.port === 40000 || u6.port === 40001), JSON.stringify(u6));
});

kernelTest(
  'R61: close with rst leaves no TIME_WAIT; a plain close by the first closer does (R60)',
  async (k) => {
    await listener(k, 'L', '127.0.0.1', 5001);
    await run(k, [
      { op: 'socket', name: 'a', kind: 'tcp4' },
      { op: 'bind', sock: 'a', addr: '127.0.0.1', port: 40000 },
      { op: 'connect', sock: 'a', addr: '127.0.0.1', port: 5001 },
      { op: 'accept', sock: 'L', name: 'sa' },
      { op: 'close', sock: 'a', rst: true },
      { op: 'socket', name: 'b', kind: 'tcp4' },
    ]);
    assert.equal(short(await k.exec({ op: 'bind', sock: 'b', addr: '127.0.0.1', port: 40000 })), 40000);
    assert.equal((await k.stats()).tcp.tw, 0);
    await run(k, [
      { op: 'connect', sock: 'b', addr: '127.0.0.1', port: 5001 },
      { op: 'accept', sock: 'L', name: 'sb' },
      { op: 'close', sock: 'b', rst: false },
      { op: 'close', sock: 'sb', rst: false },
      { op: 'sleep', ms: 20 },
    ]);
    assert.equal((await k.stats()).tcp.tw, 1);
    await k.exec({ op: 'socket', name: 'c', kind: 'tcp4' });
    assert.deepEqual(await k.exec({ op: 'bind', sock: 'c', addr: '127.0.0.1', port: 40000 }), {
      ok: false,
      errno: 'EADDRINUSE',
    });
  },
);

kernelTest(
  'addr prefix: remote hosts accept, close on EOF, and leave our side in TIME_WAIT (R60, R62)',
  async (k) => {
    const out = await run(k, [
      { op: 'addr', cidr: '10.0.0.1/24' },
      { op: 'addr', cidr: 'fd00::1/64' },
      range(40000, 40000),
      { op: 'socket', name: 'c', kind: 'tcp4' },
      { op: 'connect', sock: 'c', addr: '10.0.0.2', port: 5001 },
    ]);
    assert.deepEqual(out[4], { ok: true, port: 40000, addr: '10.0.0.1' });
    const before = await k.stats();
    assert.equal(before.remote?.conns, 1);
    await k.exec({ op: 'close', sock: 'c', rst: false });
    await k.exec({ op: 'sleep', ms: 50 });
    const after = await k.stats();
    assert.equal(after.remote?.conns, 0, 'the remote side closed when it read EOF');
    assert.equal(after.tcp.tw, 1, 'our side, the first closer, is in TIME_WAIT');
    const again = await run(k, [
      { op: 'socket', name: 'd', kind: 'tcp4' },
      // R62: tcp_tw_reuse=2 never recycles a non-loopback TIME_WAIT; another destination is fine.
      { op: 'connect', sock: 'd', addr: '10.0.0.2', port: 5001 },
      { op: 'connect', sock: 'd', addr: '10.0.0.2', port: 5002 },
      { op: 'socket', name: 'e', kind: 'tcp6' },
      { op: 'connect', sock: 'e', addr: 'fd00::99', port: 443 },
      { op: 'socket', name: 'f', kind: 'tcp6' },
      { op: 'connect', sock: 'f', addr: '::ffff:10.0.0.77', port: 443 },
    ]);
    assert.deepEqual(again.map(short), [0, 'EADDRNOTAVAIL', 40000, 0, 40000, 0, 40000]);
    assert.deepEqual(again[4], { ok: true, port: 40000, addr: 'fd00::1' });
    assert.equal((await k.stats()).remote?.conns, 3);
  },
);

kernelTest(
  'R62 over the veth: with tcp_tw_reuse=1 the remote TIME_WAIT carries timestamps and is recycled',
  async (k) => {
    const out = await run(k, [
      { op: 'addr', cidr: '10.9.0.1/16' },
      range(40000, 40000),
      { op: 'sysctl', name: 'net.ipv4.tcp_tw_reuse', value: '1' },
      { op: 'sysctl', name: 'net.ipv4.tcp_tw_reuse_delay', value: '100' },
      { op: 'socket', name: 'c', kind: 'tcp4' },
      { op: 'connect', sock: 'c', addr: '10.9.3.4', port: 80 },
      { op: 'close', sock: 'c', rst: false },
      { op: 'sleep', ms: 20 },
      { op: 'socket', name: 'd', kind: 'tcp4' },
      { op: 'connect', sock: 'd', addr: '10.9.3.4', port: 80 },
      { op: 'sleep', ms: 150 },
      { op: 'connect', sock: 'd', addr: '10.9.3.4', port: 80 },
    ]);
    assert.deepEqual(out.slice(5).map(short), [40000, 0, 0, 0, 'EADDRNOTAVAIL', 0, 40000]);
  },
);

kernelTest('a host address (/32) is local on lo, as in the experiments', async (k) => {
  const out = await run(k, [
    { op: 'addr', cidr: '10.1.1.1/32' },
    { op: 'socket', name: 'a', kind: 'tcp4' },
    { op: 'bind', sock: 'a', addr: '10.1.1.1', port: 5000 },
    { op: 'socket', name: 'b', kind: 'tcp4' },
    { op: 'bind', sock: 'b', addr: '10.1.1.2', port: 5000 },
    { op: 'addr', cidr: '10.1.1.1/32' },
  ]);
  assert.deepEqual(out.map(short), [0, 0, 5000, 0, 'EADDRNOTAVAIL', 'EEXIST']);
});

kernelTest('route local: a prefix of lo with a preferred source; its errors (issue 10)', async (k) => {
  await listener(k, 'L', '0.0.0.0', 5001);
  const out = await run(k, [
    { op: 'route', cidr: '198.51.100.0/24', src: '127.0.0.1' },
    { op: 'route', cidr: '198.51.100.0/24' },
    { op: 'route', cidr: '203.0.113.0/24', src: '203.0.113.1' },
    { op: 'route', cidr: '2001:db8::/64', src: '::1' },
    { op: 'socket', name: 'c', kind: 'tcp4' },
    { op: 'connect', sock: 'c', addr: '198.51.100.7', port: 5001 },
    { op: 'socket', name: 'f', kind: 'tcp4' },
    { op: 'setsockopt', sock: 'f', opt: 'IP_FREEBIND', value: 1 },
    { op: 'bind', sock: 'f', addr: '10.9.9.9', port: 0 },
    { op: 'connect', sock: 'f', addr: '127.0.0.1', port: 5001 },
  ]);
  assert.deepEqual(out.slice(0, 4).map(short), [0, 'EEXIST', 'EINVAL', 0]);
  const c = out[5];
  assert.ok(c?.ok && c.addr === '127.0.0.1', JSON.stringify(c));
  const f = out[8];
  assert.ok(f?.ok && f.addr === '10.9.9.9', JSON.stringify(f));
  assert.equal(short(out[9] ?? { ok: true }), 'ENETUNREACH');
});

kernelTest('socket options reach the kernel: LPR (R70), NOPORT (R22), SO_LINGER, V6ONLY', async (k) => {
  await listener(k, 'L', '127.0.0.1', 5001);
  const out = await run(k, [
    { op: 'socket', name: 'a', kind: 'tcp4' },
    { op: 'setsockopt', sock: 'a', opt: 'IP_LOCAL_PORT_RANGE', value: [45000, 45000] },
    { op: 'connect', sock: 'a', addr: '127.0.0.1', port: 5001 },
    { op: 'socket', name: 'b', kind: 'tcp4' },
    { op: 'setsockopt', sock: 'b', opt: 'IP_BIND_ADDRESS_NO_PORT', value: 1 },
    { op: 'bind', sock: 'b', addr: '127.0.0.1', port: 0 },
    { op: 'setsockopt', sock: 'b', opt: 'SO_LINGER', value: [1, 0] },
    { op: 'socket', name: 'c', kind: 'tcp6' },
    { op: 'setsockopt', sock: 'c', opt: 'IPV6_V6ONLY', value: 1 },
    { op: 'connect', sock: 'c', addr: '::ffff:127.0.0.1', port: 5001 },
    { op: 'setsockopt', sock: 'c', opt: 'SO_REUSEPORT', value: 1 },
    { op: 'setsockopt', sock: 'c', opt: 'SO_REUSEADDR', value: 1 },
  ]);
  assert.deepEqual(out.map(short), [0, 0, 45000, 0, 0, 0, 0, 0, 0, 'ENETUNREACH', 0, 0]);
});

kernelTest(
  'getsockopt, setsockopt with an option length, TCP connect(AF_UNSPEC) reach the kernel',
  async (k) => {
    await listener(k, 'L', '127.0.0.1', 5001);
    const out = await run(k, [
      { op: 'socket', name: 'a', kind: 'tcp4' },
      { op: 'setsockopt', sock: 'a', opt: 'SO_REUSEADDR', value: 1, optlen: 2 },
      { op: 'setsockopt', sock: 'a', opt: 'SO_REUSEADDR', value: 4294967297, optlen: 8 },
      { op: 'getsockopt', sock: 'a', opt: 'SO_REUSEADDR' },
      { op: 'setsockopt', sock: 'a', opt: 'IP_LOCAL_PORT_RANGE', value: [45000, 45001], optlen: 4 },
      { op: 'getsockopt', sock: 'a', opt: 'IP_LOCAL_PORT_RANGE' },
      { op: 'getsockopt', sock: 'a', opt: 'IPV6_V6ONLY' },
      { op: 'connect', sock: 'a', addr: '127.0.0.1', port: 5001 },
      { op: 'disconnect', sock: 'a' },
      { op: 'getsockname', sock: 'a' },
    ]);
    const view = (o: Outcome) => (o.ok && o.optval !== undefined ? o.optval : o.ok ? (o.addr ?? 0) : o.errno);
    assert.deepEqual(out.map(view), [
      0,
      'EINVAL',
      0,
      1,
      0,
      [45000, 45001],
      'EOPNOTSUPP',
      '127.0.0.1',
      0,
      '0.0.0.0',
    ]);
    assert.ok(
      [45000, 45001].includes(short(out[9] as Outcome) as number),
      'getsockname keeps the released port',
    );
  },
);

kernelTest('names: an unknown socket is EBADF; reusing a live name is a harness error', async (k) => {
  assert.deepEqual(await k.exec({ op: 'close', sock: 'nope', rst: false }), { ok: false, errno: 'EBADF' });
  await k.exec({ op: 'socket', name: 'a', kind: 'tcp4' });
  await assert.rejects(k.exec({ op: 'socket', name: 'a', kind: 'tcp4' }), (e) =>
    isKernelError(e, 'PORTSPACE_KERNEL_BAD_CALL'),
  );
  await assert.rejects(k.exec({ op: 'socket', name: 'two words', kind: 'tcp4' }), (e) =>
    isKernelError(e, 'PORTSPACE_KERNEL_BAD_CALL'),
  );
  await assert.rejects(k.exec({ op: 'sysctl', name: 'kernel.hostname', value: 'x' }), (e) =>
    isKernelError(e, 'PORTSPACE_KERNEL_BAD_CALL'),
  );
  // The helper is still in step after refusals.
  await k.exec({ op: 'close', sock: 'a', rst: false });
  assert.deepEqual(await k.exec({ op: 'socket', name: 'a', kind: 'udp4' }), { ok: true });
});

test('two backends in parallel do not see each other', { timeout: 20_000 }, async (t) => {
  if (!availability.ok) {
    t.skip(availability.reason);
    return;
  }
  const [a, b] = await Promise.all([KernelBackend.start(), KernelBackend.start()]);
  try {
    await a.exec(range(40000, 40001));
    const bind = (k: KernelBackend) =>
      run(k, [
        { op: 'socket', name: 's', kind: 'tcp4' },
        { op: 'bind', sock: 's', addr: '127.0.0.1', port: 5001 },
        { op: 'socket', name: 't', kind: 'tcp4' },
        { op: 'bind', sock: 't', addr: '127.0.0.1', port: 0 },
      ]);
    const [oa, ob] = await Promise.all([bind(a), bind(b)]);
    assert.equal(short(oa[1]!), 5001);
    assert.equal(short(ob[1]!), 5001, 'same port in the other namespace');
    assert.ok([40000, 40001].includes(short(oa[3]!) as number));
    const pb = short(ob[3]!) as number;
    assert.ok(pb >= 32768 && pb <= 60999, `b keeps the default range (R1), got ${pb}`);
  } finally {
    await Promise.all([a.close(), b.close()]);
  }
});

/** pid and every descendant, from /proc/<pid>/task/<tid>/children. */
function processTree(pid: number): number[] {
  const out = [pid];
  for (let i = 0; i < out.length && i < 1000; i++) {
    const p = out[i]!;
    let tasks: string[] = [];
    try {
      tasks = readdirSync(`/proc/${p}/task`);
    } catch {
      continue;
    }
    for (const tid of tasks) {
      try {
        const kids = readFileSync(`/proc/${p}/task/${tid}/children`, 'utf8').trim();
        if (kids !== '') out.push(...kids.split(/\s+/).map(Number));
      } catch {
        // the task exited meanwhile
      }
    }
  }
  return out;
}

test('close() leaves no helper, worker or remote process behind and is safe twice', {
  timeout: 20_000,
}, async (t) => {
  if (!availability.ok) {
    t.skip(availability.reason);
    return;
  }
  const k = await KernelBackend.start({ socketsPerProcess: 1 });
  let tree: number[];
  try {
    await k.exec({ op: 'addr', cidr: '10.0.0.1/24' });
    for (const name of ['c', 'd', 'e']) {
      await k.exec({ op: 'socket', name, kind: 'tcp4' });
      await k.exec({ op: 'connect', sock: name, addr: '10.0.0.2', port: 80 });
    }
    const stats = await k.stats();
    assert.equal(stats.workers, 2);
    assert.equal(stats.remote?.conns, 3);
    tree = processTree(k.pid);
    // helper + 2 socket workers + remote child + 3 more acceptors in the remote namespace
    assert.equal(tree.length, 7, `process tree ${tree.join(' ')}`);
  } finally {
    await k.close();
  }
  await k.close();
  // Remote acceptors exit on EOF of their control socket, or by PR_SET_PDEATHSIG; allow a moment.
  for (let i = 0; i < 50 && tree.some((p) => existsSync(`/proc/${p}`)); i++)
    await new Promise((r) => setTimeout(r, 10));
  assert.deepEqual(
    tree.filter((p) => existsSync(`/proc/${p}`)),
    [],
    'no process of the tree survives',
  );
  await assert.rejects(k.exec({ op: 'sleep', ms: 0 }), (e) => isKernelError(e, 'PORTSPACE_KERNEL_CLOSED'));
});

kernelTest(
  'socket workers hold sockets past the per-process fd cap, transparently',
  async (k) => {
    await k.exec(range(40000, 40001));
    await listener(k, 'L', '127.0.0.1', 5001); // in the helper itself
    const out = await run(k, [
      { op: 'socket', name: 'c1', kind: 'tcp4' }, // helper (2nd)
      { op: 'socket', name: 'c2', kind: 'tcp4' }, // worker 0
      { op: 'socket', name: 'W', kind: 'tcp4' }, // worker 0
      { op: 'connect', sock: 'c1', addr: '127.0.0.1', port: 5001 },
      { op: 'connect', sock: 'c2', addr: '127.0.0.1', port: 5001 },
      { op: 'bind', sock: 'W', addr: '127.0.0.1', port: 5002 },
      { op: 'listen', sock: 'W', backlog: 8 },
      { op: 'socket', name: 'c3', kind: 'tcp4' }, // worker 1
      { op: 'connect', sock: 'c3', addr: '127.0.0.1', port: 5001 }, // R11: the range is shared
      { op: 'connect', sock: 'c3', addr: '127.0.0.1', port: 5002 },
      { op: 'accept', sock: 'W', name: 'a' }, // lands in worker 0 with its listener
      { op: 'getsockname', sock: 'a' },
      { op: 'uid', uid: 65534 }, // broadcast to the workers
      { op: 'socket', name: 'p', kind: 'tcp4' },
      { op: 'bind', sock: 'p', addr: '0.0.0.0', port: 80 },
      { op: 'uid', uid: 0 },
      { op: 'close', sock: 'c3', rst: true },
      { op: 'close', sock: 'c3', rst: true },
      { op: 'setsockopt', sock: 'c2', opt: 'SO_REUSEPORT', value: 1, optlen: 4 }, // in worker 0
      { op: 'getsockopt', sock: 'c2', opt: 'SO_REUSEPORT' },
    ]);
    assert.deepEqual(out.map(short), [
      0,
      0,
      0,
      40000,
      40001,
      5002,
      5002,
      0,
      'EADDRNOTAVAIL',
      40000,
      0,
      5002,
      0,
      0,
      'EACCES',
      0,
      0,
      'EBADF',
      0,
      0,
    ]);
    assert.equal((out[19] as { optval?: unknown }).optval, 1, 'getsockopt answers from the worker');
    const stats = await k.stats();
    assert.equal(stats.workers, 2);
    assert.equal(stats.sockets, 6);
  },
  { timeout: 20_000, backend: { socketsPerProcess: 2 } },
);

kernelTest(
  '3000 connections to remote hosts over socket workers and several acceptors',
  async (k) => {
    await k.exec({ op: 'addr', cidr: '10.3.0.1/16' });
    const n = 3000;
    const ports = new Set<number>();
    for (let i = 0; i < n; i++) {
      await k.exec({ op: 'socket', name: `c${i}`, kind: 'tcp4' });
      const o = await k.exec({ op: 'connect', sock: `c${i}`, addr: `10.3.${1 + (i % 3)}.9`, port: 443 });
      assert.ok(o.ok && o.port !== undefined, JSON.stringify(o));
      ports.add(o.port);
    }
    const s = await k.stats();
    assert.equal(s.sockets, n);
    assert.equal(s.workers, 2);
    assert.equal(s.remote?.conns, n);
    assert.equal(s.tcp.inuse, n);
    assert.ok(
      ports.size <= n && ports.size >= n / 3,
      `ports are shared per destination (R14): ${ports.size}`,
    );
  },
  { timeout: 30_000, backend: { socketsPerProcess: 1000 } },
);
