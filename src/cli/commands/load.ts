/**
 * `portspace load --to ADDR:PORT --connections N --sources A-B [--strategy S] ...`: opens N
 * connections to one destination with each strategy (the kernel's, bind(ip, 0), the connector),
 * each in a private network namespace of its own, and reports what each reached against the
 * model and /proc. This file parses options and renders; src/load does the work.
 */
import {
  DEFAULT_PER_WORKER,
  type LoadOptions,
  type LoadReport,
  loadAvailability,
  MAX_PER_WORKER,
  parseDestination,
  parsePortRange,
  parseSources,
  runLoad,
  STRATEGIES,
  type Strategy,
  type StrategyReport,
  strategyOk,
} from '../../load/index.js';
import { type Command, intOption, parseCommandArgs, refuseArguments } from '../common.js';
import { CliError, EXIT, usageError } from '../errors.js';
import type { Output } from '../output.js';
import { Progress } from '../progress.js';

const MAX_CONNECTIONS = 500_000;
const MAX_SECONDS = 3600;

const HELP = `usage: portspace load --to ADDR:PORT [--connections N] [--sources A-B]
                      [--strategy userspace|bind|kernel] [--rate R] [--hold S] [--json]

Opens N connections to one destination and keeps them open, with each strategy in turn, in a
private network namespace of its own (loopback only, with its own listener; the host's sysctls
are never touched), then closes them all. Strategies:
  userspace  the connector (src/connector): the model picks source address and port
  bind       net.connect({ localAddress }): bind(ip, 0) then connect(), round-robin over sources
  kernel     plain net.connect(): the kernel picks the port, from the route's source address

Clients run in worker processes and the server side in cluster workers sharing one listening
socket (one process may hold 20,000 files here; a loopback connection costs two). Reports per
strategy: connections reached against the model's prediction and the ESTABLISHED entries in the
namespace's /proc/net/tcp, the first error with its errno and the model's explanation,
connections/s for each tenth of the run, client memory and CPU time per connection, and the
time to close everything.

options:
  --to ADDR:PORT     the destination, on loopback (127.0.0.0/8 or [::1])
  --connections N    connections per strategy, 1..${MAX_CONNECTIONS.toLocaleString('en-US')} (default 10,000)
  --sources A-B      source addresses for userspace and bind: a range (127.0.0.2-127.0.0.5),
                     a list (127.0.0.2,127.0.0.9) or one (default 127.0.0.2-127.0.0.5; ::1 for an
                     IPv6 destination)
  --strategy S       run only this strategy (repeatable; default: userspace, bind, kernel)
  --rate R           new connections per second over all workers (default: as fast as they go)
  --hold S           seconds to keep every connection open before closing (default 0)
  --range LO-HI      ip_local_port_range inside the namespace, also the connector's ports
                     (default 1024-65535)
  --timeout S        bound on each strategy's connect phase, seconds (default 600)
  --per-worker N     connections per worker process, 1..${MAX_PER_WORKER} (default ${DEFAULT_PER_WORKER})
  --json             one JSON document on stdout
  -h, --help         this text

Needs root, unshare (util-linux) and ip (iproute2). Ctrl-C or SIGTERM stops the run: every
connection is closed and every worker ends before the command exits.

exit codes: 0 every strategy reached what the model predicted, /proc agreed and everything
closed; 1 a strategy fell short or disagreed, or the run was stopped; 2 bad input; 3 no
namespace can be made here (not root, no unshare)

examples:
  portspace load --to 127.0.0.1:9000 --connections 100000 --sources 127.0.0.2-127.0.0.5
  portspace load --to 127.0.0.1:9000 --connections 300 --range 40000-40099 --strategy kernel --json`;

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');

function rateText(n: number): string {
  return n >= 10_000 ? `${(n / 1000).toFixed(0)}k` : n >= 1000 ? `${(n / 1000).toFixed(1)}k` : n.toFixed(0);
}

