/**
 * Parser tests: every construct yields the expected Call/Expect, and every error names the exact
 * file:line:col with a useful message.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CallStep, RepeatStep, Step } from '../../src/script/index.js';
import {
  parseScript,
  parseScriptOrThrow,
  type ScriptError,
  ScriptParseError,
} from '../../src/script/index.js';
import { parseErrors, parseOk } from './helpers.js';

function only(text: string): CallStep {
  const s = parseOk(text);
  assert.equal(s.steps.length, 1);
  const step = s.steps[0] as Step;
  assert.equal(step.kind, 'call');
  return step as CallStep;
}

/** Defines the sockets most tests use, then parses `line`. */
function withSockets(line: string): CallStep {
  const s = parseOk(`c = socket(tcp4)\nsrv = socket(tcp6)\n${line}\n`);
  return s.steps[2] as CallStep;
}

describe('statements', () => {
  it('sysctl with a bare value, a quoted value and an expected failure', () => {
    assert.deepEqual(only('sysctl net.ipv4.ip_local_port_range = 40000 40001').call, {
      op: 'sysctl',
      name: 'net.ipv4.ip_local_port_range',
      value: '40000 40001',
    });
    assert.deepEqual(only('sysctl net.ipv4.ip_local_reserved_ports = ""').call.op, 'sysctl');
    assert.equal((only('sysctl net.ipv4.ip_local_reserved_ports = ""').call as { value: string }).value, '');
    assert.equal((only('sysctl net.ipv6.bindv6only = "a \\" b"').call as { value: string }).value, 'a " b');
    const bad = only('sysctl net.ipv4.ip_local_port_range = 40003 40000 = -1 EINVAL   # must fail');
    assert.deepEqual(bad.expect, { kind: 'errno', errno: 'EINVAL' });
    assert.equal((bad.call as { value: string }).value, '40003 40000');
    assert.equal(bad.trailing, 'must fail');
    assert.deepEqual(only('sysctl net.ipv4.ip_local_reserved_ports = 40000,40002-40005 = 0').expect, {
      kind: 'ok',
    });
  });

  it('addr canonicalises IPv4 and IPv6 prefixes', () => {
    assert.deepEqual(only('addr 10.0.0.1/24').call, { op: 'addr', cidr: '10.0.0.1/24' });
    assert.deepEqual(only('addr FD00:0:0::1/64').call, { op: 'addr', cidr: 'fd00::1/64' });
  });

  it('route local with and without src, canonicalised (issue 10)', () => {
    assert.deepEqual(only('route local 198.51.100.0/24').call, { op: 'route', cidr: '198.51.100.0/24' });
    assert.deepEqual(only('route local 2001:DB8:0::/64 src 0::1 = 0').call, {
      op: 'route',
      cidr: '2001:db8::/64',
      src: '::1',
    });
    const r = only('route local 203.0.113.0/24 src 203.0.113.1 = -1 EINVAL   # not local');
    assert.deepEqual(r.expect, { kind: 'errno', errno: 'EINVAL' });
    assert.equal(r.trailing, 'not local');
  });

  it('IP_FREEBIND and IPV6_FREEBIND take one integer', () => {
    assert.deepEqual(withSockets('setsockopt(c, IP_FREEBIND, 1) = 0').call, {
      op: 'setsockopt',
      sock: 'c',
      opt: 'IP_FREEBIND',
      value: 1,
    });
    assert.equal(
      (withSockets('setsockopt(srv, IPV6_FREEBIND, 0)').call as { opt: string }).opt,
      'IPV6_FREEBIND',
    );
  });

  it('uid and sleep', () => {
    assert.deepEqual(only('uid 65534').call, { op: 'uid', uid: 65534 });
    assert.deepEqual(only('sleep 1.2s').call, { op: 'sleep', ms: 1200 });
    assert.deepEqual(only('sleep 200ms').call, { op: 'sleep', ms: 200 });
    assert.deepEqual(only('sleep 61s').call, { op: 'sleep', ms: 61000 });
    assert.deepEqual(only('sleep 0.001s').call, { op: 'sleep', ms: 1 });
  });

  it('socket of each kind', () => {
    for (const kind of ['tcp4', 'tcp6', 'udp4', 'udp6']) {
      assert.deepEqual(only(`c1 = socket(${kind})`).call, { op: 'socket', name: 'c1', kind });
    }
  });

  it('getsockopt: the expectation is the value (0 is the value 0), a pair for IP_LOCAL_PORT_RANGE, or an errno', () => {
    const z = withSockets('getsockopt(c, SO_REUSEADDR) = 0');
    assert.deepEqual(z.call, { op: 'getsockopt', sock: 'c', opt: 'SO_REUSEADDR' });
    assert.deepEqual(z.expect, { kind: 'optval', value: 0 });
    assert.deepEqual(withSockets('getsockopt(srv, IPV6_V6ONLY) = 1').expect, { kind: 'optval', value: 1 });
    assert.deepEqual(withSockets('getsockopt(c, IP_LOCAL_PORT_RANGE) = 40000 0').expect, {
      kind: 'optval',
      value: [40000, 0],
    });
    assert.deepEqual(withSockets('getsockopt(c, IPV6_V6ONLY) = -1 EOPNOTSUPP').expect, {
      kind: 'errno',
      errno: 'EOPNOTSUPP',
    });
    assert.deepEqual(withSockets('getsockopt(c, SO_REUSEPORT)').expect, { kind: 'none' });
  });

  it('setsockopt with an explicit buffer size: optlen N', () => {
    assert.deepEqual(withSockets('setsockopt(c, SO_REUSEADDR, 4294967296, optlen 8) = 0').call, {
      op: 'setsockopt',
      sock: 'c',
      opt: 'SO_REUSEADDR',
      value: 4294967296,
      optlen: 8,
    });
    assert.deepEqual(
      withSockets('setsockopt(c, IP_LOCAL_PORT_RANGE, 40000 40010, optlen 2) = -1 EINVAL').call,
      {
        op: 'setsockopt',
        sock: 'c',
        opt: 'IP_LOCAL_PORT_RANGE',
        value: [40000, 40010],
        optlen: 2,
      },
    );
    assert.equal('optlen' in withSockets('setsockopt(c, SO_REUSEADDR, 1)').call, false);
  });

  it('setsockopt with flags and pairs', () => {
    assert.deepEqual(withSockets('setsockopt(c, SO_REUSEADDR, 1) = 0').call, {
      op: 'setsockopt',
      sock: 'c',
      opt: 'SO_REUSEADDR',
      value: 1,
    });
    assert.deepEqual(withSockets('setsockopt(c, IP_LOCAL_PORT_RANGE, 40002 40004)').call, {
      op: 'setsockopt',
      sock: 'c',
      opt: 'IP_LOCAL_PORT_RANGE',
      value: [40002, 40004],
    });
    assert.deepEqual((withSockets('setsockopt(c, SO_LINGER, 1 0)').call as { value: unknown }).value, [1, 0]);
  });

  it('bind, connect, listen, accept, getsockname, close', () => {
    assert.deepEqual(withSockets('bind(c, 127.0.0.1:5000) = 5000').call, {
      op: 'bind',
      sock: 'c',
      addr: '127.0.0.1',
      port: 5000,
    });
    assert.deepEqual(withSockets('bind(srv, [::1]:5000)').call, {
      op: 'bind',
      sock: 'srv',
      addr: '::1',
      port: 5000,
    });
    assert.equal(
      (withSockets('bind(srv, [::FFFF:127.0.0.1]:0)').call as { addr: string }).addr,
      '::ffff:127.0.0.1',
    );
    assert.deepEqual(withSockets('connect(c, 10.0.0.2:80)').call, {
      op: 'connect',
      sock: 'c',
      addr: '10.0.0.2',
      port: 80,
    });
    assert.deepEqual(withSockets('listen(srv)').call, { op: 'listen', sock: 'srv', backlog: 128 });
    assert.deepEqual(withSockets('listen(srv, 5)').call, { op: 'listen', sock: 'srv', backlog: 5 });
    assert.deepEqual(withSockets('a1 = accept(srv)').call, { op: 'accept', sock: 'srv', name: 'a1' });
    assert.deepEqual(withSockets('getsockname(c)').call, { op: 'getsockname', sock: 'c' });
    assert.deepEqual(withSockets('close(c)').call, { op: 'close', sock: 'c', rst: false });
    assert.deepEqual(withSockets('close(c, rst)').call, { op: 'close', sock: 'c', rst: true });
  });
});

