// The doctor against the real kernel, in a private network namespace (unshare -n): known numbers
// of ESTABLISHED, TIME_WAIT and bind(ip, 0) connections on a 20-port range; the report's counts
// and headroom must be exact, and the kernel must then accept exactly `headroom` more connects to
// each destination before EADDRNOTAVAIL (R14, R12, R23, R62 with tcp_tw_reuse=0).
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { buildReport } from '../../src/doctor/index.js';
import { kernelAvailability } from '../../src/kernel/availability.js';
import { readProcSnapshot } from '../../src/procnet/reader.js';

const worker = new URL('./live-worker.py', import.meta.url).pathname;

async function skipReason(): Promise<string | null> {
  const a = await kernelAvailability();
  if (!a.ok) return a.reason;
  if (spawnSync('python3', ['-c', 'pass']).status !== 0) return 'python3 is not installed';
  return null;
}

test('live namespace: counts and headroom exact, and the kernel agrees by connecting until EADDRNOTAVAIL', async (t) => {
  const why = await skipReason();
  if (why !== null) {
    t.skip(why);
    console.log(`skipped: ${why}`);
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'portspace-doctor-'));
  const child = spawn('unshare', ['-n', 'python3', worker, dir], { stdio: ['pipe', 'pipe', 'pipe'] });
  const killer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  try {
    let outText = '';
    let errText = '';
    child.stderr.on('data', (d: Buffer) => {
      errText += d.toString();
    });
    const waitFor = (re: RegExp) =>
      new Promise<string>((resolve, reject) => {
        const check = () => {
          const m = re.exec(outText);
          if (m) resolve(m[0]);
        };
        child.stdout.on('data', (d: Buffer) => {
          outText += d.toString();
          check();
        });
        child.on('exit', () => reject(new Error(`worker exited: ${errText}`)));
        check();
      });
    await waitFor(/captured\n/);
    const r = buildReport(readProcSnapshot(dir));
    child.stdin.write('go\n');
    const line = await waitFor(/\{[^\n]*\}\n/);
    const counts = JSON.parse(line) as Record<string, number>;

    // 20 ports; the two bind(127.0.0.1, 0) sockets hold two (odd, R40) for every destination.
    assert.deepEqual([r.rangeSize, r.bindHeldInRange, r.candidatePorts], [20, 2, 18]);
    const row = (d: string) => r.destinations.find((x) => x.source === '127.0.0.1' && x.destination === d);
    assert.deepEqual(
      [row('127.0.0.1:5000')?.established, row('127.0.0.1:5000')?.timeWait, row('127.0.0.1:5000')?.headroom],
      [4, 3, 18 - 7],
    );
    assert.deepEqual([row('127.0.0.1:6000')?.established, row('127.0.0.1:6000')?.bindHeld], [2, 2]);
    assert.equal(row('127.0.0.1:6000')?.headroom, 18);
    assert.equal(r.freshHeadroom, 18);
    // The kernel, connecting until EADDRNOTAVAIL from the same state:
    assert.deepEqual(counts, { '127.0.0.1:5000': 11, '127.0.0.1:6000': 18, '127.0.0.1:7000': 18 });
  } finally {
    clearTimeout(killer);
    if (child.exitCode === null) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});
