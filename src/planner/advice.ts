/**
 * Advice drawn from the tweaks of "Bind before connect" (2014), each re-simulated (on the engine
 * the caller passes, the fast one by default) so it comes with the numbers it changes: a wider ip_local_port_range (R1), tcp_tw_reuse
 * (R62), more source addresses (R14, A3), IP_BIND_ADDRESS_NO_PORT instead of bind(ip, 0) (R22,
 * A4), and keeping connections alive. tcp_tw_recycle is never suggested: it was removed in 4.12.
 */
import { parseAddr } from '../model/index.js';
import { runFast } from './fast-engine.js';
import type { PlanConfig, StrategyName, StrategyResult } from './plan-types.js';
import { autoselects, capacityOf, portLifetimeMs } from './workload.js';

export type TweakId = 'wider-range' | 'tw-reuse' | 'more-sources' | 'noport' | 'keepalive';

export interface Outcome {
  readonly failedFraction: number;
  readonly firstFailureAtSec: number | null;
  readonly peakInUse: number;
  readonly peakTimeWait: number;
}

export interface Advice {
  readonly id: TweakId;
  /** The change, as a user would make it. */
  readonly tweak: string;
  readonly before: Outcome;
  readonly after: Outcome;
  /** Whether the change lowers the failures (or, with none, the ports in use). */
  readonly helps: boolean;
  /** One sentence with the numbers. */
  readonly text: string;
}

/** The engine advice re-simulates its tweaks with: its name (what the numbers mean) and a run. */
export interface AdviceEngine {
  readonly name: 'fast' | 'exact';
  readonly run: (cfg: PlanConfig) => StrategyResult;
}

export const FAST_ENGINE: AdviceEngine = { name: 'fast', run: (cfg) => runFast(cfg) };

export const FULL_RANGE: readonly [number, number] = [1024, 65535];
const MAX_SOURCES_TRIED = 64;

function outcome(r: StrategyResult): Outcome {
  return {
    failedFraction: r.failedFraction,
    firstFailureAtSec: r.firstFailureAtSec,
    peakInUse: r.peakInUse,
    peakTimeWait: r.peakTimeWait,
  };
}

export function percent(f: number): string {
  if (f === 0) return '0%';
  if (f < 0.001) return '<0.1%';
  return `${(f * 100).toFixed(1)}%`;
}

const n = (x: number) => x.toLocaleString('en-US');

function firstFailure(o: Outcome, durationSec: number): string {
  return o.firstFailureAtSec === null ? `none within ${durationSec} s` : `at ${o.firstFailureAtSec} s`;
}

function describe(tweak: string, before: Outcome, after: Outcome, durationSec: number, extra = ''): string {
  return (
    `${tweak}: first failure ${firstFailure(before, durationSec)} -> ${firstFailure(after, durationSec)}; ` +
    `failed ${percent(before.failedFraction)} -> ${percent(after.failedFraction)}; ` +
    `peak ports in use ${n(before.peakInUse)} -> ${n(after.peakInUse)}${extra}`
  );
}

/** The address after `a` (10.0.0.1 -> 10.0.0.2, 2001:db8::1 -> 2001:db8::2), skipping `taken`. */
export function nextAddress(a: string, taken: ReadonlySet<string>): string {
  const parsed = parseAddr(a);
  if (!parsed) return a;
  const bytes = [...parsed.bytes];
  for (let tries = 0; tries < 1 << 16; tries++) {
    for (let i = bytes.length - 1; i >= 0; i--) {
      bytes[i] = ((bytes[i] ?? 0) + 1) & 0xff;
      if (bytes[i] !== 0) break;
    }
    const text =
      bytes.length === 4
        ? bytes.join('.')
        : (parseAddr(
            Array.from({ length: 8 }, (_, k) =>
              (((bytes[2 * k] ?? 0) << 8) | (bytes[2 * k + 1] ?? 0)).toString(16),
            ).join(':'),
          )?.text ?? a);
    const last = bytes[bytes.length - 1] ?? 0;
    if (!taken.has(text) && last !== 0 && last !== 255) return text;
  }
  return a;
}

