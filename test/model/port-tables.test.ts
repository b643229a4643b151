// The compact stores under the port table (speed work, issue 2): PortMap switches from a Map to a
// paged table past a threshold, PortTable makes pages on first write, OwnerList keeps a single
// owner in a field. Each must behave exactly like the plain structure it replaces (a Map, an
// array, a Set), for any sequence of writes and deletes.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import type { Owner } from '../../src/model/entities.js';
import { OwnerList } from '../../src/model/owner-list.js';
import { PortMap } from '../../src/model/port-map.js';
import { PortTable } from '../../src/model/port-table.js';

const portArb = fc.oneof(fc.integer({ min: 0, max: 65535 }), fc.integer({ min: 40000, max: 40060 }));
// Long enough to cross PortMap's threshold (24 ports) and then delete from the dense form.
const opsArb = fc.array(fc.tuple(fc.boolean(), portArb, fc.integer()), { minLength: 40, maxLength: 300 });

/** One write on the PortMap and on the Map it must behave like; a delete must answer alike. */
function applyBoth(
  pm: PortMap<number>,
  ref: Map<number, number>,
  [put, port, value]: [boolean, number, number],
): void {
  if (put) {
    pm.set(port, value);
    ref.set(port, value);
  } else assert.equal(pm.delete(port), ref.delete(port), `delete ${port}`);
}

test('D4 PortMap answers get/has/size/delete/nextClear like a Map, before and after it turns dense', () => {
  fc.assert(
    fc.property(opsArb, fc.integer({ min: 39990, max: 40070 }), (ops, from) => {
      const pm = new PortMap<number>();
      const ref = new Map<number, number>();
      for (const op of ops) applyBoth(pm, ref, op);
      assert.equal(pm.size, ref.size, 'size');
      for (const [, port] of ops) {
        assert.equal(pm.get(port), ref.get(port), `get ${port}`);
        assert.equal(pm.has(port), ref.has(port), `has ${port}`);
      }
      const sorted = (es: Iterable<[number, number]>) => [...es].sort((a, b) => a[0] - b[0]);
      assert.deepEqual(sorted(pm.entries()), sorted(ref.entries()), 'entries');
      let free = -1;
      for (let p = from; p <= 40100; p += 2)
        if (!ref.has(p)) {
          free = p;
          break;
        }
      assert.equal(pm.nextClear(from, 40100, 2), free, 'nextClear');
    }),
    { numRuns: 300 },
  );
});

test('D4 PortMap with few ports (the inline single port, then a Map) matches a Map after every write', () => {
  // A server's accepted socket makes a 4-tuple slot holding one port: the inline form must turn
  // into a Map on the second port and back to empty on delete, answering the same throughout.
  const fewOps = fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 40000, max: 40004 }), fc.integer()), {
    maxLength: 12,
  });
  fc.assert(
    fc.property(fewOps, (ops) => {
      const pm = new PortMap<number>();
      const ref = new Map<number, number>();
      for (const op of ops) {
        applyBoth(pm, ref, op);
        assert.equal(pm.size, ref.size, 'size');
        for (let p = 39999; p <= 40005; p++) {
          assert.equal(pm.get(p), ref.get(p), `get ${p}`);
          assert.equal(pm.has(p), ref.has(p), `has ${p}`);
        }
        assert.deepEqual([...pm.entries()], [...ref.entries()], 'entries, in insertion order');
        assert.equal(pm.anyIn(40001, 40002), ref.has(40001) || ref.has(40002), 'anyIn');
        const free = [40000, 40001, 40002, 40003, 40004].find((p) => !ref.has(p)) ?? -1;
        assert.equal(pm.nextClear(40000, 40004, 1), free, 'nextClear');
      }
    }),
    { numRuns: 500 },
  );
});

test('D2 PortTable reads back what was written, undefined elsewhere, on any page', () => {
  fc.assert(
    fc.property(fc.array(fc.tuple(portArb, fc.option(fc.integer(), { nil: undefined }))), (writes) => {
      const t = new PortTable<number>();
      const ref = new Map<number, number | undefined>();
      for (const [port, v] of writes) {
        t.set(port, v);
        ref.set(port, v);
      }
      for (const [port] of writes) assert.equal(t.get(port), ref.get(port), `port ${port}`);
      assert.equal(t.get(65535), ref.get(65535));
      assert.equal(t.get(0), ref.get(0));
    }),
    { numRuns: 200 },
  );
});

test('D2 OwnerList holds the same owners as a Set through adds and deletes (one, then many)', () => {
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 5 })), { maxLength: 40 }),
      (ops) => {
        const owners = Array.from({ length: 6 }, () => ({ bucketSlot: -1 }) as unknown as Owner);
        const list = new OwnerList();
        const ref = new Set<Owner>();
        for (const [add, k] of ops) {
          const o = owners[k] as Owner;
          if (add) {
            if (ref.has(o)) continue; // an owner holds one port once
            list.add(o);
            ref.add(o);
          } else assert.equal(list.delete(o), ref.delete(o), `delete #${k}`);
          assert.equal(list.size, ref.size, 'size');
          for (const x of owners) assert.equal(list.has(x), ref.has(x), 'has');
          assert.deepEqual(new Set(list), ref, 'iteration');
        }
      },
    ),
    { numRuns: 300 },
  );
});
