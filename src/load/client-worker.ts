/**
 * Entry file of a client worker process (child_process.fork from the namespace primary). It makes
 * its share of the connections with one strategy, keeps them open, reports progress, and closes
 * them all when told. It holds only client ends: at most its share of fds (under the 20,000-file
 * limit of a process). It lives in the primary's namespace and dies with the primary: when the
 * IPC channel goes, the process exits and the kernel closes its sockets.
 */
import { setMaxListeners } from 'node:events';
import type net from 'node:net';
import { performance } from 'node:perf_hooks';
import { isExhaustion, type StrategyConnect, strategyConnect } from './client-connect.js';
import type { ClientCommand, ClientEvent, ClientResult, ConnectError } from './types.js';

/** Connects in flight at once per worker: enough to keep the kernel busy, few enough to stay fair. */
const IN_FLIGHT = 32;
/**
 * From net.connect() to 'connect'. Generous: the time includes waiting for the event loop, and
 * with plain connect() past half the range every connect() call scans the used half in the
 * kernel (R14), which on a loaded 2-core machine took long enough that 10 s timed out.
 */
const CONNECT_TIMEOUT_MS = 60_000;
/** Errors other than "no port left" in a row before a worker gives up (refused, timed out, ...). */
const MAX_ERRORS_IN_A_ROW = 20;
const PROGRESS_MS = 100;

function send(e: ClientEvent): void {
  // With a callback a closed channel is an error passed here, not an 'error' event that kills us;
  // the 'disconnect' handler below ends the process anyway.
  if (process.connected) process.send?.(e, undefined, undefined, () => {});
}

function describe(e: unknown, worker: number): ConnectError {
  const x = (e ?? {}) as Partial<Record<string, unknown>>;
  const str = (v: unknown) => (typeof v === 'string' ? v : null);
  const num = (v: unknown) => (typeof v === 'number' ? v : null);
  const code = str(x.code) ?? 'UNKNOWN';
  return {
    code,
    errnoName: /^E[A-Z0-9]+$/.test(code) ? code : str(x.errnoName),
    rule: str(x.rule),
    errno: num(x.errno),
    syscall: str(x.syscall),
    address: str(x.address),
    port: num(x.port),
    localAddress: str(x.localAddress),
    localPort: num(x.localPort),
    message: e instanceof Error ? e.message : String(e),
    worker,
    atMs: performance.timeOrigin + performance.now(),
    afterConnections: 0,
  };
}

const sockets = new Set<net.Socket>();
const abort = new AbortController();
// Every connect in flight listens for the stop.
setMaxListeners(IN_FLIGHT * 2, abort.signal);
let closing = false;
let lost = 0;

// Ctrl-C reaches every process of the terminal's group: the primary decides what happens.
process.on('SIGINT', () => {});
process.on('disconnect', () => process.exit(0));

function keep(sock: net.Socket): void {
  sockets.add(sock);
  sock.on('error', () => {});
  sock.on('close', () => {
    sockets.delete(sock);
    if (!closing) lost++;
  });
}

type StartCommand = Extract<ClientCommand, { type: 'start' }>;

/** What 'start' prepared: the strategy's connect (or why it cannot run) and how long that took. */
interface Prepared {
  readonly cmd: StartCommand;
  readonly setup: StrategyConnect | { unavailable: string };
  readonly setupMs: number;
}

/**
 * Sets the strategy up (the connector's modules and createConnector, for userspace) before the
 * primary's 'go': every worker then starts connecting at once, and the connect phase measures
 * connections, not module loading (4 workers loading the model on 2 cores took about 1 s).
 */
async function prepare(cmd: StartCommand): Promise<Prepared> {
  const t0 = performance.now();
  const setup = await strategyConnect({
    strategy: cmd.strategy,
    to: cmd.to,
    sources: cmd.sources,
    worker: cmd.worker,
    workers: cmd.workers,
    ports: cmd.range,
    connectTimeoutMs: CONNECT_TIMEOUT_MS,
  });
  return { cmd, setup, setupMs: performance.now() - t0 };
}

