// In a private namespace: node:http and node:https servers on 127.0.0.1 (self-signed
// certificate made with openssl), reached through the connector from 127.0.0.2 and 127.0.0.3
// with http.Agent, https.Agent, undici Agent / Pool and fetch. The servers echo the client's
// address, so the report shows which source and port each request used.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, Pool, request, setGlobalDispatcher, fetch as undiciFetch } from 'undici';
import { createConnector } from '../../src/connector/index.js';
import { emit, openFds, seeded, settle, setupNetns, sleep } from './netns-setup.js';

const SOURCES = ['127.0.0.2', '127.0.0.3'];
const fds0 = openFds();
setupNetns([]);

const dir = mkdtempSync(join(tmpdir(), 'portspace-cert-'));
execFileSync(
  'openssl',
  [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    join(dir, 'key.pem'),
    '-out',
    join(dir, 'cert.pem'),
    '-days',
    '1',
    '-subj',
    '/CN=portspace-test',
    '-addext',
    'subjectAltName=IP:127.0.0.1,DNS:portspace.test',
  ],
  { stdio: 'ignore' },
);
const key = readFileSync(join(dir, 'key.pem'));
const cert = readFileSync(join(dir, 'cert.pem'));
rmSync(dir, { recursive: true, force: true });

const echo = (req: http.IncomingMessage, res: http.ServerResponse) => {
  res.end(`${req.socket.remoteAddress}:${req.socket.remotePort}`);
};
const plain = http.createServer(echo);
const secure = https.createServer({ key, cert }, echo);
// Idle keep-alive connections stay open for the whole run (a loaded machine is slow).
plain.keepAliveTimeout = 60_000;
secure.keepAliveTimeout = 60_000;
await new Promise<void>((r) => plain.listen(8080, '127.0.0.1', r));
await new Promise<void>((r) => secure.listen(8443, '127.0.0.1', r));

const c = createConnector({ sources: SOURCES, ports: '20000-20099', random: seeded(3) });

function get(
  agent: http.Agent,
  mod: typeof http | typeof https,
  url: string,
): Promise<{ body: string; reused: boolean }> {
  return new Promise((resolve, reject) => {
    const req = mod.get(url, { agent, ca: cert }, (res) => {
      let body = '';
      const reused = (res.socket as { isSessionReused?: () => boolean } | null)?.isSessionReused?.() ?? false;
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        body += d;
      });
      res.on('end', () => resolve({ body, reused }));
    });
    req.on('error', reject);
  });
}

// http.Agent: keep-alive reuses one connection for sequential requests.
const ha = c.httpAgent({ keepAlive: true, maxSockets: 4 });
const httpSeq: string[] = [];
for (let i = 0; i < 3; i++) httpSeq.push((await get(ha, http, 'http://127.0.0.1:8080/')).body);
const httpPar = (await Promise.all([0, 1, 2, 3].map(() => get(ha, http, 'http://127.0.0.1:8080/')))).map(
  (r) => r.body,
);
ha.destroy();

// https.Agent: no keep-alive, so each request is a new connection; the second resumes the session.
const hsa = c.httpsAgent({ keepAlive: false });
const httpsRuns: { body: string; reused: boolean }[] = [];
for (let i = 0; i < 2; i++) httpsRuns.push(await get(hsa, https, 'https://127.0.0.1:8443/'));
hsa.destroy();

// undici Agent (http and https), a Pool, undici's fetch and Node's global fetch.
const ua = new Agent({ connect: c.undiciConnect({ ca: cert }) });
const undiciHttp = await (await request('http://127.0.0.1:8080/', { dispatcher: ua })).body.text();
const undiciHttps = await (await request('https://127.0.0.1:8443/', { dispatcher: ua })).body.text();
const pool = new Pool('https://127.0.0.1:8443', { connections: 2, connect: c.undiciConnect({ ca: cert }) });
const poolBodies = await Promise.all(
  [0, 1, 2].map(async () => (await pool.request({ path: '/', method: 'GET' })).body.text()),
);
const fetched = await (await undiciFetch('https://127.0.0.1:8443/', { dispatcher: ua })).text();
setGlobalDispatcher(ua);
const globalFetched = await (await globalThis.fetch('http://127.0.0.1:8080/')).text();
await pool.close();
await ua.close();
await sleep(100);

const view = await settle(SOURCES, () => c.modelView());
const stats = c.stats();
const leaks = c.openCounts();
plain.close();
secure.close();
await sleep(100);

emit({
  httpSeq,
  httpPar,
  httpsRuns,
  undiciHttp,
  undiciHttps,
  poolBodies,
  fetched,
  globalFetched,
  view,
  stats,
  leaks,
  fdsLeaked: openFds() - fds0,
});