function bytesText(n: number): string {
  const a = Math.abs(n);
  if (a >= 1 << 30) return `${(n / (1 << 30)).toFixed(2)} GiB`;
  if (a >= 1 << 20) return `${(n / (1 << 20)).toFixed(1)} MiB`;
  if (a >= 1 << 10) return `${(n / (1 << 10)).toFixed(1)} KiB`;
  return `${n.toFixed(0)} B`;
}

function floatOption(name: string, v: string | undefined, min: number, max: number): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || n < min || n > max)
    throw usageError(
      `--${name} must be a number from ${min} to ${max}, got '${v}'. See 'portspace load --help'.`,
    );
  return n;
}

function parse<T>(r: { ok: true; value: T } | { ok: false; message: string }): T {
  if (!r.ok) throw usageError(`${r.message}. See 'portspace load --help'.`);
  return r.value;
}

const DESCRIPTION: Readonly<Record<Strategy, string>> = {
  userspace: 'the connector: the model picks source and port',
  bind: 'net.connect({ localAddress }): bind(ip, 0) then connect()',
  kernel: 'plain net.connect(): the kernel picks the port',
  explicit: 'net.connect({ localAddress, localPort }) over its own slice of ports',
};

function strategyText(s: StrategyReport, out: Output): string[] {
  const p = out.paint;
  const head = `${p('bold', s.strategy)}  (${DESCRIPTION[s.strategy]})`;
  if (s.unavailable !== null) return [head, `  ${p('yellow', 'not run')}: ${s.unavailable}`];
  if (s.error !== null) return [head, `  ${p('red', 'failed')}: ${s.error}`];
  const mark = (ok: boolean) => (ok ? p('green', 'agrees') : p('red', 'DIFFERS'));
  const capacity = s.predicted.capacity === null ? '' : ` (capacity ${fmt(s.predicted.capacity)})`;
  const lines = [
    head,
    `  reached      ${fmt(s.reached)} of ${fmt(s.target)}${s.failed > 0 ? `, ${fmt(s.failed)} failed` : ''}${s.skipped > 0 ? `, ${fmt(s.skipped)} not tried (source out of ports)` : ''}`,
    `  model        ${fmt(s.predicted.reached)}${capacity}: ${mark(s.modelAgrees)}`,
    `  /proc        ${fmt(s.proc.clientEstablished)} ESTABLISHED to the destination, ${fmt(s.proc.serverEstablished)} server ends: ${mark(s.procAgrees)}`,
  ];
  const e = s.firstError;
  if (e === null) lines.push('  first error  none');
  else {
    const local =
      e.localAddress === null ? '' : ` from ${e.localAddress}${e.localPort ? `:${e.localPort}` : ''}`;
    lines.push(
      `  first error  ${p('yellow', e.code)}${e.errno === null ? '' : ` (errno ${e.errno})`} from ${e.syscall ?? '?'}()${local} after ${fmt(e.afterConnections)} connections`,
      `               model: ${e.modelAgrees ? '' : p('yellow', 'no match: ')}${e.explanation}`,
    );
  }
  lines.push(
    `  speed        ${fmt(s.perSecond)} conn/s over ${s.connectSeconds.toFixed(2)} s (after ${s.setupSeconds.toFixed(2)} s of set-up); per tenth: ${s.tenths.map((t) => rateText(t.perSecond)).join(' ')}`,
  );
  const m = s.memory;
  lines.push(
    `  memory       client RSS ${bytesText(m.clientRssBefore)} -> ${bytesText(m.clientRssAfter)}${m.perConnection === null ? '' : `: ${bytesText(m.perConnection)} per connection`} (${s.workers.clients} client, ${s.workers.servers} server workers)`,
  );
  const c = s.cpu;
  lines.push(
    `  client CPU   ${c.clientUserSeconds.toFixed(2)} s user + ${c.clientSystemSeconds.toFixed(2)} s system over the connect phase${c.perConnectionMicros === null ? '' : `: ${c.perConnectionMicros.toFixed(0)} µs per connection`}`,
  );
  lines.push(
    s.closeSeconds === null
      ? `  close        ${p('red', 'not everything closed')}: ${fmt(s.leftAfterClose)} entries left`
      : `  close        ${s.closeSeconds.toFixed(2)} s (${fmt(s.timeWaitAfterClose)} TIME_WAIT entries left${s.timeWaitEntered === null || s.timeWaitEntered === s.timeWaitAfterClose ? '' : ` of ${fmt(s.timeWaitEntered)} made`}, gone with the namespace)`,
  );
  if (s.timedOut) lines.push(`  ${p('yellow', 'timed out')}: the connect phase hit --timeout`);
  if (s.interrupted) lines.push(`  ${p('yellow', 'interrupted')}: stopped by a signal`);
  if (s.lost > 0) lines.push(`  ${p('yellow', 'lost')}: ${fmt(s.lost)} connections broke while held`);
  return lines;
}

