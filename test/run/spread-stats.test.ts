// The statistics behind `portspace spread` (spec R81/R82, article claim A6): chi-square p-values
// and critical values against textbook tables, and the alternation rate that tells a round-robin
// spread from a hash.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  alternationRate,
  chiSquareCritical,
  chiSquarePValue,
  chiSquareUniform,
  minFlowsFor,
  spreadReport,
} from '../../src/run/spread-stats.js';

const close = (a: number, b: number, eps: number) => Math.abs(a - b) <= eps;

test('A6 chi-square critical values at 5 % match the tables (df 1: 3.841, df 3: 7.815, df 7: 14.067)', () => {
  assert.ok(close(chiSquareCritical(1), 3.841, 0.001));
  assert.ok(close(chiSquareCritical(3), 7.815, 0.001));
  assert.ok(close(chiSquareCritical(7), 14.067, 0.001));
});

test('A6 chi-square p-values: 0 gives 1, the critical value gives 0.05, df 2 has the closed form exp(-x/2)', () => {
  assert.equal(chiSquarePValue(0, 3), 1);
  assert.ok(close(chiSquarePValue(3.841458820694124, 1), 0.05, 1e-6));
  for (const x of [0.5, 2, 6, 15]) assert.ok(close(chiSquarePValue(x, 2), Math.exp(-x / 2), 1e-9));
});

test('A6 Pearson statistic against a uniform spread', () => {
  assert.equal(chiSquareUniform([25, 25, 25, 25]), 0);
  // expected 25 each: (5^2 + 5^2 + 0 + 0) / 25 = 2
  assert.equal(chiSquareUniform([30, 20, 25, 25]), 2);
});

test('A6 alternation rate: round-robin is 1, a constant member 0', () => {
  assert.equal(alternationRate([0, 1, 2, 3, 0, 1, 2, 3], 4), 1);
  assert.equal(alternationRate([2, 2, 2, 2], 4), 0);
  // 0->1, 1->0 (the next slot, wrapping), 0->0, 0->1: 3 of 4.
  assert.equal(alternationRate([0, 1, 0, 0, 1], 2), 0.75);
});

test('A6 a round-robin sequence is reported as round-robin, a skewed one is not', () => {
  const rr = Array.from({ length: 400 }, (_, i) => i % 4);
  const r = spreadReport('tcp', 4, rr, { same: 10, resent: 10 });
  assert.deepEqual(r.counts, [100, 100, 100, 100]);
  assert.equal(r.roundRobin, true);
  assert.equal(r.verdict, 'round-robin');
  assert.equal(r.stablePerFlow, 1);
  const skew = spreadReport('udp', 2, [...Array(90).fill(0), ...Array(10).fill(1)], { same: 9, resent: 10 });
  assert.equal(skew.roundRobin, false);
  assert.equal(skew.verdict, 'not round-robin');
  assert.ok(skew.chiSquare > skew.critical && skew.pValue < 0.05);
  assert.equal(skew.stablePerFlow, 0.9);
});

test('A6 a group of one has nothing to spread over: spreadReport refuses it', () => {
  assert.throws(() => spreadReport('tcp', 1, Array(50).fill(0), { same: 0, resent: 0 }), RangeError);
  assert.throws(() => spreadReport('tcp', 0, [], { same: 0, resent: 0 }), RangeError);
});

test('A6 the reported degrees of freedom are members - 1, and the critical value is the one for them', () => {
  // Table values at 5 %: df 1 3.841, df 2 5.991, df 7 14.067.
  for (const [members, df, critical] of [
    [2, 1, 3.841],
    [3, 2, 5.991],
    [8, 7, 14.067],
  ] as const) {
    const slots = Array.from({ length: 10 * members }, (_, i) => (i * 7) % members);
    const r = spreadReport('udp', members, slots, { same: 1, resent: 1 });
    assert.equal(r.df, df);
    assert.ok(close(r.critical, critical, 0.001), `members ${members}: critical ${r.critical}`);
  }
});

test('A6 fewer than 5 flows per member: "too few flows to tell", never a verdict', () => {
  assert.equal(minFlowsFor(4), 20);
  // One flow: no pair for the alternation rate, one count for the chi-square.
  const one = spreadReport('tcp', 2, [1], { same: 1, resent: 1 });
  assert.equal(one.tooFewFlows, true);
  assert.equal(one.verdict, 'too few flows to tell');
  assert.equal(one.roundRobin, false);
  // 19 flows walking 4 slots in turn look round-robin, but 19 < 4 * 5: still no verdict ...
  const rr = (n: number) => Array.from({ length: n }, (_, i) => i % 4);
  const short = spreadReport('tcp', 4, rr(19), { same: 0, resent: 0 });
  assert.equal(short.alternationRate, 1);
  assert.equal(short.verdict, 'too few flows to tell');
  // ... with 20 there is one.
  const enough = spreadReport('tcp', 4, rr(20), { same: 0, resent: 0 });
  assert.equal(enough.tooFewFlows, false);
  assert.equal(enough.verdict, 'round-robin');
});
