#!/usr/bin/env node
// Builds the connector's optional no-port addon (native/noport) with node-gyp, from source.
// Never fails the install: when there is no compiler, no node-gyp or no Node headers, it says
// so in one line and the connector falls back to the userspace strategy.
// Usage: node scripts/build-noport.mjs   (npm runs it on install)
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

const dir = new URL('../native/noport/', import.meta.url).pathname;
const nodeDir = dirname(dirname(process.execPath));
const candidates = [
  process.env.npm_config_node_gyp,
  join(nodeDir, 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
].filter((p) => p && existsSync(p));
const gyp = candidates[0];
const note = (why) =>
  console.log(`portspace: no-port addon not built (${why}); the connector uses userspace instead`);
if (process.env.PORTSPACE_SKIP_NOPORT === '1') note('PORTSPACE_SKIP_NOPORT=1');
else if (process.platform !== 'linux')
  note(`IP_BIND_ADDRESS_NO_PORT is Linux only, this is ${process.platform}`);
else if (!gyp) note('node-gyp not found');
else {
  // Local Node headers when they are installed beside node: no download needed.
  const headers = existsSync(join(nodeDir, 'include', 'node', 'node_api.h')) ? [`--nodedir=${nodeDir}`] : [];
  const r = spawnSync(process.execPath, [gyp, 'rebuild', ...headers], {
    cwd: dir,
    encoding: 'utf8',
    timeout: 300_000,
  });
  if (r.status === 0) console.log('portspace: no-port addon built (native/noport/build/Release/noport.node)');
  else note(`node-gyp failed: ${(r.stderr || r.stdout || String(r.error)).trim().split('\n').slice(-1)[0]}`);
}