function withSources(cfg: PlanConfig, n: number): PlanConfig {
  const sources = [...cfg.sources];
  const taken = new Set(sources);
  for (const d of cfg.destinations) taken.add(d.addr);
  while (sources.length < n) {
    const next = nextAddress(sources[sources.length - 1] ?? '', taken);
    taken.add(next);
    sources.push(next);
  }
  return { ...cfg, sources };
}

const STRATEGY_TEXT: Readonly<Record<StrategyName, string>> = {
  connect: 'plain connect()',
  bind0: 'bind(ip, 0) + connect()',
  noport: 'IP_BIND_ADDRESS_NO_PORT + bind(ip, 0) + connect()',
  reuseaddr: 'SO_REUSEADDR + bind(ip, port) + connect()',
};

export function strategyText(s: StrategyName): string {
  return STRATEGY_TEXT[s];
}

/**
 * Every tweak that applies to this plan, re-simulated on `engine`. `base` is the plan's own
 * result, from the same engine (so before and after are comparable).
 */
export function advise(cfg: PlanConfig, base: StrategyResult, engine: AdviceEngine = FAST_ENGINE): Advice[] {
  const run = engine.run;
  const sec = cfg.durationMs / 1000;
  const before = outcome(base);
  const out: Advice[] = [];
  const add = (id: TweakId, tweak: string, next: PlanConfig | Outcome, extra = '') => {
    const after = 'strategy' in next ? outcome(run(next)) : next;
    const helps =
      after.failedFraction < before.failedFraction ||
      (before.failedFraction === 0 && after.failedFraction === 0 && after.peakInUse < before.peakInUse);
    out.push({ id, tweak, before, after, helps, text: describe(tweak, before, after, sec, extra) });
  };

  const [lo, hi] = cfg.range;
  if (lo !== FULL_RANGE[0] || hi !== FULL_RANGE[1]) {
    add('wider-range', `net.ipv4.ip_local_port_range = ${FULL_RANGE[0]} ${FULL_RANGE[1]}`, {
      ...cfg,
      range: FULL_RANGE,
    });
  }
  if (autoselects(cfg.strategy) && cfg.twReuse !== 1) {
    add(
      'tw-reuse',
      'net.ipv4.tcp_tw_reuse = 1',
      { ...cfg, twReuse: 1 },
      // The fast engine takes a free port before a recyclable entry; the kernel's walk may not (R13).
      engine.name === 'fast'
        ? ` (an upper bound: connect() recycles TIME_WAIT entries older than tcp_tw_reuse_delay, ${cfg.twReuseDelayMs} ms, R62)`
        : ` (connect() recycles TIME_WAIT entries older than tcp_tw_reuse_delay, ${cfg.twReuseDelayMs} ms, R62)`,
    );
  }
  // More sources only help when the source is chosen: plain connect takes the route's (R10).
  const sourced: PlanConfig = cfg.strategy === 'connect' ? { ...cfg, strategy: 'noport' } : cfg;
  const how = cfg.strategy === 'connect' ? ' (with IP_BIND_ADDRESS_NO_PORT + bind(ip, 0))' : '';
  const plusOne = withSources(sourced, cfg.sources.length + 1);
  const plusOneResult = run(plusOne);
  add('more-sources', `+1 source IP (${plusOne.sources.at(-1)})${how}`, outcome(plusOneResult));
  if (plusOneResult.failed > 0) {
    // The fewest sources that remove every failure: the demand per source (new connections per
    // second x how long each keeps its port) over what one source holds, checked by simulation.
    const perSource = sourced.strategy === 'bind0' ? 1 : cfg.destinations.length;
    const demand = (cfg.rate / 1000) * portLifetimeMs(cfg);
    let n = Math.max(cfg.sources.length + 2, Math.ceil(demand / (perSource * capacityOf(sourced))));
    for (let tries = 0; tries < 3 && n <= MAX_SOURCES_TRIED; tries++, n++) {
      const plan = withSources(sourced, n);
      const r = run(plan);
      if (r.failed === 0) {
        add('more-sources', `${n} source IPs${how}`, plan);
        break;
      }
    }
  }
  if (cfg.strategy === 'bind0') {
    add('noport', 'IP_BIND_ADDRESS_NO_PORT before bind(ip, 0)', { ...cfg, strategy: 'noport' });
  }
  out.push(keepAlive(cfg, before, sec));
  return out;
}

