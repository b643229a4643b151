/**
 * `npm run bench:connector-soak [-- --json] [-- --cycles N] [-- --seconds S]`: the connector's
 * soak (issue 13). N connect/close cycles (default 1,000,000, at most S seconds, default 600)
 * through one connector (userspace strategy, sources 127.0.0.2-127.0.0.5, a small port set
 * 20000-20127, so each (source, port) is reused thousands of times), 64 in flight, to a node:net
 * server on 127.0.0.1:9000 in its own process. Every other cycle the server closes first (its side
 * goes to TIME_WAIT, ours through CLOSE_WAIT, R60), the others we close first (our side goes to
 * TIME_WAIT, and the pool hands the port out again while the entry lasts: a bound connect()
 * recycles a TIME_WAIT entry with timestamps at once, R63).
 *
 * It runs itself again under `unshare -n` (root only) and changes sysctls only inside that
 * namespace, after checking it is not the host's: ip_local_port_range 61000-61099 (small: the
 * ports the kernel would pick itself; the connector's default ports would be everything outside)
 * and tcp_tw_reuse 1 (recycle TIME_WAIT for the kernel's own port search too; for our bound
 * connects R63 decides, with tcp_timestamps left at 1).
 *
 * Every sample (about 100 over the run) stops new cycles, waits for the ones in flight to end,
 * runs gc() when started with --expose-gc, and reads heapUsed, RSS, open fds (/proc/self/fd), the
 * connector's counts (openCounts, stats) and its modelView against the kernel's /proc/net/tcp:
 * every 4-tuple the model holds for us must be in the kernel's table (no entries for sockets that
 * are gone). Slopes are least squares over the second half of the samples (the first half holds
 * the warm-up and the first 60 s, while TIME_WAIT entries pile up to their steady level).
 * A benchmark: it never fails; it prints verdict lines.
 */
import { type ChildProcess, execFileSync, fork, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { createConnector } from '../src/connector/index.js';
import { loadAvailability } from '../src/load/availability.js';

const SOURCES = ['127.0.0.2', '127.0.0.3', '127.0.0.4', '127.0.0.5'];
const PORTS: [number, number] = [20000, 20127];
const DEST = { host: '127.0.0.1', port: 9000 };
const CONCURRENCY = 64;
/**
 * Below this growth (bytes per cycle) a slope counts as flat: one leaked object per cycle (a
 * JS object with a field and the slot that keeps it) is more. (Until the model's timer heap let
 * recycled TIME_WAIT entries go at once, R63, the heap followed the cycle rate of the last minute;
 * docs/load.md, "Soak".)
 */
const FLAT_BYTES_PER_CYCLE = 32;
const SAMPLES = 100;

const argv = process.argv.slice(2);
function numArg(name: string, dflt: number, lo: number, hi: number): number {
  const i = argv.indexOf(name);
  if (i < 0) return dflt;
  const v = Number(argv[i + 1]);
  if (!Number.isInteger(v) || v < lo || v > hi) {
    console.error(`bench:connector-soak: ${name} must be an integer from ${lo} to ${hi}`);
    process.exit(2);
  }
  return v;
}
const asJson = argv.includes('--json');
const cycles = numArg('--cycles', 1_000_000, 1_000, 10_000_000);
const seconds = numArg('--seconds', 600, 5, 7_200);

// ---- outside: re-run under unshare -n ---------------------------------------------------------

function runOuter(): void {
  const a = loadAvailability();
  if (!a.ok) {
    console.error(`bench:connector-soak: skipped: ${a.reason}`);
    process.exit(0);
  }
  const script = process.argv[1] as string;
  const r = spawnSync('unshare', ['-n', process.execPath, ...process.execArgv, script, ...argv], {
    stdio: 'inherit',
    env: {
      ...process.env,
      PORTSPACE_SOAK_ROLE: 'inner',
      PORTSPACE_PARENT_NETNS: readlinkSync('/proc/self/ns/net'),
    },
    timeout: (seconds + 300) * 1000,
  });
  process.exit(r.status ?? 1);
}

// ---- the server: its own process, so the connector's fds and memory are the connector's ------

function runServer(): void {
  const server = net.createServer((s) => {
    s.on('error', () => {});
    // 'S': the server closes first; 'C': the client does (and its FIN comes with the byte).
    s.once('data', (d) => {
      if (d[0] === 0x53) s.end();
    });
  });
  server.listen(DEST.port, DEST.host, () => process.send?.('listening'));
  process.on('disconnect', () => process.exit(0));
}

// ---- inside the namespace ---------------------------------------------------------------------

interface Sample {
  cycle: number;
  seconds: number;
  heapUsed: number;
  rss: number;
  fds: number;
  modelEntries: number;
  modelTimeWait: number;
  kernelEntries: number;
  kernelTimeWait: number;
  /** Model 4-tuples of ours that the kernel's table does not hold. */
  stale: number;
}

function setUpNamespace(): void {
  if (readlinkSync('/proc/self/ns/net') === process.env.PORTSPACE_PARENT_NETNS)
    throw new Error('bench:connector-soak: not in a private network namespace; refusing to set sysctls');
  execFileSync('ip', ['link', 'set', 'lo', 'up']);
  writeFileSync('/proc/sys/net/ipv4/ip_local_port_range', '61000 61099');
  writeFileSync('/proc/sys/net/ipv4/tcp_tw_reuse', '1');
}

function startServer(): Promise<ChildProcess> {
  const c = fork(process.argv[1] as string, [], {
    execArgv: process.execArgv.filter((a) => a !== '--expose-gc'),
    env: { ...process.env, PORTSPACE_SOAK_ROLE: 'server' },
  });
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('the soak server did not listen within 60 s')), 60_000);
    c.once('message', () => {
      clearTimeout(t);
      resolve(c);
    });
    c.once('exit', (code) => reject(new Error(`the soak server exited (${code})`)));
  });
}

