/**
 * Entry file of the primary inside the load's private network namespace (started by run-load.ts
 * as `unshare -n node netns-primary.js`, with an IPC channel to the CLI's process). For one
 * strategy it: checks it is not in the host's namespace, brings lo up, sets ip_local_port_range
 * (inside this namespace only), starts the server workers (cluster, one shared listening socket)
 * and the client workers (child_process.fork, a share each), relays progress, counts the
 * ESTABLISHED entries in /proc, holds, closes everything and reports. When the CLI's process
 * goes away, or on abort, it closes down; its workers exit with it, and the namespace with all
 * its sockets goes when the last of them does.
 */
import { type ChildProcess, fork, spawnSync } from 'node:child_process';
import cluster, { type Worker } from 'node:cluster';
import { readlinkSync, writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { childExecArgv, entryFile } from './entry-files.js';
import { workerPlan } from './plan.js';
import { countInProc, type ProcCount, sameCount, timeWaitEntered } from './proc-count.js';
import { tenths } from './rates.js';
import type {
  ClientEvent,
  ClientResult,
  ConnectError,
  LoadOptions,
  Phase,
  PrimaryCommand,
  PrimaryEvent,
  ServerEvent,
  Strategy,
  StrategyRun,
} from './types.js';

/** Worker start-up: 8 Node processes took more than 30 s to listen on the loaded 2-core machine. */
const START_MS = 180_000;
/** The whole close phase (100,000 connections took 104 s on the loaded 2-core machine). */
const CLOSE_MS = 180_000;
/**
 * After an abort, everything must be gone within this time, or the workers are killed. Closing
 * 100,000 connections took 104 s on the loaded 2-core machine (reading /proc/net/tcp included).
 */
const ABORT_GRACE_MS = 240_000;

function send(e: PrimaryEvent): void {
  // A closed channel: ignore (the 'disconnect' handler below ends the process).
  if (process.connected) process.send?.(e, undefined, undefined, () => {});
}

class Fatal extends Error {}

let aborted = false;
const onAbort: (() => void)[] = [];
const clients: ChildProcess[] = [];
const servers: Worker[] = [];

function abort(): void {
  if (aborted) return;
  aborted = true;
  for (const f of onAbort) f();
  setTimeout(() => {
    killAll();
    send({
      type: 'fatal',
      message: `workers did not close within ${ABORT_GRACE_MS / 1000} s of the stop; killed`,
    });
    process.exit(1);
  }, ABORT_GRACE_MS).unref();
}

function killAll(): void {
  for (const c of clients) if (c.exitCode === null) c.kill('SIGKILL');
  for (const w of servers) if (!w.isDead()) w.process.kill('SIGKILL');
}

// Ctrl-C reaches this process too (same terminal group); SIGTERM may come from the parent.
process.on('SIGINT', abort);
process.on('SIGTERM', abort);
process.on('disconnect', () => {
  killAll();
  process.exit(1);
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Resolves when `ok()` holds, checking every `everyMs`; false after `ms` or on abort (if `abortable`). */
async function until(ok: () => boolean, ms: number, everyMs = 20, abortable = true): Promise<boolean> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end || (abortable && aborted)) return false;
    await sleep(everyMs);
  }
  return true;
}

function setUpNamespace(o: LoadOptions, hostNetns: string): void {
  // Never touch the host's sysctls: refuse to go on unless unshare really gave us a namespace.
  const here = readlinkSync('/proc/self/ns/net');
  if (here === hostNetns)
    throw new Fatal(`not in a private network namespace (${here} is the host's); refusing to change sysctls`);
  const ip = spawnSync('ip', ['link', 'set', 'lo', 'up'], { encoding: 'utf8' });
  if (ip.status !== 0)
    throw new Fatal(`ip link set lo up failed: ${ip.stderr || ip.error?.message || ip.status}`);
  writeFileSync('/proc/sys/net/ipv4/ip_local_port_range', `${o.range[0]} ${o.range[1]}`);
}