describe('UDP calls and deliveries', () => {
  it('R80 deliver takes unicast ends; a directed broadcast is not known at parse time and parses', () => {
    const one = (line: string) => only(line).call;
    assert.deepEqual(one('deliver(tcp, 127.0.0.2:50000 -> 127.0.0.1:5000)'), {
      op: 'deliver',
      proto: 'tcp',
      from: { addr: '127.0.0.2', port: 50000 },
      to: { addr: '127.0.0.1', port: 5000 },
    });
    assert.deepEqual(one('deliver(udp, [::FFFF:127.0.0.1]:1 -> [fd00::2]:6000)'), {
      op: 'deliver',
      proto: 'udp',
      from: { addr: '::ffff:127.0.0.1', port: 1 },
      to: { addr: 'fd00::2', port: 6000 },
    });
    // 10.0.0.255 is a broadcast only once `addr 10.0.0.1/24` exists: the backends answer that.
    assert.equal(one('deliver(udp, 10.0.0.1:50000 -> 10.0.0.255:6000)').op, 'deliver');
  });

  it('R94 disconnect on a UDP socket, also inside a repeat body; TCP sockets too (connect(AF_UNSPEC))', () => {
    const s = parseOk('u = socket(udp6)\nrepeat 2 {\n  disconnect(u) = 0\n}\ndisconnect(u)\n');
    const body = (s.steps[1] as RepeatStep).body[0] as CallStep;
    assert.deepEqual(body.call, { op: 'disconnect', sock: 'u' });
    assert.deepEqual((s.steps[2] as CallStep).call, { op: 'disconnect', sock: 'u' });
    // A name that was a TCP socket and is a UDP one again may be disconnected.
    const again = parseOk('c = socket(tcp4)\nclose(c)\nc = socket(udp4)\ndisconnect(c) = 0\n');
    assert.deepEqual((again.steps[3] as CallStep).call, { op: 'disconnect', sock: 'c' });
    const tcp = parseOk('s = socket(tcp6)\na = accept(s)\ndisconnect(a) = 0\ndisconnect(s)\n');
    assert.deepEqual((tcp.steps[2] as CallStep).call, { op: 'disconnect', sock: 'a' });
  });
});

