/**
 * `portspace plan`'s options, from argv strings to a checked PlanConfig. Every bad value is a
 * CliError (PORTSPACE_PLAN_INPUT, exit 2) that names the option, the value and what to give
 * instead; a plan over the engine's size bound is PORTSPACE_PLAN_TOO_LARGE.
 */
import { parseAddr } from '../../model/index.js';
import { type PlanConfig, STRATEGIES, type StrategyName } from '../../planner/plan-types.js';
import { attemptCount, capacityOf } from '../../planner/workload.js';
import { CliError, EXIT, usageError } from '../errors.js';

export const DEFAULTS = {
  range: '32768-60999',
  twReuse: '2',
  twReuseDelay: '1000',
  maxTwBuckets: '131072',
  hold: '0',
  closer: 'client',
  duration: '180',
  strategy: 'connect',
  engine: 'fast',
} as const;

/** Attempts per strategy run: the fast engine does ~10M/s, the exact one ~1M/s (bench:plan). */
export const MAX_ATTEMPTS = { fast: 200_000_000, exact: 5_000_000 } as const;
export const MAX_SOURCES = 64;
export const MAX_DESTINATIONS = 64;

const STRATEGY_ALIASES: Readonly<Record<string, StrategyName>> = {
  connect: 'connect',
  plain: 'connect',
  bind0: 'bind0',
  bind: 'bind0',
  'bind-connect': 'bind0',
  noport: 'noport',
  'no-port': 'noport',
  'ip-bind-address-no-port': 'noport',
  ip_bind_address_no_port: 'noport',
  reuseaddr: 'reuseaddr',
  'reuse-addr': 'reuseaddr',
  'so-reuseaddr': 'reuseaddr',
  so_reuseaddr: 'reuseaddr',
};

export function bad(option: string, value: string, what: string): CliError {
  return new CliError(
    'PORTSPACE_PLAN_INPUT',
    `--${option} '${value}': ${what}. See 'portspace plan --help'.`,
    EXIT.usage,
    { option, value },
  );
}

function list(values: readonly string[] | undefined): string[] {
  return (values ?? [])
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter((v) => v !== '');
}

function address(option: string, text: string): { text: string; family: 4 | 6 } {
  const a = parseAddr(text);
  if (!a) throw bad(option, text, 'not an IPv4 or IPv6 address');
  if (a.wildcard) throw bad(option, text, 'the wildcard address is not a host; give a specific address');
  if (a.multicast) throw bad(option, text, 'a multicast address cannot be a TCP endpoint');
  if (a.mapped) throw bad(option, text, `give the IPv4 address itself (${a.key}), not its v4-mapped form`);
  if (a.loopback)
    throw bad(
      option,
      text,
      'loopback is not planned yet (the plan models remote destinations reached from local source addresses); give the addresses your hosts use',
    );
  return { text: a.text, family: a.family };
}

/**
 * A number as people write it: `1000000`, `1e6`, `1.5e3`, `1_000_000` or `1,000,000` (the limit in
 * a message is written with commas, so a value written that way must be accepted too).
 */
function numberText(v: string): number {
  const t = v.trim().replace(/(?<=\d)[_,](?=\d{3}(\D|$))/g, '');
  return /^\d+(\.\d+)?([eE][+-]?\d+)?$/.test(t) ? Number(t) : Number.NaN;
}

function number(option: string, v: string, min: number, max: number, unit: string): number {
  const n = numberText(v);
  if (!Number.isFinite(n) || n < min || n > max)
    throw bad(option, v, `give a number of ${unit} from ${min} to ${max.toLocaleString('en-US')}`);
  return n;
}

export function integerOption(option: string, v: string, min: number, max: number): number {
  return integer(option, v, min, max);
}

function integer(option: string, v: string, min: number, max: number): number {
  const n = numberText(v);
  if (!Number.isInteger(n) || n < min || n > max)
    throw bad(option, v, `give an integer from ${min} to ${max.toLocaleString('en-US')}`);
  return n;
}

export function parseStrategy(v: string): StrategyName {
  const s = STRATEGY_ALIASES[v.toLowerCase()];
  if (!s) throw bad('strategy', v, `unknown strategy; give one of ${STRATEGIES.join(', ')}`);
  return s;
}

