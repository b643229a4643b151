// In a private namespace: IPv6 sources, destinations by name (lookup matched to the sources'
// family), a name with no address of our family, and avoidHostSockets (ports other sockets
// hold when the connector starts are never tried).
import net from 'node:net';
import { createConnector, isConnectorError } from '../../src/connector/index.js';
import { emit, settle, setupNetns, sleep } from './netns-setup.js';

setupNetns(['10.0.0.1/32', '10.1.1.1/32', 'fd00::1/128', 'fd00::9/128']);
const servers: net.Server[] = [];
for (const [host, port] of [
  ['10.1.1.1', 5000],
  ['10.1.1.1', 6000],
  ['fd00::9', 5000],
] as const) {
  const s = net.createServer((c) => c.on('error', () => {}));
  await new Promise<void>((r) => s.listen(port, host, r));
  servers.push(s);
}
const names: Record<string, { address: string; family: number }[]> = {
  'db.test': [
    { address: 'fd00::9', family: 6 },
    { address: '10.1.1.1', family: 4 },
  ],
  'v6only.test': [{ address: 'fd00::9', family: 6 }],
};
const lookup = async (h: string) => {
  const found = names[h];
  if (!found) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${h}`), { code: 'ENOTFOUND' });
  return found;
};
const err = (e: unknown) =>
  isConnectorError(e) ? { code: e.code, message: e.message, errno: e.errnoName } : String(e);

// Dual-stack sources: the first address of a family we have a source for.
const dual = createConnector({
  sources: ['10.0.0.1', 'fd00::1'],
  ports: '20000-20003',
  random: () => 0,
  lookup,
});
const a = await dual.connect({ host: 'db.test', port: 5000 });
const b = await dual.connect({ host: '[fd00::9]', port: 5000 });
const dualView = await settle(['10.0.0.1', 'fd00::1'], () => dual.modelView());
const dualEnds = [a, b].map((s) => `${s.localAddress}:${s.localPort} -> ${s.remoteAddress}:${s.remotePort}`);
// IPv4-only sources: db.test falls back to its IPv4 address; v6only.test cannot be reached.
const v4 = createConnector({ sources: ['10.0.0.1'], ports: '20000-20003', random: () => 0, lookup });
const c = await v4.connect({ host: 'db.test', port: 5000 });
const v4End = `${c.localAddress}:${c.localPort} -> ${c.remoteAddress}`;
let noFamily: unknown = null;
try {
  await v4.connect({ host: 'v6only.test', port: 5000 });
} catch (e) {
  noFamily = err(e);
}
let notFound: unknown = null;
try {
  await v4.connect({ host: 'nothing.test', port: 5000 });
} catch (e) {
  notFound = err(e);
}
for (const s of [a, b, c]) s.resetAndDestroy();
await sleep(50);

// avoidHostSockets: a listener on 10.0.0.1:20000 and a connection 10.0.0.1:20001 -> :5000
// exist before the connector starts; it reads /proc/net/tcp and never tries those.
const squatter = net.createServer();
await new Promise<void>((r) => squatter.listen(20000, '10.0.0.1', r));
const foreign = net.connect({ host: '10.1.1.1', port: 5000, localAddress: '10.0.0.1', localPort: 20001 });
await new Promise((r) => foreign.once('connect', r));
const avoid = createConnector({
  sources: ['10.0.0.1'],
  ports: '20000-20003',
  random: () => 0,
  avoidHostSockets: true,
});
const d = await avoid.connect({ host: '10.1.1.1', port: 5000 });
const e = await avoid.connect({ host: '10.1.1.1', port: 6000 });
const avoidStats = avoid.stats().map((s) => [s.destination, s.attempts, s.collisions]);
const avoided = [d, e].map((s) => `${s.localAddress}:${s.localPort} -> ${s.remotePort}`);
for (const s of [d, e, foreign]) s.resetAndDestroy();
squatter.close();
for (const s of servers) s.close();
await sleep(50);
emit({ dualEnds, dualView, v4: v4End, noFamily, notFound, avoided, avoidStats });