describe('expectations', () => {
  const cases: [string, unknown][] = [
    ['', { kind: 'none' }],
    [' = 0', { kind: 'ok' }],
    [' = -1 EADDRINUSE', { kind: 'errno', errno: 'EADDRINUSE' }],
    [' = 40000', { kind: 'port', port: 40000 }],
    [' = 40000..40003', { kind: 'range', lo: 40000, hi: 40003 }],
    [' = 0..0', { kind: 'range', lo: 0, hi: 0 }],
    [' = {40000, 40002}', { kind: 'set', ports: [40000, 40002] }],
    [' = 127.0.0.1:40000', { kind: 'endpoint', addr: '127.0.0.1', port: { kind: 'port', port: 40000 } }],
    [' = [::1]:1..2', { kind: 'endpoint', addr: '::1', port: { kind: 'range', lo: 1, hi: 2 } }],
    [' = 127.0.0.1:{1,3}', { kind: 'endpoint', addr: '127.0.0.1', port: { kind: 'set', ports: [1, 3] } }],
  ];
  for (const [text, expect] of cases) {
    it(`connect(...)${text}`, () => {
      assert.deepEqual(withSockets(`connect(c, 127.0.0.1:5000)${text}`).expect, expect);
    });
  }
  it('accept takes the peer endpoint', () => {
    assert.deepEqual(withSockets('a = accept(srv) = 127.0.0.1:40000').expect, {
      kind: 'endpoint',
      addr: '127.0.0.1',
      port: { kind: 'port', port: 40000 },
    });
  });
});

