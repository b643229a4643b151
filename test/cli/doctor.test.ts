// portspace doctor, run as a user would (the built CLI) on the /proc fixtures.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { cli, cliPath, ensureBuilt, hasAnsi, json, noStack, root } from './cli-helpers.js';

ensureBuilt();
const captured = 'test/fixtures/proc/captured';

test('doctor --json: range, destinations with established/timeWait/headroom (R14), warnings', () => {
  const r = cli(['doctor', '--proc', captured, '--json']);
  assert.equal(r.status, 0, r.stderr);
  const j = json(r) as {
    range: number[];
    destinations: {
      source: string;
      destination: string;
      established: number;
      timeWait: number;
      headroom: number;
    }[];
    warnings: { code: string }[];
  };
  assert.deepEqual(j.range, [40000, 40009]);
  assert.deepEqual(
    j.destinations.map((d) => [d.source, d.destination, d.established, d.timeWait, d.headroom]),
    [
      ['127.0.0.1', '127.0.0.1:5000', 1, 1, 7],
      ['127.0.0.2', '127.0.0.1:5000', 2, 0, 8],
    ],
  );
  assert.ok(j.warnings.some((w) => w.code === 'RANGE_SMALL'));
});

test('doctor table: no colour on a pipe, the tightest destination first, --to verdicts', () => {
  const r = cli(['doctor', '--proc', captured, '--to', '127.0.0.1:5000']);
  assert.equal(r.status, 0, r.stderr);
  assert.ok(!hasAnsi(r.stdout));
  const rows = r.stdout.split('\n').filter((l) => l.includes('127.0.0.1:5000') && !l.startsWith('connect'));
  // 7 sure; 8 if the port guessed bind-held (40003, by parity) is connect-owned after all.
  assert.match(rows[0] ?? '', /^127\.0\.0\.1 +127\.0\.0\.1:5000 +1 +1 +0 +0 +7-8$/);
  assert.match(r.stdout, /connect\(\) to 127\.0\.0\.1:5000 from 127\.0\.0\.2: ok/);
  // Issue 15: the bind-held port is a guess, said as one, and its fix only "if" the guess holds.
  assert.match(r.stdout, /note BIND_BEFORE_CONNECT \(a guess\): 1 port may be held/);
  assert.match(
    r.stdout,
    /fix: if they did bind before connect: setsockopt\(IP_BIND_ADDRESS_NO_PORT, 1\) before bind\(ip, 0\): \+1 connection per destination .*only if the guess is right/,
  );
});

test('doctor colours the table only when asked for a terminal (FORCE_COLOR), never with NO_COLOR', () => {
  const forced = cli(['doctor', '--proc', 'test/fixtures/proc/malformed'], { FORCE_COLOR: '1' });
  assert.equal(forced.status, 0, forced.stderr);
  assert.ok(hasAnsi(forced.stdout));
  const off = cli(['doctor', '--proc', 'test/fixtures/proc/malformed'], { FORCE_COLOR: '1', NO_COLOR: '1' });
  assert.ok(!hasAnsi(off.stdout));
});

test('doctor --prometheus prints the exposition; --watch --count 2 samples twice', () => {
  const p = cli(['doctor', '--proc', captured, '--prometheus']);
  assert.equal(p.status, 0, p.stderr);
  assert.match(p.stdout, /^# HELP portspace_headroom_connections /m);
  assert.match(
    p.stdout,
    /^portspace_headroom_connections\{source="127.0.0.2",destination="127.0.0.1:5000"\} 8$/m,
  );
  const w = cli(['doctor', '--proc', captured, '--watch', '0.1', '--count', '2', '--json']);
  assert.equal(w.status, 0, w.stderr);
  const samples = w.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { sample: number });
  assert.deepEqual(
    samples.map((s) => s.sample),
    [1, 2],
  );
});

test('doctor bad input: unknown option, bad --to, missing --proc directory -> exit 2, PORTSPACE_* code, no stack', () => {
  for (const [args, code] of [
    [['doctor', '--nope'], 'PORTSPACE_USAGE'],
    [['doctor', '--to', '10.1.1.1'], 'PORTSPACE_USAGE'],
    [['doctor', '--proc', 'no/such/dir'], 'PORTSPACE_FILE_NOT_FOUND'],
  ] as const) {
    const r = cli([...args, '--json']);
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
    assert.equal((json(r).error as { code: string }).code, code);
    assert.ok(noStack(r));
  }
});

