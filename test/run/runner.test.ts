/**
 * The runner against a fake Backend with scripted outcomes: expectations are matched, wrong
 * expectations are reported (not thrown), loops count complete rounds exactly, names are made
 * unique, and the per-call hooks see every call.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Call, ErrnoName, Outcome } from '../../src/calls/index.js';
import type { Backend } from '../../src/run/backend.js';
import { type CallEvent, formatReport, type RunReport, runScript } from '../../src/run/runner.js';
import { parseScriptOrThrow } from '../../src/script/index.js';

/**
 * connect() hands out ports 40000, 40001, ... until `capacity` connects succeeded, then fails with
 * `exhausted`; bind/listen report the requested port; accept reports a fixed peer.
 */
class FakeBackend implements Backend {
  readonly name = 'model' as const;
  readonly calls: Call[] = [];
  private connects = 0;
  constructor(
    private readonly capacity = Number.POSITIVE_INFINITY,
    private readonly exhausted: ErrnoName = 'EADDRNOTAVAIL',
    private readonly peer = { addr: '::FFFF:127.0.0.1', port: 40000 },
  ) {}

  async exec(call: Call): Promise<Outcome> {
    this.calls.push(call);
    switch (call.op) {
      case 'connect':
        if (this.connects >= this.capacity) return { ok: false, errno: this.exhausted };
        return { ok: true, addr: '127.0.0.1', port: 40000 + this.connects++ };
      case 'bind':
        return call.port === 1
          ? { ok: false, errno: 'EACCES' }
          : { ok: true, addr: call.addr, port: call.port };
      case 'listen':
        return { ok: true, addr: '127.0.0.1', port: 5000 };
      case 'accept':
        return { ok: true, peer: this.peer };
      case 'getsockname':
        return { ok: true, addr: '127.0.0.1', port: 40000 };
      default:
        return { ok: true };
    }
  }

  async close(): Promise<void> {}
}

async function run(text: string, backend: Backend = new FakeBackend(), opts = {}): Promise<RunReport> {
  return runScript(parseScriptOrThrow(text, 's.pst'), backend, opts);
}

const passes = (r: RunReport) => r.records.map((x) => x.pass);

describe('expectations', () => {
  it('right expectations pass', async () => {
    const r = await run(
      [
        '# R11 demo',
        'srv = socket(tcp4)',
        'bind(srv, 127.0.0.1:5000) = 5000',
        'listen(srv) = 127.0.0.1:5000',
        'c = socket(tcp4)',
        'connect(c, 127.0.0.1:5000) = 40000',
        'connect(c, 127.0.0.1:5000) = 40000..40003',
        'connect(c, 127.0.0.1:5000) = {40002, 40009}',
        'connect(c, 127.0.0.1:5000) = 127.0.0.1:40003',
        'connect(c, 127.0.0.1:5000)',
        'a = accept(srv) = [::ffff:127.0.0.1]:40000', // the fake reports upper case: canonical compare
        'getsockname(c) = 127.0.0.1:0..65535',
        'bind(c, 127.0.0.1:1) = -1 EACCES',
        'close(c, rst) = 0',
      ].join('\n'),
    );
    assert.deepEqual(
      r.records.filter((x) => !x.pass).map((x) => x.message),
      [],
    );
    assert.equal(r.ok, true);
    assert.equal(r.failed, 0);
    assert.equal(r.passed, 13);
    assert.equal(r.calls, 13);
    assert.equal(r.checked, 10);
    assert.deepEqual(r.rules, ['R11']);
  });

  it('deliberately wrong expectations are reported as failures, and the run goes on', async () => {
    const r = await run(
      [
        'c = socket(tcp4)',
        'connect(c, 127.0.0.1:5000) = 40001', // gets 40000
        'connect(c, 127.0.0.1:5000) = -1 EADDRINUSE', // gets 40001
        'connect(c, 127.0.0.1:5000) = 40000..40001', // gets 40002
        'connect(c, 127.0.0.1:5000) = 10.0.0.1:40003', // right port, wrong address
        'bind(c, 127.0.0.1:1) = 0', // EACCES
        'bind(c, 127.0.0.1:1) = -1 EADDRINUSE', // EACCES
        'close(c) = 0',
      ].join('\n'),
    );
    assert.deepEqual(passes(r), [true, false, false, false, false, false, false, true]);
    assert.equal(r.ok, false);
    assert.equal(r.failed, 6);
    const messages = r.records.filter((x) => !x.pass).map((x) => x.message);
    assert.deepEqual(messages, [
      'expected 40001, got 127.0.0.1:40000',
      'expected -1 EADDRINUSE, got 127.0.0.1:40001',
      'expected 40000..40001, got 127.0.0.1:40002',
      'expected 10.0.0.1:40003, got 127.0.0.1:40003 (local address differs)',
      'expected 0, got -1 EACCES',
      'expected -1 EADDRINUSE, got -1 EACCES',
    ]);
    const text = formatReport(r);
    assert.match(text, /FAIL {2}s\.pst:2:1 {2}connect\(c, 127\.0\.0\.1:5000\) = 40001: expected 40001, got/);
    assert.match(text, /FAIL: 6 of 7 expectations failed; 8 calls/);
  });

  it('a port expectation fails when the backend reports no port', async () => {
    const backend: Backend = { name: 'kernel', exec: async () => ({ ok: true }), close: async () => {} };
    const r = await run('c = socket(tcp4)\nconnect(c, 127.0.0.1:1) = 40000', backend);
    assert.equal(r.records[1]?.message, 'expected 40000, got 0 (the backend reported no local port)');
  });
});

