/**
 * `portspace plan`: capacity and churn planning on the model, on virtual time. Parses the
 * workload (plan-options.ts), runs one strategy or all four (--compare) on the fast engine (or
 * --engine exact: the full model), and prints the numbers, a terminal chart and advice; --json
 * gives one document, --svg FILE writes the chart as SVG. Exit 0 whatever the plan's failures
 * (they are the answer, not an error); 2 for bad input.
 */
import { writeFileSync } from 'node:fs';
import { type Advice, percent, strategyText } from '../../planner/advice.js';
import { svgChart } from '../../planner/chart-svg.js';
import { textChart } from '../../planner/chart-text.js';
import { answerConcurrent } from '../../planner/concurrent.js';
import type { PlanConfig, StrategyResult } from '../../planner/plan-types.js';
import { readingNotes } from '../../planner/reading-notes.js';
import { endpoint } from '../../planner/recorder.js';
import { planStrategies, runPlan } from '../../planner/run-plan.js';
import { capacityOf, portLifetimeMs, rangeIsExact } from '../../planner/workload.js';
import { type Command, parseCommandArgs, refuseArguments } from '../common.js';
import { CliError, EXIT, usageError } from '../errors.js';
import type { Output } from '../output.js';
import { Progress } from '../progress.js';
import { printConcurrent } from './plan-concurrent.js';
import {
  checkSize,
  DEFAULTS,
  integerOption,
  planConfig,
  seedOption,
  WORKLOAD_OPTIONS,
  workloadConfig,
} from './plan-options.js';

const HELP = `usage: portspace plan --from ADDR --to ADDR:PORT --rate N [options]
       portspace plan --from ADDR --to ADDR:PORT --concurrent N

Capacity and churn planning: replays a workload of new connections on the model's port rules
(Linux 6.18) on virtual time and reports when connect() or bind() first fails, how often, and
how many ports and TIME_WAIT entries are in use; then re-runs it with each tweak that could help.

workload:
  --from ADDR[,ADDR]       local source address(es), used round-robin by the bind strategies
                           (plain connect takes the route's source: the first one)
  --to ADDR:PORT[,...]     remote destination(s), used round-robin ([v6addr]:port for IPv6)
  --rate N                 new connections per second (decimals allowed; 1e6 and 1,000,000 too)
  --concurrent N           instead of --rate: what N connections open at once to one --to take
                           (ports per source address, source addresses needed, R14)
  --hold S                 seconds each connection stays open (default ${DEFAULTS.hold})
  --closer client|server   who closes first; the client keeps TIME_WAIT for 60 s (default ${DEFAULTS.closer})
  --duration S             seconds of virtual time (default ${DEFAULTS.duration})
  --strategy NAME          connect      plain connect() (default)
                           bind0        bind(ip, 0) then connect()          (alias: bind)
                           noport       IP_BIND_ADDRESS_NO_PORT + bind(ip, 0) (alias: no-port)
                           reuseaddr    SO_REUSEADDR + bind(ip, port) chosen round-robin per
                                        destination by the application    (alias: so-reuseaddr)
  --compare                run all four strategies side by side
  --arrivals even|poisson  evenly spaced attempts (default), or a Poisson process of that mean rate

sysctls (net.ipv4.*):
  --range LO-HI            ip_local_port_range (default ${DEFAULTS.range})
  --reserved LIST          ip_local_reserved_ports, like 40000,40010-40020 (default none)
  --tw-reuse 0|1|2         tcp_tw_reuse (default ${DEFAULTS.twReuse}: loopback only)
  --tw-reuse-delay MS      tcp_tw_reuse_delay (default ${DEFAULTS.twReuseDelay})
  --max-tw-buckets N       tcp_max_tw_buckets (default ${DEFAULTS.maxTwBuckets})

output:
  --engine fast|exact      fast: counts, proven equal to exact for even-sized ranges, a lower
                           bound on capacity for odd ones (default); exact: the full model.
                           Advice re-runs each tweak on the same engine
  --seed N                 seed of Poisson arrivals and of the exact engine's choices (default 1)
  --svg FILE               write the chart (ports in use by the fullest unit over time) as SVG
  --json                   one JSON document on stdout
  -h, --help               this text

exit codes: 0 the plan ran (failures in the plan are its answer), 2 bad input

example (one source, one destination, 500/s, the client closes first: the first EADDRNOTAVAIL
comes after 28,232 / 500 = 56.5 s, then ~5.9% of connects fail):
  portspace plan --from 10.0.0.1 --to 10.1.1.1:5432 --rate 500 --hold 0 --closer client \\
    --tw-reuse 0 --duration 180 --strategy connect

example (100,000 connections open at once to one destination: 4 source addresses, or 2 with
the widest range):
  portspace plan --from 10.0.0.1 --to 10.1.1.1:5432 --concurrent 100000`;

