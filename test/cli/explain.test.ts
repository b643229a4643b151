// `portspace explain`, run as a user would (the built CLI): the model's search port by port,
// grouped into runs with skip reasons and rule ids; failures with rule, reason and blockers; the
// search that ended a repeat loop; --json; --help; bad input.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { cli, ensureBuilt, json, noStack } from './cli-helpers.js';

const RESERVED = 'docs/examples/r12-reserved-ports.pst';
const LOOP = 'docs/examples/r14-capacity-loop.pst';
let dir = '';

before(() => {
  ensureBuilt();
  dir = mkdtempSync(join(tmpdir(), 'portspace-explain-'));
});

test('explain: each search shows its window, start, ports passed over with reason and rule, and the port taken', () => {
  const r = cli(['explain', RESERVED]);
  assert.equal(r.status, 0, r.stderr);
  const out = r.stdout;
  assert.match(out, /explained by the model \(R2, R12\)/);
  assert.match(out, /connect\(\) search: parity of the low end first: window 40000-40003, every other port/);
  assert.match(out, /pass 1 starts at 4000[02] \(offset [02]\)/);
  assert.match(out, /passed over 4000[02]: reserved \(net\.ipv4\.ip_local_reserved_ports\) \(R2\)/);
  assert.match(out, /took 4000[13]/);
  // c3 fails: the 4-tuples in the way, the rule and the reason.
  assert.match(
    out,
    /passed over 4000[13]: held by a 4-tuple towards 127\.0\.0\.1:5000 \(R14\): socket #\d+ tcp4 127\.0\.0\.1:4000[13] -> 127\.0\.0\.1:5000 ESTABLISHED/,
  );
  assert.match(out, /no port taken: every candidate was passed over \(4 ports\)/);
  assert.match(out, /EADDRNOTAVAIL by rule R14: /);
});

test('explain: a bind-owned port is passed over by connect() with R12, and a failed bind names the socket in the way', () => {
  const f = join(dir, 'r12.pst');
  writeFileSync(
    f,
    [
      '# R12, R31',
      'sysctl net.ipv4.ip_local_port_range = 40000 40001',
      'srv = socket(tcp4)',
      'bind(srv, 127.0.0.1:5000) = 5000',
      'listen(srv) = 5000',
      'b = socket(tcp4)',
      'bind(b, 127.0.0.1:40000) = 40000',
      'c = socket(tcp4)',
      'connect(c, 127.0.0.1:5000) = 40001',
      'd = socket(tcp4)',
      'bind(d, 127.0.0.1:40000) = -1 EADDRINUSE',
      '',
    ].join('\n'),
  );
  const r = cli(['explain', f]);
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(
    r.stdout,
    /passed over 40000: owned by bind\(\)\/listen\(\) users, which connect\(\) never shares \(R12\): socket #\d+ tcp4 127\.0\.0\.1:40000/,
  );
  assert.match(r.stdout, /took 40001/);
  assert.match(r.stdout, /EADDRINUSE by rule R\d+: .+\n\s+in the way: socket #\d+ tcp4 127\.0\.0\.1:40000/);
});

test('explain: the search that ended a repeat loop is shown, passed-over ports grouped into runs', () => {
  const r = cli(['explain', LOOP]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /repeat 100 \{\.\.\.\} expect 10 then EADDRNOTAVAIL: 10 complete rounds/);
  assert.match(r.stdout, /the search that ended the loop:/);
  assert.match(
    r.stdout,
    /passed over 400\d\d-400\d\d (even|odd): \d ports held by 4-tuples towards 127\.0\.0\.1:5000 \(R14\), e\.g\. socket #\d+/,
  );
  assert.match(r.stdout, /no port taken: every candidate was passed over \(10 ports\)/);
});

test('explain --json: steps carry search (phases, passes, runs) and failure (errno, rule, reason, blocking)', () => {
  const r = cli(['explain', '--json', RESERVED]);
  assert.equal(r.status, 0, r.stderr);
  const j = json(r) as {
    file: string;
    ok: boolean;
    rules: string[];
    steps: {
      line: number;
      call: string;
      result: string;
      pass: boolean;
      search: {
        took: number | null;
        exhausted: boolean;
        skipped: number;
        phases: {
          lo: number;
          hi: number;
          step: number;
          passes: {
            startPort: number;
            skipped: {
              from: number;
              to: number;
              count: number;
              reason: string;
              rule: string;
              towards: string | null;
            }[];
            took: number | null;
          }[];
        }[];
      } | null;
      failure: { errno: string; rule: string; reason: string; blocking: string[] } | null;
    }[];
  };
  assert.equal(j.file, RESERVED);
  assert.equal(j.ok, true);
  const c1 = j.steps.find((s) => s.line === 11);
  assert.ok(c1?.search);
  assert.equal(c1.failure, null);
  assert.ok(c1.search.took === 40001 || c1.search.took === 40003);
  const phase = c1.search.phases[0];
  assert.deepEqual([phase?.lo, phase?.hi, phase?.step], [40000, 40003, 2]);
  assert.ok(phase?.passes.some((p) => p.skipped.some((s) => s.reason === 'reserved' && s.rule === 'R2')));
  const c3 = j.steps.find((s) => s.line === 15);
  assert.equal(c3?.result, '-1 EADDRNOTAVAIL');
  assert.equal(c3?.search?.took, null);
  assert.equal(c3?.search?.exhausted, true);
  assert.equal(c3?.search?.skipped, 4);
  assert.equal(c3?.failure?.errno, 'EADDRNOTAVAIL');
  assert.equal(c3?.failure?.rule, 'R14');
  assert.ok(
    c3?.search?.phases
      .flatMap((p) => p.passes)
      .flatMap((p) => p.skipped)
      .some((s) => s.towards === '127.0.0.1:5000'),
  );
  const sock = j.steps.find((s) => s.line === 6);
  assert.equal(sock?.search, null);
});

test('explain: a failed expectation exits 1; more than one file, or none, is a usage error', () => {
  assert.equal(cli(['explain', 'test/scripts/wrong/r11-wrong-parity.pst']).status, 1);
  for (const args of [['explain'], ['explain', RESERVED, LOOP], ['explain', '--nope', RESERVED]]) {
    const r = cli(args);
    assert.equal(r.status, 2, args.join(' '));
    assert.ok(noStack(r));
  }
  const missing = cli(['explain', '--json', 'missing.pst']);
  assert.equal(missing.status, 2);
  assert.equal((json(missing).error as { code: string }).code, 'PORTSPACE_FILE_NOT_FOUND');
});

test('explain --help, exit 0', () => {
  const r = cli(['explain', '--help']);
  assert.equal(r.status, 0);
  assert.match(r.stdout, /^usage: portspace explain FILE \[--json\]/);
});

test('R82 explain: a delivery to a reuseport group names every member the kernel may pick; a UDP autobind is traced (R90)', () => {
  const r = cli(['explain', 'test/scripts/rules/reuseport/r82-udp-group.pst']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(
    r.stdout,
    /the kernel may pick any of u1, u2, u3, u4 \(SO_REUSEPORT: a secret hash of the 4-tuple, R81\/R82\)/,
  );
  const u = cli(['explain', 'test/scripts/rules/udp/r90-autobind-tiny-range.pst']);
  assert.equal(u.status, 0, u.stderr);
  assert.match(u.stdout, /UDP autobind \(random start, ascending with wrap\)/);
});
