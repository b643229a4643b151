// In a private namespace: two processes share two sources and 10 ports towards one
// destination, with shards ({ index, count }) or without (collisions retried).
import { spawn } from 'node:child_process';
import net from 'node:net';
import { emit, setupNetns } from './netns-setup.js';

const { sharded } = JSON.parse(process.argv[2] ?? '{}') as { sharded: boolean };
setupNetns(['10.0.0.1/32', '10.0.0.2/32', '10.1.1.1/32']);
const server = net.createServer((s) => s.on('error', () => {}));
await new Promise<void>((r) => server.listen(5000, '10.1.1.1', r));

const child = new URL('./shard-child.ts', import.meta.url).pathname;
const kids = [0, 1].map((index) =>
  spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      child,
      JSON.stringify({ seed: 11 + index, ...(sharded ? { shard: { index, count: 2 } } : {}) }),
    ],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  ),
);
const results = await Promise.all(
  kids.map(
    (k) =>
      new Promise<unknown>((resolve, reject) => {
        let out = '';
        k.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          if (out.includes('\n')) resolve(JSON.parse(out.split('\n')[0] ?? ''));
        });
        k.once('exit', (code) => reject(new Error(`child exited with ${code}`)));
        // Both start together, so they really compete.
        setTimeout(() => k.stdin.write('go\n'), 1500);
      }),
  ),
);
for (const k of kids) k.stdin.end();
await Promise.all(kids.map((k) => new Promise((r) => (k.exitCode === null ? k.once('exit', r) : r(null)))));
server.close();
emit(results);