function startServers(o: LoadOptions, count: number, cap: number): Promise<void> {
  cluster.schedulingPolicy = cluster.SCHED_NONE;
  cluster.setupPrimary({ exec: entryFile('server-worker'), execArgv: childExecArgv() });
  let listening = 0;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Fatal(`server workers did not listen within ${START_MS} ms`)),
      START_MS,
    );
    for (let i = 0; i < count; i++) {
      const w = cluster.fork({
        PORTSPACE_LOAD_ADDR: o.to.addr,
        PORTSPACE_LOAD_PORT: String(o.to.port),
        PORTSPACE_LOAD_CAP: String(cap),
      });
      servers.push(w);
      w.on('message', (m: ServerEvent) => {
        if (m.type === 'listening' && ++listening === count) {
          clearTimeout(timer);
          resolve();
        } else if (m.type === 'listen-failed') {
          clearTimeout(timer);
          reject(new Fatal(`a server worker cannot listen on ${o.to.addr}:${o.to.port}: ${m.message}`));
        } else if (m.type === 'count') serverOpen.set(w.id, m.open);
      });
      w.on('exit', (code, signal) => {
        if (!closingDown) workerDied(`server worker ${w.id} exited (code ${code}, signal ${signal})`);
      });
    }
  });
}

const serverOpen = new Map<number, number>();
let closingDown = false;
let fail: ((e: Error) => void) | null = null;

function workerDied(what: string): void {
  fail?.(new Fatal(what));
}

interface ClientState {
  established: number;
  failed: number;
  result: ClientResult | null;
  closed: boolean;
}

