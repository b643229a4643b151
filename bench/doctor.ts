/**
 * `npm run bench:doctor [-- --json]`: how fast portspace doctor reads and analyses /proc/net/tcp.
 * 1. A synthetic 1,000,000-line /proc/net/tcp (8 sources x 500 destinations x 250 sockets, 70 %
 *    ESTABLISHED and 30 % TIME_WAIT) read and analysed: the median of three runs (goal <= 2 s).
 * 2. Side by side with `ss -tan` on one private namespace created here (unshare -n): listeners on
 *    several 127.x addresses, connect+close loops that leave TIME_WAIT entries (they need no file
 *    descriptor) on a wide range; then `ss -tan` and the doctor each read that namespace's table
 *    (nsenter), and the ratio is reported. Timing never passes or fails anything.
 *    PORTSPACE_BENCH_SOCKETS sets how many (default 100,000). TIME_WAIT entries live 60 s, so the
 *    count a namespace can hold is what the loop makes in a minute (about 200,000 here).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildReport } from '../src/doctor/index.js';
import { readProcSnapshot } from '../src/procnet/reader.js';

const asJson = process.argv.includes('--json');
const hex = (n: number, w: number) => n.toString(16).toUpperCase().padStart(w, '0');
const v4 = (a: number, b: number, c: number, d: number) =>
  hex(((d << 24) | (c << 16) | (b << 8) | a) >>> 0, 8);

function synthetic(dir: string, lines: number): void {
  mkdirSync(join(dir, 'net'), { recursive: true });
  const parts: string[] = [
    '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
  ];
  for (let i = 0; i < lines; i++) {
    const src = v4(10, 0, 0, 1 + (i % 8));
    const d = Math.floor(i / 8) % 500;
    const dst = v4(10, 1, d >> 8, d & 255);
    const port = 32768 + (Math.floor(i / 4000) % 28232);
    const tw = i % 10 < 3;
    parts.push(
      `${String(i).padStart(6)}: ${src}:${hex(port, 4)} ${dst}:01BB ${tw ? '06' : '01'} 00000000:00000000 ${tw ? `03:${hex(1000 + (i % 5000), 8)}` : '00:00000000'} 00000000  1000        0 ${tw ? 0 : 100000 + i} ${tw ? '3 0000000000000000' : '1 0000000000000000 20 4 30 10 -1'}`,
    );
  }
  writeFileSync(join(dir, 'net', 'tcp'), `${parts.join('\n')}\n`);
}

/** Wall time and this process's CPU time (the machine is shared: CPU time is the steadier number). */
function timeDoctor(proc: string): { ms: number; cpuMs: number; sockets: number; destinations: number } {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const r = buildReport(readProcSnapshot(proc, { files: ['tcp'] }));
  const c = process.cpuUsage(c0);
  return {
    ms: performance.now() - t0,
    cpuMs: (c.user + c.system) / 1000,
    sockets: r.tcp.sockets,
    destinations: r.destinations.length,
  };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? Number.NaN;
}

