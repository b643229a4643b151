// DESIGN idea 6: the scan order on its own. passSegments (the runs the fast search uses) must list
// exactly the ports passPorts (the kernel's loop, literally) visits, in order, including the wrap
// at the top of the range, single-port and two-port ranges, and odd sizes (R11, R40).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { passPorts, passSegments, roundedRemaining } from '../../src/model/scan-order.js';

function expand(lo: number, end: number, remaining: number, step: 1 | 2, offset: number): number[] {
  const out: number[] = [];
  for (const seg of passSegments({ lo, end, remaining, step }, offset))
    for (let p = seg.from; p <= seg.to; p += step) out.push(p);
  return out;
}

test('R11/R40 segments list the same ports in the same order as the literal loop', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 65000 }),
      fc.integer({ min: 1, max: 40 }),
      fc.boolean(),
      fc.boolean(),
      fc.nat(),
      (lo, size, round, step2, o) => {
        const end = Math.min(65536, lo + size);
        const remaining = roundedRemaining(lo, end, round);
        const step: 1 | 2 = step2 ? 2 : 1;
        const offset = o % (remaining + 1); // bind(0) may start at offset == remaining when remaining is 1
        const literal = [...passPorts({ lo, end, remaining, step }, offset)].map((x) => x.port);
        assert.deepEqual(expand(lo, end, remaining, step, offset), literal);
      },
    ),
  );
});

test('R11 odd-sized range 40000-40002: connect never reaches the top port', () => {
  const remaining = roundedRemaining(40000, 40003, true);
  assert.equal(remaining, 2);
  assert.deepEqual(expand(40000, 40003, remaining, 2, 0), [40000]);
  assert.deepEqual(expand(40000, 40003, remaining, 2, 1), [40001]);
});

test('R11 odd-sized range 40000-40004: the start decides whether 40000 or 40004 is reachable', () => {
  assert.deepEqual(expand(40000, 40005, 4, 2, 0), [40000, 40002]);
  assert.deepEqual(expand(40000, 40005, 4, 2, 2), [40002, 40004]);
});

test('R11 wrap at the top of the range continues from the bottom', () => {
  assert.deepEqual(expand(40000, 40008, 8, 2, 6), [40006, 40000, 40002, 40004]);
  assert.deepEqual(expand(40000, 40008, 8, 1, 6), [40006, 40007, 40000, 40001, 40002, 40003, 40004, 40005]);
});

test('R40 single-port range: bind(0) offset 1 wraps back to the only port', () => {
  assert.equal(roundedRemaining(40000, 40001, true), 1);
  assert.deepEqual(expand(40000, 40001, 1, 2, 1), [40000]);
  assert.deepEqual(expand(40000, 40001, 1, 2, 0), [40000]);
});

test('R11 two-port range: one port per pass', () => {
  assert.deepEqual(expand(40000, 40002, 2, 2, 0), [40000]);
  assert.deepEqual(expand(40000, 40002, 2, 2, 1), [40001]);
});
