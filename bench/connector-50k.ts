/**
 * `npm run bench:connector-50k [-- --json] [-- --connections N] [-- --rounds R]`
 * (also the second half of `npm run bench:connector`, after the connector's own costs in
 * bench/connector.ts): 50,000 connections to one destination (127.0.0.1:9000 in a private namespace,
 * ip_local_port_range 1024-65535, one source address 127.0.0.2), each run in a fresh namespace
 * with the same process split (src/load: client workers, cluster server workers):
 *  - connector: createConnector (userspace strategy), each client worker with its shard of ports;
 *  - hand-written: net.connect({ localAddress, localPort }) walking the worker's own slice;
 *  - net.connect: the kernel picks the port (from 127.0.0.1, the route's source), once at the end
 *    (it takes a minute: past half the range every connect() scans the used half, R14).
 * The connector and the hand-written loop run in R rounds (default 3), their order swapped every
 * round (C H, H C, C H, ...), so that neither always runs first or after the slow net.connect:
 * on these shared 2-core machines one strategy's rate moves by a third from run to run, more than
 * the gap being measured. Reported per run: connections/s over the connect phase (all workers
 * start it together, after each has set its strategy up; the set-up is reported apart), its
 * first and last tenth, and the client workers' CPU time per connection (process.cpuUsage: what
 * the strategy costs, whatever else the machine was doing). Per round: connector over
 * hand-written; then the medians. Timing never passes or fails anything.
 */
import { loadAvailability } from '../src/load/availability.js';
import type { StrategyReport } from '../src/load/report.js';
import { runLoad } from '../src/load/run-load.js';
import type { LoadOptions, Strategy } from '../src/load/types.js';

function intArg(name: string, fallback: number, min: number, max: number): number {
  const i = process.argv.indexOf(name);
  const v = i > 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isInteger(v) || v < min || v > max) {
    console.error(`bench:connector: ${name} must be an integer from ${min} to ${max}`);
    process.exit(2);
  }
  return v;
}

const asJson = process.argv.includes('--json');
const connections = intArg('--connections', 50_000, 10, 64_000);
const rounds = intArg('--rounds', 3, 1, 10);

const available = loadAvailability();
if (!available.ok) {
  console.error(`bench:connector: skipped: ${available.reason}`);
  process.exit(0);
}

const LABEL: Readonly<Record<Strategy, string>> = {
  userspace: 'connector',
  kernel: 'net.connect',
  explicit: 'hand-written',
  bind: 'bind',
};

// C H, H C, C H, ...: the pair of each round is adjacent in time, and each goes first as often.
const order: Strategy[] = [];
for (let r = 0; r < rounds; r++)
  order.push(...(r % 2 === 0 ? (['userspace', 'explicit'] as const) : (['explicit', 'userspace'] as const)));
order.push('kernel');

const options: LoadOptions = {
  to: { addr: '127.0.0.1', port: 9000 },
  connections,
  sources: ['127.0.0.2'],
  strategies: order,
  rate: null,
  holdSeconds: 0,
  range: [1024, 65535],
  timeoutSeconds: 900,
  perWorker: 15_000,
};

const report = await runLoad(options, {
  onStrategy: (s, i) => {
    if (!asJson)
      console.error(
        `${LABEL[s]}${s === 'kernel' ? '' : `, round ${Math.floor(i / 2) + 1}`}: ${connections.toLocaleString('en-US')} connections ...`,
      );
  },
});

interface Row {
  readonly way: string;
  /** 1-based round of the connector / hand-written pair; null for net.connect. */
  readonly round: number | null;
  readonly reached: number;
  /** The slowest client worker's set-up (module loading, createConnector): not in `seconds`. */
  readonly setupSeconds: number;
  readonly seconds: number;
  readonly perSecond: number;
  readonly firstTenth: number;
  readonly lastTenth: number;
  readonly lastOverFirst: number;
  /** Client workers' user + system CPU over the connect phase, per connection reached. */
  readonly cpuMicrosPerConnection: number | null;
  readonly rssPerConnection: number | null;
  readonly firstError: string | null;
  /** Why the run could not be made, when it could not. */
  readonly runError: string | null;
}

function row(s: StrategyReport, i: number): Row {
  const first = s.tenths[0]?.perSecond ?? 0;
  const last = s.tenths[s.tenths.length - 1]?.perSecond ?? 0;
  return {
    way: LABEL[s.strategy],
    round: s.strategy === 'kernel' ? null : Math.floor(i / 2) + 1,
    reached: s.reached,
    setupSeconds: s.setupSeconds,
    seconds: s.connectSeconds,
    perSecond: s.perSecond,
    firstTenth: first,
    lastTenth: last,
    lastOverFirst: first > 0 ? last / first : 0,
    cpuMicrosPerConnection: s.cpu.perConnectionMicros,
    rssPerConnection: s.memory.perConnection,
    firstError: s.error !== null ? 'run failed' : (s.firstError?.code ?? null),
    runError: s.error,
  };
}

