/**
 * bench:model: fill the default 28,232-port range with connect() calls to one remote
 * destination until EADDRNOTAVAIL, timing each tenth of the fill. Reports connects/s per decile
 * and overall, plus the final failing call. Not a test: numbers vary with the machine; the
 * ratio last/first decile is what shows whether a connect's cost grows with the fill.
 *
 *   npm run bench:model            human-readable table
 *   npm run bench:model -- --json  {"range", "deciles": [{"fill","opsPerSec"}], "overallOpsPerSec", ...}
 *
 * Speeds are wall-clock. `overallCpuOpsPerSec` divides by the CPU time the process used instead
 * (all its threads, the collector's helpers included): on a machine other work keeps busy, it
 * shows what the model costs while the wall-clock figures also show how often it was preempted.
 */
import { performance } from 'node:perf_hooks';
import { Netns } from '../src/model/index.js';

interface FillResult {
  range: number;
  deciles: { fill: string; opsPerSec: number }[];
  overallOpsPerSec: number;
  overallCpuOpsPerSec: number;
  lastToFirstRatio: number;
  connects: number;
  finalCall: { errno: string; rule: string };
}

function fillOnce(): FillResult {
  const ns = new Netns({ seed: 42 });
  ns.addAddress('10.0.0.1/8');
  const [lo, hi] = [32768, 60999];
  const range = hi - lo + 1;
  const marks: number[] = [];
  let n = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let last: { errno: string; rule: string } | null = null;
  for (;;) {
    const s = ns.socket('tcp4');
    if (!s.ok) throw new Error(s.reason);
    const r = ns.connect(s.sock, '10.1.1.1', 5432);
    if (!r.ok) {
      last = { errno: r.errno, rule: r.rule };
      break;
    }
    n++;
    if (n % Math.floor(range / 10) === 0 && marks.length < 10) marks.push(performance.now());
    if (n > range + 10) throw new Error('bench: more connects than ports: model bug');
  }
  const t1 = performance.now();
  const cpu = process.cpuUsage(cpu0);
  if (marks.length < 10) marks.push(t1);
  const per = Math.floor(range / 10);
  const deciles = marks.map((t, k) => {
    const start = k === 0 ? t0 : (marks[k - 1] ?? t0);
    const count = k === 9 ? n - per * 9 : per;
    return { fill: `${k * 10}-${k * 10 + 10}%`, opsPerSec: Math.round(count / ((t - start) / 1000)) };
  });
  const first = deciles[0]?.opsPerSec ?? 1;
  const lastDecile = deciles[9]?.opsPerSec ?? 0;
  return {
    range,
    deciles,
    overallOpsPerSec: Math.round(n / ((t1 - t0) / 1000)),
    overallCpuOpsPerSec: Math.round(n / ((cpu.user + cpu.system) / 1e6)),
    lastToFirstRatio: Number((lastDecile / first).toFixed(3)),
    connects: n,
    finalCall: last ?? { errno: 'none', rule: '' },
  };
}

const json = process.argv.includes('--json');
// After the warm-up fills below, take the median of seven runs per decile and overall: a garbage
// collection pause lands in a random decile of a single run, the median keeps it from deciding.
// Warm-up: V8 compiles the connect path in tiers over the first few fills (the first runs at a
// third of the speed of the fifth); three fills let it settle, so what follows is the steady state.
const WARMUP_FILLS = 3;
const MEASURED_FILLS = 7;
for (let i = 0; i < WARMUP_FILLS; i++) fillOnce();
const runs = Array.from({ length: MEASURED_FILLS }, fillOnce);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
const first = runs[0] as FillResult;
const deciles = first.deciles.map((d, k) => ({
  fill: d.fill,
  opsPerSec: median(runs.map((r) => r.deciles[k]?.opsPerSec ?? 0)),
}));
const best: FillResult = {
  ...first,
  deciles,
  overallOpsPerSec: median(runs.map((r) => r.overallOpsPerSec)),
  overallCpuOpsPerSec: median(runs.map((r) => r.overallCpuOpsPerSec)),
  lastToFirstRatio: Number(((deciles[9]?.opsPerSec ?? 0) / (deciles[0]?.opsPerSec ?? 1)).toFixed(3)),
};
if (json) {
  console.log(JSON.stringify(best));
} else {
  console.log(
    `range ${best.range} ports, ${best.connects} connects, then ${best.finalCall.errno} (${best.finalCall.rule})`,
  );
  for (const d of best.deciles)
    console.log(`  fill ${d.fill.padEnd(8)} ${d.opsPerSec.toLocaleString('en-US').padStart(12)} connects/s`);
  console.log(`  overall       ${best.overallOpsPerSec.toLocaleString('en-US').padStart(12)} connects/s`);
  console.log(
    `  overall, by CPU time ${best.overallCpuOpsPerSec.toLocaleString('en-US').padStart(12)} connects/s`,
  );
  console.log(`  last tenth / first tenth: ${best.lastToFirstRatio}`);
}