function summaryTable(r: LoadReport): string[] {
  const rows = r.strategies.map((s) => {
    const first = s.tenths[0]?.perSecond ?? 0;
    const last = s.tenths[s.tenths.length - 1]?.perSecond ?? 0;
    return [
      s.strategy,
      s.unavailable !== null ? 'n/a' : fmt(s.reached),
      s.unavailable !== null ? 'n/a' : fmt(s.predicted.reached),
      s.unavailable !== null ? 'n/a' : fmt(s.proc.clientEstablished),
      s.unavailable !== null ? 'n/a' : fmt(s.perSecond),
      s.unavailable !== null || first === 0 ? 'n/a' : `${((last / first) * 100).toFixed(0)} %`,
      s.memory.perConnection === null ? 'n/a' : bytesText(s.memory.perConnection),
      s.cpu.perConnectionMicros === null ? 'n/a' : `${s.cpu.perConnectionMicros.toFixed(0)} µs`,
      s.closeSeconds === null ? 'n/a' : s.closeSeconds.toFixed(2),
      s.unavailable !== null ? 'not run' : (s.firstError?.code ?? 'none'),
    ];
  });
  const header = [
    'strategy',
    'reached',
    'model',
    '/proc',
    'conn/s',
    'last/first tenth',
    'RSS/conn',
    'CPU/conn',
    'close s',
    'first error',
  ];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]?.length ?? 0)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) =>
        i === 0 || i === cells.length - 1 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0),
      )
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)];
}

function reportText(r: LoadReport, opts: LoadOptions, out: Output): string[] {
  const lines = [
    `portspace load: ${fmt(r.connections)} connections to ${r.to} per strategy; sources ${r.sources.join(', ')}; ip_local_port_range ${r.range[0]}-${r.range[1]}${opts.rate === null ? '' : `; ${fmt(opts.rate)}/s`}${opts.holdSeconds > 0 ? `; held ${opts.holdSeconds} s` : ''}; each in a private network namespace`,
    '',
  ];
  for (const s of r.strategies) lines.push(...strategyText(s, out), '');
  lines.push(...summaryTable(r));
  if (r.interrupted)
    lines.push(
      '',
      out.paint('yellow', 'stopped before the end (Ctrl-C or SIGTERM); every connection was closed'),
    );
  return lines;
}

