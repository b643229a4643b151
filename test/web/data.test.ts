// The page's data, without a browser: the port space from the model (script steps) and from a
// /proc copy (live), a script stepped with its searches, and the live rates and time to
// exhaustion. Expected values come from the rules cited and from what the inputs did.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { aggregate, paramsOf } from '../../src/doctor/index.js';
import { Netns } from '../../src/model/index.js';
import { snapshotFromTexts } from '../../src/procnet/index.js';
import { readProcSnapshot } from '../../src/procnet/reader.js';
import { LiveSource, spaceFromAggregate, spaceFromModel } from '../../src/web/index.js';
import { HEADER, procLine } from '../doctor/render-proc.js';
import { captured, loadWalk } from './helpers.js';

function space(ns: Netns) {
  return spaceFromModel(ns.inspect(), (name) => {
    const r = ns.readSysctl(name);
    return r.ok ? r.value : null;
  });
}

function mustSock(ns: Netns) {
  const s = ns.socket('tcp4');
  assert.ok(s.ok);
  return s.sock;
}

test('R23, R12: a port taken by bind(ip, 0) before connect() is bind-owned for every destination', () => {
  const ns = new Netns({ seed: 3 });
  ns.sysctl('net.ipv4.ip_local_port_range', '40000 40009');
  const srv = mustSock(ns);
  ns.bind(srv, '127.0.0.1', 5000);
  ns.listen(srv);
  const b = mustSock(ns);
  const bound = ns.bind(b, '127.0.0.1', 0);
  assert.ok(bound.ok);
  ns.connect(b, '127.0.0.1', 5000);
  const c = mustSock(ns);
  const plain = ns.connect(c, '127.0.0.1', 5000);
  assert.ok(plain.ok);
  const s = space(ns);
  assert.deepEqual(s.bindOwned, [bound.port]);
  const held = s.holders.find(
    (h) => h.port === bound.port && h.source === '127.0.0.1' && h.state === 'ESTABLISHED',
  );
  assert.equal(held?.bindOwned, true);
  assert.equal(held?.destination, '127.0.0.1:5000');
  const auto = s.holders.find((h) => h.port === plain.port && h.destination === '127.0.0.1:5000');
  assert.equal(auto?.bindOwned, false, 'an autoselected port stays connect-shareable (R15)');
  assert.deepEqual(s.sources, ['127.0.0.1']);
  assert.deepEqual(s.destinations, ['127.0.0.1:5000']);
  assert.ok(
    s.holders.every((h) => h.port >= 40000 && h.port <= 40009),
    'only the range: the listener on 5000 and its accepted sides are not drawn',
  );
});

test('R62: a loopback TIME_WAIT entry is recyclable only after tcp_tw_reuse_delay, and never with tcp_tw_reuse=0', () => {
  for (const [reuse, waitMs, expected] of [
    ['2', 500, false],
    ['2', 1500, true],
    ['0', 1500, false],
    ['1', 1500, true],
  ] as const) {
    const ns = new Netns({ seed: 1 });
    ns.sysctl('net.ipv4.ip_local_port_range', '40000 40009');
    ns.sysctl('net.ipv4.tcp_tw_reuse', reuse);
    const srv = mustSock(ns);
    ns.bind(srv, '127.0.0.1', 5000);
    ns.listen(srv);
    const c = mustSock(ns);
    ns.connect(c, '127.0.0.1', 5000);
    const a = ns.accept(srv);
    assert.ok(a.ok);
    ns.close(c);
    ns.close(a.sock);
    ns.advance(waitMs);
    const tw = space(ns).holders.filter((h) => h.state === 'TIME_WAIT');
    assert.equal(tw.length, 1);
    assert.equal(tw[0]?.recyclable, expected, `tcp_tw_reuse=${reuse} after ${waitMs} ms`);
    // 60 s of TIME_WAIT (R6), rounded up: 59.5 s left shows as 60, 58.5 s as 59.
    const left = Math.ceil((60_000 - waitMs) / 1000);
    assert.match(
      tw[0]?.label ?? '',
      new RegExp(`TIME_WAIT entry 127\\.0\\.0\\.1:400\\d\\d -> 127\\.0\\.0\\.1:5000, ${left} s left`),
    );
  }
});

