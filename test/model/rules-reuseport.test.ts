// SO_REUSEPORT groups in the model (spec R80-R82, exp_reuseport.py): who joins which group, who
// receives a connection or datagram, which members are eligible before and after one leaves, and
// the slot move when a member leaves. The member itself is the kernel's secret (R81): the model
// must name the eligible set, and its own stand-in choice must be one of them. Whether the kernel
// keeps a 4-tuple on one member is checked on the kernel (test/kernel/reuseport-remap.test.ts).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Netns, SockId } from '../../src/model/index.js';
import { coreOf } from '../../src/model/netns.js';
import { asUid, bind, close, connect, listener, netns, sock } from './helpers.js';

function udpMember(ns: Netns, addr: string, port: number, kind: 'udp4' | 'udp6' = 'udp4'): SockId {
  const s = sock(ns, { kind, rp: true });
  assert.equal(bind(ns, s, addr, port), port);
  return s;
}

function deliver(ns: Netns, proto: 'tcp' | 'udp', from: string, sport: number, to: string, dport: number) {
  const r = ns.deliver(proto, { addr: from, port: sport }, { addr: to, port: dport });
  if (!r.ok) return r.errno;
  assert.ok(r.eligible.includes(r.sock), 'the model picks an eligible member');
  return { sock: r.sock, eligible: [...r.eligible].sort((a, b) => a - b), epoch: r.epoch };
}

const sorted = (ids: SockId[]) => [...ids].sort((a, b) => a - b);

test('R80 a specific-address TCP group wins over a wildcard group on the same port', () => {
  const ns = netns();
  const a = [listener(ns, '127.0.0.1', 5000, { rp: true }), listener(ns, '127.0.0.1', 5000, { rp: true })];
  const w = [listener(ns, '0.0.0.0', 5000, { rp: true }), listener(ns, '0.0.0.0', 5000, { rp: true })];
  const toSpecific = deliver(ns, 'tcp', '127.0.0.1', 50000, '127.0.0.1', 5000);
  const toOther = deliver(ns, 'tcp', '127.0.0.1', 50000, '127.0.0.2', 5000);
  assert.ok(typeof toSpecific === 'object' && typeof toOther === 'object');
  assert.deepEqual(toSpecific.eligible, sorted(a));
  assert.deepEqual(toOther.eligible, sorted(w));
});

test('R80 groups need the same family and v6only: an IPv4 socket outranks a dual-stack one for IPv4', () => {
  const ns = netns();
  const v6 = listener(ns, '::', 5000, { rp: true });
  const v4 = listener(ns, '0.0.0.0', 5000, { rp: true });
  assert.deepEqual(deliver(ns, 'tcp', '127.0.0.1', 50000, '127.0.0.1', 5000), {
    sock: v4,
    eligible: [v4],
    epoch: coreEpoch(ns, v4),
  });
  const six = deliver(ns, 'tcp', '::1', 50000, '::1', 5000);
  assert.ok(typeof six === 'object' && six.sock === v6);
  close(ns, v4);
  const after = deliver(ns, 'tcp', '127.0.0.1', 50000, '127.0.0.1', 5000);
  assert.ok(typeof after === 'object' && after.sock === v6, 'the dual-stack listener takes IPv4 once alone');
});

function coreEpoch(ns: Netns, s: SockId): string {
  const c = coreOf(ns);
  const sockObj = c.socket(s);
  const g = sockObj ? c.groups.groupOf(sockObj) : undefined;
  return g ? `${g.id}.${g.version}` : '';
}

