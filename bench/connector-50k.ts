/**
 * `npm run bench:connector-50k [-- --json] [-- --connections N]` (also the second half of
 * `npm run bench:connector`, after the connector's own costs in bench/connector.ts): 50,000 connections to one
 * destination (127.0.0.1:9000 in a private namespace, ip_local_port_range 1024-65535, one
 * source address 127.0.0.2), three ways side by side in one run, each in a fresh namespace with
 * the same process split (src/load: client workers, cluster server workers):
 *  - connector: createConnector (userspace strategy), each client worker with its shard of ports;
 *  - net.connect: the kernel picks the port (from 127.0.0.1, the route's source);
 *  - hand-written: net.connect({ localAddress, localPort }) walking the worker's own slice.
 * Reported: connections/s over the connect phase (all workers start it together, after each has
 * set its strategy up; the set-up is reported apart), its first and last tenth, and ratios
 * (connector over hand-written, connector over net.connect, last tenth over first). Timing never
 * passes or fails anything; the machine is shared, so ratios within one run are the numbers to
 * read.
 */
import { loadAvailability } from '../src/load/availability.js';
import type { StrategyReport } from '../src/load/report.js';
import { runLoad } from '../src/load/run-load.js';
import type { LoadOptions, Strategy } from '../src/load/types.js';

const asJson = process.argv.includes('--json');
const nArg = process.argv.indexOf('--connections');
const connections = nArg > 0 ? Number(process.argv[nArg + 1]) : 50_000;
if (!Number.isInteger(connections) || connections < 10 || connections > 64_000) {
  console.error('bench:connector: --connections must be an integer from 10 to 64000');
  process.exit(2);
}

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

const options: LoadOptions = {
  to: { addr: '127.0.0.1', port: 9000 },
  connections,
  sources: ['127.0.0.2'],
  strategies: ['userspace', 'kernel', 'explicit'],
  rate: null,
  holdSeconds: 0,
  range: [1024, 65535],
  timeoutSeconds: 900,
  perWorker: 15_000,
};

const report = await runLoad(options, {
  onStrategy: (s) => {
    if (!asJson) console.error(`${LABEL[s]}: ${connections.toLocaleString('en-US')} connections ...`);
  },
});

interface Row {
  readonly way: string;
  readonly reached: number;
  /** The slowest client worker's set-up (module loading, createConnector): not in `seconds`. */
  readonly setupSeconds: number;
  readonly seconds: number;
  readonly perSecond: number;
  readonly firstTenth: number;
  readonly lastTenth: number;
  readonly lastOverFirst: number;
  readonly rssPerConnection: number | null;
  readonly firstError: string | null;
  /** Why the run could not be made, when it could not. */
  readonly runError: string | null;
}

function row(s: StrategyReport): Row {
  const first = s.tenths[0]?.perSecond ?? 0;
  const last = s.tenths[s.tenths.length - 1]?.perSecond ?? 0;
  return {
    way: LABEL[s.strategy],
    reached: s.reached,
    setupSeconds: s.setupSeconds,
    seconds: s.connectSeconds,
    perSecond: s.perSecond,
    firstTenth: first,
    lastTenth: last,
    lastOverFirst: first > 0 ? last / first : 0,
    rssPerConnection: s.memory.perConnection,
    firstError: s.error !== null ? 'run failed' : (s.firstError?.code ?? null),
    runError: s.error,
  };
}

const rows = report.strategies.map(row);
const by = (w: string) => rows.find((r) => r.way === w);
const ratio = (a: Row | undefined, b: Row | undefined) =>
  a && b && b.perSecond > 0 ? a.perSecond / b.perSecond : null;
const ratios = {
  connectorOverHandWritten: ratio(by('connector'), by('hand-written')),
  connectorOverNetConnect: ratio(by('connector'), by('net.connect')),
  connectorLastOverFirstTenth: by('connector')?.lastOverFirst ?? null,
};

if (asJson) {
  console.log(JSON.stringify({ connections, range: options.range, rows, ratios }, null, 2));
} else {
  const f = (n: number) => Math.round(n).toLocaleString('en-US');
  const cells = rows.map((r) => [
    r.way,
    f(r.reached),
    r.setupSeconds.toFixed(2),
    r.seconds.toFixed(2),
    f(r.perSecond),
    f(r.firstTenth),
    f(r.lastTenth),
    r.lastOverFirst.toFixed(2),
    r.rssPerConnection === null ? 'n/a' : `${(r.rssPerConnection / 1024).toFixed(1)} KiB`,
    r.firstError ?? 'none',
  ]);
  const head = [
    'way',
    'reached',
    'set-up s',
    'seconds',
    'conn/s',
    'first tenth/s',
    'last tenth/s',
    'last/first',
    'RSS/conn',
    'first error',
  ];
  const w = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]?.length ?? 0)));
  const line = (c: string[]) =>
    c.map((x, i) => (i === 0 ? x.padEnd(w[i] ?? 0) : x.padStart(w[i] ?? 0))).join('  ');
  console.log(
    `${f(connections)} connections to 127.0.0.1:9000, range 1024-65535, one source, each way in a fresh namespace`,
  );
  console.log(line(head));
  for (const c of cells) console.log(line(c));
  for (const r of rows) if (r.runError !== null) console.log(`${r.way}: ${r.runError}`);
  const pct = (x: number | null) => (x === null ? 'n/a' : x.toFixed(2));
  console.log(
    `connector / hand-written: ${pct(ratios.connectorOverHandWritten)}; connector / net.connect: ${pct(ratios.connectorOverNetConnect)}; connector last tenth / first tenth: ${pct(ratios.connectorLastOverFirstTenth)}`,
  );
}
