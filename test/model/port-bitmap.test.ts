// The index under the fast searches: PortBitmap and PortMap must answer nextClear exactly as a
// linear scan over a plain Set does, for any contents, parity and bounds.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { nextClearInAll, PortBitmap } from '../../src/model/port-bitmap.js';
import { PortMap } from '../../src/model/port-map.js';

function naive(sets: Set<number>[], from: number, to: number, step: number): number {
  for (let p = from; p <= to; p += step) if (!sets.some((s) => s.has(p))) return p;
  return -1;
}

const portsArb = fc.array(
  fc.oneof(fc.integer({ min: 0, max: 65535 }), fc.integer({ min: 40000, max: 40300 })),
  { maxLength: 400 },
);

test('PortBitmap.nextClear equals a linear scan (adds and deletes, both steps)', () => {
  fc.assert(
    fc.property(
      portsArb,
      portsArb,
      fc.integer({ min: 0, max: 65535 }),
      fc.nat(70000),
      fc.boolean(),
      (adds, dels, from, span, step2) => {
        const b = new PortBitmap();
        const set = new Set<number>();
        for (const p of adds) {
          b.add(p);
          set.add(p);
        }
        for (const p of dels) {
          b.delete(p);
          set.delete(p);
        }
        assert.equal(b.size, set.size);
        const to = Math.min(65535, from + span);
        const step = step2 ? 2 : 1;
        assert.equal(b.nextClear(from, to, step), naive([set], from, to, step));
      },
    ),
    { numRuns: 500 },
  );
});

test('PortBitmap finds the one free port in a completely full parity class', () => {
  const b = new PortBitmap();
  for (let p = 0; p < 65536; p += 2) b.add(p);
  b.delete(65534);
  assert.equal(b.nextClear(0, 65535, 2), 65534);
  assert.equal(b.nextClear(1, 65535, 2), 1);
  b.add(65534);
  assert.equal(b.nextClear(0, 65535, 2), -1);
});

test('nextClearInAll over a bitmap and a small PortMap equals a scan over their union', () => {
  fc.assert(
    fc.property(
      portsArb,
      fc.array(fc.integer({ min: 40000, max: 40100 }), { maxLength: 60 }),
      fc.integer({ min: 39990, max: 40100 }),
      fc.boolean(),
      (a, m, from, step2) => {
        const b = new PortBitmap();
        for (const p of a) b.add(p);
        const pm = new PortMap<true>();
        for (const p of m) pm.set(p, true);
        const step = step2 ? 2 : 1;
        assert.equal(
          nextClearInAll([b, pm], from, 40200, step),
          naive([new Set(a), new Set(m)], from, 40200, step),
        );
      },
    ),
    { numRuns: 500 },
  );
});

test('anyIn (the rule reports of connect() and bind(0)) equals a scan, for PortBitmap and small and dense PortMaps', () => {
  fc.assert(
    fc.property(
      fc.array(fc.integer({ min: 39990, max: 40200 }), { maxLength: 60 }),
      fc.integer({ min: 39980, max: 40210 }),
      fc.nat(120),
      (ports, from, span) => {
        const to = from + span;
        const b = new PortBitmap();
        const m = new PortMap<true>();
        for (const p of ports) {
          b.add(p);
          m.set(p, true);
        }
        const want = ports.some((p) => from <= p && p <= to);
        assert.equal(b.anyIn(from, to), want, `bitmap [${from}, ${to}]`);
        assert.equal(m.anyIn(from, to), want, `map [${from}, ${to}]`);
      },
    ),
    { numRuns: 400, seed: 7 },
  );
});
