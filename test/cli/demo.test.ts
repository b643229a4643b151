// The README's first command: the demo must run and show the rules it claims (R14, R23, R22, R62).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { test } from 'node:test';

const root = resolve(import.meta.dirname, '../..');

test('portspace demo runs and shows per-destination reuse, the bind(0) cap and TIME_WAIT recycling', () => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'demo'], {
    cwd: root,
    encoding: 'utf8',
    timeout: 60_000,
  });
  assert.equal(r.status, 0, r.stderr);
  const out = r.stdout;
  assert.match(out, /connect\(127\.0\.0\.1:5000\) = EADDRNOTAVAIL \[R14\]/);
  assert.match(out, /connect\(127\.0\.0\.1:5001\) = 40000/);
  assert.match(out, /bind\(127\.0\.0\.1, 0\) = EADDRINUSE \[R40\]/);
  assert.match(out, /connect\(10\.0\.0\.3:80\) = 40001/);
  assert.match(out, /1\.1 s later = 40000/);
});

test('portspace with an unknown command exits 2 and shows the usage', () => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'nope'], {
    cwd: root,
    encoding: 'utf8',
    timeout: 60_000,
  });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /unknown command 'nope'/);
  assert.match(r.stderr, /usage: portspace/);
});
