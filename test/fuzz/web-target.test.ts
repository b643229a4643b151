// The fuzz target for the page's HTTP endpoints (fuzzing/web-target.ts) can fail: behind the
// same socket, a server that answers 500, serves a passwd line for a traversal path, sends
// broken JSON from an /api/ route, or 200 for paths that are no route is reported, each kind as
// its own problem. (The CI slice in fuzz.test.ts shows the real server passes the same checks.)
import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { inputSeed, Rng } from '../../fuzzing/prng.js';
import { closeWebServer, webServer, webTarget } from '../../fuzzing/web-target.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

test('the web target reports a broken server: 500, a leaked file, broken JSON, 200 off the routes', async () => {
  const s = await webServer(root);
  const http = s.server.server;
  const real = http.listeners('request');
  http.removeAllListeners('request');
  http.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '').split('?')[0] ?? '';
    const answer = (status: number, type: string, body: string) => {
      res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    if (path.includes('..') || path.includes('%2e'))
      answer(200, 'text/plain', 'root:x:0:0:root:/root:/bin/sh\n');
    else if (path.startsWith('/api/')) answer(200, 'application/json', '{"half":');
    else if (path.includes('%')) answer(500, 'text/plain', 'oops\n');
    else answer(200, 'text/html', '<p>anything</p>');
  });
  const problems = new Set<string>();
  try {
    const target = webTarget(root);
    for (let i = 0; i < 400; i++) {
      const r = await target.run(new Rng(inputSeed(7, i)), undefined as never);
      if (r.problem !== null) problems.add(r.problem.slice(0, 80));
    }
  } finally {
    http.removeAllListeners('request');
    for (const l of real) http.on('request', l as (...a: unknown[]) => void);
    await closeWebServer();
  }
  const kinds = [...problems].join(' | ');
  for (const kind of [
    /^status 500/,
    /^served content from outside the page: "root:x:0:0:/,
    /^\/api\/[a-z/0-9]+: not JSON/,
    /^status 200 where 404 was due|^200 for a path that is no route/,
  ])
    assert.ok(
      [...problems].some((p) => kind.test(p)),
      `${kind} not among: ${kinds}`,
    );
});
