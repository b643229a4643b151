/**
 * The connector's numbers as Prometheus metrics on the application's own prom-client registry,
 * named the node_exporter way (usage and limit side by side, like node_filefd_allocated /
 * node_filefd_maximum). Values are read from stats() at scrape time; nothing runs in between.
 * One series per (source, destination) pair: many destinations mean many series.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { PairStats } from './pair-book.js';

export interface MetricsOptions {
  /** Name prefix (default 'portspace_connector'). */
  readonly prefix?: string;
}

const LABELS = ['source', 'destination'] as const;

type Row = keyof Pick<PairStats, 'inUse' | 'capacity' | 'timeWait' | 'headroom' | 'onHold'>;
type Total = keyof Pick<PairStats, 'attempts' | 'failures' | 'collisions'>;

const GAUGES: readonly [string, Row, string][] = [
  ['ports_in_use', 'inUse', 'Local ports our connections hold towards the destination (usage).'],
  ['ports_limit', 'capacity', 'Local ports this process may use towards the destination (limit).'],
  ['ports_time_wait', 'timeWait', 'Our TIME_WAIT entries towards the destination (R60).'],
  ['ports_headroom', 'headroom', 'Connections the pair could still take now.'],
  ['ports_on_hold', 'onHold', 'Ports the kernel refused recently (held by other programs).'],
];

const COUNTERS: readonly [string, Total, string][] = [
  ['connect_attempts_total', 'attempts', 'TCP handshakes started.'],
  [
    'connect_failures_total',
    'failures',
    'TCP handshakes that failed (refused, reset, timeout, abort, collision).',
  ],
  ['connect_collisions_total', 'collisions', 'Kernel EADDRINUSE / EADDRNOTAVAIL, retried on another port.'],
];

export function registerConnectorMetrics(
  registry: Registry,
  stats: () => PairStats[],
  opts: MetricsOptions = {},
): void {
  const prefix = opts.prefix ?? 'portspace_connector';
  if (!/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(prefix))
    throw new Error(`metrics prefix ${JSON.stringify(prefix)} is not a Prometheus metric name`);
  // What every series shares: the name under the prefix, one label pair per (source, destination).
  const base = (name: string, help: string) => ({
    name: `${prefix}_${name}`,
    help,
    labelNames: LABELS,
    registers: [registry],
  });
  const labels = (s: PairStats) => ({ source: s.source, destination: s.destination });
  for (const [name, field, help] of GAUGES)
    new Gauge({
      ...base(name, help),
      collect() {
        this.reset();
        for (const s of stats()) this.set(labels(s), s[field]);
      },
    });
  for (const [name, field, help] of COUNTERS)
    new Counter({
      ...base(name, help),
      collect() {
        this.reset();
        for (const s of stats()) this.inc(labels(s), s[field]);
      },
    });
}