function parseRange(v: string): [number, number] {
  const m = /^\s*(\d+)\s*(?:-|,|\s)\s*(\d+)\s*$/.exec(v);
  if (!m) throw bad('range', v, "give the low and high port, like '32768-60999'");
  const lo = Number(m[1]);
  const hi = Number(m[2]);
  if (lo < 1 || hi > 65535 || lo > hi)
    throw bad('range', v, 'the ports must satisfy 1 <= low <= high <= 65535 (R1)');
  if (lo < 1024)
    throw bad(
      'range',
      v,
      'the low end must be at least 1024, ip_unprivileged_port_start (the kernel answers EINVAL, R1)',
    );
  return [lo, hi];
}

function parseReserved(v: string): number[] {
  const out: number[] = [];
  for (const item of list([v])) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(item);
    const a = Number(m?.[1]);
    const b = m?.[2] === undefined ? a : Number(m[2]);
    if (!m || a > 65535 || b > 65535 || b < a)
      throw bad('reserved', v, `'${item}' is not a port or a port range like 40000-40005 (R2)`);
    for (let p = a; p <= b; p++) out.push(p);
  }
  return out;
}

function parseDestination(text: string): { addr: string; port: number; family: 4 | 6 } {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(text) ?? /^([^:]+):(\d+)$/.exec(text);
  if (!m) throw bad('to', text, "give ADDRESS:PORT, like '10.1.1.1:5432' or '[2001:db8::1]:443'");
  const a = address('to', m[1] ?? '');
  const port = Number(m[2]);
  if (port < 1 || port > 65535) throw bad('to', text, 'the port must be 1..65535');
  return { addr: a.text, port, family: a.family };
}

export interface RawPlanOptions {
  readonly from?: string[] | undefined;
  readonly to?: string[] | undefined;
  readonly rate?: string | undefined;
  readonly hold?: string | undefined;
  readonly closer?: string | undefined;
  readonly 'tw-reuse'?: string | undefined;
  readonly 'tw-reuse-delay'?: string | undefined;
  readonly range?: string | undefined;
  readonly reserved?: string | undefined;
  readonly 'max-tw-buckets'?: string | undefined;
  readonly duration?: string | undefined;
  readonly strategy?: string | undefined;
  readonly arrivals?: string | undefined;
  /** Seed of Poisson arrivals (and, in plan.ts, of the exact engine). */
  readonly seed?: number | undefined;
}

/**
 * The workload options `plan` and `web --plan` both take, as node:util parseArgs declares them.
 * --port-range and --tcp-tw-reuse are the sysctls' own names for --range and --tw-reuse.
 */
export const WORKLOAD_OPTIONS = {
  from: { type: 'string', multiple: true },
  to: { type: 'string', multiple: true },
  rate: { type: 'string' },
  hold: { type: 'string' },
  closer: { type: 'string' },
  duration: { type: 'string' },
  strategy: { type: 'string' },
  arrivals: { type: 'string' },
  range: { type: 'string' },
  'port-range': { type: 'string' },
  reserved: { type: 'string' },
  'tw-reuse': { type: 'string' },
  'tcp-tw-reuse': { type: 'string' },
  'tw-reuse-delay': { type: 'string' },
  'max-tw-buckets': { type: 'string' },
} as const;

export const WORKLOAD_FLAGS = Object.keys(WORKLOAD_OPTIONS) as readonly (keyof typeof WORKLOAD_OPTIONS)[];

/** The workload options as parseArgs returns them. */
export type WorkloadValues = {
  readonly [K in keyof typeof WORKLOAD_OPTIONS]?:
    | ((typeof WORKLOAD_OPTIONS)[K] extends { multiple: true } ? string[] : string)
    | undefined;
};

/** `--seed N`: an integer >= 0, default 1 (Poisson arrivals, the exact engine). */
export function seedOption(v: string | undefined): number {
  const seed = v === undefined ? 1 : Number(v);
  if (!Number.isSafeInteger(seed) || seed < 0)
    throw usageError(`--seed must be an integer >= 0, got '${v}'.`);
  return seed;
}

/** The workload options (plan's and web --plan's), aliases folded in, as a checked PlanConfig. */
export function workloadConfig(values: WorkloadValues, seed: number): PlanConfig {
  return planConfig({
    ...values,
    range: values.range ?? values['port-range'],
    'tw-reuse': values['tw-reuse'] ?? values['tcp-tw-reuse'],
    seed,
  });
}