test('doctor bad values say what is wrong: --to port 0 is no destination, --watch abc is a bad interval', () => {
  for (const [args, want] of [
    [['doctor', '--to', '127.0.0.1:0'], /--to port must be 1 to 65535, got 0/],
    [['doctor', '--to', '[::1]:65536'], /--to port must be 1 to 65535, got 65536/],
    [['doctor', '--watch', 'abc'], /--watch SECONDS .*from 0\.1 to 3600.*got 'abc'/],
    [['doctor', '--watch', '-1'], /--watch SECONDS .*got '-1'/],
    [['doctor', '--interval', '0'], /--watch SECONDS .*got '0'/],
  ] as const) {
    const r = cli([...args, '--proc', captured, '--json']);
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
    const e = json(r).error as { code: string; message: string };
    assert.equal(e.code, 'PORTSPACE_USAGE');
    assert.match(e.message, want);
    assert.doesNotMatch(e.message, /takes no arguments/);
  }
});

test('doctor --proc DIR without net/tcp or net/tcp6 is not a /proc copy: exit 2, says what to copy', () => {
  const dir = mkdtempSync(join(tmpdir(), 'portspace-doctor-'));
  try {
    mkdirSync(join(dir, 'sys', 'net', 'ipv4'), { recursive: true });
    const r = cli(['doctor', '--proc', dir, '--json']);
    assert.equal(r.status, 2, r.stdout + r.stderr);
    const e = json(r).error as { code: string; message: string };
    assert.equal(e.code, 'PORTSPACE_PROC_UNREADABLE');
    assert.ok(e.message.includes(join(dir, 'net', 'tcp')), e.message);
    assert.match(e.message, /\/proc\/sys\/net\/ipv4/);
    assert.ok(noStack(r));
    // tcp6 alone is a copy (a host may lack IPv4 sockets in its copy, never both files).
    mkdirSync(join(dir, 'net'));
    writeFileSync(join(dir, 'net', 'tcp6'), `${readFileSync(join(captured, 'net', 'tcp6'), 'latin1')}`);
    const ok = cli(['doctor', '--proc', dir, '--json']);
    assert.equal(ok.status, 0, ok.stderr);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('issue 15: a /proc copy made by tar (size-0 files) or of garbage is refused, saying how to copy with cat; a directory for a file is named as such', () => {
  const dir = mkdtempSync(join(tmpdir(), 'portspace-doctor-'));
  try {
    mkdirSync(join(dir, 'net'), { recursive: true });
    mkdirSync(join(dir, 'sys', 'net', 'ipv4'), { recursive: true });
    // What tar of /proc gives: every file there, every file empty.
    for (const f of ['tcp', 'tcp6', 'udp', 'udp6']) writeFileSync(join(dir, 'net', f), '');
    writeFileSync(join(dir, 'sys', 'net', 'ipv4', 'ip_local_port_range'), '');
    const empty = cli(['doctor', '--proc', dir, '--json']);
    assert.equal(empty.status, 2, empty.stdout + empty.stderr);
    const e = json(empty).error as { code: string; message: string; problems: string[] };
    assert.equal(e.code, 'PORTSPACE_PROC_UNREADABLE');
    assert.ok(e.problems.includes('net/tcp is empty (0 bytes)'), e.message);
    assert.ok(e.problems.includes('sys/net/ipv4/ip_local_port_range is empty (0 bytes)'), e.message);
    assert.match(e.message, /for f in tcp tcp6 udp udp6; do cat \/proc\/net\/\$f > DIR\/net\/\$f; done/);
    // All garbage: a header-less file, then a header with no readable line.
    writeFileSync(join(dir, 'sys', 'net', 'ipv4', 'ip_local_port_range'), '40000\t40009\n');
    for (const f of ['tcp6', 'udp', 'udp6']) rmSync(join(dir, 'net', f));
    writeFileSync(join(dir, 'net', 'tcp'), 'garbage\nmore garbage\n');
    const junk = cli(['doctor', '--proc', dir]);
    assert.equal(junk.status, 2, junk.stdout);
    assert.match(junk.stderr, /net\/tcp does not start with the kernel's header line/);
    const header = readFileSync(join(captured, 'net', 'tcp'), 'latin1').split('\n')[0];
    writeFileSync(join(dir, 'net', 'tcp'), `${header}\n  0: zzz\n  1: 0100007F:9C40\n`);
    const unreadable = cli(['doctor', '--proc', dir]);
    assert.equal(unreadable.status, 2, unreadable.stdout);
    assert.match(unreadable.stderr, /none of the 2 lines of net\/tcp can be read as a socket/);
    // A header and no socket is a real, idle host.
    writeFileSync(join(dir, 'net', 'tcp'), `${header}\n`);
    assert.equal(cli(['doctor', '--proc', dir]).status, 0);
    // A directory where net/tcp should be: named, and not called a permissions problem.
    rmSync(join(dir, 'net', 'tcp'));
    mkdirSync(join(dir, 'net', 'tcp'));
    const isDir = cli(['doctor', '--proc', dir]);
    assert.equal(isDir.status, 2);
    assert.ok(
      isDir.stderr.includes(`${join(dir, 'net', 'tcp')}: it is a directory, not a file`),
      isDir.stderr,
    );
    assert.doesNotMatch(isDir.stderr, /permission/);
    assert.ok(noStack(isDir));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('doctor table: no fix reads +0; unreadable lines as file:line:col (malformed fixture)', () => {
  const r = cli(['doctor', '--proc', 'test/fixtures/proc/malformed']);
  assert.equal(r.status, 0, r.stderr);
  const fixes = r.stdout.split('\n').filter((l) => l.trimStart().startsWith('fix:'));
  assert.ok(fixes.length > 0);
  for (const f of fixes) assert.doesNotMatch(f, /: \+0 connection/);
  // R23: the one bind-held port (40003) is in 127.0.0.1 -> 127.0.0.1:5000's own 4-tuple; the
  // fix gains a port on the other destinations, and says which.
  const nop = fixes.find((f) => f.includes('IP_BIND_ADDRESS_NO_PORT, 1'));
  assert.match(nop ?? '', /: \+1 connection per destination \((2001:db8::1|::1) -> /);
  // Line 6 of net/tcp is `   4: 0100007G:...`: the bad digit G is byte 14.
  assert.match(r.stdout, /^ {2}net\/tcp:6:14: bad hex digit in the address: {4}4: 0100007G/m);
});

test('doctor --listen 127.0.0.1:0 serves /metrics (404 elsewhere) and stops on SIGTERM', async () => {
  const child = spawn(process.execPath, [cliPath, 'doctor', '--proc', captured, '--listen', '127.0.0.1:0'], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let err = '';
      const timer = setTimeout(() => reject(new Error(`no serving line: ${err}`)), 20_000);
      child.stderr.on('data', (d: Buffer) => {
        err += d.toString();
        const m = /serving (http:\/\/\S+)/.exec(err);
        if (m?.[1]) {
          clearTimeout(timer);
          resolve(m[1]);
        }
      });
    });
    const fetchText = (u: string) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        get(u, (res) => {
          let body = '';
          res.on('data', (d: Buffer) => {
            body += d.toString();
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        }).on('error', reject);
      });
    const m = await fetchText(url);
    assert.equal(m.status, 200);
    assert.match(m.body, /^portspace_port_range_size 10$/m);
    const other = await fetchText(url.replace('/metrics', '/other'));
    assert.equal(other.status, 404);
  } finally {
    const exited = new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    child.kill('SIGTERM');
    assert.equal(await exited, 0, 'SIGTERM ends the server cleanly');
  }
});

test('doctor --watch ends cleanly on Ctrl-C (SIGINT) between samples, exit 0', async () => {
  const child = spawn(process.execPath, [cliPath, 'doctor', '--proc', captured, '--watch', '30', '--json'], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  try {
    let out = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no first sample')), 20_000);
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('\n')) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    assert.equal((JSON.parse(out.split('\n')[0] ?? '') as { sample: number }).sample, 1);
    child.kill('SIGINT');
    assert.equal(await exited, 0);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
});