function strategyJson(r: StrategyResult) {
  return {
    name: r.name,
    firstFailureAtSec: r.firstFailureAtSec,
    errno: r.errno,
    failedCall: r.failedCall,
    failedFraction: r.failedFraction,
    steadyFailedFraction: r.steadyFailedFraction,
    attempts: r.attempts,
    failed: r.failed,
    peakInUse: r.peakInUse,
    peakTimeWait: r.peakTimeWait,
    peakOpen: r.peakOpen,
    capacity: r.capacity,
    capacityMax: r.capacityMax,
    capacityUnit: r.capacityUnit,
    pairs: r.pairs,
    series: r.series,
  };
}

function num(n: number): string {
  return n.toLocaleString('en-US');
}

/** "10" or, for an odd-sized range, "10-11": the last port is reachable only by some searches (R11, R40). */
function capacityText(r: StrategyResult): string {
  return r.capacityMax > r.capacity ? `${num(r.capacity)}-${num(r.capacityMax)}` : num(r.capacity);
}

function unitText(r: Pick<StrategyResult, 'capacityUnit'>): string {
  return r.capacityUnit === 'source' ? 'source address' : '(source, destination)';
}

function firstFailureText(r: StrategyResult): string {
  return r.firstFailureAtSec === null ? 'none' : `${r.firstFailureAtSec} s`;
}

function strategyBlock(r: StrategyResult, cfg: PlanConfig, out: Output): string[] {
  const p = out.paint;
  const unit = unitText(r);
  const steady =
    r.steadyFailedFraction === null
      ? ''
      : `; steady state ${percent(r.steadyFailedFraction)} (the last ${portLifetimeMs(cfg) / 1000} s: one port lifetime)`;
  const fail =
    r.firstFailureAtSec === null
      ? p('green', `none within ${cfg.durationMs / 1000} s`)
      : p('red', `at ${r.firstFailureAtSec} s: ${r.failedCall}() ${r.errno}`);
  return [
    `${p('bold', `strategy ${r.name}`)} (${strategyText(r.name)})`,
    `  first failure   ${fail}`,
    `  failed          ${num(r.failed)} of ${num(r.attempts)} attempts (${percent(r.failedFraction)})${steady}`,
    `  peak in use     ${num(r.peakInUse)} of ${capacityText(r)} ports per ${unit}`,
    `  peak TIME_WAIT  ${num(r.peakTimeWait)}`,
    `  peak open       ${num(r.peakOpen)}`,
  ];
}

function compareTable(results: readonly StrategyResult[]): string[] {
  const rows = [
    ['strategy', 'first failure', 'errno', 'failed', 'steady', 'peak in use', 'peak TIME_WAIT'],
    ...results.map((r) => [
      r.name,
      firstFailureText(r),
      r.errno ?? '-',
      percent(r.failedFraction),
      r.steadyFailedFraction === null ? '-' : percent(r.steadyFailedFraction),
      `${num(r.peakInUse)}/${capacityText(r)}`,
      num(r.peakTimeWait),
    ]),
  ];
  const widths = rows[0]?.map((_, k) => Math.max(...rows.map((row) => (row[k] ?? '').length))) ?? [];
  return rows.map((row) => `  ${row.map((c, k) => c.padEnd(widths[k] ?? 0)).join('  ')}`.trimEnd());
}

/** Only tweaks that change something are advice (the rest are in --json, with helps: false). */
function adviceLines(advice: readonly Advice[], out: Output): string[] {
  const lines = advice.filter((a) => a.helps).map((a) => `  ${out.paint('green', '+')} ${a.text}`);
  if (lines.length === 0)
    lines.push('  nothing to change: no tweak lowers the failures or the ports in use of this plan');
  lines.push(out.paint('dim', '  (never tcp_tw_recycle: Linux removed it in 4.12)'));
  return lines;
}

/** `--concurrent N`: connections open at once to one destination (planner/concurrent.ts). */
function concurrentPlan(
  values: Record<string, string | boolean | string[] | undefined>,
  out: Output,
): number {
  const text = String(values.concurrent);
  if (values.rate !== undefined)
    throw usageError('--concurrent and --rate ask different questions: give one of them.');
  const n = integerOption('concurrent', text, 1, 1_000_000_000);
  const list = (v: unknown) => (Array.isArray(v) ? v.map(String) : undefined);
  const cfg = planConfig({
    from: list(values.from),
    to: list(values.to),
    rate: '1',
    range: (values.range ?? values['port-range']) as string | undefined,
    reserved: values.reserved as string | undefined,
    seed: 1,
  });
  if (cfg.destinations.length !== 1)
    throw usageError('--concurrent answers for one destination: give one --to.');
  const a = answerConcurrent(cfg, n);
  if (values.json === true) out.json(a);
  else printConcurrent(a, out);
  return EXIT.ok;
}

