// http.Agent, https.Agent, undici Agent / Pool, undici fetch and Node's global fetch, all
// through the connector, against local node:http / node:https servers in a private namespace.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { inNetns } from './netns.js';

interface HttpRun {
  httpSeq: string[];
  httpPar: string[];
  httpsRuns: { body: string; reused: boolean }[];
  undiciHttp: string;
  undiciHttps: string;
  poolBodies: string[];
  fetched: string;
  globalFetched: string;
  view: { kernel: string[]; model: string[] };
  leaks: { tracked: number; modelSockets: number; poolInUse: number };
  fdsLeaked: number;
}

const OURS = /^127\.0\.0\.[23]:200\d\d$/;

test('connector with http.Agent, https.Agent (session resumed), undici Agent/Pool and fetch', async (t) => {
  if (spawnSync('openssl', ['version']).status !== 0) {
    t.skip('openssl is not installed (apt-get install openssl): it makes the test certificate');
    return;
  }
  const r = await inNetns<HttpRun>(t, './http-worker.ts', {});
  if (r === null) return;
  // Keep-alive: three sequential requests share one connection from our pool.
  assert.match(r.httpSeq[0] ?? '', OURS);
  assert.deepEqual(new Set(r.httpSeq).size, 1);
  // Four at once: four connections, spread over both sources (most headroom first).
  assert.equal(new Set(r.httpPar).size, 4);
  for (const b of r.httpPar) assert.match(b, OURS);
  assert.deepEqual(new Set(r.httpPar.map((b) => b.split(':')[0])), new Set(['127.0.0.2', '127.0.0.3']));
  // https.Agent without keep-alive: two connections, the second resumes the TLS session.
  assert.equal(r.httpsRuns.length, 2);
  for (const h of r.httpsRuns) assert.match(h.body, OURS);
  assert.notEqual(r.httpsRuns[0]?.body, r.httpsRuns[1]?.body);
  assert.equal(r.httpsRuns[1]?.reused, true);
  for (const b of [r.undiciHttp, r.undiciHttps, r.fetched, r.globalFetched, ...r.poolBodies])
    assert.match(b, OURS);
  // Node's global fetch went through the undici Agent set with setGlobalDispatcher.
  assert.equal(r.globalFetched, r.undiciHttp);
  // Plain TCP endings are exact in the model; a TLS socket we destroy usually ends in an RST
  // when the server's close_notify arrives after our close (TcpExtTCPAbortOnData), which Node
  // cannot see: the model keeps a TIME_WAIT there (conservative), so kernel <= model for TLS.
  const plain = (v: string[]) => v.filter((l) => l.includes(':8080 '));
  assert.deepEqual(plain(r.view.kernel), plain(r.view.model));
  assert.ok(plain(r.view.model).length >= 5);
  for (const k of r.view.kernel) assert.ok(r.view.model.includes(k), `${k} in the kernel, not in the model`);
  assert.deepEqual(r.leaks, { tracked: 0, modelSockets: 0, poolInUse: 0 });
  assert.equal(r.fdsLeaked, 0);
});