test('R80 a listener of another uid or another exact address starts its own group; RP on both is needed', () => {
  const ns = netns();
  const c = coreOf(ns);
  const a = listener(ns, '0.0.0.0', 5000, { rp: true });
  const b = listener(ns, '0.0.0.0', 5000, { rp: true });
  const other = listener(ns, '127.0.0.1', 5000, { rp: true });
  const ga = c.groups.groupOf(c.socket(a) as never);
  assert.ok(ga && ga === c.groups.groupOf(c.socket(b) as never));
  assert.notEqual(c.groups.groupOf(c.socket(other) as never), ga);
  // R33: another uid cannot even bind next to the group.
  const x = asUid(ns, 65534, () => sock(ns, { rp: true }));
  assert.equal(
    asUid(ns, 65534, () => bind(ns, x, '0.0.0.0', 5000)),
    'EADDRINUSE',
  );
  // A UDP socket without SO_REUSEPORT joins no group.
  const u = sock(ns, { kind: 'udp4', ra: true });
  assert.equal(bind(ns, u, '127.0.0.1', 6000), 6000);
  assert.equal(c.groups.groupOf(c.socket(u) as never), undefined);
});

test('R81 every flow to a TCP group may reach any member: deliver names the whole group, follow accepts each member and nothing else', () => {
  const ns = netns();
  const members = [0, 1, 2, 3].map(() => listener(ns, '0.0.0.0', 5000, { rp: true }));
  // Listeners on other ports: their own groups, never eligible for port 5000.
  const elsewhere = [listener(ns, '0.0.0.0', 5001, { rp: true }), listener(ns, '127.0.0.1', 5002)];
  const from = { addr: '127.0.0.1', port: 0 };
  const to = { addr: '127.0.0.1', port: 5000 };
  for (let sport = 50000; sport < 50020; sport++) {
    const r = deliver(ns, 'tcp', '127.0.0.1', sport, '127.0.0.1', 5000);
    assert.ok(typeof r === 'object', `flow ${sport}: ${String(r)}`);
    assert.deepEqual(r.eligible, sorted(members), `flow ${sport}: the whole group is eligible`);
    for (const m of members) {
      const f = ns.deliver('tcp', { ...from, port: sport }, to, { follow: m });
      assert.ok(f.ok && f.sock === m, `flow ${sport}: following member #${m}`);
    }
    for (const x of elsewhere)
      assert.throws(
        () => ns.deliver('tcp', { ...from, port: sport }, to, { follow: x }),
        /not among the eligible/,
        `flow ${sport}: #${x} is not a member`,
      );
  }
});

test('R81 after the last member of a TCP group closes, the eligible set of every flow is the three left and the group epoch changes', () => {
  const ns = netns();
  const m = [0, 1, 2, 3].map(() => listener(ns, '0.0.0.0', 5000, { rp: true }));
  const epochs = new Set<string>();
  for (let i = 0; i < 20; i++) {
    const r = deliver(ns, 'tcp', '127.0.0.2', 30000 + i, '127.0.0.1', 5000);
    assert.ok(typeof r === 'object');
    epochs.add(r.epoch);
  }
  assert.equal(epochs.size, 1, 'one group, one epoch while it is unchanged');
  close(ns, m[3] as SockId);
  for (let i = 0; i < 20; i++) {
    const r = deliver(ns, 'tcp', '127.0.0.2', 30000 + i, '127.0.0.1', 5000);
    assert.ok(typeof r === 'object');
    assert.deepEqual(r.eligible, sorted(m.slice(0, 3)), `flow ${i}`);
    assert.notEqual(r.sock, m[3], `flow ${i}: the closed member receives nothing`);
    assert.ok(!epochs.has(r.epoch), `flow ${i}: the epoch changed with the group`);
    assert.throws(
      () =>
        ns.deliver(
          'tcp',
          { addr: '127.0.0.2', port: 30000 + i },
          { addr: '127.0.0.1', port: 5000 },
          {
            follow: m[3] as SockId,
          },
        ),
      /not among the eligible/,
    );
  }
});

test('R81 a leaving member is replaced in its slot by the last one; the group version changes', () => {
  const ns = netns();
  const c = coreOf(ns);
  const m = [0, 1, 2, 3].map(() => udpMember(ns, '127.0.0.1', 6000));
  const g = c.groups.groupOf(c.socket(m[0] as SockId) as never);
  assert.ok(g);
  assert.deepEqual(
    g.members.map((s) => s.id),
    m,
  );
  const before = g.version;
  close(ns, m[1] as SockId);
  assert.deepEqual(
    g.members.map((s) => s.id),
    [m[0], m[3], m[2]],
  );
  assert.notEqual(g.version, before);
});