const rows = report.strategies.map(row);
const median = (xs: readonly number[]): number | null => {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[m] ?? null) : ((s[m - 1] ?? 0) + (s[m] ?? 0)) / 2;
};
const of = (way: string) => rows.filter((r) => r.way === way && r.runError === null);
const perRound = Array.from({ length: rounds }, (_, k) => {
  const c = of('connector').find((r) => r.round === k + 1);
  const h = of('hand-written').find((r) => r.round === k + 1);
  return {
    round: k + 1,
    connectorOverHandWritten: c && h && h.perSecond > 0 ? c.perSecond / h.perSecond : null,
    extraCpuMicrosPerConnection:
      c?.cpuMicrosPerConnection != null && h?.cpuMicrosPerConnection != null
        ? c.cpuMicrosPerConnection - h.cpuMicrosPerConnection
        : null,
  };
});
const present = (xs: readonly (number | null)[]) => xs.filter((x): x is number => x !== null);
const connectorRate = median(of('connector').map((r) => r.perSecond));
const netConnectRate = median(of('net.connect').map((r) => r.perSecond));
const summary = {
  /** The median over rounds of (connector / hand-written) within the round. */
  connectorOverHandWritten: median(present(perRound.map((r) => r.connectorOverHandWritten))),
  connectorOverNetConnect:
    connectorRate !== null && netConnectRate !== null && netConnectRate > 0
      ? connectorRate / netConnectRate
      : null,
  connectorLastOverFirstTenth: median(of('connector').map((r) => r.lastOverFirst)),
  cpuMicrosPerConnection: {
    connector: median(present(of('connector').map((r) => r.cpuMicrosPerConnection))),
    handWritten: median(present(of('hand-written').map((r) => r.cpuMicrosPerConnection))),
    netConnect: median(present(of('net.connect').map((r) => r.cpuMicrosPerConnection))),
  },
  /** The median over rounds of the connector's extra client CPU per connection. */
  connectorExtraCpuMicros: median(present(perRound.map((r) => r.extraCpuMicrosPerConnection))),
};

if (asJson) {
  console.log(
    JSON.stringify({ connections, range: options.range, rounds, rows, perRound, summary }, null, 2),
  );
} else {
  const f = (n: number) => Math.round(n).toLocaleString('en-US');
  const opt = (n: number | null, d = 2) => (n === null ? 'n/a' : n.toFixed(d));
  const cells = rows.map((r) => [
    r.way,
    r.round === null ? '-' : String(r.round),
    f(r.reached),
    r.setupSeconds.toFixed(2),
    r.seconds.toFixed(2),
    f(r.perSecond),
    f(r.firstTenth),
    f(r.lastTenth),
    r.lastOverFirst.toFixed(2),
    r.cpuMicrosPerConnection === null ? 'n/a' : `${r.cpuMicrosPerConnection.toFixed(0)} µs`,
    r.rssPerConnection === null ? 'n/a' : `${(r.rssPerConnection / 1024).toFixed(1)} KiB`,
    r.firstError ?? 'none',
  ]);
  const head = [
    'way',
    'round',
    'reached',
    'set-up s',
    'seconds',
    'conn/s',
    'first tenth/s',
    'last tenth/s',
    'last/first',
    'CPU/conn',
    'RSS/conn',
    'first error',
  ];
  const w = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]?.length ?? 0)));
  const line = (c: string[]) =>
    c.map((x, i) => (i === 0 ? x.padEnd(w[i] ?? 0) : x.padStart(w[i] ?? 0))).join('  ');
  console.log(
    `${f(connections)} connections to 127.0.0.1:9000, range 1024-65535, one source, each run in a fresh namespace, in this order`,
  );
  console.log(line(head));
  for (const c of cells) console.log(line(c));
  for (const r of rows) if (r.runError !== null) console.log(`${r.way}: ${r.runError}`);
  console.log(
    `connector / hand-written per round: ${perRound.map((r) => opt(r.connectorOverHandWritten)).join(', ')}; median ${opt(summary.connectorOverHandWritten)}`,
  );
  const cpu = summary.cpuMicrosPerConnection;
  console.log(
    `client CPU per connection (median): connector ${opt(cpu.connector, 0)} µs, hand-written ${opt(cpu.handWritten, 0)} µs, net.connect ${opt(cpu.netConnect, 0)} µs; the connector's extra (median of rounds) ${opt(summary.connectorExtraCpuMicros, 0)} µs`,
  );
  console.log(
    `connector / net.connect: ${opt(summary.connectorOverNetConnect)}; connector last tenth / first tenth (median): ${opt(summary.connectorLastOverFirstTenth)}`,
  );
}