describe('repeat loops', () => {
  const loop = (expectLine: string) =>
    `srv = socket(tcp4)\nrepeat 5000 {\n  c = socket(tcp4)\n  connect(c, 10.0.0.2:80)\n} ${expectLine}\n`;

  it('a body expectation holds on every complete round, not on the failure that ends the loop', async () => {
    const text = `repeat 50 {\n  c = socket(tcp4)\n  connect(c, 10.0.0.2:80) = 40000..40009\n} expect 10 then EADDRNOTAVAIL\n`;
    const r = await run(text, new FakeBackend(10));
    assert.deepEqual(passes(r), [true]);
    // ...but a complete round outside the expected ports still fails the body expectation.
    const wrong = await run(text.replace('40000..40009', '40000..40004'), new FakeBackend(10));
    assert.equal(wrong.failed, 5);
  });

  it('"expect 2000 then EADDRNOTAVAIL" passes on exactly 2000 then that errno', async () => {
    const r = await run(loop('expect 2000 then EADDRNOTAVAIL'), new FakeBackend(2000));
    const rec = r.records[1];
    assert.equal(rec?.kind, 'repeat');
    assert.equal(rec?.pass, true, rec?.message);
    assert.equal(rec?.kind === 'repeat' && rec.rounds, 2000);
    assert.equal(rec?.message, '2000 complete rounds, then connect(c#2001, 10.0.0.2:80) = -1 EADDRNOTAVAIL');
    // 1 + 2000 complete rounds of 2 calls + the failing round's socket and connect.
    assert.equal(r.calls, 1 + 2000 * 2 + 2);
    assert.equal(r.ok, true);
  });

  for (const [capacity, errno] of [
    [1999, 'EADDRNOTAVAIL'],
    [2001, 'EADDRNOTAVAIL'],
    [2000, 'EADDRINUSE'],
  ] as const) {
    it(`fails with ${capacity} rounds then ${errno}`, async () => {
      const r = await run(loop('expect 2000 then EADDRNOTAVAIL'), new FakeBackend(capacity, errno));
      const rec = r.records[1];
      assert.equal(rec?.pass, false);
      assert.match(
        rec?.message ?? '',
        new RegExp(`^expected expect 2000 then EADDRNOTAVAIL; got ${capacity} complete`),
      );
      assert.equal(r.ok, false);
    });
  }

  it('fails when the loop never fails but an errno was expected', async () => {
    const r = await run(loop('expect 2000 then EADDRNOTAVAIL'));
    assert.equal(r.records[1]?.pass, false);
    assert.match(r.records[1]?.message ?? '', /got 5000 complete rounds \(all of them\)/);
  });

  it('a range count and "then" alone', async () => {
    assert.equal((await run(loop('expect 4..5 then EADDRNOTAVAIL'), new FakeBackend(4))).ok, true);
    assert.equal((await run(loop('expect 4..5 then EADDRNOTAVAIL'), new FakeBackend(6))).ok, false);
    assert.equal((await run(loop('then EADDRNOTAVAIL'), new FakeBackend(17))).ok, true);
    assert.equal((await run(loop('then EMFILE'), new FakeBackend(17))).ok, false);
  });

  it('"expect MAX" needs every round to complete', async () => {
    const text = 'repeat 3 {\n  c = socket(tcp4)\n  connect(c, 10.0.0.2:80)\n} expect 3\n';
    assert.equal((await run(text, new FakeBackend(3))).ok, true);
    assert.equal((await run(text, new FakeBackend(2))).ok, false);
  });

  it('sockets made in a body get fresh names; a top-level name made again gets a suffix', async () => {
    const backend = new FakeBackend();
    await run(
      'c = socket(tcp4)\nclose(c)\nc = socket(tcp4)\nrepeat 2 {\n  c2 = socket(tcp4)\n  a = accept(c)\n  close(c2)\n}\n',
      backend,
    );
    const names = backend.calls.map((c) => ('name' in c ? `+${c.name}` : 'sock' in c ? c.sock : c.op));
    assert.deepEqual(names, ['+c', 'c', '+c#2', '+c2#1', '+a#1', 'c2#1', '+c2#2', '+a#2', 'c2#2']);
  });

  it('stops at the wall-clock budget and reports it as a failure', async () => {
    let t = 0;
    const now = () => t;
    const backend = new FakeBackend();
    const r = await runScript(parseScriptOrThrow(loop('expect 5000'), 's.pst'), backend, {
      now,
      loopBudgetMs: 10,
      onCall: () => {
        t += 1; // every call "takes" 1 ms: 2 ms per round
      },
    });
    const rec = r.records[1];
    assert.equal(rec?.kind === 'repeat' && rec.stoppedBy, 'budget');
    assert.equal(rec?.kind === 'repeat' && rec.rounds, 6);
    assert.equal(rec?.pass, false);
    assert.match(rec?.message ?? '', /wall-clock budget of 10 ms ran out/);
  });

  it('records failing body expectations, capped, and counts the rest', async () => {
    const text = 'repeat 50 {\n  c = socket(tcp4)\n  connect(c, 10.0.0.2:80) = 1..2\n} expect 50\n';
    const r = await run(text, new FakeBackend(), { maxLoopRecords: 3 });
    const calls = r.records.filter((x) => x.kind === 'call');
    assert.equal(calls.length, 3);
    assert.deepEqual(
      calls.map((x) => x.kind === 'call' && x.round),
      [1, 2, 3],
    );
    const loopRec = r.records.find((x) => x.kind === 'repeat');
    assert.equal(loopRec?.pass, true);
    assert.match(loopRec?.message ?? '', /47 more failing body calls not listed/);
    assert.equal(r.ok, false);
  });
});

