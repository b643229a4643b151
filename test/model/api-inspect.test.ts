/** Netns.inspect(): the typed view per socket, TIME_WAIT entry and port (D2, R12, R23, R6, R62). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Netns, type Result, type SockId } from '../../src/model/index.js';

function ok<T extends object>(r: Result<T>): T {
  if (!r.ok) throw new Error(`${r.errno} (${r.rule}): ${r.reason}`);
  return r;
}

function tcp(ns: Netns): SockId {
  return ok(ns.socket('tcp4')).sock;
}

const RANGE = { 'net.ipv4.ip_local_port_range': [40000, 40009] } as const;

test('D2 inspect: a port lists its owners with protocol, address, SO_REUSEADDR/SO_REUSEPORT and uid', () => {
  const ns = new Netns({ sysctls: RANGE });
  ns.setUid(1000);
  const a = tcp(ns);
  ok(ns.setsockopt(a, 'SO_REUSEADDR', 1));
  ok(ns.setsockopt(a, 'SO_REUSEPORT', 1));
  ok(ns.bind(a, '127.0.0.1', 5000));
  const u = ok(ns.socket('udp4')).sock;
  ok(ns.bind(u, '0.0.0.0', 5000));
  const ports = ns.inspect().ports.filter((p) => p.port === 5000);
  assert.deepEqual(
    ports.map((p) => [p.proto, p.owners.length]),
    [
      ['tcp', 1],
      ['udp', 1],
    ],
  );
  const [t] = ports[0]?.owners ?? [];
  assert.ok(t?.kind === 'socket');
  assert.deepEqual(
    [t.id, t.proto, t.family, t.local, t.remote, t.state, t.reuseAddr, t.reusePort, t.uid],
    [a, 'tcp', 4, { addr: '127.0.0.1', port: 5000 }, null, 'CLOSE', true, true, 1000],
  );
  assert.equal(ports[1]?.owners[0]?.proto, 'udp');
  assert.equal(ports[1]?.owners[0]?.reuseAddr, false);
});

test('R12/R23 inspect: a bound port is bind-owned, a port connect() chose is not (R14 shares it)', () => {
  const ns = new Netns({ sysctls: RANGE });
  ok(ns.addAddress('10.0.0.1/0'));
  const b = tcp(ns);
  ok(ns.bind(b, '10.0.0.1', 0)); // bind(ip, 0): the port is bind-owned even once connected (R23)
  ok(ns.connect(b, '10.0.0.3', 80));
  const c = tcp(ns);
  const got = ok(ns.connect(c, '10.0.0.2', 80));
  const v = ns.inspect();
  const bound = v.sockets.find((s) => s.id === b);
  const connected = v.sockets.find((s) => s.id === c);
  assert.deepEqual([bound?.bindOwned, bound?.connectBound], [true, false]);
  assert.deepEqual([connected?.bindOwned, connected?.connectBound], [false, true]);
  const port = (n: number) => v.ports.find((p) => p.proto === 'tcp' && p.port === n);
  assert.equal(port(bound?.local.port ?? -1)?.bindOwned, true);
  assert.equal(port(got.port)?.bindOwned, false);
  assert.ok(v.bindOwnedPorts.includes(bound?.local.port ?? -1));
  assert.equal(port(got.port)?.inRange, true);
});

test('R2 inspect: a reserved port is marked as such', () => {
  const ns = new Netns({ sysctls: { ...RANGE, 'net.ipv4.ip_local_reserved_ports': [40003] } });
  const s = tcp(ns);
  ok(ns.bind(s, '127.0.0.1', 40003)); // an explicit bind may take a reserved port (R2)
  const p = ns.inspect().ports.find((x) => x.port === 40003);
  assert.deepEqual([p?.reserved, p?.inRange], [true, true]);
});

test('R6/R62 inspect: a TIME_WAIT entry shows its age, what is left of 60 s, and whether connect() may recycle it', () => {
  const ns = new Netns({ sysctls: RANGE }); // tcp_tw_reuse=2, delay 1000 ms: loopback entries after 1 s
  ns.addAddress('10.0.0.1/0');
  const loop = tcp(ns);
  const l = tcp(ns);
  ok(ns.bind(l, '127.0.0.1', 5000));
  ok(ns.listen(l));
  ok(ns.connect(loop, '127.0.0.1', 5000));
  const child = ok(ns.accept(l)).sock;
  const remote = tcp(ns);
  ok(ns.connect(remote, '10.0.0.2', 80));
  ok(ns.close(loop)); // FIN_WAIT2 until the local peer closes (R60)
  ok(ns.close(remote)); // a remote host closes at once: TIME_WAIT (R60)
  const fw2 = ns.inspect().timewaits.find((t) => t.substate === 'FIN_WAIT2');
  assert.equal(fw2?.recyclable, false, 'FIN_WAIT2 is never recycled (R62)');
  ok(ns.close(child)); // our FIN_WAIT2 entry becomes TIME_WAIT
  ns.advance(1000);
  let tws = ns.inspect().timewaits;
  assert.deepEqual(
    tws.map((t) => [t.substate, t.remote.addr, t.ageMs, t.remainingMs, t.recyclable]),
    [
      ['TIME_WAIT', '127.0.0.1', 1000, 59_000, false], // not older than the delay yet
      ['TIME_WAIT', '10.0.0.2', 1000, 59_000, false], // tcp_tw_reuse=2: loopback only
    ],
  );
  ns.advance(1);
  tws = ns.inspect().timewaits;
  assert.deepEqual(
    tws.map((t) => t.recyclable),
    [true, false],
  );
  // The port view lists the same entries as owners of their port.
  const port = tws[0]?.local.port;
  const owners = ns.inspect().ports.find((p) => p.proto === 'tcp' && p.port === port)?.owners ?? [];
  assert.deepEqual(
    owners.map((o) => [o.kind, o.id]),
    tws.filter((t) => t.local.port === port).map((t) => ['timewait', t.id]),
  );
});