async function sideBySide(): Promise<Record<string, unknown>> {
  if (process.getuid?.() !== 0) return { skipped: 'needs root for unshare -n' };
  const which = spawnSync('sh', ['-c', 'command -v ss && command -v nsenter && command -v python3']);
  if (which.status !== 0) return { skipped: 'needs ss (iproute2), nsenter and python3' };
  const target = Number(process.env.PORTSPACE_BENCH_SOCKETS ?? 100_000);
  const child = spawn('unshare', ['-n', 'python3', '-c', WORKER, String(target)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const killer = setTimeout(() => child.kill('SIGKILL'), 300_000);
  try {
    const made = await new Promise<number>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /ready (\d+)/.exec(out);
        if (m) resolve(Number(m[1]));
      });
      child.on('exit', (c) => reject(new Error(`namespace worker exited (${c})`)));
    });
    const ns = ['--net=/proc/' + String(child.pid) + '/ns/net'];
    const wall = (cmd: string, args: string[]) => {
      const t0 = performance.now();
      const r = spawnSync('nsenter', [...ns, cmd, ...args], { maxBuffer: 1 << 30, encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`${cmd} failed: ${r.stderr}`);
      return { ms: performance.now() - t0, stdout: r.stdout };
    };
    // Interleaved (ss, doctor, ss, doctor, ...) so that a burst of load on this shared machine
    // hits both sides alike; medians of five.
    const inner = new URL('./doctor-inner.ts', import.meta.url).pathname;
    // The built CLI as a user runs it (node start-up included), when `npm run build` has run.
    const cli = new URL('../dist/cli/main.js', import.meta.url).pathname;
    const built = existsSync(cli);
    const ssRuns: { ms: number; stdout: string }[] = [];
    const docRuns: { ms: number; stdout: string }[] = [];
    const cliRuns: number[] = [];
    const catRuns: number[] = [];
    for (let i = 0; i < 5; i++) {
      ssRuns.push(wall('ss', ['-tan']));
      if (built) cliRuns.push(wall(process.execPath, [cli, 'doctor', '--json']).ms);
      catRuns.push(wall('cat', ['/proc/net/tcp']).ms);
      docRuns.push(wall(process.execPath, ['--import', 'tsx', inner]));
    }
    const catMs = median(catRuns);
    const cliMs = built ? Math.round(median(cliRuns)) : null;
    const ssMs = median(ssRuns.map((r) => r.ms));
    const doctorMs = median(docRuns.map((r) => r.ms));
    const inProcess = median(docRuns.map((r) => (JSON.parse(r.stdout) as { ms: number }).ms));
    const sockets = (JSON.parse(docRuns[0]?.stdout ?? '{}') as { sockets?: number }).sockets ?? 0;
    return {
      made,
      sockets,
      ssLines: (ssRuns[0]?.stdout.split('\n').length ?? 1) - 2,
      ssMs: Math.round(ssMs),
      catProcNetTcpMs: Math.round(catMs),
      tsxProcessMs: Math.round(doctorMs),
      cliMs,
      ratioCli: cliMs === null ? null : Number((cliMs / ssMs).toFixed(2)),
      doctorInProcessMs: Math.round(inProcess),
      ratioTsxProcess: Number((doctorMs / ssMs).toFixed(2)),
      ratioInProcess: Number((inProcess / ssMs).toFixed(2)),
    };
  } finally {
    clearTimeout(killer);
    child.stdin.end();
    if (child.exitCode === null) child.kill('SIGKILL');
  }
}

/** Runs in the namespace: TIME_WAIT entries by connect + close (we close first) to 8 listeners. */
const WORKER = `
import socket, subprocess, sys, time
subprocess.run(["ip","link","set","lo","up"], check=True)
open("/proc/sys/net/ipv4/ip_local_port_range","w").write("1024 65535")
open("/proc/sys/net/ipv4/tcp_tw_reuse","w").write("0")
open("/proc/sys/net/ipv4/tcp_max_tw_buckets","w").write("1000000")
target = int(sys.argv[1]); ls = []
for k in range(1, 9):
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.%d" % k, 80)); s.listen(4096); ls.append(s)
n = 0; t0 = time.time()
while n < target and time.time() - t0 < 120:
    for k, l in enumerate(ls):
        c = socket.socket()
        try: c.connect(("127.0.0.%d" % (k + 1), 80))
        except OSError: c.close(); continue
        a, _ = l.accept(); c.close(); a.close(); n += 1
print("ready", n, flush=True); sys.stdin.readline()
`;

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'portspace-bench-'));
  const result: Record<string, unknown> = {};
  try {
    synthetic(dir, 1_000_000);
    const runs = [0, 1, 2].map(() => timeDoctor(dir));
    result.synthetic = {
      lines: 1_000_000,
      medianMs: Math.round(median(runs.map((r) => r.ms))),
      runsMs: runs.map((r) => Math.round(r.ms)),
      medianCpuMs: Math.round(median(runs.map((r) => r.cpuMs))),
      destinations: runs[0]?.destinations,
      goalMs: 2000,
    };
    result.namespace = await sideBySide();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  if (asJson) console.log(JSON.stringify(result, null, 2));
  else {
    const s = result.synthetic as { medianMs: number; medianCpuMs: number; runsMs: number[] };
    console.log(
      `synthetic 1,000,000-line /proc/net/tcp: read + analysed in ${s.medianMs} ms wall, ${s.medianCpuMs} ms CPU (runs ${s.runsMs.join(', ')} ms; goal <= 2000 ms)`,
    );
    const n = result.namespace as Record<string, number> | { skipped: string };
    if ('skipped' in n) console.log(`namespace side by side: skipped (${n.skipped})`);
    else
      console.log(
        `namespace with ${n.sockets} sockets: ss -tan ${n.ssMs} ms; cat /proc/net/tcp ${n.catProcNetTcpMs} ms; \`portspace doctor --json\` ${n.cliMs ?? '(not built)'} ms; read + analysis in process ${n.doctorInProcessMs} ms; doctor/ss = ${n.ratioCli ?? '-'} (built CLI), ${n.ratioInProcess} (read + analysis)`,
      );
  }
}

await main();