test('R82 UDP: the group on the exact address wins over a wildcard socket; a connected member makes the group fall back to ranking', () => {
  const ns = netns();
  const u = [0, 1, 2].map(() => udpMember(ns, '127.0.0.1', 6000));
  const w = udpMember(ns, '0.0.0.0', 6000);
  const r = deliver(ns, 'udp', '127.0.0.1', 50000, '127.0.0.1', 6000);
  assert.ok(typeof r === 'object');
  assert.deepEqual(r.eligible, sorted(u));
  const other = deliver(ns, 'udp', '127.0.0.1', 50000, '127.0.0.2', 6000);
  assert.ok(typeof other === 'object' && other.sock === w);
  // A member connected to the sender receives its datagrams (it matches the 4-tuple best).
  assert.equal(connect(ns, u[2] as SockId, '127.0.0.1', 50001), 6000);
  const fromPeer = deliver(ns, 'udp', '127.0.0.1', 50001, '127.0.0.1', 6000);
  assert.ok(typeof fromPeer === 'object' && fromPeer.sock === u[2]);
});

test('R80 nobody at the port: ECONNREFUSED; the probe source must be free and local; follow must name an eligible member', () => {
  const ns = netns();
  const a = listener(ns, '127.0.0.1', 5000, { rp: true });
  const b = listener(ns, '127.0.0.1', 5000, { rp: true });
  assert.equal(deliver(ns, 'tcp', '127.0.0.1', 50000, '127.0.0.1', 5001), 'ECONNREFUSED');
  assert.equal(
    deliver(ns, 'udp', '127.0.0.1', 50000, '127.0.0.1', 5000),
    'ECONNREFUSED',
    'TCP listeners get no datagrams',
  );
  assert.equal(deliver(ns, 'tcp', '127.0.0.1', 5000, '127.0.0.1', 5000), 'EADDRINUSE');
  assert.equal(deliver(ns, 'tcp', '10.9.9.9', 50000, '127.0.0.1', 5000), 'EADDRNOTAVAIL');
  const followed = ns.deliver(
    'tcp',
    { addr: '127.0.0.1', port: 50000 },
    { addr: '127.0.0.1', port: 5000 },
    { follow: b },
  );
  assert.ok(followed.ok && followed.sock === b);
  const stranger = sock(ns);
  assert.throws(() =>
    ns.deliver(
      'tcp',
      { addr: '127.0.0.1', port: 50000 },
      { addr: '127.0.0.1', port: 5000 },
      { follow: stranger },
    ),
  );
  void a;
});

test('R81 the model keeps the slot structure: removing the last member of 4 moves a flow on slot k only to floor(k*3/4) or floor((k+1)*3/4)', () => {
  const ns = netns();
  const m = [0, 1, 2, 3].map(() => listener(ns, '0.0.0.0', 5000, { rp: true }));
  const slotOf = (s: SockId, order: SockId[]) => order.indexOf(s);
  const before: number[] = [];
  for (let i = 0; i < 100; i++) {
    const r = deliver(ns, 'tcp', '127.0.0.2', 30000 + i, '127.0.0.1', 5000);
    assert.ok(typeof r === 'object');
    before.push(slotOf(r.sock, m));
  }
  close(ns, m[3] as SockId);
  const after = m.slice(0, 3);
  for (let i = 0; i < 100; i++) {
    const r = deliver(ns, 'tcp', '127.0.0.2', 30000 + i, '127.0.0.1', 5000);
    assert.ok(typeof r === 'object');
    const k = before[i] ?? -1;
    const ok = [Math.floor((k * 3) / 4), Math.floor(((k + 1) * 3) / 4)];
    assert.ok(ok.includes(slotOf(r.sock, after)), `flow ${i}: slot ${k} -> ${slotOf(r.sock, after)}`);
  }
});