export const loadCommand: Command = {
  name: 'load',
  summary:
    'open N connections to one destination per strategy (connector, bind, kernel), in a private namespace',
  help: HELP,
  async run(argv, out) {
    const { values, positionals } = parseCommandArgs('load', argv, {
      to: { type: 'string' },
      connections: { type: 'string' },
      sources: { type: 'string' },
      strategy: { type: 'string', multiple: true },
      rate: { type: 'string' },
      hold: { type: 'string' },
      range: { type: 'string' },
      timeout: { type: 'string' },
      'per-worker': { type: 'string' },
      json: { type: 'boolean', default: false },
    });
    if (values.help) {
      out.line(HELP);
      return EXIT.ok;
    }
    refuseArguments('load', positionals);
    if (values.to === undefined) throw usageError(`load needs --to ADDR:PORT. See 'portspace load --help'.`);
    const to = parse(parseDestination(values.to));
    const v6 = to.addr.includes(':');
    const sources = parse(parseSources(values.sources ?? (v6 ? '::1' : '127.0.0.2-127.0.0.5')));
    const mixed = sources.find((a) => a.includes(':') !== v6);
    if (mixed !== undefined)
      throw usageError(
        `--sources: ${mixed} is not of the destination's family (IPv${v6 ? 6 : 4}); give sources of one family. See 'portspace load --help'.`,
      );
    const connections = intOption('load', 'connections', values.connections, 1) ?? 10_000;
    if (connections > MAX_CONNECTIONS)
      throw usageError(
        `--connections must be at most ${fmt(MAX_CONNECTIONS)}, got ${fmt(connections)}. See 'portspace load --help'.`,
      );
    const strategies: Strategy[] = [];
    for (const s of values.strategy ?? STRATEGIES) {
      if (!(STRATEGIES as readonly string[]).includes(s))
        throw usageError(
          `--strategy must be ${STRATEGIES.join(', ')}, got '${s}'. See 'portspace load --help'.`,
        );
      if (!strategies.includes(s as Strategy)) strategies.push(s as Strategy);
    }
    const perWorker = intOption('load', 'per-worker', values['per-worker'], 1) ?? DEFAULT_PER_WORKER;
    if (perWorker > MAX_PER_WORKER)
      throw usageError(
        `--per-worker must be at most ${MAX_PER_WORKER} (one process may hold 20,000 files here), got ${perWorker}. See 'portspace load --help'.`,
      );
    const options: LoadOptions = {
      to,
      connections,
      sources,
      strategies,
      rate: floatOption('rate', values.rate, 1, 1_000_000) ?? null,
      holdSeconds: floatOption('hold', values.hold, 0, MAX_SECONDS) ?? 0,
      range: parse(parsePortRange(values.range ?? '1024-65535')),
      timeoutSeconds: floatOption('timeout', values.timeout, 1, MAX_SECONDS) ?? 600,
      perWorker,
    };
    const available = loadAvailability();
    if (!available.ok)
      throw new CliError(
        'PORTSPACE_KERNEL_UNAVAILABLE',
        `load needs a private network namespace, which cannot be made here: ${available.reason}`,
        EXIT.unavailable,
        { reason: available.reason },
      );

    const stop = new AbortController();
    let signals = 0;
    const onSignal = () => {
      // The first stops cleanly (every socket closed, every worker gone); a third gives up waiting.
      if (++signals >= 3) process.exit(EXIT.failed);
      stop.abort();
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    let progress: Progress | null = null;
    let report: LoadReport;
    try {
      report = await runLoad(options, {
        signal: stop.signal,
        onStrategy: (strategy, i) => {
          progress?.stop();
          progress = new Progress({
            stream: out.stderr,
            total: connections,
            label: `${strategy} (${i + 1}/${strategies.length})`,
            paint: out.paintErr,
          });
        },
        onProgress: (strategy, p) =>
          progress?.update(
            p.established,
            `${strategy} ${p.phase}${p.failed > 0 ? `, ${fmt(p.failed)} failed` : ''}`,
          ),
        onDone: () => {
          progress?.stop();
          progress = null;
        },
      });
    } finally {
      (progress as Progress | null)?.stop();
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
    if (values.json) out.json(report);
    else for (const l of reportText(report, options, out)) out.line(l);
    return report.ok && report.strategies.every(strategyOk) ? EXIT.ok : EXIT.failed;
  },
};