describe('hooks and aborts', () => {
  it('execCall replaces backend.exec and onCall sees every call with its round', async () => {
    const seen: CallEvent[] = [];
    const backend = new FakeBackend();
    const r = await run('repeat 2 {\n  c = socket(tcp4)\n}\nsleep 1.5s', backend, {
      execCall: async (call: Call) => (call.op === 'sleep' ? { ok: false, errno: 'EINTR' } : { ok: true }),
      onCall: (ev: CallEvent) => {
        seen.push(ev);
      },
    });
    assert.equal(backend.calls.length, 0);
    assert.deepEqual(
      seen.map((e) => [e.call.op, e.ctx.round, e.ctx.pos.line]),
      [
        ['socket', 1, 2],
        ['socket', 2, 2],
        ['sleep', null, 4],
      ],
    );
    assert.deepEqual(seen[2]?.call, { op: 'sleep', ms: 1500 });
    assert.equal(r.ok, true); // sleep has no expectation, so its odd result is not checked
  });

  it('a throwing backend aborts the run without throwing; later steps do not run', async () => {
    const calls: Call[] = [];
    const backend: Backend = {
      name: 'kernel',
      exec: async (call) => {
        calls.push(call);
        if (call.op === 'connect') throw new Error('helper died');
        return { ok: true };
      },
      close: async () => {},
    };
    const r = await run('c = socket(tcp4)\nconnect(c, 127.0.0.1:1)\nclose(c)', backend);
    assert.equal(calls.length, 2);
    assert.equal(r.ok, false);
    assert.match(r.aborted ?? '', /^s\.pst:2:1: connect\(c, 127\.0\.0\.1:1\) threw: helper died$/);
    assert.match(formatReport(r), /ABORTED/);
  });
});