async function runStrategy(o: LoadOptions, strategy: Strategy, hostNetns: string): Promise<StrategyRun> {
  let phase: Phase = 'setup';
  setUpNamespace(o, hostNetns);
  const plan = workerPlan(o.connections, o.perWorker);
  await startServers(o, plan.serverWorkers, plan.serverCap);

  const states: ClientState[] = plan.clientShares.map(() => ({
    established: 0,
    failed: 0,
    result: null,
    closed: false,
  }));
  let ready = 0;
  let setUp = 0;
  plan.clientShares.forEach((_share, i) => {
    const c = fork(entryFile('client-worker'), [], { execArgv: childExecArgv(), serialization: 'advanced' });
    clients.push(c);
    c.on('message', (m: ClientEvent) => {
      const s = states[i];
      if (!s) return;
      if (m.type === 'ready') ready++;
      else if (m.type === 'set-up') setUp++;
      else if (m.type === 'progress') {
        s.established = m.established;
        s.failed = m.failed;
      } else if (m.type === 'connected') s.result = m.result;
      else if (m.type === 'closed') s.closed = true;
    });
    // A send to a worker that is gone: its exit is reported below, the send error adds nothing.
    c.on('error', () => {});
    c.on('exit', (code, signal) => {
      if (!closingDown) workerDied(`client worker ${i} exited (code ${code}, signal ${signal})`);
    });
  });
  if (!(await until(() => ready === clients.length, START_MS)))
    throw new Fatal(aborted ? 'stopped during setup' : `client workers did not start within ${START_MS} ms`);

  const sum = (f: (s: ClientState) => number) => states.reduce((a, s) => a + f(s), 0);
  const ticker = setInterval(
    () =>
      send({ type: 'progress', established: sum((s) => s.established), failed: sum((s) => s.failed), phase }),
    100,
  );
  try {
    const rate = o.rate === null ? null : o.rate / clients.length;
    onAbort.push(() => {
      for (const c of clients) c.send({ type: 'stop' });
    });
    clients.forEach((c, i) => {
      c.send({
        type: 'start',
        worker: i,
        workers: clients.length,
        share: plan.clientShares[i] ?? 0,
        strategy,
        to: o.to,
        sources: o.sources,
        range: o.range,
        rate,
      });
    });
    // Every worker sets its strategy up first; then all start connecting together.
    if (!(await until(() => setUp === clients.length, START_MS)))
      throw new Fatal(
        aborted ? 'stopped during setup' : `client workers did not set up within ${START_MS} ms`,
      );
    phase = 'connect';
    const deadline = Date.now() + o.timeoutSeconds * 1000;
    for (const c of clients) c.send({ type: 'go', deadline });
    // The workers stop at their own deadline; this bound only catches a worker that hangs.
    const bound = o.timeoutSeconds * 1000 + 30_000;
    if (!(await until(() => states.every((s) => s.result !== null), bound, 50, false)))
      throw new Fatal(`client workers did not finish within ${bound / 1000} s`);
    const results = states.map((s) => s.result as ClientResult);
    const times = results.flatMap((r) => r.times);
    // The run starts when the first worker starts connecting (not when it was told to).
    const startMs = Math.min(...results.map((r) => r.startedAt));
    let endMs = startMs;
    for (const t of times) if (t > endMs) endMs = t;
    const reached = results.reduce((a, r) => a + r.established, 0);
    const count: ProcCount = countInProc(o.to);

    phase = 'hold';
    if (o.holdSeconds > 0) await until(() => false, o.holdSeconds * 1000, 50);
    const lost = states.reduce((a, s) => a + (s.result?.lost ?? 0), 0);

    phase = 'close';
    closingDown = true;
    const closeStart = performance.now();
    const closeEnd = Date.now() + CLOSE_MS;
    const left = () => Math.max(closeEnd - Date.now(), 0);
    for (const c of clients) c.send({ type: 'close' });
    let after = countInProc(o.to);
    // /proc/net/tcp is read in several read() calls while sockets move from FIN_WAIT2 to
    // TIME_WAIT, and the file is no atomic picture: one reading may miss or repeat an entry that
    // changes state meanwhile. Settled means two readings in a row agree and nothing is closing.
    let previous: ProcCount | null = null;
    const closedOk =
      (await until(() => states.every((s) => s.closed), left(), 10, false)) &&
      (await until(() => [...serverOpen.values()].every((n) => n === 0), left(), 10, false)) &&
      (await until(
        () => {
          after = countInProc(o.to);
          const settled =
            after.clientEstablished + after.serverEstablished + after.closing === 0 &&
            previous !== null &&
            sameCount(previous, after);
          previous = after;
          return settled;
        },
        left(),
        50,
        false,
      ));
    const closeSeconds = closedOk ? (performance.now() - closeStart) / 1000 : null;

    const earliest =
      results
        .map((r) => r.firstError)
        .filter((e): e is ConnectError => e !== null)
        .sort((a, b) => a.atMs - b.atMs)[0] ?? null;
    const firstError =
      earliest === null
        ? null
        : { ...earliest, afterConnections: times.filter((t) => t < earliest.atMs).length };
    return {
      strategy,
      target: o.connections,
      reached,
      failed: results.reduce((a, r) => a + r.failed, 0),
      skipped: results.reduce((a, r) => a + r.skipped, 0),
      procEstablished: count.clientEstablished,
      procServerEnds: count.serverEstablished,
      firstError,
      setupSeconds: Math.max(...results.map((r) => r.setupMs)) / 1000,
      connectSeconds: Math.max(endMs - startMs, 0) / 1000,
      tenths: tenths(times, startMs),
      clientRssBefore: results.reduce((a, r) => a + r.rssBefore, 0),
      clientRssAfter: results.reduce((a, r) => a + r.rssAfter, 0),
      clientCpuUserMs: results.reduce((a, r) => a + r.cpuUserMs, 0),
      clientCpuSystemMs: results.reduce((a, r) => a + r.cpuSystemMs, 0),
      closeSeconds,
      leftAfterClose: after.clientEstablished + after.serverEstablished + after.closing,
      timeWaitAfterClose: after.timeWait,
      timeWaitEntered: timeWaitEntered(),
      clientWorkers: clients.length,
      serverWorkers: servers.length,
      timedOut: results.some((r) => r.timedOut),
      interrupted: aborted,
      lost,
      unavailable: results.find((r) => r.unavailable !== null)?.unavailable ?? null,
    };
  } finally {
    clearInterval(ticker);
  }
}

async function shutdown(code: number): Promise<void> {
  closingDown = true;
  for (const c of clients) c.disconnect();
  for (const w of servers) w.disconnect();
  await until(
    () =>
      clients.every((c) => c.exitCode !== null || c.signalCode !== null) && servers.every((w) => w.isDead()),
    5000,
    20,
    false,
  );
  killAll();
  process.exitCode = code;
  process.disconnect?.();
}

process.on('message', (m: PrimaryCommand) => {
  if (m.type === 'abort') {
    abort();
    return;
  }
  const failed = new Promise<never>((_resolve, reject) => {
    fail = reject;
  });
  Promise.race([runStrategy(m.options, m.strategy, m.hostNetns), failed]).then(
    async (run) => {
      send({ type: 'done', run });
      await shutdown(0);
    },
    async (e: unknown) => {
      send({ type: 'fatal', message: e instanceof Error ? e.message : String(e) });
      killAll();
      await shutdown(1);
    },
  );
});
