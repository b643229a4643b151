// `portspace plan`, run as a user would (the built CLI): the headline invocation with
// numbers derived from the rules (not copied from the output), --compare, the text report and
// its chart, colours, --svg, the exact engine, and every kind of bad input.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { cli, ensureBuilt, hasAnsi, json, noStack } from './cli-helpers.js';

/** One source, one destination: the pair most tests plan for. */
const PAIR = ['--from', '10.0.0.1', '--to', '10.1.1.1:5432'];

const HEADLINE = [
  'plan',
  ...PAIR,
  '--rate',
  '500',
  '--hold',
  '0',
  '--closer',
  'client',
  '--tw-reuse',
  '0',
  '--duration',
  '180',
  '--strategy',
  'connect',
];

// The expectation, from the rules: the default range 32768-60999 holds 28,232 ports per
// (source, destination) (R1, R14); each connection keeps its port 60 s in TIME_WAIT (R6, R60);
// tcp_tw_reuse 0 recycles nothing (R62). At 500/s (one attempt every 2 ms) attempt 28,232 is
// the first with no port; every port frees 60 s after it was taken, so each 60 s cycle has
// 30,000 attempts of which 30,000 - 28,232 fail, in bursts starting at 56.464, 116.464, 176.464 s.
const PORTS = 60999 - 32768 + 1;
const RATE = 500;
const PER_CYCLE = 60 * RATE;
const FAILS_PER_CYCLE = PER_CYCLE - PORTS;
const ATTEMPTS = 180 * RATE;
const CYCLES_WITH_A_BURST = 3;

interface StrategyJson {
  name: string;
  firstFailureAtSec: number | null;
  errno: string | null;
  failedFraction: number;
  steadyFailedFraction: number | null;
  attempts: number;
  failed: number;
  peakInUse: number;
  peakTimeWait: number;
  capacity: number;
  capacityMax: number;
}
interface AdviceJson {
  id: string;
  tweak: string;
  helps: boolean;
  after: { failedFraction: number; firstFailureAtSec: number | null };
}

let dir = '';
before(() => {
  ensureBuilt();
  dir = mkdtempSync(join(tmpdir(), 'portspace-plan-'));
});

test('plan R14 R60 R62: the headline invocation: first EADDRNOTAVAIL at 28,232 / 500 s, ~5.9% failed', () => {
  const r = cli([...HEADLINE, '--json']);
  assert.equal(r.status, 0, r.stderr);
  const j = json(r) as { strategies: StrategyJson[]; advice: AdviceJson[] };
  assert.equal(j.strategies.length, 1);
  const s = j.strategies[0] as StrategyJson;
  assert.equal(s.name, 'connect');
  assert.equal(s.firstFailureAtSec, PORTS / RATE);
  assert.equal(s.errno, 'EADDRNOTAVAIL');
  assert.equal(s.attempts, ATTEMPTS);
  assert.equal(s.failed, CYCLES_WITH_A_BURST * FAILS_PER_CYCLE);
  assert.ok(Math.abs(s.failedFraction - 0.059) < 0.001, String(s.failedFraction));
  assert.equal(s.steadyFailedFraction, FAILS_PER_CYCLE / PER_CYCLE);
  assert.equal(s.peakInUse, PORTS);
  assert.equal(s.peakTimeWait, PORTS);
  // Advice: each tweak with the number it changes, never tcp_tw_recycle.
  const ids = j.advice.map((a) => a.id);
  for (const id of ['wider-range', 'tw-reuse', 'more-sources', 'keepalive']) assert.ok(ids.includes(id), id);
  const wider = j.advice.find((a) => a.id === 'wider-range') as AdviceJson;
  // 1024-65535 is 64,512 ports, more than the 30,000 one cycle needs: nothing fails.
  assert.equal(wider.after.failedFraction, 0);
  assert.equal(wider.after.firstFailureAtSec, null);
  assert.ok(!r.stdout.includes('tw_recycle'));
});

test('plan: the text report shows the numbers, a chart and advice; no colour off a terminal', () => {
  const r = cli(HEADLINE);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /first failure {3}at 56\.464 s: connect\(\) EADDRNOTAVAIL/);
  assert.match(r.stdout, /failed {10}5,304 of 90,000 attempts \(5\.9%\); steady state 5\.9%/);
  assert.match(r.stdout, /peak in use {5}28,232 of 28,232 ports per \(source, destination\)/);
  assert.match(r.stdout, /28,232 ┤.*█/);
  assert.match(r.stdout, /fail .*x/);
  assert.match(
    r.stdout,
    /\+ net\.ipv4\.ip_local_port_range = 1024 65535: first failure at 56\.464 s -> none within 180 s/,
  );
  assert.match(r.stdout, /never tcp_tw_recycle/);
  assert.ok(!hasAnsi(r.stdout));
  assert.ok(hasAnsi(cli(HEADLINE, { FORCE_COLOR: '1' }).stdout));
  assert.ok(!hasAnsi(cli(HEADLINE, { FORCE_COLOR: '1', NO_COLOR: '1' }).stdout));
});

