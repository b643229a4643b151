// Inside a private namespace (started by bench/connector.ts): connections per second for plain
// net.connect, the bind strategy and the userspace strategy, side by side, three rounds each.
// Each connection lives its whole life: connect, the server closes first, we close (so the
// model mirrors CLOSE_WAIT -> LAST_ACK, R60, and no TIME_WAIT piles up on our side).
import { execFileSync } from 'node:child_process';
import { readlinkSync } from 'node:fs';
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { createConnector } from '../src/connector/index.js';

if (readlinkSync('/proc/self/ns/net') === process.env.PORTSPACE_PARENT_NETNS)
  throw new Error('refusing to run in the host namespace');
execFileSync('ip', ['link', 'set', 'lo', 'up']);
for (const a of ['10.0.0.1', '10.0.0.2', '10.1.1.1'])
  execFileSync('ip', ['addr', 'add', `${a}/32`, 'dev', 'lo']);
const server = net.createServer((s) => {
  s.on('error', () => {});
  s.end();
});
await new Promise<void>((r) => server.listen(5000, '10.1.1.1', r));

const N = Number(process.env.PORTSPACE_BENCH_CONNECTIONS ?? 1000);
const CONCURRENCY = 16;

let errors = 0;
async function run(open: () => Promise<net.Socket>): Promise<number> {
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next++ < N) {
        try {
          const s = await open();
          s.resume();
          await new Promise((r) => s.once('close', r));
        } catch {
          errors++;
        }
      }
    }),
  );
  return (N * 1000) / (performance.now() - t0);
}

const plain = () =>
  new Promise<net.Socket>((resolve, reject) => {
    const s = net.connect({ host: '10.1.1.1', port: 5000 });
    s.once('connect', () => resolve(s));
    s.once('error', reject);
  });
const bind = createConnector({ sources: ['10.0.0.1', '10.0.0.2'], strategy: 'bind' });
const user = createConnector({ sources: ['10.0.0.1', '10.0.0.2'] });
const noPort = createConnector({ sources: ['10.0.0.1', '10.0.0.2'], strategy: 'no-port' });
const rows: Record<string, number[]> = { plain: [], bind: [], userspace: [], 'no-port': [] };
for (let round = 0; round < 3; round++) {
  rows.plain?.push(await run(plain));
  rows.bind?.push(await run(() => bind.connect({ host: '10.1.1.1', port: 5000 })));
  rows.userspace?.push(await run(() => user.connect({ host: '10.1.1.1', port: 5000 })));
  if (noPort.info.strategy === 'no-port')
    rows['no-port']?.push(await run(() => noPort.connect({ host: '10.1.1.1', port: 5000 })));
}
server.close();
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
const out = Object.fromEntries(
  Object.entries(rows).map(([k, v]) => [k, { perSec: v.map(Math.round), median: Math.round(median(v)) }]),
);
process.stdout.write(
  `${JSON.stringify({ connections: N, concurrency: CONCURRENCY, errors, ...out, userspaceVsPlain: +(median(rows.userspace ?? []) / median(rows.plain ?? [])).toFixed(2) })}\n`,
);
