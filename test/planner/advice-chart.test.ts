// Advice re-simulates each tweak (the numbers it changes come from a run, not a formula), never
// offers tcp_tw_recycle, and the charts draw what the series says.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { advise, nextAddress } from '../../src/planner/advice.js';
import { svgChart } from '../../src/planner/chart-svg.js';
import { textChart } from '../../src/planner/chart-text.js';
import { HEADLINE_PLAN } from '../../src/planner/example.js';
import { runFast } from '../../src/planner/fast-engine.js';
import type { PlanConfig } from '../../src/planner/plan-types.js';

const headline: PlanConfig = HEADLINE_PLAN;

test('A3 R22 R62 R1: advice for the headline plan, each with its re-simulated numbers', () => {
  const base = runFast(headline);
  const advice = advise(headline, base);
  const byId = (id: string) => advice.filter((a) => a.id === id);
  // 1024-65535: 64,512 ports > 30,000 needed per 60 s: no failure.
  assert.equal(byId('wider-range')[0]?.after.failedFraction, 0);
  // tcp_tw_reuse=1: entries older than 1 s are recycled, 500 of them per second are: no failure.
  assert.equal(byId('tw-reuse')[0]?.after.failedFraction, 0);
  // One more source (with NOPORT): 15,000 port lifetimes per source per 60 s < 28,232.
  const more = byId('more-sources')[0];
  assert.match(more?.tweak ?? '', /\+1 source IP \(10\.0\.0\.2\) \(with IP_BIND_ADDRESS_NO_PORT/);
  assert.equal(more?.after.failedFraction, 0);
  assert.equal(more?.after.peakInUse, 15_000);
  assert.ok(advice.every((a) => a.before.failedFraction === base.failedFraction));
  assert.ok(advice.every((a) => !/recycle =|tw_recycle/.test(a.tweak)));
  // bind(ip, 0) gets the IP_BIND_ADDRESS_NO_PORT advice; it only helps with several destinations.
  const two = {
    ...headline,
    strategy: 'bind0' as const,
    destinations: [headline.destinations[0] ?? { addr: '', port: 0 }, { addr: '10.1.1.2', port: 5432 }],
  };
  const noport = advise(two, runFast(two)).find((a) => a.id === 'noport');
  assert.ok(noport?.helps);
  assert.ok((noport?.after.failedFraction ?? 1) < (noport?.before.failedFraction ?? 0));
});

test('nextAddress steps over taken addresses, in both families', () => {
  assert.equal(nextAddress('10.0.0.1', new Set()), '10.0.0.2');
  assert.equal(nextAddress('10.0.0.1', new Set(['10.0.0.2'])), '10.0.0.3');
  assert.equal(nextAddress('10.0.0.254', new Set()), '10.0.1.1');
  assert.equal(nextAddress('2001:db8::1', new Set()), '2001:db8::2');
});

test('the terminal chart rises to the peak and marks failed slices; the SVG has a line per strategy', () => {
  const r = runFast(headline);
  const lines = textChart(r.series, { durationMs: headline.durationMs, width: 60 });
  assert.match(lines[0] ?? '', /^28,232 ┤/);
  const fails = lines.find((l) => l.includes('fail')) ?? '';
  // Failures start at 56.464 s of 180 s: column 18 of 60 (0-based), none before.
  const marks = fails.slice(fails.indexOf('fail') + 6);
  assert.equal(marks.indexOf('x'), Math.floor((56.464 / 180) * 60));
  const svg = svgChart([r, runFast({ ...headline, strategy: 'reuseaddr' })], headline.durationMs, 'headline');
  assert.equal(svg.match(/<polyline fill="none" stroke="#[0-9a-f]+" stroke-width="2"/g)?.length, 2);
});