test('plan --compare R23 R63: all four strategies side by side', () => {
  const r = cli([...HEADLINE, '--compare', '--json']);
  assert.equal(r.status, 0, r.stderr);
  const s = (json(r) as { strategies: StrategyJson[] }).strategies;
  assert.deepEqual(
    s.map((x) => x.name),
    ['connect', 'bind0', 'noport', 'reuseaddr'],
  );
  const by = (n: string) => s.find((x) => x.name === n) as StrategyJson;
  // One source and one destination: bind(ip, 0) runs out at the same count, at bind() (R23).
  assert.equal(by('bind0').errno, 'EADDRINUSE');
  assert.equal(by('bind0').firstFailureAtSec, PORTS / RATE);
  assert.equal(by('noport').failed, by('connect').failed);
  // Userspace round-robin: the next port's TIME_WAIT is recycled at once by a bound connect (R63).
  assert.equal(by('reuseaddr').failed, 0);
  const text = cli([...HEADLINE, '--compare']);
  assert.match(text.stdout, /reuseaddr +none +- +0%/);
});

test('plan --engine exact gives the headline numbers on the full model', () => {
  const r = cli([...HEADLINE, '--engine', 'exact', '--json']);
  assert.equal(r.status, 0, r.stderr);
  const s = (json(r) as { strategies: StrategyJson[] }).strategies[0] as StrategyJson;
  assert.equal(s.firstFailureAtSec, PORTS / RATE);
  assert.equal(s.failed, CYCLES_WITH_A_BURST * FAILS_PER_CYCLE);
});

test('plan --svg writes the chart', () => {
  const file = join(dir, 'chart.svg');
  const r = cli([...HEADLINE, '--svg', file]);
  assert.equal(r.status, 0, r.stderr);
  assert.ok(existsSync(file));
  const svg = readFileSync(file, 'utf8');
  assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
  assert.match(svg, /<polyline/);
  const bad = cli([...HEADLINE, '--svg', join(dir, 'no', 'such', 'dir', 'c.svg'), '--json']);
  assert.equal(bad.status, 2);
  assert.equal((json(bad).error as { code: string }).code, 'PORTSPACE_FILE_UNWRITABLE');
});

function fails(args: string[], code: string, message: RegExp): void {
  const r = cli(['plan', ...args]);
  assert.equal(r.status, 2, r.stdout + r.stderr);
  assert.match(r.stderr, message);
  assert.ok(noStack(r));
  const j = cli(['plan', ...args, '--json']);
  assert.equal(j.status, 2);
  assert.equal((json(j).error as { code: string }).code, code);
}

test('plan: bad input says what was wrong and what to give, with a PORTSPACE_* code and exit 2', () => {
  const base = [...PAIR, '--rate', '500'];
  fails(
    ['--from', '10.0.0.300', '--to', '10.1.1.1:5432', '--rate', '5'],
    'PORTSPACE_PLAN_INPUT',
    /--from '10\.0\.0\.300': not an IPv4 or IPv6 address/,
  );
  fails(
    ['--from', '10.0.0.1', '--to', '10.1.1.1', '--rate', '5'],
    'PORTSPACE_PLAN_INPUT',
    /--to '10\.1\.1\.1': give ADDRESS:PORT/,
  );
  fails(
    ['--from', '10.0.0.1', '--to', '10.1.1.1:0', '--rate', '5'],
    'PORTSPACE_PLAN_INPUT',
    /the port must be 1\.\.65535/,
  );
  fails(
    [...base.slice(0, 4), '--rate', '0'],
    'PORTSPACE_PLAN_INPUT',
    /--rate '0': give a number of connections per second/,
  );
  fails(
    [...base, '--strategy', 'magic'],
    'PORTSPACE_PLAN_INPUT',
    /unknown strategy; give one of connect, bind0, noport, reuseaddr/,
  );
  fails([...base, '--range', '60000-50000'], 'PORTSPACE_PLAN_INPUT', /low <= high/);
  fails([...base, '--tw-reuse', '3'], 'PORTSPACE_PLAN_INPUT', /--tw-reuse '3': give an integer from 0 to 2/);
  fails(['--from', '10.0.0.1', '--rate', '5'], 'PORTSPACE_USAGE', /give at least one destination with --to/);
  fails([...base, '--bogus'], 'PORTSPACE_USAGE', /unknown option '--bogus'/);
  fails(
    [...base.slice(0, 4), '--rate', '10000000', '--duration', '100'],
    'PORTSPACE_PLAN_TOO_LARGE',
    /1,000,000,000 connection attempts.*at most 200,000,000: shorten --duration/,
  );
  fails(
    [...base, '--from', '10.0.0.2', '--to', '[2001:db8::1]:80'],
    'PORTSPACE_PLAN_INPUT',
    /an IPv6 destination for IPv4 sources; use one family/,
  );
});

