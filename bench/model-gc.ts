/**
 * bench:model-gc: what the garbage collector costs the bench:model fill. Fills the default
 * 28,232-port range with connect() calls to one remote destination (as bench/model-fill.ts does)
 * and reports the heap the model keeps per connection (measured between two forced collections)
 * and, over ten more fills, the share of the time V8's collector took and how many collections
 * ran. Not a test: numbers vary with the machine and its load.
 *
 *   npm run bench:model-gc            human-readable
 *   npm run bench:model-gc -- --json  {"bytesPerConnection", "gcShare", "gcPauses", "majorGcs", ...}
 *
 * Needs `--expose-gc` (the npm script passes it).
 */
import { constants, PerformanceObserver, performance } from 'node:perf_hooks';
import { Netns } from '../src/model/index.js';

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) {
  console.error('bench:model-gc: run with node --expose-gc (npm run bench:model-gc does)');
  process.exit(2);
}

function fill(): { ns: Netns; connects: number } {
  const ns = new Netns({ seed: 42 });
  ns.addAddress('10.0.0.1/8');
  let connects = 0;
  for (;;) {
    const s = ns.socket('tcp4');
    if (!s.ok) throw new Error(s.reason);
    if (!ns.connect(s.sock, '10.1.1.1', 5432).ok) break;
    connects++;
  }
  return { ns, connects };
}

let gcMs = 0;
let pauses = 0;
let majors = 0;
const observer = new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    gcMs += e.duration;
    pauses++;
    const kind = (e as { detail?: { kind?: number } }).detail?.kind;
    if (kind === constants.NODE_PERFORMANCE_GC_MAJOR) majors++;
  }
});
observer.observe({ entryTypes: ['gc'] });

fill(); // warm-up
gc();
const before = process.memoryUsage().heapUsed;
let kept: ReturnType<typeof fill> | null = fill();
gc();
const after = process.memoryUsage().heapUsed;
const connects = kept.connects;
kept = null;
gc();

// GC entries arrive asynchronously: let the ones above arrive, then count from zero.
await new Promise((r) => setTimeout(r, 20));
gcMs = 0;
pauses = 0;
majors = 0;
const fills = 10;
const t0 = performance.now();
for (let i = 0; i < fills; i++) fill();
const ms = performance.now() - t0;
await new Promise((r) => setTimeout(r, 20));
observer.disconnect();

const result = {
  connectsPerFill: connects,
  bytesPerConnection: Math.round((after - before) / connects),
  fills,
  fillsMs: Number(ms.toFixed(1)),
  connectsPerSec: Math.round((fills * connects) / (ms / 1000)),
  gcMs: Number(gcMs.toFixed(1)),
  gcShare: Number((gcMs / ms).toFixed(3)),
  gcPauses: pauses,
  majorGcs: majors,
};
if (process.argv.includes('--json')) console.log(JSON.stringify(result));
else {
  console.log(`heap kept per connection: ${result.bytesPerConnection} bytes (${connects} connections)`);
  console.log(
    `${fills} fills: ${result.fillsMs} ms, ${result.connectsPerSec.toLocaleString('en-US')} connects/s; ` +
      `GC ${result.gcMs} ms (${(result.gcShare * 100).toFixed(1)} %), ${pauses} pauses, ${majors} major`,
  );
}
