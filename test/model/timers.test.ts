// The timer heap under TIME_WAIT expiry (R60) and early removal (R62/R63 recycling, RST): it must
// hand out exactly what a sorted list would, and hold nothing that left early.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { TimerHeap, type TimerSlot } from '../../src/model/timers.js';

type Op =
  | { kind: 'push'; at: number }
  | { kind: 'remove'; pick: number }
  | { kind: 'move'; pick: number; at: number }
  | { kind: 'pop' };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('push' as const), at: fc.integer({ min: 0, max: 50 }) }),
  fc.record({ kind: fc.constant('remove' as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant('move' as const), pick: fc.nat(), at: fc.integer({ min: 0, max: 50 }) }),
  fc.record({ kind: fc.constant('pop' as const) }),
);

test('TimerHeap pops what a sorted list (by due time, then scheduling order) would', () => {
  fc.assert(
    fc.property(fc.array(opArb, { maxLength: 300 }), (ops) => {
      const heap = new TimerHeap<number>();
      // The reference: live items as [at, seq, id]; seq counts every push and move.
      let ref: { at: number; seq: number; id: number; slot: TimerSlot<number> }[] = [];
      let seq = 0;
      let nextId = 0;
      for (const op of ops) {
        if (op.kind === 'push') {
          const id = nextId++;
          ref.push({ at: op.at, seq: seq++, id, slot: heap.push(op.at, id) });
        } else if (op.kind === 'remove' && ref.length > 0) {
          const r = ref[op.pick % ref.length] as (typeof ref)[number];
          heap.remove(r.slot);
          heap.remove(r.slot); // a second removal is ignored
          ref = ref.filter((x) => x !== r);
        } else if (op.kind === 'move' && ref.length > 0) {
          const r = ref[op.pick % ref.length] as (typeof ref)[number];
          heap.reschedule(r.slot, op.at);
          r.at = op.at;
          r.seq = seq++;
        } else if (op.kind === 'pop') {
          ref.sort((a, b) => a.at - b.at || a.seq - b.seq);
          const want = ref.shift();
          const got = heap.pop();
          assert.equal(got?.value, want?.id);
          assert.equal(got?.index ?? -1, -1, 'a popped slot has left the heap');
        }
        assert.equal(heap.size, ref.length);
        const min = ref.reduce((m, x) => Math.min(m, x.at), Number.POSITIVE_INFINITY);
        assert.equal(heap.peekAt(), min);
      }
    }),
    { seed: 20261202, numRuns: 300 },
  );
});

test('a removed slot scheduled again comes back once', () => {
  const heap = new TimerHeap<string>();
  const a = heap.push(5, 'a');
  heap.push(7, 'b');
  heap.remove(a);
  assert.equal(heap.size, 1);
  heap.reschedule(a, 6);
  assert.equal(heap.size, 2);
  assert.deepEqual([heap.pop()?.value, heap.pop()?.value, heap.pop()], ['a', 'b', undefined]);
});
