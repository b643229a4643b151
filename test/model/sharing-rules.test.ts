// R31-R33 and R41 as named predicates (conflict.ts): each caller's mode decides exactly as the
// spec's pseudo-code pairConflicts(N, E, relax, allowRP) does, for every combination of the
// attributes the rules read; and each named exemption says what its rule says.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type Addr, parseAddr } from '../../src/model/addr.js';
import {
  ownerBlocks,
  pairConflicts,
  reuseAddrShares,
  reusePortShares,
  type SharingMode,
} from '../../src/model/conflict.js';
import type { OwnerView } from '../../src/model/entities.js';

function addr(text: string): Addr {
  const a = parseAddr(text);
  if (!a) throw new Error(`not an address: ${text}`);
  return a;
}
const LOCAL = addr('127.0.0.1');
const OTHER = addr('127.0.0.2');

function view(bits: number, uid: number, laddr = LOCAL): OwnerView {
  return {
    family: 4,
    laddr,
    v6only: false,
    reuseAddr: (bits & 1) !== 0,
    reusePort: (bits & 2) !== 0,
    listening: (bits & 4) !== 0,
    isTimeWait: (bits & 8) !== 0,
    uid,
    connectBound: false,
  };
}

function show(o: OwnerView): string {
  const flags = [o.reuseAddr && 'RA', o.reusePort && 'RP', o.listening && 'LISTEN', o.isTimeWait && 'TW'];
  return `${flags.filter(Boolean).join('+') || 'plain'} uid ${o.uid}`;
}

/** The spec's R31 text, written out independently of conflict.ts (N is never in a group). */
function specPairConflicts(n: OwnerView, e: OwnerView, relax: boolean, allowRP: boolean): boolean {
  const rpExempt = n.reusePort && e.reusePort && (e.isTimeWait || e.uid === n.uid);
  if (n.reuseAddr && e.reuseAddr && !e.listening) return !relax || (!allowRP && rpExempt);
  return !(allowRP && rpExempt);
}

const MODES: [SharingMode, boolean, boolean][] = [
  ['explicit-bind', true, true],
  ['autobind-strict', false, false],
  ['autobind-reuse', true, false],
];

/** Every N (RA, RP, listening at the R51 re-check) against every E (those, or a TIME_WAIT entry; two uids). */
function* pairs(): Iterable<[OwnerView, OwnerView]> {
  for (let nb = 0; nb < 8; nb++)
    for (let eb = 0; eb < 16; eb++)
      for (const eUid of [0, 1000]) {
        // A TIME_WAIT entry never listens.
        if ((eb & 4) !== 0 && (eb & 8) !== 0) continue;
        yield [view(nb, 0), view(eb, eUid)];
      }
}

for (const [mode, relax, allowRP] of MODES) {
  test(`R31 pairConflicts in mode ${mode} is the spec's (relax ${relax}, allowRP ${allowRP}) for every pair`, () => {
    let checked = 0;
    for (const [n, e] of pairs()) {
      assert.equal(
        pairConflicts(n, e, mode),
        specPairConflicts(n, e, relax, allowRP),
        `N ${show(n)}, E ${show(e)}`,
      );
      checked++;
    }
    assert.equal(checked, 192); // 8 newcomers x 12 owners x 2 uids
  });
}

test('R32 reuseAddrShares: SO_REUSEADDR on both, and the owner is not listening', () => {
  assert.equal(reuseAddrShares(view(1, 0), view(1, 0)), true);
  assert.equal(reuseAddrShares(view(1, 0), view(0, 0)), false, 'only on the newcomer');
  assert.equal(reuseAddrShares(view(0, 0), view(1, 0)), false, 'only on the owner');
  assert.equal(reuseAddrShares(view(1, 0), view(1 | 4, 0)), false, 'a listening owner');
  assert.equal(reuseAddrShares(view(1, 0), view(1 | 8, 1000)), true, 'a TIME_WAIT entry with RA');
});

test('R33 reusePortShares: SO_REUSEPORT on both, and the same uid or a TIME_WAIT owner', () => {
  assert.equal(reusePortShares(view(2, 0), view(2 | 4, 0)), true, 'listeners too');
  assert.equal(reusePortShares(view(2, 0), view(2, 1000)), false, 'another uid');
  assert.equal(reusePortShares(view(2, 0), view(2 | 8, 1000)), true, 'TIME_WAIT: no uid check');
  assert.equal(reusePortShares(view(2, 0), view(1, 0)), false, 'only on the newcomer');
});

test('R35 ownerBlocks: owners on addresses that do not overlap never block, whatever the mode', () => {
  for (const [mode] of MODES) {
    assert.equal(ownerBlocks(view(0, 0), view(0, 0, OTHER), mode), false);
    assert.equal(ownerBlocks(view(0, 0), view(0, 0), mode), true);
  }
});

test('R41 autobind-reuse: an RA pair shares, an RA+RP pair never does', () => {
  assert.equal(pairConflicts(view(1, 0), view(1, 0), 'autobind-reuse'), false);
  assert.equal(pairConflicts(view(3, 0), view(3, 0), 'autobind-reuse'), true);
  assert.equal(pairConflicts(view(3, 0), view(3, 0), 'autobind-strict'), true);
});