describe('repeat, comments, header', () => {
  const text = [
    '# R11: a 2-port range gives low, low+1',
    '#   see also A3 and R11 again',
    '',
    '# before the loop',
    'repeat 5000 {   # bounded',
    '  c = socket(tcp4)',
    '  connect(c, 10.0.0.2:80) = 40000..40001',
    '  # inside, at the end',
    '} expect 2000 then EADDRNOTAVAIL   # exactly',
    'repeat 3 {',
    '  d = socket(udp4)',
    '}',
    'repeat 3 {',
    '  e = socket(udp4)',
    '} then EMFILE',
    '# footer',
  ].join('\n');
  const s = parseOk(text);

  it('keeps the header and finds rule tags in it', () => {
    assert.deepEqual(s.header, ['R11: a 2-port range gives low, low+1', 'see also A3 and R11 again']);
    assert.deepEqual(s.rules, ['R11', 'A3']);
    assert.deepEqual(s.footer, ['footer']);
  });

  it('parses the loop with its count, errno, body and comments', () => {
    const r = s.steps[0] as RepeatStep;
    assert.equal(r.kind, 'repeat');
    assert.equal(r.max, 5000);
    assert.deepEqual(r.expectCount, { kind: 'port', port: 2000 });
    assert.equal(r.thenErrno, 'EADDRNOTAVAIL');
    assert.equal(r.body.length, 2);
    assert.deepEqual(r.pos, { line: 5, col: 1 });
    assert.deepEqual(r.endPos, { line: 9, col: 1 });
    assert.deepEqual(r.body[1]?.pos, { line: 7, col: 3 });
    assert.deepEqual(r.comments, ['before the loop']);
    assert.equal(r.blankBefore, true);
    assert.equal(r.trailing, 'bounded');
    assert.equal(r.endTrailing, 'exactly');
    assert.deepEqual(r.footer, ['inside, at the end']);
    const bare = s.steps[1] as RepeatStep;
    assert.equal(bare.expectCount, null);
    assert.equal(bare.thenErrno, null);
    assert.equal((s.steps[2] as RepeatStep).thenErrno, 'EMFILE');
  });

  it('accepts CRLF line ends and a missing final newline', () => {
    assert.equal(parseOk('c = socket(tcp4)\r\nclose(c)').steps.length, 2);
  });

  it('lets a closed name be created again', () => {
    assert.equal(parseOk('c = socket(tcp4)\nclose(c)\nc = socket(tcp4)\n').steps.length, 3);
  });

  it('an empty script is valid', () => {
    assert.deepEqual(parseOk('').steps, []);
  });
});