test('plan: aliases of the strategy and sysctl names are accepted', () => {
  const r = cli([
    'plan',
    ...PAIR,
    '--rate',
    '100',
    '--duration',
    '10',
    '--strategy',
    'so-reuseaddr',
    '--port-range',
    '40000 40009',
    '--tcp-tw-reuse',
    '1',
    '--json',
  ]);
  assert.equal(r.status, 0, r.stderr);
  const j = json(r) as { plan: { strategy: string; range: number[]; twReuse: number } };
  assert.equal(j.plan.strategy, 'reuseaddr');
  assert.deepEqual(j.plan.range, [40000, 40009]);
  assert.equal(j.plan.twReuse, 1);
});

test('plan --arrivals poisson: random gaps of mean 1/rate, reproducible by --seed', () => {
  const run = (seed: string) => {
    const r = cli([...HEADLINE, '--arrivals', 'poisson', '--seed', seed, '--json']);
    assert.equal(r.status, 0, r.stderr);
    return (json(r) as { strategies: StrategyJson[] }).strategies[0] as StrategyJson;
  };
  const a = run('7');
  // A Poisson count of mean 90,000 has a standard deviation of 300: 3% is 9 of them.
  assert.ok(Math.abs(a.attempts - ATTEMPTS) < 0.03 * ATTEMPTS, String(a.attempts));
  assert.notEqual(a.attempts, ATTEMPTS);
  assert.deepEqual(run('7'), a);
  // The ports are the same 28,232: the first failure still comes after about 56 s.
  assert.ok(Math.abs((a.firstFailureAtSec ?? 0) - PORTS / RATE) < 2, String(a.firstFailureAtSec));
  fails(
    [...HEADLINE.slice(1), '--arrivals', 'bursty'],
    'PORTSPACE_PLAN_INPUT',
    /--arrivals 'bursty': give 'even'/,
  );
});

test('plan --help shows the options and the headline example', () => {
  const r = cli(['plan', '--help']);
  assert.equal(r.status, 0);
  assert.match(r.stdout, /--strategy NAME/);
  assert.match(r.stdout, /--compare/);
  assert.match(r.stdout, /28,232 \/ 500 = 56\.5 s/);
});

test('plan R14: a keep-alive pool larger than a unit holds is reported as not fitting', () => {
  // 500/s held 100 s: a pool of 50,000 > 28,232 ports of one (source, destination); two sources
  // hold it (25,000 each).
  const r = cli(['plan', '--from', '10.0.0.1', '--to', '10.1.1.1:80', '--rate', '500', '--hold', '100']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(
    r.stdout,
    /keep connections alive \(a pool of 50,000\) does not fit: it needs 50,000 ports per \(source, destination\), 28,232 available; spread over 2 source IPs/,
  );
  assert.ok(!/-> 50,000/.test(r.stdout), r.stdout);
});

test('plan R14 R10: the chart counts the fullest (source, destination), up to its capacity', () => {
  // Plain connect from one source (R10) to three destinations: each holds 28,232 ports, the
  // namespace three times that; the chart's top is what one pair holds.
  const r = cli([
    'plan',
    '--from',
    '10.0.0.1,10.0.0.2',
    '--to',
    '10.1.1.1:5432,10.1.1.2:5432,10.1.1.3:80',
    '--rate',
    '2000',
    '--compare',
    '--tw-reuse',
    '0',
  ]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /by the fullest \(source, destination\) over time, connect, of 28,232:\n28,232 ┤/);
  assert.ok(!r.stdout.includes('84,696 ┤'));
});

test('plan R11: an odd-sized range shows its capacity as 10-11; fast is a lower bound; advice uses the chosen engine', () => {
  const odd = ['plan', '--from', '10.0.0.1', '--to', '10.1.1.1:80', '--rate', '10', '--range', '40000-40010'];
  const fast = cli(odd);
  assert.equal(fast.status, 0, fast.stderr);
  assert.match(fast.stdout, /of 10-11 ports per \(source, destination\)/);
  assert.ok(!/proven equal/.test(fast.stdout));
  assert.match(fast.stdout, /engine: fast \(.*a lower bound/);
  const exact = cli([...odd, '--engine', 'exact']);
  assert.equal(exact.status, 0, exact.stderr);
  assert.match(exact.stdout, /peak in use {5}1[01] of 10-11 ports/);
  assert.match(exact.stdout, /advice re-runs on the exact engine/);
  const j = json(cli([...odd, '--engine', 'exact', '--json'])) as { strategies: StrategyJson[] };
  assert.equal(j.strategies[0]?.capacity, 10);
  assert.equal(j.strategies[0]?.capacityMax, 11);
  // Even-sized: one number, and the proof holds.
  assert.match(cli(HEADLINE).stdout, /engine: fast \(proven equal to the full model\)/);
});
