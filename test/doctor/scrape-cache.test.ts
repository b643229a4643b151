// doctor --listen (issue 15): concurrent scrapes share one reading of /proc, a reading is reused
// for a short interval, and a slow reading stretches the interval so the work per second stays
// bounded. The clock is injected: nothing here depends on timing.
import assert from 'node:assert/strict';
import { get } from 'node:http';
import { test } from 'node:test';
import { scrapeCache, serveMetrics } from '../../src/doctor/index.js';

test('a reading serves every scrape for 1 s; the next one reads again', () => {
  let t = 0;
  let reads = 0;
  const c = scrapeCache(() => `reading ${++reads}\n`, { now: () => t });
  assert.equal(c.get().body, 'reading 1\n');
  t = 999;
  assert.equal(c.get().body, 'reading 1\n');
  t = 1000;
  assert.equal(c.get().body, 'reading 2\n');
  assert.equal(c.builds, 2);
});

test('a slow reading is reused for 5 times as long as it took (at most a fifth of a core)', () => {
  let t = 0;
  let reads = 0;
  const c = scrapeCache(
    () => {
      reads++;
      t += 400; // the reading takes 400 ms
      return 'x';
    },
    { now: () => t },
  );
  c.get(); // built over 0..400
  t = 400 + 1999;
  c.get();
  assert.equal(reads, 1, 'still within 2,000 ms (400 ms / 0.2) of the last reading');
  t = 400 + 2000;
  c.get();
  assert.equal(reads, 2);
  // Over a scrape every 10 ms for 60 s, the busy share stays at most 0.2.
  const start = t;
  for (let k = 0; k < 6000; k++) {
    t += 10;
    c.get();
  }
  assert.ok(((reads - 2) * 400) / (t - start) <= 0.2 + 1e-9, `${reads} reads`);
});

test('a failing reading is kept as long as a good one (a broken /proc is not re-read per scrape)', () => {
  let t = 0;
  let reads = 0;
  const c = scrapeCache(
    () => {
      reads++;
      throw new Error('gone');
    },
    { now: () => t },
  );
  assert.deepEqual([c.get().ok, c.get().body], [false, 'gone']);
  t = 500;
  c.get();
  assert.equal(reads, 1);
});

function fetchText(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    get(url, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => {
        body += d.toString();
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    }).on('error', reject);
  });
}

test('20 concurrent scrapes of /metrics are served from one reading', async () => {
  let reads = 0;
  const server = await serveMetrics('127.0.0.1', 0, () => `portspace_reads ${++reads}\n`, {
    minIntervalMs: 60_000,
  });
  try {
    const all = await Promise.all(Array.from({ length: 20 }, () => fetchText(server.url)));
    assert.deepEqual(new Set(all.map((r) => `${r.status} ${r.body}`)), new Set(['200 portspace_reads 1\n']));
    assert.equal(reads, 1);
    assert.equal(server.cache.builds, 1);
  } finally {
    await server.close();
  }
});