test('captured /proc copy: the holders, the inferred bind-held port and the young TIME_WAIT (R23, R62)', () => {
  const snap = readProcSnapshot(captured);
  const s = spaceFromAggregate(aggregate(snap), paramsOf(snap));
  assert.deepEqual(s.range, [40000, 40009]);
  assert.deepEqual(s.bindOwned, [40007], '127.0.0.2 bound 40007 (odd, R40) before connecting');
  // Two holders each in the range (127.0.0.1: the TIME_WAIT and the v4-mapped client; 127.0.0.2:
  // its two clients): a tie, broken by the address.
  assert.deepEqual(s.sources, ['127.0.0.1', '127.0.0.2']);
  const tw = s.holders.filter((h) => h.state === 'TIME_WAIT');
  assert.deepEqual(
    tw.map((h) => [h.port, h.source, h.destination, h.recyclable]),
    [[40000, '127.0.0.1', '127.0.0.1:5000', false]],
  );
  // The listener on 5000 is outside the range; its accepted sides are not destinations.
  assert.ok(
    s.destinations.every((d) => d === '127.0.0.1:5000'),
    s.destinations.join(),
  );
});

test('the script is stepped call by call; the loop keeps the search that ended it (R11, R14)', async () => {
  const { json, spaces } = await loadWalk();
  assert.equal(json.steps.length, spaces.length);
  assert.equal(json.ok, true);
  const bind = json.steps.find((s) => s.call === 'bind(b, 127.0.0.1:0)');
  assert.equal((bind?.search?.took ?? 0) % 2, 1, 'bind(ip, 0) takes an odd port first (R40)');
  assert.deepEqual(bind?.focus, { source: '127.0.0.1', destination: null });
  const loop = json.steps.find((s) => s.call.startsWith('repeat'));
  assert.equal(loop?.replayed, true);
  assert.equal(loop?.search?.exhausted, true);
  assert.equal(loop?.search?.skipped, 16);
  assert.deepEqual(
    loop?.search?.phases[0]?.passes.map((p) => p.startPort % 2),
    [0, 1],
    'an even pass, then an odd one (R11)',
  );
  assert.equal(loop?.failure?.errno, 'EADDRNOTAVAIL');
  assert.equal(loop?.failure?.rule, 'R14');
  const after = JSON.parse(spaces[loop?.index ?? -1] ?? '{}') as {
    holders: { destination: string | null }[];
  };
  assert.equal(after.holders.filter((h) => h.destination === '127.0.0.1:5000').length, 16);
});

/** /proc/net/tcp with `established` connections from 10.0.0.1 to 10.1.1.1:443 on even ports. */
function procTcp(established: number): string {
  const lines = [HEADER];
  for (let i = 0; i < established; i++)
    lines.push(procLine(i, ['10.0.0.1', 40000 + 2 * i], ['10.1.1.1', 443], 1));
  return `${lines.join('\n')}\n`;
}

test('live: rates and time to exhaustion from the headroom lost between samples (R14)', () => {
  const texts = [procTcp(2), procTcp(6), procTcp(6)];
  let now = 0;
  let reads = 0;
  const live = new LiveSource({
    read: () =>
      snapshotFromTexts({
        net: { tcp: texts[Math.min(reads++, texts.length - 1)] ?? '' },
        sys: { ip_local_port_range: '40000 40099\n' },
      }),
    clock: () => now,
    minIntervalMs: 500,
  });
  const first = live.sample();
  assert.equal(first.sample, 1);
  assert.deepEqual(first.exhaustion, []);
  assert.equal(first.report.destinations[0]?.headroom, 98);
  now = 100;
  assert.equal(live.sample(), first, 'within minIntervalMs: the same sample, /proc not read again');
  assert.equal(reads, 1);
  now = 2000;
  const second = live.sample();
  // 4 more connections in 2 s: headroom 98 -> 94, 2 ports/s, 47 s left.
  assert.deepEqual(second.exhaustion, [
    { source: '10.0.0.1', destination: '10.1.1.1:443', headroom: 94, lossPerSec: 2, secondsLeft: 47 },
  ]);
  assert.equal(second.report.rates?.destinations[0]?.establishedPerSec, 2);
  now = 4000;
  const third = live.sample();
  assert.equal(third.exhaustion[0]?.lossPerSec, 0);
  assert.equal(third.exhaustion[0]?.secondsLeft, null, 'not shrinking: no time to exhaustion');
});
