// One of several processes using the same sources towards one destination (spawned by
// shard-worker.ts inside its namespace). Waits for "go", fills until the connector refuses,
// prints what it got, holds its connections until stdin closes.

import type net from 'node:net';
import { createInterface } from 'node:readline';
import { createConnector, isConnectorError } from '../../src/connector/index.js';
import { seeded } from './netns-setup.js';

const args = JSON.parse(process.argv[2] ?? '{}') as {
  shard?: { index: number; count: number };
  seed: number;
};
const c = createConnector({
  sources: ['10.0.0.1', '10.0.0.2'],
  ports: '20000-20009',
  maxAttempts: 50,
  random: seeded(args.seed),
  ...(args.shard ? { shard: args.shard } : {}),
});
const lines = createInterface({ input: process.stdin });
const socks: net.Socket[] = [];
let error = '';
for await (const line of lines) {
  if (line !== 'go') continue;
  for (let i = 0; i < 100; i++) {
    try {
      socks.push(await c.connect({ host: '10.1.1.1', port: 5000 }));
    } catch (e) {
      error = isConnectorError(e) ? e.code : String(e);
      break;
    }
  }
  const collisions = c.stats().reduce((n, s) => n + s.collisions, 0);
  const ports = socks.map((s) => `${s.localAddress}:${s.localPort}`);
  process.stdout.write(`${JSON.stringify({ count: socks.length, collisions, error, ports })}\n`);
}
for (const s of socks) s.destroy();