async function connectPhase(p: Prepared, deadlineAt: number): Promise<ClientResult> {
  const { cmd, setup, setupMs } = p;
  const base = {
    worker: cmd.worker,
    share: cmd.share,
    setupMs,
    startedAt: performance.timeOrigin + performance.now(),
    rssBefore: process.memoryUsage.rss(),
  };
  if ('unavailable' in setup)
    return {
      ...base,
      established: 0,
      failed: 0,
      skipped: 0,
      firstError: null,
      times: [],
      rssAfter: base.rssBefore,
      cpuUserMs: 0,
      cpuSystemMs: 0,
      timedOut: false,
      lost: 0,
      unavailable: setup.unavailable,
    };
  const rssBefore = process.memoryUsage.rss();
  // What a strategy costs the client, apart from how busy the rest of the machine was: the
  // benchmark compares strategies by it as well as by their rate (bench/connector-50k.ts).
  const cpuBefore = process.cpuUsage();
  const startedAt = performance.timeOrigin + performance.now();
  const times: number[] = [];
  let started = 0;
  let established = 0;
  let failed = 0;
  let skipped = 0;
  let inFlight = 0;
  let firstError: ConnectError | null = null;
  // Errors that are not "no port left" (refused, timed out, out of files): the attempt counts as
  // failed and the worker goes on, unless they come MAX_ERRORS_IN_A_ROW times in a row.
  let broken = false;
  let inARow = 0;
  const closedLanes = new Set<string>();
  let timedOut = false;
  let waiting = false;
  const t0 = performance.now();
  const progress = setInterval(() => send({ type: 'progress', established, failed }), PROGRESS_MS);
  const deadline = setTimeout(
    () => {
      timedOut = true;
      abort.abort();
    },
    Math.max(deadlineAt - Date.now(), 0),
  );
  await new Promise<void>((resolve) => {
    const finished = () => abort.signal.aborted || broken || started >= cmd.share;
    const pump = (): void => {
      while (!finished() && inFlight < IN_FLIGHT) {
        if (cmd.rate !== null) {
          const wait = t0 + (started * 1000) / cmd.rate - performance.now();
          if (wait > 0) {
            if (!waiting) {
              waiting = true;
              setTimeout(() => {
                waiting = false;
                pump();
              }, wait);
            }
            break;
          }
        }
        const i = started++;
        const lane = setup.lane(i);
        if (closedLanes.has(lane)) {
          skipped++;
          continue;
        }
        inFlight++;
        setup
          .connect(i, abort.signal)
          .then(
            (sock) => {
              established++;
              inARow = 0;
              times.push(performance.timeOrigin + performance.now());
              keep(sock);
            },
            (e: unknown) => {
              failed++;
              // A connect cut short by our own stop or deadline is not the kernel's answer.
              if (abort.signal.aborted) return;
              firstError ??= describe(e, cmd.worker);
              if (isExhaustion(e)) closedLanes.add(lane);
              else if (++inARow >= MAX_ERRORS_IN_A_ROW) broken = true;
            },
          )
          .finally(() => {
            inFlight--;
            pump();
          });
      }
      if (finished() && inFlight === 0) resolve();
    };
    abort.signal.addEventListener('abort', () => pump(), { once: true });
    pump();
  });
  clearInterval(progress);
  clearTimeout(deadline);
  const cpu = process.cpuUsage(cpuBefore);
  send({ type: 'progress', established, failed });
  return {
    ...base,
    rssBefore,
    startedAt,
    established,
    failed,
    skipped,
    firstError,
    times,
    rssAfter: process.memoryUsage.rss(),
    cpuUserMs: cpu.user / 1000,
    cpuSystemMs: cpu.system / 1000,
    timedOut,
    lost,
    unavailable: null,
  };
}

async function closeAll(): Promise<void> {
  closing = true;
  abort.abort();
  await new Promise<void>((resolve) => {
    if (sockets.size === 0) return resolve();
    const check = setInterval(() => {
      if (sockets.size === 0) {
        clearInterval(check);
        resolve();
      }
    }, 5);
    for (const s of sockets) s.destroy();
  });
  send({ type: 'closed', open: sockets.size });
}

let prepared: Promise<Prepared> | null = null;
process.on('message', (m: ClientCommand) => {
  if (m.type === 'start') {
    const p = prepare(m);
    prepared = p;
    void p.then(() => send({ type: 'set-up' }));
  } else if (m.type === 'go' && prepared !== null)
    void prepared
      .then((p) => connectPhase(p, m.deadline))
      .then((result) => send({ type: 'connected', result }));
  else if (m.type === 'stop') abort.abort();
  else if (m.type === 'close') void closeAll();
});
send({ type: 'ready' });
