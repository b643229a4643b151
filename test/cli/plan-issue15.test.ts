// Issue 15, plan: numbers as people write them (1e6, 1,000,000), advice lists only tweaks that
// change something, and --concurrent N answers "N connections open at once to one destination"
// (R14: one range per (source, destination)). In-process main() with a captured Output.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runInProcess } from './in-process.js';

const BASE = ['plan', '--from', '10.0.0.1', '--to', '10.1.1.1:5432'];

test('--rate 1e6 and --rate 1,000,000 are the 1,000,000 the limit message allows', async () => {
  for (const v of ['1e6', '1,000,000', '1_000_000']) {
    const r = await runInProcess([...BASE, '--rate', v, '--duration', '1', '--json']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal((JSON.parse(r.stdout) as { plan: { rate: number } }).plan.rate, 1_000_000);
  }
  const bad = await runInProcess([...BASE, '--rate', '1e9']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /from 0\.001 to 100,000,000/);
});

test('advice lists only tweaks that change something (a plan without failures: no wider range)', async () => {
  const r = await runInProcess([...BASE, '--rate', '10', '--duration', '60']);
  assert.equal(r.code, 0, r.stderr);
  const advice = r.stdout.slice(r.stdout.indexOf('advice for'));
  assert.doesNotMatch(advice, /^ {2}= /m, 'no "=" (no change) lines');
  assert.doesNotMatch(advice, /ip_local_port_range/, 'the wider range changes nothing here');
  assert.match(advice, /^ {2}\+ keep connections alive/m);
});

test('--concurrent 100000 to one destination: 28,232 per source (R14), 4 sources, 2 with 1024-65535', async () => {
  const r = await runInProcess([...BASE, '--concurrent', '100000', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const a = JSON.parse(r.stdout) as {
    perSource: number;
    fits: boolean;
    sourcesNeeded: number;
    wideRange: { perSource: number; sourcesNeeded: number };
  };
  assert.deepEqual(
    [a.perSource, a.fits, a.sourcesNeeded, a.wideRange.perSource, a.wideRange.sourcesNeeded],
    [60999 - 32768 + 1, false, Math.ceil(100000 / 28232), 65535 - 1024 + 1, 2],
  );
  const text = await runInProcess([
    ...BASE,
    '--from',
    '10.0.0.2',
    '--from',
    '10.0.0.3',
    '--from',
    '10.0.0.4',
    '--concurrent',
    '100000',
  ]);
  assert.match(text.stdout, /fits: 4 source addresses hold up to 112,928/);
  const both = await runInProcess([...BASE, '--concurrent', '5', '--rate', '5']);
  assert.equal(both.code, 2);
});
