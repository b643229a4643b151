// The doctor against the real kernel, in private network namespaces (unshare -n): known numbers
// of ESTABLISHED, TIME_WAIT and bind(ip, 0) connections on a 20-port range (live-worker.py); the
// report's counts and headroom must be exact, and the kernel must then accept exactly `headroom`
// more connects to each destination before EADDRNOTAVAIL (R14, R12, R23, R62).
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import { buildReport, type DoctorReport } from '../../src/doctor/index.js';
import { kernelAvailability } from '../../src/kernel/availability.js';
import { readProcSnapshot } from '../../src/procnet/reader.js';

const worker = new URL('./live-worker.py', import.meta.url).pathname;

async function skipReason(): Promise<string | null> {
  const a = await kernelAvailability();
  if (!a.ok) return a.reason;
  if (spawnSync('python3', ['-c', 'pass']).status !== 0) return 'python3 is not installed';
  return null;
}

interface LiveRun {
  readonly report: DoctorReport;
  /** Connects the kernel accepted per destination before EADDRNOTAVAIL. */
  readonly counts: Record<string, number>;
}

/** Runs the worker in a fresh namespace: the doctor's report of its capture, then the kernel's counts. */
async function live(t: TestContext, mode: 'blocking' | 'recycle'): Promise<LiveRun | null> {
  const why = await skipReason();
  if (why !== null) {
    t.skip(why);
    console.log(`skipped: ${why}`);
    return null;
  }
  const dir = mkdtempSync(join(tmpdir(), 'portspace-doctor-'));
  const child = spawn('unshare', ['-n', 'python3', worker, dir, mode], { stdio: ['pipe', 'pipe', 'pipe'] });
  const killer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  try {
    let outText = '';
    let errText = '';
    child.stderr.on('data', (d: Buffer) => {
      errText += d.toString();
    });
    // One reader of stdout; each wait re-checks the whole text so far whenever more arrives.
    const waiters = new Set<() => void>();
    child.stdout.on('data', (d: Buffer) => {
      outText += d.toString();
      for (const w of waiters) w();
    });
    const waitFor = (re: RegExp) =>
      new Promise<string>((resolve, reject) => {
        const check = () => {
          const m = re.exec(outText);
          if (m) {
            waiters.delete(check);
            resolve(m[0]);
          }
        };
        waiters.add(check);
        child.once('exit', () => reject(new Error(`worker exited: ${errText}`)));
        check();
      });
    await waitFor(/captured\n/);
    const report = buildReport(readProcSnapshot(dir));
    child.stdin.write('go\n');
    const counts = JSON.parse(await waitFor(/\{[^\n]*\}\n/)) as Record<string, number>;
    return { report, counts };
  } finally {
    clearTimeout(killer);
    if (child.exitCode === null) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}

function row(r: DoctorReport, destination: string) {
  const d = r.destinations.find((x) => x.source === '127.0.0.1' && x.destination === destination);
  assert.ok(d, `no row for ${destination}`);
  return d;
}

test('live R14, R23, R62 (tcp_tw_reuse=0): TIME_WAIT blocks; headroom exact and reached by the kernel', async (t) => {
  const run = await live(t, 'blocking');
  if (run === null) return;
  const { report: r, counts } = run;
  // 20 ports; the two bind(127.0.0.1, 0) sockets hold two (odd, R40) for every destination.
  assert.deepEqual([r.rangeSize, r.bindHeldInRange, r.candidatePorts], [20, 2, 18]);
  const d5000 = row(r, '127.0.0.1:5000');
  // 4 ESTABLISHED + 3 TIME_WAIT 4-tuples towards :5000 (R62: tcp_tw_reuse=0 never recycles).
  assert.deepEqual(
    [d5000.established, d5000.timeWait, d5000.recyclableTimeWait, d5000.headroom],
    [4, 3, 0, 18 - 7],
  );
  const d6000 = row(r, '127.0.0.1:6000');
  assert.deepEqual([d6000.established, d6000.bindHeld, d6000.headroom], [2, 2, 18]);
  assert.equal(r.freshHeadroom, 18);
  assert.deepEqual(counts, { '127.0.0.1:5000': 11, '127.0.0.1:6000': 18, '127.0.0.1:7000': 18 });
});

test('live R62 (tcp_tw_reuse=2, delay 100 ms): loopback TIME_WAIT older than the delay is recyclable', async (t) => {
  const run = await live(t, 'recycle');
  if (run === null) return;
  const { report: r, counts } = run;
  const d5000 = row(r, '127.0.0.1:5000');
  // The three TIME_WAIT entries are ~500 ms old (> 100 ms) on loopback: only the 4 ESTABLISHED block.
  assert.deepEqual([d5000.timeWait, d5000.recyclableTimeWait, d5000.headroom], [3, 3, 18 - 4]);
  assert.deepEqual(counts, { '127.0.0.1:5000': 14, '127.0.0.1:6000': 18, '127.0.0.1:7000': 18 });
});
