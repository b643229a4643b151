// `portspace spread`, run as a user would (the built CLI): --help, bad input (exit 2,
// PORTSPACE_USAGE), and a small real measurement of a TCP and a UDP group (spec R81/R82, article
// claim A6). The kernel part skips with the reason printed where kernel runs cannot happen.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { cli, ensureBuilt, json, kernelOr, noStack } from './cli-helpers.js';

before(() => ensureBuilt());

test('spread --help explains the measurement and the options', () => {
  const r = cli(['spread', '--help']);
  assert.equal(r.status, 0);
  assert.match(r.stdout, /^usage: portspace spread \[--proto tcp\|udp\]/);
  assert.match(r.stdout, /round-robin gives 1\.0/);
  assert.match(
    cli(['--help']).stdout,
    /^ {2}spread {2,}measure how a real SO_REUSEPORT group spreads flows/m,
  );
});

test('spread: bad options are PORTSPACE_USAGE with exit 2 and no stack trace', () => {
  for (const args of [
    ['--proto', 'sctp'],
    ['--members', '0'],
    ['--members', '1', '--flows', '50'],
    ['--members', '65'],
    ['--flows', 'many'],
    ['extra'],
  ]) {
    const r = cli(['spread', ...args, '--json']);
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
    const j = json(r) as { error: { code: string; message: string } };
    assert.equal(j.error.code, 'PORTSPACE_USAGE');
    noStack(r);
  }
});

test('spread --members 1: a usage error that says why (a group of one has nobody to spread over)', () => {
  const r = cli(['spread', '--members', '1', '--flows', '50']);
  assert.equal(r.status, 2, r.stdout + r.stderr);
  assert.match(r.stderr, /--members must be at least 2, got 1: a group of one has nobody to spread over/);
  assert.doesNotMatch(r.stdout, /verdict/);
  noStack(r);
  const j = json(cli(['spread', '--members', '1', '--flows', '50', '--json'])) as {
    error: { code: string; message: string };
  };
  assert.equal(j.error.code, 'PORTSPACE_USAGE');
  assert.match(j.error.message, /at least 2/);
});

test('A6 spread with fewer than 5 flows per member says "too few flows to tell" and gives no verdict', async (t) => {
  if (!(await kernelOr(t))) return;
  const j = json(cli(['spread', '--members', '2', '--flows', '1', '--json'])) as {
    flows: number;
    tooFewFlows: boolean;
    verdict: string;
    roundRobin: boolean;
  };
  assert.equal(j.flows, 1);
  assert.equal(j.tooFewFlows, true);
  assert.equal(j.verdict, 'too few flows to tell');
  assert.equal(j.roundRobin, false);
  const r = cli(['spread', '--proto', 'udp', '--members', '3', '--flows', '14']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(
    r.stdout,
    /^verdict: too few flows to tell \(14 flows for 3 members; at least 5 per member, 15,/m,
  );
  assert.doesNotMatch(r.stdout, /^chi-square|^alternation rate|verdict: (not )?round-robin/m);
});

test('R81 A6 spread --json: a TCP group of 3 spreads 600 flows by hash, stable per flow, not round-robin', async (t) => {
  if (!(await kernelOr(t))) return;
  const r = cli(['spread', '--members', '3', '--flows', '600', '--json']);
  assert.equal(r.status, 0, r.stderr);
  const j = json(r) as {
    proto: string;
    members: number;
    flows: number;
    counts: number[];
    chiSquare: number;
    pValue: number;
    critical: number;
    df: number;
    alternationRate: number;
    stablePerFlow: number;
    roundRobin: boolean;
    tooFewFlows: boolean;
    verdict: string;
  };
  assert.equal(j.proto, 'tcp');
  assert.equal(j.members, 3);
  assert.equal(j.counts.length, 3);
  assert.equal(
    j.counts.reduce((a, b) => a + b, 0),
    600,
  );
  assert.ok(
    j.counts.every((c) => c > 0),
    'every member receives some flows',
  );
  // R81: a keyed hash, so the same 4-tuple returns to the same member every time.
  assert.equal(j.stablePerFlow, 1);
  // Round-robin would give 1.0; a hash gives about 1/3. 0.6 leaves a wide margin for chance.
  assert.ok(j.alternationRate < 0.6, `alternation ${j.alternationRate}`);
  assert.equal(j.roundRobin, false);
  assert.equal(j.tooFewFlows, false);
  assert.equal(j.verdict, 'not round-robin');
  assert.equal(j.df, 2);
  assert.ok(Math.abs(j.critical - 5.991) < 0.001, 'the 5 % critical value for 2 degrees of freedom');
});

test('R82 spread --proto udp (text): counts per member and the verdict', async (t) => {
  if (!(await kernelOr(t))) return;
  const r = cli(['spread', '--proto', 'udp', '--members', '2', '--flows', '400']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^UDP SO_REUSEPORT group of 2 on 127\.0\.0\.1:5000, 400 flows:/);
  assert.match(r.stdout, /^ {2}member 1 \(slot 1\): +\d+/m);
  assert.match(r.stdout, /same member when a flow is sent again: 100\.0 %/);
  assert.match(r.stdout, /verdict: not round-robin/);
  // 2 members: 1 degree of freedom, whose 5 % critical value is 3.84.
  assert.match(r.stdout, /^chi-square \d+\.\d\d \(df 1, p = [01]\.\d{3}, 95 % critical 3\.84\)/m);
});
