/**
 * `npm run bench:connector [-- --json]`: what the connector costs.
 * 1. Port choice and the model's check (no sockets): a (source, destination) pool of the default
 *    36,280 ports (everything outside 32768-60999) filled to 0 %, 50 % and 99 %, then take + give
 *    back, and the model's bind + connect + close of each candidate, per operation at each fill:
 *    the cost must not grow with the fill (O(1), never a scan).
 * 2. Real connections per second in one private namespace (unshare -n, loopback only): plain
 *    net.connect (the kernel picks source and port), the bind, userspace and no-port
 *    strategies, side by side in one run (connect, the server closes first, we close).
 * Timing never passes or fails anything.
 */
import { spawnSync } from 'node:child_process';
import { readlinkSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { Mirror } from '../src/connector/mirror.js';
import { PortPool } from '../src/connector/port-pool.js';

const asJson = process.argv.includes('--json');
const ports = Uint16Array.from(
  [...Array(32767 - 1024 + 1).keys()]
    .map((i) => 1024 + i)
    .concat([...Array(65535 - 61000 + 1).keys()].map((i) => 61000 + i)),
);
const fills = [0, 0.5, 0.99];
const OPS = 200_000;

function poolCost(fill: number): number {
  const p = new PortPool(ports, 777, 62_000, 60_000);
  for (let i = 0; i < Math.floor(ports.length * fill); i++) p.take(0, true);
  const t0 = performance.now();
  for (let i = 0; i < OPS; i++) {
    const t = p.take(i, true);
    if (t) p.give(t.port, i % 2 ? 'free' : 'timewait', i);
  }
  return ((performance.now() - t0) * 1e6) / OPS;
}

function modelCost(fill: number): number {
  const host = {
    range: [32768, 60999] as const,
    reserved: [],
    twReuse: 2,
    twReuseDelayMs: 1000,
    timestamps: 1,
  };
  const m = new Mirror([{ text: '10.0.0.1', family: 4 }], host, 0);
  const src = { text: '10.0.0.1', family: 4 as const };
  const n = Math.floor(ports.length * fill);
  for (let i = 0; i < n; i++) m.open(src, ports[i] as number, '10.1.1.1', 5432);
  const free = ports.slice(n);
  const ops = 50_000;
  const t0 = performance.now();
  for (let i = 0; i < ops; i++) {
    const c = m.open(src, free[i % free.length] as number, '10.1.1.1', 5432);
    if ('ok' in c) throw new Error(`model refused: ${c.reason}`);
    m.end(c, 'aborted');
  }
  return ((performance.now() - t0) * 1e6) / ops;
}

// One warm-up pass first: V8 compiles the hot paths during the first measurements otherwise.
for (const f of fills) {
  poolCost(f);
  modelCost(f);
}
const choice = fills.map((f) => ({ fill: f, poolNsPerOp: poolCost(f), modelNsPerOp: modelCost(f) }));

let live: unknown = null;
if (process.getuid?.() === 0 && spawnSync('unshare', ['-n', 'true']).status === 0) {
  const inner = new URL('./connector-inner.ts', import.meta.url).pathname;
  const r = spawnSync('unshare', ['-n', process.execPath, '--import', 'tsx', inner], {
    env: { ...process.env, PORTSPACE_PARENT_NETNS: readlinkSync('/proc/self/ns/net') },
    encoding: 'utf8',
    timeout: 300_000,
  });
  if (r.status !== 0) throw new Error(`connector-inner failed: ${r.stderr}`);
  live = JSON.parse(r.stdout.trim().split('\n').pop() ?? 'null');
} else live = 'skipped: needs root and unshare -n';

if (asJson) console.log(JSON.stringify({ choice, live }, null, 2));
else {
  console.log(
    'port choice (ns per take + give back) and model check (ns per bind + connect + close), 36,280 ports:',
  );
  for (const c of choice)
    console.log(
      `  fill ${String(c.fill * 100).padStart(3)} %: pool ${c.poolNsPerOp.toFixed(0)} ns, model ${c.modelNsPerOp.toFixed(0)} ns`,
    );
  console.log('real connections per second (connect, server closes first, we close; private namespace):');
  console.log(live);
}