describe('errors name file:line:col', () => {
  const cases: [string, string][] = [
    ['connect(c1, 127.0.0.1:80)', 't.pst:1:9: unknown socket c1: create it first with `c1 = socket(tcp4)`'],
    [
      'c = socket(tcp4)\nconnect(c, 127.0.0.1:80',
      "t.pst:2:24: expected ')' after the port, found the end of the line",
    ],
    ['c = socket(tcp4)\nbind(c, 127.0.0.1:70000)', 't.pst:2:19: port 70000 is out of range 0..65535'],
    [
      'c = socket(tcp4)\nsetsockopt(c, SO_FOO, 1)',
      't.pst:2:15: unknown socket option SO_FOO (known: SO_REUSEADDR, SO_REUSEPORT, IP_BIND_ADDRESS_NO_PORT, IPV6_V6ONLY, IP_FREEBIND, IPV6_FREEBIND, IP_LOCAL_PORT_RANGE, SO_LINGER)',
    ],
    [
      'c = socket(tcp4)\nsetsockopt(c, SO_REUSEADR, 1)',
      't.pst:2:15: unknown socket option SO_REUSEADR (did you mean SO_REUSEADDR?) (known: SO_REUSEADDR, SO_REUSEPORT, IP_BIND_ADDRESS_NO_PORT, IPV6_V6ONLY, IP_FREEBIND, IPV6_FREEBIND, IP_LOCAL_PORT_RANGE, SO_LINGER)',
    ],
    ['c = socket(tcp5)', "t.pst:1:12: unknown socket kind 'tcp5' (known: tcp4, tcp6, udp4, udp6)"],
    // R80 deliver: the protocol, the arrow, one family, a source port, socket names as results.
    [
      'deliver(icmp, 127.0.0.1:1 -> 127.0.0.1:2)',
      "t.pst:1:9: expected tcp or udp as the first argument of deliver, found 'icmp'",
    ],
    [
      'deliver(udp, 127.0.0.1:1 127.0.0.1:2)',
      "t.pst:1:26: expected '->' between the source and the destination, found '127.0.0.1:2'",
    ],
    [
      'deliver(udp, 127.0.0.1:1 -> [::1]:2)',
      't.pst:1:14: the source and the destination of a delivery must both be IPv4 or both IPv6',
    ],
    ['deliver(tcp, 127.0.0.1:0 -> 127.0.0.1:2)', 't.pst:1:14: the source port of a delivery cannot be 0'],
    // R80 deliver: the probe sends from its source, so it must be one unicast address; the
    // destination must name one receiver (a directed broadcast depends on the addresses added).
    [
      'deliver(tcp, 0.0.0.0:50000 -> 127.0.0.1:5000)',
      't.pst:1:14: the source of a delivery cannot be a wildcard address (0.0.0.0): the probe sends from one unicast address',
    ],
    [
      'deliver(udp, [::]:50000 -> [::1]:6000)',
      't.pst:1:14: the source of a delivery cannot be a wildcard address (::): the probe sends from one unicast address',
    ],
    [
      'deliver(udp, [::FFFF:0.0.0.0]:50000 -> [::1]:6000)',
      't.pst:1:14: the source of a delivery cannot be a wildcard address (::ffff:0.0.0.0): the probe sends from one unicast address',
    ],
    [
      'deliver(udp, 224.0.0.1:50000 -> 127.0.0.1:6000)',
      't.pst:1:14: the source of a delivery cannot be a multicast address (224.0.0.1): the probe sends from one unicast address',
    ],
    [
      'deliver(udp, [ff02::1]:50000 -> [::1]:6000)',
      't.pst:1:14: the source of a delivery cannot be a multicast address (ff02::1): the probe sends from one unicast address',
    ],
    [
      'deliver(udp, [::ffff:239.1.2.3]:50000 -> [::1]:6000)',
      't.pst:1:14: the source of a delivery cannot be a multicast address (::ffff:239.1.2.3): the probe sends from one unicast address',
    ],
    [
      'deliver(udp, 255.255.255.255:50000 -> 127.0.0.1:6000)',
      't.pst:1:14: the source of a delivery cannot be the limited broadcast address (255.255.255.255): the probe sends from one unicast address',
    ],
    [
      'deliver(udp, 127.0.0.1:50000 -> 255.255.255.255:6000)',
      't.pst:1:33: the destination of a delivery cannot be the limited broadcast address (255.255.255.255): the probe needs one unicast receiver address',
    ],
    [
      'deliver(tcp, 127.0.0.1:50000 -> 0.0.0.0:5000)',
      't.pst:1:33: the destination of a delivery cannot be a wildcard address (0.0.0.0): the probe needs one unicast receiver address',
    ],
    [
      'deliver(udp, 127.0.0.1:50000 -> 239.1.2.3:6000)',
      't.pst:1:33: the destination of a delivery cannot be a multicast address (239.1.2.3): the probe needs one unicast receiver address',
    ],
    [
      'deliver(udp, [::1]:50000 -> [ff02::1]:6000)',
      't.pst:1:29: the destination of a delivery cannot be a multicast address (ff02::1): the probe needs one unicast receiver address',
    ],
    // getsockopt and setsockopt's optlen (sockopt-syntax.ts).
    [
      'c = socket(tcp4)\ngetsockopt(c, SO_LINGER)',
      't.pst:2:15: getsockopt(SO_LINGER) is not modelled (the model keeps only linger 0 or not)',
    ],
    [
      'c = socket(tcp4)\ngetsockopt(c, SO_REUSEADR) = 1',
      't.pst:2:15: unknown socket option SO_REUSEADR (did you mean SO_REUSEADDR?) (getsockopt knows: SO_REUSEADDR, SO_REUSEPORT, IP_BIND_ADDRESS_NO_PORT, IPV6_V6ONLY, IP_LOCAL_PORT_RANGE, IP_FREEBIND, IPV6_FREEBIND)',
    ],
    ['c = socket(tcp4)\ngetsockopt(c, SO_REUSEADDR) = 2', 't.pst:2:31: value 2 is out of range 0..1'],
    [
      'c = socket(tcp4)\ngetsockopt(c, IP_LOCAL_PORT_RANGE) = 40000',
      't.pst:2:43: expected the high end of the range after the low end (LOW HIGH), found the end of the line',
    ],
    ['c = socket(tcp4)\nconnect(c, 127.0.0.1:80) = 1 2', "t.pst:2:30: unexpected '2' after the statement"],
    [
      'c = socket(tcp4)\nsetsockopt(c, SO_REUSEADDR, 1) = 1 1',
      't.pst:2:32: setsockopt returns 0 or -1 ERRNO; a port or address makes no sense here',
    ],
    [
      'c = socket(tcp4)\nsetsockopt(c, SO_REUSEADDR, 1, len 2)',
      "t.pst:2:32: expected 'optlen N' (the option buffer's size in bytes), found 'len'",
    ],
    [
      'c = socket(tcp4)\nsetsockopt(c, SO_REUSEADDR, 1, optlen 65)',
      't.pst:2:39: optlen 65 is out of range 0..64',
    ],
    [
      'c = socket(tcp4)\nsetsockopt(c, SO_LINGER, 1 0, optlen 8)',
      't.pst:2:31: SO_LINGER with an explicit optlen is not modelled',
    ],
    [
      'c = socket(tcp4)\nclose(c) = 1 2',
      't.pst:2:10: close returns 0 or -1 ERRNO; a port or address makes no sense here',
    ],
    // A broken creation line gives the name no kind: only that line's error, none for disconnect.
    [
      'c = socket(tcp4)\nclose(c)\nc = socket(udp9)\ndisconnect(c)',
      "t.pst:3:12: unknown socket kind 'udp9' (known: tcp4, tcp6, udp4, udp6)",
    ],
    // A call name without parentheses: what is missing, not "unknown statement".
    ['deliver', "t.pst:1:8: expected '(' after deliver, found the end of the line"],
    ['  sendto', "t.pst:1:9: expected '(' after sendto, found the end of the line"],
    ['c = socket(tcp4)\nconnect c, 127.0.0.1:80', "t.pst:2:9: expected '(' after connect, found 'c'"],
    ['c = socket(udp4)\ndisconnect c', "t.pst:2:12: expected '(' after disconnect, found 'c'"],
    ['bind', "t.pst:1:5: expected '(' after bind, found the end of the line"],
    ['accept', 't.pst:1:1: accept() must name its socket, like `c1 = accept(srv)`'],
    [
      'deliver(tcp, 127.0.0.1:1 -> 127.0.0.1:2) = srv',
      't.pst:1:44: unknown socket srv: create it first with `srv = socket(tcp4)`',
    ],
    [
      'a = socket(udp4)\ndeliver(udp, 127.0.0.1:1 -> 127.0.0.1:2) = {a, a}',
      't.pst:2:48: socket a appears twice in the set',
    ],
    [
      'a = socket(udp4)\nsendto(a, 127.0.0.1:5) = a',
      "t.pst:2:26: expected a result after '=': 0, -1 ERRNO, a port (40000), a range (40000..40003), a set ({40000, 40002}) or an address:port; found 'a'",
    ],
    [
      'sysctl ip_local_port_range = 1 2',
      't.pst:1:8: unknown sysctl ip_local_port_range (did you mean net.ipv4.ip_local_port_range?)',
    ],
    [
      'sysctl net.ipv4.bogus_knob = 1',
      't.pst:1:8: unknown sysctl net.ipv4.bogus_knob (known: net.ipv4.ip_local_port_range, net.ipv4.ip_local_reserved_ports, net.ipv4.ip_unprivileged_port_start, net.ipv4.tcp_tw_reuse, net.ipv4.tcp_tw_reuse_delay, net.ipv4.tcp_timestamps, net.ipv4.ip_autobind_reuse, net.ipv4.tcp_fin_timeout, net.ipv4.tcp_max_tw_buckets, net.ipv4.ip_nonlocal_bind, net.ipv6.ip_nonlocal_bind, net.ipv6.bindv6only, net.ipv4.udp_child_hash_entries)',
    ],
    [
      'sysctl net.ipv4.tcp_tw_reuse =',
      `t.pst:1:31: expected a value after '=' (write "" for an empty value), found the end of the line`,
    ],
    ['sysctl net.ipv4.tcp_tw_reuse = "1', `t.pst:1:32: unterminated quoted value: expected a closing '"'`],
    ['c = socket(tcp4)\nconnect(c, ::1:80)', 't.pst:2:12: IPv6 addresses go in brackets, like [::1]:5000'],
    [
      'c = socket(tcp4)\nconnect(c, localhost:80)',
      "t.pst:2:12: expected an IPv4 address like 127.0.0.1 or an IPv6 address in brackets like [::1], found 'localhost'",
    ],
    [
      'c = socket(tcp4)\nconnect(c, 300.0.0.1:80)',
      "t.pst:2:12: expected an IPv4 address like 127.0.0.1 or an IPv6 address in brackets like [::1], found '300.0.0.1'",
    ],
    ['c = socket(tcp6)\nconnect(c, [::g]:80)', "t.pst:2:13: malformed IPv6 address '::g'"],
    [
      'c = socket(tcp4)\nconnect(c, 127.0.0.1 80)',
      "t.pst:2:22: expected ':' between the address and the port, found '80'",
    ],
    [
      'c = socket(tcp4)\nconnect(c, 127.0.0.1:80) = -1 EADDRINUS',
      't.pst:2:31: unknown errno EADDRINUS (did you mean EADDRINUSE?)',
    ],
    [
      'c = socket(tcp4)\nconnect(c, 127.0.0.1:80) = -1',
      "t.pst:2:30: expected an errno name after '-1' (like EADDRINUSE), found the end of the line",
    ],
    [
      'c = socket(tcp4)\nconnect(c, 127.0.0.1:80) = 9..8',
      't.pst:2:28: empty range 9..8: the upper end is below the lower end',
    ],
    ['c = socket(tcp4)\nconnect(c, 127.0.0.1:80) = {1, 1}', 't.pst:2:32: port 1 appears twice in the set'],
    [
      'c = socket(tcp4)\nconnect(c, 127.0.0.1:80) = {1, 2',
      "t.pst:2:33: expected '}' to close the set of ports, found the end of the line",
    ],
    [
      'c = socket(tcp4)\nconnect(c, 127.0.0.1:80) = 1.2.3',
      "t.pst:2:28: malformed result '1.2.3': expected 0, -1 ERRNO, a port (40000), a range (40000..40003), a set ({40000, 40002}) or an address:port",
    ],
    ['c = socket(tcp4)\nconnect(c, 127.0.0.1:80) = 1 2', "t.pst:2:30: unexpected '2' after the statement"],
    [
      'c = socket(tcp4)\nclose(c) = 40000',
      't.pst:2:10: close returns 0 or -1 ERRNO; a port or address makes no sense here',
    ],
    ['c = socket(tcp4)\nclose(c, now)', "t.pst:2:10: expected 'rst' (close(c, rst) closes with a reset)"],
    ['sleep 1 = 0', 't.pst:1:8: expected a unit after the duration: s or ms (sleep 1.2s, sleep 200ms)'],
    ['sleep 1s = 0', 't.pst:1:10: sleep has no result; remove the expectation'],
    ['sleep 1.2345s', 't.pst:1:7: sleep 1.2345s is not a whole number of milliseconds'],
    ['sleep 1.5ms', 't.pst:1:7: sleep 1.5ms is not a whole number of milliseconds'],
    ['uid 4294967295', 't.pst:1:5: uid 4294967295 is out of range 0..4294967294'],
    [
      'addr 10.0.0.1/33',
      "t.pst:1:6: malformed address '10.0.0.1/33': expected something like 10.0.0.1/24 or fd00::1/64",
    ],
    [
      'frob(x)',
      't.pst:1:1: unknown call frob() (known: socket, accept, setsockopt, getsockopt, bind, listen, connect, close, getsockname, sendto, disconnect, deliver)',
    ],
    ['conect x', "t.pst:1:1: unknown statement 'conect' (did you mean connect?)"],
    ['socket(tcp4)', 't.pst:1:1: socket() must name its socket, like `c1 = socket(tcp4)`'],
    ['bind = socket(tcp4)', "t.pst:1:1: 'bind' is a keyword and cannot name a socket"],
    ['c = sockt(tcp4)', "t.pst:1:5: expected socket(KIND) or accept(SOCKET) after 'c ='"],
    [
      'c = socket(tcp4)\nc = socket(tcp4)',
      't.pst:2:1: socket c is already open (created at line 1): close it first or pick another name',
    ],
    [
      'c = socket(tcp4)\nclose(c)\nbind(c, 127.0.0.1:1)',
      't.pst:3:6: unknown socket c: it was closed at line 2',
    ],
    ['}', "t.pst:1:1: unexpected '}': no repeat block is open"],
    ['repeat 0 {\n}', 't.pst:1:8: a repeat needs at least 1 round'],
    ['repeat 3\n}', "t.pst:1:9: expected '{' after the repeat count, found the end of the line"],
    ['repeat 3 {\n}', 't.pst:1:1: the repeat body is empty'],
    ['repeat 3 {\n  c = socket(tcp4)', "t.pst:1:1: this repeat block is never closed: expected '}'"],
    [
      'repeat 3 {\n  c = socket(tcp4)\n} expect 4 then EMFILE',
      't.pst:3:1: expect 4 can never hold: the loop runs at most 3 rounds',
    ],
    [
      'repeat 3 {\n  c = socket(tcp4)\n} expect 2',
      "t.pst:3:1: without 'then ERRNO' the loop must run all 3 rounds, so the count must include 3",
    ],
    [
      'repeat 3 {\n  c = socket(tcp4)\n} expect 2 than EMFILE',
      "t.pst:3:12: expected 'then ERRNO' after the count, found 'than'",
    ],
    [
      'route 198.51.100.0/24',
      "t.pst:1:7: expected 'local' after route (only local routes are modelled: route local 198.51.100.0/24), found '198.51.100.0'",
    ],
    [
      'route local 198.51.100.7/24',
      't.pst:1:13: 198.51.100.7/24 has host bits set: the prefix starts at 198.51.100.0/24',
    ],
    [
      'route local 198.51.100.0',
      "t.pst:1:13: malformed prefix '198.51.100.0': expected a network address with a length, like 198.51.100.0/24",
    ],
    [
      'route local 127.0.0.0/16',
      't.pst:1:13: a local route inside the loopback addresses (127.0.0.0/16) is not modelled',
    ],
    [
      'route local 198.51.100.0/24 src ::1',
      't.pst:1:33: the source ::1 must be one unicast IPv4 address, like the prefix',
    ],
    [
      'route local 198.51.100.0/24 via 10.0.0.1',
      "t.pst:1:29: expected 'src ADDRESS', '=' or the end of the line after the prefix, found 'via'",
    ],
    [
      'route local 198.51.100.0/24 = 40000',
      't.pst:1:29: route returns 0 or -1 ERRNO; a port or address makes no sense here',
    ],
    [
      'repeat 3 {\n  c = socket(tcp4)\n} until',
      "t.pst:3:3: expected 'expect COUNT' or 'then ERRNO' after '}', found 'until'",
    ],
    [
      'repeat 3 {\n  c = socket(tcp4)\n  connect(c, 127.0.0.1:1) = -1 ECONNREFUSED\n}',
      't.pst:3:27: a call inside a repeat body cannot expect an errno: the first failure ends the loop (write `} expect N then ECONNREFUSED`)',
    ],
    [
      's = socket(tcp4)\nrepeat 3 {\n  close(s)\n}',
      't.pst:3:9: close(s) inside a repeat body would close it again every round: only sockets created in the body can be closed there',
    ],
    [
      'repeat 3 {\n  c = socket(tcp4)\n}\nclose(c)',
      't.pst:4:7: unknown socket c: it was created inside the repeat at line 1 and is not visible after the loop',
    ],
  ];
  for (const [text, error] of cases) {
    it(error.slice(0, 90), () => {
      assert.deepEqual(parseErrors(text), [error]);
    });
  }

  it('reports several errors, recovering at the next line', () => {
    const text = 'c = socket(tcp9)\nbind(c, 127.0.0.1:99999)\nbind(d, 127.0.0.1:1)\nrepeat x {\n}\n}';
    assert.deepEqual(parseErrors(text, 'multi.pst'), [
      "multi.pst:1:12: unknown socket kind 'tcp9' (known: tcp4, tcp6, udp4, udp6)",
      'multi.pst:2:19: port 99999 is out of range 0..65535',
      'multi.pst:3:6: unknown socket d: create it first with `d = socket(tcp4)`',
      "multi.pst:4:8: expected a round count after repeat, found 'x'",
      "multi.pst:6:1: unexpected '}': no repeat block is open",
    ]);
  });

  it('format() shows the line and a caret under the column', () => {
    const r = parseScript('c = socket(tcp4)\n  bind(c, 127.0.0.1:70000)\n', 'f.pst');
    assert.equal(r.ok, false);
    const e = (r as { errors: ScriptError[] }).errors[0] as ScriptError;
    assert.equal(e.code, 'PORTSPACE_SCRIPT_PARSE');
    assert.equal(
      e.format(),
      'f.pst:2:21: port 70000 is out of range 0..65535\n    bind(c, 127.0.0.1:70000)\n                      ^',
    );
  });

  it('parseScriptOrThrow throws a ScriptParseError carrying every error', () => {
    assert.throws(
      () => parseScriptOrThrow('x\ny\n', 'z.pst'),
      (e: unknown) =>
        e instanceof ScriptParseError && e.errors.length === 2 && e.message.startsWith('z.pst:1:1:'),
    );
  });
});
