// The page's server serves only its own routes: request paths never reach the file system
// (traversal attempts, encoded or not, are 404), loopback only unless allowed, GET/HEAD only, no
// bodies, bounded URL and header sizes, and only to a Host that names loopback (DNS rebinding).
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, test } from 'node:test';
import { listenHost, MAX_URL, WebError } from '../../src/web/index.js';
import { type FixtureServer, fixtureServer } from './helpers.js';

let fx: FixtureServer;
let port = 0;

before(async () => {
  fx = await fixtureServer();
  port = Number(new URL(fx.server.url).port);
});
after(async () => {
  await fx.server.close();
});

/** Sends raw bytes (no client-side path normalisation) and returns the status and body. */
function raw(request: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1');
    let data = '';
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error(`no answer to ${JSON.stringify(request.slice(0, 80))}`));
    }, 10_000);
    s.on('data', (d) => {
      data += d.toString('latin1');
    });
    s.on('error', reject);
    s.on('close', () => {
      clearTimeout(timer);
      resolve({ status: Number(/^HTTP\/1\.[01] (\d{3})/.exec(data)?.[1] ?? 0), text: data });
    });
    s.end(request);
  });
}

const get = (target: string, host = `127.0.0.1:${port}`, extra = '') =>
  raw(`GET ${target} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n${extra}\r\n`);

test('request paths never reach files: traversal attempts are 404 and show no file', async () => {
  const attempts = [
    '/../../etc/passwd',
    '/../../../../../../etc/passwd',
    '/%2e%2e/%2e%2e/etc/passwd',
    '/%2E%2E%2F%2E%2E%2Fetc%2Fpasswd',
    '/..%2f..%2f..%2fetc%2fpasswd',
    '/page.js/../../../../etc/passwd',
    '/static/page.js',
    '/src/web/static/page.js',
    '/web/static/../../../package.json',
    '/package.json',
    '//etc/passwd',
    '/api/script/step/../../../../etc/passwd',
    '/api/script/step/%2e%2e',
    '/api/script/step/-1',
    '/api/script/step/999999',
    '/.%00./etc/passwd',
    '/%5c..%5c..%5cetc%5cpasswd',
    'http://127.0.0.1/../../etc/passwd',
  ];
  for (const a of attempts) {
    const r = await get(a);
    assert.ok(r.status === 404 || r.status === 400, `${a}: status ${r.status}`);
    assert.doesNotMatch(r.text, /root:|"name": "portspace"|function el\(/, a);
  }
  // The real routes answer, and a query string is ignored, not interpreted.
  assert.equal((await get('/')).status, 200);
  assert.equal((await get('/?file=../../etc/passwd')).status, 200);
  assert.match((await get('/page.js')).text, /portspace page/);
  for (const m of ['common.js', 'grid.js', 'live.js', 'script.js', 'plan.js', 'tables.js'])
    assert.match((await get(`/${m}`)).text, /content-type: text\/javascript/i, m);
  assert.match((await get('/api/script/step/0')).text, /"range":\[40000,40015\]/);
});

test('GET and HEAD only, no request bodies, bounded request target and headers', async () => {
  assert.equal(
    (await raw(`POST / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Length: 0\r\n\r\n`)).status,
    405,
  );
  assert.equal((await raw(`DELETE /api/live HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`)).status, 405);
  // CONNECT bypasses the request handler in node: answered 405 too, not closed without a word
  // (found by the fuzzer, fuzzing/web-target.ts).
  for (const target of ['/page.js', `127.0.0.1:${port}`, 'example.com:443']) {
    const c = await raw(`CONNECT ${target} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`);
    assert.equal(c.status, 405, `CONNECT ${target}`);
    assert.match(c.text, /allow: GET, HEAD/i);
    assert.match(c.text, /content-security-policy: default-src 'none'/i);
  }
  const withBody = await raw(
    `GET / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello`,
  );
  assert.equal(withBody.status, 413);
  const head = await raw(`HEAD /api/meta HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: close\r\n\r\n`);
  assert.equal(head.status, 200);
  assert.doesNotMatch(head.text, /"views"/, 'HEAD has no body');
  assert.equal((await get(`/${'a'.repeat(MAX_URL)}`)).status, 414);
  const big = await get('/', `127.0.0.1:${port}`, `X-Big: ${'b'.repeat(16_000)}\r\n`);
  assert.equal(big.status, 431);
});

test('on loopback only a Host naming loopback is answered (DNS rebinding)', async () => {
  assert.equal((await get('/', `evil.example:${port}`)).status, 421);
  assert.equal((await get('/api/live', `attacker.test`)).status, 421);
  assert.equal((await raw('GET / HTTP/1.0\r\n\r\n')).status, 421, 'no Host at all');
  assert.equal((await get('/', `localhost:${port}`)).status, 200);
  assert.equal((await get('/', `LOCALHOST:${port}`)).status, 200);
});

test('responses carry a CSP that allows nothing from elsewhere, nosniff and no caching', async () => {
  const r = await get('/');
  assert.match(r.text, /content-security-policy: default-src 'none'; script-src 'self'/i);
  assert.match(r.text, /x-content-type-options: nosniff/i);
  assert.match(r.text, /cache-control: no-store/i);
  // The page itself names no other origin.
  assert.doesNotMatch(r.text, /https?:\/\/(?!www\.w3\.org)/);
  for (const m of ['page.js', 'common.js', 'grid.js', 'live.js', 'script.js', 'plan.js', 'tables.js'])
    assert.doesNotMatch((await get(`/${m}`)).text, /https?:\/\/(?!www\.w3\.org\/2000\/svg)/, m);
});

test('listenHost: loopback by default, anything else only when allowed', () => {
  assert.equal(listenHost('127.0.0.1', false), '127.0.0.1');
  assert.equal(listenHost('127.0.0.2', false), '127.0.0.2');
  assert.equal(listenHost('::1', false), '::1');
  assert.equal(listenHost('[::1]', false), '::1');
  assert.equal(listenHost('localhost', false), '127.0.0.1');
  for (const h of ['0.0.0.0', '::', '10.0.0.1', '192.168.1.2', '2001:db8::1']) {
    assert.throws(
      () => listenHost(h, false),
      (e) =>
        e instanceof WebError && e.code === 'PORTSPACE_LISTEN_REFUSED' && /--allow-remote/.test(e.message),
      h,
    );
    assert.equal(listenHost(h, true), h.replace(/^\[|\]$/g, ''));
  }
  assert.throws(() => listenHost('example.com', true), /needs an IP address/);
});