const hex = (ip: string) =>
  ip
    .split('.')
    .map((b) => Number(b).toString(16).padStart(2, '0').toUpperCase())
    .reverse()
    .join('');
const srcHex = new Map(SOURCES.map((s) => [hex(s), s]));
const destHex = `${hex(DEST.host)}:${DEST.port.toString(16).toUpperCase().padStart(4, '0')}`;

/** The kernel's entries from our sources to the destination: `local -> remote` and TIME_WAIT count. */
function kernelTable(): { tuples: Set<string>; timeWait: number } {
  const tuples = new Set<string>();
  let timeWait = 0;
  const lines = readFileSync('/proc/net/tcp', 'utf8').split('\n');
  for (let i = 1; i < lines.length; i++) {
    const f = (lines[i] as string).trim().split(/\s+/);
    if (f.length < 4 || f[2] !== destHex) continue;
    const [lip, lport] = (f[1] as string).split(':') as [string, string];
    const src = srcHex.get(lip);
    if (!src) continue;
    tuples.add(`${src}:${Number.parseInt(lport, 16)} -> ${DEST.host}:${DEST.port}`);
    if (f[3] === '06') timeWait++;
  }
  return { tuples, timeWait };
}

function slope(points: readonly { x: number; y: number }[]): number {
  const n = points.length;
  if (n < 2) return 0;
  const mx = points.reduce((a, p) => a + p.x, 0) / n;
  const my = points.reduce((a, p) => a + p.y, 0) / n;
  let num = 0;
  let den = 0;
  for (const p of points) {
    num += (p.x - mx) * (p.y - my);
    den += (p.x - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

async function runInner(): Promise<void> {
  setUpNamespace();
  const server = await startServer();
  const connector = createConnector({ sources: SOURCES, ports: [PORTS], maxAttempts: 8 });
  const gc = (globalThis as { gc?: () => void }).gc;
  const sampleEvery = Math.max(1_000, Math.floor(cycles / SAMPLES));
  const errors = new Map<string, number>();
  const samples: Sample[] = [];
  const t0 = performance.now();
  const deadline = t0 + seconds * 1000;
  let started = 0;
  let done = 0;
  let ok = 0;
  let inFlight = 0;
  let gate: Promise<void> | null = null;
  let nextSample = 0;

  const sample = (): Sample => {
    gc?.();
    const m = process.memoryUsage();
    const view = connector.modelView();
    const k = kernelTable();
    let stale = 0;
    for (const line of view) {
      const tuple = line.slice(0, line.lastIndexOf(' '));
      if (!k.tuples.has(tuple)) stale++;
    }
    const s: Sample = {
      cycle: done,
      seconds: (performance.now() - t0) / 1000,
      heapUsed: m.heapUsed,
      rss: m.rss,
      fds: readdirSync('/proc/self/fd').length,
      modelEntries: view.length,
      modelTimeWait: view.filter((l) => l.endsWith('TIME_WAIT')).length,
      kernelEntries: k.tuples.size,
      kernelTimeWait: k.timeWait,
      stale,
    };
    samples.push(s);
    if (!asJson)
      process.stderr.write(
        `\r${done.toLocaleString('en-US')} cycles, ${s.seconds.toFixed(0)} s, heap ${(s.heapUsed / 2 ** 20).toFixed(1)} MiB, RSS ${(s.rss / 2 ** 20).toFixed(1)} MiB, fds ${s.fds}, model ${s.modelEntries} / kernel ${s.kernelEntries}   `,
      );
    return s;
  };

  /** Stops new cycles, waits for the ones in flight, samples, goes on. */
  const quiesce = async (): Promise<void> => {
    let release = () => {};
    gate = new Promise<void>((r) => {
      release = r;
    });
    const until = Date.now() + 10_000;
    while (inFlight > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 1));
    sample();
    gate = null;
    release();
  };

  const one = async (n: number): Promise<void> => {
    const s = await connector.connect(DEST);
    await new Promise<void>((resolve) => {
      s.on('error', (e) => count(e));
      s.once('close', () => resolve());
      s.resume();
      if (n % 2 === 0) s.end('C');
      else s.write('S');
    });
  };
  const count = (e: unknown) => {
    const code = (e as { code?: string }).code ?? (e as Error).name ?? 'unknown';
    errors.set(code, (errors.get(code) ?? 0) + 1);
  };

  sample();
  nextSample = sampleEvery;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      for (;;) {
        while (gate) await gate;
        if (started >= cycles || performance.now() > deadline) return;
        const n = started++;
        inFlight++;
        try {
          await one(n);
          ok++;
        } catch (e) {
          count(e);
        }
        inFlight--;
        done++;
        if (done >= nextSample && !gate) {
          nextSample += sampleEvery;
          await quiesce();
        }
      }
    }),
  );
  const wall = (performance.now() - t0) / 1000;
  const last = samples[samples.length - 1];
  if (!last || last.cycle !== done) sample();
  const end = samples[samples.length - 1] as Sample;
  const counts = connector.openCounts();
  const pairs = connector.stats();
  connector.close({ destroySockets: true });
  server.disconnect();
  server.kill();

  const half = samples.slice(Math.floor(samples.length / 2));
  const per100k = (f: (s: Sample) => number) => slope(half.map((s) => ({ x: s.cycle, y: f(s) }))) * 100_000;
  const heapSlope = per100k((s) => s.heapUsed);
  const rssSlope = per100k((s) => s.rss);
  const start = samples[0] as Sample;
  const result = {
    cycles: done,
    requestedCycles: cycles,
    stoppedBy: done < cycles ? `--seconds ${seconds}` : 'cycles',
    ok,
    wallSeconds: +wall.toFixed(1),
    cyclesPerSecond: Math.round(done / wall),
    concurrency: CONCURRENCY,
    sources: SOURCES,
    ports: `${PORTS[0]}-${PORTS[1]}`,
    gc: gc !== undefined,
    samples: samples.length,
    heapSlopeBytesPer100k: Math.round(heapSlope),
    rssSlopeBytesPer100k: Math.round(rssSlope),
    heapStartEnd: [start.heapUsed, end.heapUsed],
    heapSecondHalfMinMax: [
      Math.min(...half.map((s) => s.heapUsed)),
      Math.max(...half.map((s) => s.heapUsed)),
    ],
    rssSecondHalfMinMax: [Math.min(...half.map((s) => s.rss)), Math.max(...half.map((s) => s.rss))],
    rssStartEnd: [start.rss, end.rss],
    fdsStartEnd: [start.fds, end.fds],
    end: {
      modelEntries: end.modelEntries,
      modelTimeWait: end.modelTimeWait,
      kernelEntries: end.kernelEntries,
      kernelTimeWait: end.kernelTimeWait,
      staleModelEntries: end.stale,
      openCounts: counts,
      pairs: pairs.length,
      statsInUse: pairs.reduce((a, p) => a + p.inUse, 0),
      statsTimeWait: pairs.reduce((a, p) => a + p.timeWait, 0),
    },
    maxStaleModelEntries: Math.max(...samples.map((s) => s.stale)),
    maxModelEntries: Math.max(...samples.map((s) => s.modelEntries)),
    divergences: connector.divergences,
    errors: Object.fromEntries(errors),
    /** [cycle, seconds, heapUsed, rss, fds, model entries, kernel entries, stale] per sample. */
    series: samples.map((s) => [
      s.cycle,
      +s.seconds.toFixed(1),
      s.heapUsed,
      s.rss,
      s.fds,
      s.modelEntries,
      s.kernelEntries,
      s.stale,
    ]),
  };

  // Only growth counts: a falling slope (the rate, and with it the model's timers, went down) is flat.
  const flat = (b: number) => b / 100_000 < FLAT_BYTES_PER_CYCLE;
  const kib = (b: number) => `${(b / 1024).toFixed(1)} KiB`;
  const mib = ([lo, hi]: number[]) =>
    `${((lo ?? 0) / 2 ** 20).toFixed(1)}-${((hi ?? 0) / 2 ** 20).toFixed(1)} MiB`;
  const verdicts = [
    `heap: ${flat(heapSlope) ? 'flat' : 'NOT flat'} (${kib(heapSlope)} per 100k cycles over the second half${gc ? ', after gc()' : ', without --expose-gc'}; ${mib(result.heapSecondHalfMinMax)} there)`,
    `RSS: ${flat(rssSlope) ? 'flat' : 'NOT flat'} (${kib(rssSlope)} per 100k cycles over the second half; ${mib(result.rssSecondHalfMinMax)} there)`,
    `fds: ${end.fds <= start.fds ? 'no leak' : 'LEAK'} (${start.fds} at start, ${end.fds} at end)`,
    `model: ${end.stale === 0 && counts.tracked === 0 && counts.poolInUse === 0 ? 'no entries for sockets that are gone at the end' : 'STALE entries at the end'} (at end ${end.modelEntries} model entries, ${end.kernelEntries} in the kernel's table; worst sample ${result.maxStaleModelEntries} stale; tracked ${counts.tracked}, pool in use ${counts.poolInUse})`,
  ];
  if (asJson) console.log(JSON.stringify({ ...result, verdicts }, null, 2));
  else {
    process.stderr.write('\n');
    const f = (n: number) => Math.round(n).toLocaleString('en-US');
    console.log(
      `${f(done)} cycles (${result.stoppedBy === 'cycles' ? 'all' : `of ${f(cycles)}, stopped by ${result.stoppedBy}`}) in ${wall.toFixed(1)} s: ${f(result.cyclesPerSecond)} cycles/s, ${CONCURRENCY} in flight, ${SOURCES.length} sources x ports ${result.ports}`,
    );
    console.log(
      `heap ${(start.heapUsed / 2 ** 20).toFixed(1)} -> ${(end.heapUsed / 2 ** 20).toFixed(1)} MiB, RSS ${(start.rss / 2 ** 20).toFixed(1)} -> ${(end.rss / 2 ** 20).toFixed(1)} MiB, ${samples.length} samples`,
    );
    console.log(
      `errors: ${errors.size === 0 ? 'none' : [...errors].map(([c, n]) => `${c} ${n}`).join(', ')}; model/kernel divergences ${connector.divergences}`,
    );
    for (const v of verdicts) console.log(v);
  }
  process.exit(0);
}

// Last: the constants above must be initialised before either role runs.
const role = process.env.PORTSPACE_SOAK_ROLE;
if (role === 'server') runServer();
else if (role === 'inner') await runInner();
else runOuter();
