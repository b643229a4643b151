// In a private namespace: the faults the connector must survive without leaks. After each one
// the report holds the connector's open counts (model sockets, pool ports, tracked sockets),
// the fds of the process, and the model's and the kernel's views of our sockets.
// args: { dest: 'remote' | 'local' }: a destination outside the model's namespace (10.1.1.1,
// with sources 10.0.0.x on lo) or inside it (127.0.0.1, sources 127.0.0.x: stand-in listener).
import { spawn } from 'node:child_process';
import net from 'node:net';
import { createConnector, isConnectorError } from '../../src/connector/index.js';
import { emit, openFds, settle, setupNetns, sleep } from './netns-setup.js';

const { dest: kind } = JSON.parse(process.argv[2] ?? '{}') as { dest: 'remote' | 'local' };
const SOURCES = kind === 'remote' ? ['10.0.0.1', '10.0.0.2'] : ['127.0.0.2', '127.0.0.3'];
const DEST = kind === 'remote' ? '10.1.1.1' : '127.0.0.1';
const fds0 = openFds();
setupNetns(kind === 'remote' ? [...SOURCES, DEST].map((a) => `${a}/32`) : []);

const c = createConnector({
  sources: SOURCES,
  ports: '20000-20003',
  random: () => 0,
  // Long enough that a loaded machine never times out a handshake that did complete.
  connectTimeout: 2000,
  maxAttempts: 4,
});

function serve(port: number, onConn: (s: net.Socket) => void): Promise<net.Server> {
  const s = net.createServer((sock) => {
    sock.on('error', () => {});
    onConn(sock);
  });
  return new Promise((r) => s.listen(port, DEST, () => r(s)));
}

async function outcome(p: Promise<net.Socket>) {
  try {
    const s = await p;
    return { ok: true as const, socket: s, local: `${s.localAddress}:${s.localPort}` };
  } catch (e) {
    const x = e as {
      code?: string;
      errnoName?: string;
      name?: string;
      localAddress?: string;
      localPort?: number;
    };
    return {
      ok: false as const,
      code: x.code ?? '?',
      name: x.name ?? '?',
      ...(x.errnoName ? { errnoName: x.errnoName } : {}),
      local: `${x.localAddress}:${x.localPort}`,
      connectorError: isConnectorError(e),
    };
  }
}

function closed(s: net.Socket): Promise<void> {
  return new Promise((r) => (s.destroyed && s.closed ? r() : s.once('close', () => r())));
}

const report: Record<string, unknown> = {};
/** `others`: sockets on our sources that are not the connector's (the kernel shows them too). */
async function check(name: string, result: unknown, others: string[] = []) {
  await sleep(50);
  const seen = await settle(SOURCES, () => [...c.modelView(), ...others].sort());
  const view = { kernel: seen.kernel, model: c.modelView() };
  report[name] = { result, view, counts: c.openCounts(), fds: openFds() };
}

// 1. Refused: nothing listens. Node's own ECONNREFUSED passes through (R61: nothing stays).
{
  const r = await outcome(c.connect({ host: DEST, port: 7001 }));
  await check('refused', { ...r, socket: undefined });
}

// 2. Reset: the server resets every connection shortly after accepting it (R61: nothing stays).
{
  const srv = await serve(7002, (s) => setTimeout(() => s.resetAndDestroy(), 50));
  const r = await outcome(c.connect({ host: DEST, port: 7002 }));
  let err = 'none';
  if (r.ok) {
    r.socket.on('error', (e: NodeJS.ErrnoException) => {
      err = e.code ?? '?';
    });
    r.socket.resume();
    await closed(r.socket);
  }
  srv.close();
  await check('reset', { ok: r.ok, err, code: r.ok ? '' : r.code });
}

// 3. The peer closes first (graceful): CLOSE_WAIT then LAST_ACK on our side, no TIME_WAIT (R60).
{
  const srv = await serve(7003, (s) => s.end());
  const r = await outcome(c.connect({ host: DEST, port: 7003 }));
  if (r.ok) {
    r.socket.resume();
    await closed(r.socket);
  }
  srv.close();
  await check('peerClosedFirst', { ok: r.ok });
}

// 4. Ports taken by other sockets after the connector started (it could not know): a listener
// on our source port (EADDRINUSE at bind) and a connection on our 4-tuple (EADDRNOTAVAIL at
// connect). The connector retries on the next ports.
{
  const srv = await serve(7004, () => {});
  const squatter = net.createServer();
  await new Promise<void>((r) => squatter.listen(20000, SOURCES[0], r));
  const foreign = net.connect({ host: DEST, port: 7004, localAddress: SOURCES[1], localPort: 20000 });
  await new Promise((r) => foreign.once('connect', r));
  const a = await outcome(c.connect({ host: DEST, port: 7004 }));
  const b = await outcome(c.connect({ host: DEST, port: 7004 }));
  const stats = c.stats().filter((s) => s.destination.endsWith(':7004'));
  await check('taken', { a: a.local, b: b.local, stats }, [
    `${SOURCES[1]}:20000 -> ${DEST}:7004 ESTABLISHED`,
  ]);
  for (const x of [a, b]) if (x.ok) x.socket.resetAndDestroy();
  foreign.resetAndDestroy();
  squatter.close();
  srv.close();
  await sleep(50);
  await check('takenAfter', null);
}

// 5. A destination that stops accepting: a listener (another process) with a full accept queue
// drops further SYNs, so the handshake times out (connectTimeout) and then an abort through signal.
{
  const py = spawn(
    'python3',
    [
      '-c',
      `import socket,sys,time
s=socket.socket(socket.AF_INET)
s.bind((sys.argv[1],7005)); s.listen(0); print('ok',flush=True); time.sleep(30)`,
      DEST,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  await new Promise((r) => py.stdout.once('data', r));
  const results: unknown[] = [];
  const held: net.Socket[] = [];
  // Fill the queue (backlog 0 keeps one, plus one in flight), until a connect times out.
  for (let i = 0; i < 4; i++) {
    const r = await outcome(c.connect({ host: DEST, port: 7005 }));
    results.push({ ok: r.ok, code: r.ok ? 'connected' : r.code, errnoName: r.ok ? undefined : r.errnoName });
    if (r.ok) held.push(r.socket);
    else break;
  }
  await check('timeout', results);
  const ac = new AbortController();
  setTimeout(() => ac.abort(), 100);
  const aborted = await outcome(c.connect({ host: DEST, port: 7005, signal: ac.signal }));
  const pre = await outcome(c.connect({ host: DEST, port: 7005, signal: AbortSignal.abort() }));
  await check('abort', {
    aborted: { ok: aborted.ok, name: aborted.ok ? '' : aborted.name },
    pre: { ok: pre.ok, name: pre.ok ? '' : pre.name },
  });
  for (const s of held) s.resetAndDestroy();
  py.kill('SIGKILL');
  await new Promise((r) => py.once('exit', r));
  await sleep(50);
  await check('stopsAcceptingAfter', null);
}

report.fds0 = fds0;
report.stats = c.stats();
report.fdsEnd = openFds();
emit(report);