/** Capacity units of a plan: destinations for plain connect (R10), sources for bind0 (R23), pairs else. */
function unitsOf(strategy: StrategyName, sources: number, destinations: number): number {
  return strategy === 'connect' ? destinations : strategy === 'bind0' ? sources : sources * destinations;
}

/**
 * Keep-alive: a pool that serves the same rate holds rate x hold connections (Little's law), at
 * least one per destination, opened once: no churn, no TIME_WAIT, so nothing fails as long as
 * each unit's share of the pool fits its capacity (R14, R23). When it does not, the advice says
 * so, with what it needs and has, and how many source addresses would make it fit (the units
 * multiply with sources once the source is chosen, R22); those numbers are arithmetic on the
 * pool, not a simulation, since a pool opens its connections once.
 */
function keepAlive(cfg: PlanConfig, before: Outcome, sec: number): Advice {
  const pool = Math.max(cfg.destinations.length, Math.ceil((cfg.rate * cfg.holdMs) / 1000));
  const D = cfg.destinations.length;
  const cap = capacityOf(cfg);
  const perUnit = Math.ceil(pool / unitsOf(cfg.strategy, cfg.sources.length, D));
  const noTimeWait = `; TIME_WAIT ${n(before.peakTimeWait)} -> 0 (each port is taken once, not every ${portLifetimeMs(cfg) / 1000} s)`;
  const fitted: Outcome = { failedFraction: 0, firstFailureAtSec: null, peakInUse: perUnit, peakTimeWait: 0 };
  const helps = (after: Outcome) =>
    after.failedFraction < before.failedFraction ||
    (before.failedFraction === 0 && after.failedFraction === 0 && after.peakInUse < before.peakInUse);
  if (perUnit <= cap) {
    const tweak = `keep connections alive (a pool of ${n(pool)})`;
    return {
      id: 'keepalive',
      tweak,
      before,
      after: fitted,
      helps: helps(fitted),
      text: describe(tweak, before, fitted, sec, noTimeWait),
    };
  }
  const unitName = cfg.strategy === 'bind0' ? 'source address' : '(source, destination)';
  const misfit = `keep connections alive (a pool of ${n(pool)}) does not fit: it needs ${n(perUnit)} ports per ${unitName}, ${n(cap)} available`;
  // The fewest sources whose units share the pool within capacity (the source must be chosen:
  // plain connect takes the route's, R10, so it switches to IP_BIND_ADDRESS_NO_PORT).
  const sourced: StrategyName = cfg.strategy === 'connect' ? 'noport' : cfg.strategy;
  const perSource = unitsOf(sourced, 1, D);
  const sources = cap === 0 ? Number.POSITIVE_INFINITY : Math.ceil(pool / (perSource * cap));
  if (!Number.isFinite(sources)) {
    return { id: 'keepalive', tweak: misfit, before, after: before, helps: false, text: `${misfit}.` };
  }
  const spread = Math.ceil(pool / unitsOf(sourced, sources, D));
  const after: Outcome = { ...fitted, peakInUse: spread };
  const how = cfg.strategy === 'connect' ? ' with IP_BIND_ADDRESS_NO_PORT + bind(ip, 0)' : '';
  const tweak = `${misfit}; spread over ${sources} source IPs${how} it fits (${n(spread)} per ${unitName})`;
  return {
    id: 'keepalive',
    tweak,
    before,
    after,
    helps: helps(after),
    text: describe(tweak, before, after, sec, noTimeWait),
  };
}
