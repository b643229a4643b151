// In a private namespace: two sources, three destinations, 5 connector ports and a 10-port
// ip_local_port_range. Fills each destination until the connector says PORTSPACE_PORTS_EXHAUSTED
// (userspace) or fills all destinations together (bind strategy), and reports what the kernel
// and the model saw.
import net from 'node:net';
import { Registry } from 'prom-client';
import { createConnector, isConnectorError } from '../../src/connector/index.js';
import { emit, kernelView, openFds, seeded, settle, setupNetns, sleep } from './netns-setup.js';

const SOURCES = ['10.0.0.1', '10.0.0.2'];
const DESTS = [
  ['10.1.1.1', 5000],
  ['10.1.1.1', 6000],
  ['10.1.1.2', 5000],
] as const;

const fds0 = openFds();
setupNetns(
  [...SOURCES, '10.1.1.1', '10.1.1.2'].map((a) => `${a}/32`),
  { 'net.ipv4.ip_local_port_range': '40000 40009' },
);

const servers: net.Server[] = [];
for (const [host, port] of DESTS) {
  const s = net.createServer((c) => {
    c.on('error', () => {});
    c.on('end', () => c.end());
  });
  await new Promise<void>((r) => s.listen(port, host, r));
  servers.push(s);
}

/** Connects until the connector refuses; returns the sockets and the refusal. */
async function fill(connect: () => Promise<net.Socket>, max: number) {
  const socks: net.Socket[] = [];
  let error: { code: string; errnoName?: string; errno?: number; message: string; rule?: string } | null =
    null;
  for (let i = 0; i < max; i++) {
    try {
      socks.push(await connect());
    } catch (e) {
      if (!isConnectorError(e)) throw e;
      error = {
        code: e.code,
        message: e.message,
        ...(e.errnoName ? { errnoName: e.errnoName } : {}),
        ...(e.errno !== undefined ? { errno: e.errno } : {}),
        ...(e.rule ? { rule: e.rule } : {}),
      };
      break;
    }
  }
  return { socks, error };
}

const bySource = (socks: net.Socket[]) => {
  const m: Record<string, number> = {};
  for (const s of socks) m[s.localAddress ?? '?'] = (m[s.localAddress ?? '?'] ?? 0) + 1;
  return m;
};

// userspace: each destination separately reaches 2 sources x 5 ports.
const us = createConnector({ sources: SOURCES, ports: '20000-20004', random: seeded(7) });
const userspace: Record<string, unknown> = {};
const all: net.Socket[] = [];
for (const [host, port] of DESTS) {
  const r = await fill(() => us.connect({ host, port }), 50);
  all.push(...r.socks);
  userspace[`${host}:${port}`] = { count: r.socks.length, bySource: bySource(r.socks), error: r.error };
}
const statsFull = us.stats();
const registry = new Registry();
us.registerMetrics(registry);
const metrics = await registry.metrics();
const viewFull = await settle(SOURCES, () => us.modelView());
// The kernel agrees nothing is left on those ports: a raw bind-before-connect to each is refused.
const rawRefusals: string[] = [];
for (let p = 20000; p <= 20004; p++) {
  const code = await new Promise<string>((resolve) => {
    const s = net.connect({ host: '10.1.1.1', port: 5000, localAddress: '10.0.0.1', localPort: p });
    s.once('connect', () => {
      s.destroy();
      resolve('connected');
    });
    s.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? '?'));
  });
  rawRefusals.push(code);
}
// We close first: every connection leaves TIME_WAIT (R60), mirrored by the model.
for (const s of all) s.end();
await sleep(100);
const viewTw = await settle(SOURCES, () => us.modelView());
const statsTw = us.stats();
// R63: bind-before-connect recycles our TIME_WAIT 4-tuples at once (timestamps on).
const again = await fill(() => us.connect({ host: '10.1.1.1', port: 5000 }), 50);
const viewAgain = await settle(SOURCES, () => us.modelView());
for (const s of again.socks) s.resetAndDestroy();
await sleep(100);
const leaks = us.openCounts();

// bind strategy: bind(ip, 0) holds a port of ip_local_port_range per connection, for every
// destination (R23): 2 sources x 10 ports in total, however many destinations.
const bs = createConnector({ sources: SOURCES, strategy: 'bind' });
const bindSocks: net.Socket[] = [];
let bindError: unknown = null;
outer: for (let round = 0; round < 20; round++) {
  for (const [host, port] of DESTS) {
    try {
      bindSocks.push(await bs.connect({ host, port }));
    } catch (e) {
      if (!isConnectorError(e)) throw e;
      bindError = { code: e.code, message: e.message, rule: e.rule };
      break outer;
    }
  }
}
const bindBySource = bySource(bindSocks);
// Only the bind connector's ports (the userspace run's TIME_WAIT entries are still there).
const bindView = await settle(SOURCES, () => bs.modelView(), [40000, 40009]);
const bindStats = bs.stats();
for (const s of bindSocks) s.resetAndDestroy();
await sleep(100);

// no-port (IP_BIND_ADDRESS_NO_PORT through the addon, R22): the kernel picks per destination,
// so 2 sources x 10 ports to EACH destination. Skipped (with the reason) if the addon is missing.
const np = createConnector({ sources: SOURCES, strategy: 'no-port' });
let noPort: unknown = { skipped: np.info.notes.find((n) => n.includes('no-port')) ?? 'unknown' };
if (np.info.strategy === 'no-port') {
  const counts: Record<string, { count: number; bySource: Record<string, number>; error: unknown }> = {};
  const npSocks: net.Socket[] = [];
  for (const [host, port] of DESTS) {
    const r = await fill(() => np.connect({ host, port }), 50);
    npSocks.push(...r.socks);
    counts[`${host}:${port}`] = { count: r.socks.length, bySource: bySource(r.socks), error: r.error };
  }
  const view = await settle(SOURCES, () => np.modelView(), [40000, 40009]);
  for (const s of npSocks) s.resetAndDestroy();
  await sleep(100);
  noPort = { counts, view, divergences: np.divergences, leaks: np.openCounts() };
}
for (const s of servers) s.close();
await sleep(50);

emit({
  info: us.info,
  userspace,
  statsFull,
  metrics,
  viewFull,
  rawRefusals,
  statsTw,
  viewTw,
  again: { count: again.socks.length, error: again.error },
  viewAgain,
  leaks,
  bind: { count: bindSocks.length, bySource: bindBySource, error: bindError, divergences: bs.divergences },
  bindView,
  bindStats,
  bindLeaks: bs.openCounts(),
  noPort,
  kernelAfter: kernelView(SOURCES).filter((l) => !l.endsWith('TIME_WAIT')),
  fdsLeaked: openFds() - fds0,
});