export function planConfig(o: RawPlanOptions): PlanConfig {
  const fromTexts = list(o.from);
  if (fromTexts.length === 0)
    throw usageError(
      "give at least one source address with --from, like '--from 10.0.0.1'. See 'portspace plan --help'.",
    );
  const toTexts = list(o.to);
  if (toTexts.length === 0)
    throw usageError(
      "give at least one destination with --to, like '--to 10.1.1.1:5432'. See 'portspace plan --help'.",
    );
  if (o.rate === undefined)
    throw usageError(
      "give the rate of new connections per second with --rate, like '--rate 500'. See 'portspace plan --help'.",
    );
  if (fromTexts.length > MAX_SOURCES)
    throw bad('from', fromTexts.join(','), `at most ${MAX_SOURCES} sources`);
  if (toTexts.length > MAX_DESTINATIONS)
    throw bad('to', toTexts.join(','), `at most ${MAX_DESTINATIONS} destinations`);
  const sources = fromTexts.map((t) => address('from', t));
  const family = sources[0]?.family ?? 4;
  const seen = new Set<string>();
  for (const s of sources) {
    if (s.family !== family)
      throw bad('from', s.text, 'mix of IPv4 and IPv6 sources; plan one family at a time');
    if (seen.has(s.text)) throw bad('from', s.text, 'given twice');
    seen.add(s.text);
  }
  const destinations = toTexts.map(parseDestination);
  const seenDst = new Set<string>();
  for (const d of destinations) {
    const key = `${d.addr}:${d.port}`;
    if (d.family !== family)
      throw bad('to', d.addr, `an IPv${d.family} destination for IPv${family} sources; use one family`);
    if (seen.has(d.addr)) throw bad('to', d.addr, 'is also a source: destinations are remote hosts');
    if (seenDst.has(key)) throw bad('to', key, 'given twice');
    seenDst.add(key);
  }
  const closer = o.closer ?? DEFAULTS.closer;
  if (closer !== 'client' && closer !== 'server')
    throw bad('closer', closer, "give 'client' (the client closes first and keeps TIME_WAIT) or 'server'");
  const arrivals = o.arrivals ?? 'even';
  if (arrivals !== 'even' && arrivals !== 'poisson')
    throw bad(
      'arrivals',
      arrivals,
      "give 'even' (one attempt every 1/rate s) or 'poisson' (random gaps, mean 1/rate s)",
    );
  const twReuse = integer('tw-reuse', o['tw-reuse'] ?? DEFAULTS.twReuse, 0, 2) as 0 | 1 | 2;
  const cfg: PlanConfig = {
    sources: sources.map((s) => s.text),
    destinations: destinations.map(({ addr, port }) => ({ addr, port })),
    range: parseRange(o.range ?? DEFAULTS.range),
    reserved: parseReserved(o.reserved ?? ''),
    twReuse,
    twReuseDelayMs: integer('tw-reuse-delay', o['tw-reuse-delay'] ?? DEFAULTS.twReuseDelay, 1, 60000),
    maxTwBuckets: integer('max-tw-buckets', o['max-tw-buckets'] ?? DEFAULTS.maxTwBuckets, 0, 2 ** 31 - 1),
    rate: number('rate', o.rate, 0.001, 100_000_000, 'connections per second'),
    holdMs: Math.round(number('hold', o.hold ?? DEFAULTS.hold, 0, 86_400, 'seconds') * 1000),
    closer,
    durationMs: Math.round(
      number('duration', o.duration ?? DEFAULTS.duration, 0.001, 864_000, 'seconds') * 1000,
    ),
    strategy: parseStrategy(o.strategy ?? DEFAULTS.strategy),
    arrivals: arrivals === 'even' ? { kind: 'even' } : { kind: 'poisson', seed: o.seed ?? 1 },
  };
  if (cfg.rate <= 0) throw bad('rate', o.rate, 'the rate must be above 0');
  for (const s of ['connect', 'reuseaddr'] as const)
    if (capacityOf({ ...cfg, strategy: s }) < 1)
      throw bad(
        'reserved',
        o.reserved ?? '',
        'every port of the range is reserved: no connection could get a port',
      );
  return cfg;
}

/** Refuses plans the engine would take too long on, with what to change. */
export function checkSize(cfg: PlanConfig, engine: 'fast' | 'exact'): number {
  const n = attemptCount(cfg);
  const max = MAX_ATTEMPTS[engine];
  if (n > max) {
    const hint =
      engine === 'exact'
        ? 'use the fast engine (the default; proven equal to the exact one) or a shorter --duration'
        : 'shorten --duration or lower --rate (a plan of a few port lifetimes, hold + 60 s each, shows the steady state)';
    throw new CliError(
      'PORTSPACE_PLAN_TOO_LARGE',
      `the plan has ${n.toLocaleString('en-US')} connection attempts (--rate x --duration); the ${engine} engine takes at most ${max.toLocaleString('en-US')}: ${hint}.`,
      EXIT.usage,
      { attempts: n, max, engine },
    );
  }
  return n;
}