export const planCommand: Command = {
  name: 'plan',
  summary: 'capacity and churn planning: when connects fail, how many ports and TIME_WAITs, advice',
  help: HELP,
  async run(argv, out) {
    const { values, positionals } = parseCommandArgs('plan', argv, {
      ...WORKLOAD_OPTIONS,
      concurrent: { type: 'string' },
      compare: { type: 'boolean', default: false },
      engine: { type: 'string', default: DEFAULTS.engine },
      seed: { type: 'string' },
      svg: { type: 'string' },
      json: { type: 'boolean', default: false },
    });
    if (values.help) {
      out.line(HELP);
      return EXIT.ok;
    }
    refuseArguments('plan', positionals);
    const engine = values.engine;
    if (engine !== 'fast' && engine !== 'exact')
      throw usageError(`--engine must be 'fast' or 'exact', got '${engine}'.`);
    const seed = seedOption(values.seed);
    if (values.concurrent !== undefined) return concurrentPlan(values, out);
    const cfg = workloadConfig(values, seed);
    const plans = planStrategies(cfg, values.compare);
    const sizes = plans.map((p) => checkSize(p, engine));
    const { results, main, advice } = runPlan(cfg, {
      compare: values.compare,
      engine,
      seed,
      // Drawn on a terminal only, and only for runs long enough to be worth watching.
      watch: (p, k) =>
        new Progress({
          stream: out.stderr,
          total: sizes[k] ?? 0,
          label: `plan ${p.strategy} (${engine})`,
          paint: out.paintErr,
          enabled: out.stderr.isTTY === true && (sizes[k] ?? 0) >= (engine === 'fast' ? 5_000_000 : 200_000),
        }),
    });
    const planNotes = readingNotes(cfg, engine, plans);
    const unitsLabel = results.length > 1 ? '(source, destination); source for bind0' : unitText(main);
    const title = `ports in use by the fullest unit over time: ${num(cfg.rate)}/s from ${cfg.sources.join(', ')} to ${cfg.destinations.map(endpoint).join(', ')}`;
    if (values.svg !== undefined) {
      try {
        writeFileSync(values.svg, svgChart(results, cfg.durationMs, title, unitsLabel));
      } catch (e) {
        throw new CliError(
          'PORTSPACE_FILE_UNWRITABLE',
          `cannot write the SVG chart to '${values.svg}': ${(e as NodeJS.ErrnoException).code ?? String(e)}. Give a path in a writable directory.`,
          EXIT.usage,
          { file: values.svg },
          { cause: e },
        );
      }
    }
    if (values.json) {
      out.json({
        plan: cfg,
        engine,
        strategies: results.map(strategyJson),
        advice: advice.map(({ id, tweak, before, after, helps, text }) => ({
          id,
          tweak,
          before,
          after,
          helps,
          text,
        })),
        notes: planNotes,
        ...(values.svg === undefined ? {} : { svg: values.svg }),
      });
      return EXIT.ok;
    }
    const p = out.paint;
    out.line(
      `${p('bold', 'plan')}: ${num(cfg.rate)} new connections/s${cfg.arrivals?.kind === 'poisson' ? ' (Poisson)' : ''} for ${cfg.durationMs / 1000} s, each open ${cfg.holdMs / 1000} s, the ${cfg.closer} closes first`,
    );
    out.line(
      `  from ${cfg.sources.join(', ')} to ${cfg.destinations.map(endpoint).join(', ')}; ip_local_port_range ${cfg.range[0]} ${cfg.range[1]}${cfg.reserved.length > 0 ? ` (${num(cfg.reserved.length)} reserved)` : ''}, tcp_tw_reuse ${cfg.twReuse}`,
    );
    out.line(
      `  engine: ${engine}${engine === 'exact' ? `, seed ${seed}` : rangeIsExact(cfg.range) ? ' (proven equal to the full model)' : ` (the range has an odd size: it counts ${num(capacityOf({ ...cfg, strategy: 'connect' }))} ports per unit, a lower bound; first failures come no later than on the full model)`}; advice re-runs on the ${engine} engine`,
    );
    out.line();
    if (results.length > 1) {
      for (const line of compareTable(results)) out.line(line);
      out.line();
    } else for (const line of strategyBlock(main, cfg, out)) out.line(line);
    if (results.length === 1) out.line();
    out.line(
      `ports in use (open + TIME_WAIT) by the fullest ${unitText(main)} over time, ${main.name}, of ${capacityText(main)}:`,
    );
    const width = Math.max(20, Math.min(100, ((out.stdout.columns ?? 80) || 80) - 12));
    for (const line of textChart(main.series, {
      durationMs: cfg.durationMs,
      width,
      paint: p,
      capacity: main.capacity,
    }))
      out.line(line);
    if (values.svg !== undefined) out.line(p('dim', `(SVG chart written to ${values.svg})`));
    out.line();
    out.line(p('bold', `advice for ${main.name}:`));
    for (const line of adviceLines(advice, out)) out.line(line);
    if (planNotes.length > 0) {
      out.line();
      for (const n of planNotes) out.line(`${p('yellow', 'note')}: ${n}`);
    }
    return EXIT.ok;
  },
};
