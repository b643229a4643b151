/**
 * The owners of one TCP port (spec D3), each owner's position stored on the owner (an owner
 * holds one port). Most ports have exactly one owner (every port a connect() fill takes), so the
 * first owner is held in a field and an array is made only when a second one joins: one object
 * less per port.
 */
import type { Owner } from './entities.js';

export class OwnerList implements Iterable<Owner> {
  /** The only owner while the list never had two; null once `items` exists. */
  private one: Owner | null = null;
  /** Every owner, in join order (with swap-removal), once a second owner has joined. */
  private items: Owner[] | null = null;

  get size(): number {
    if (this.items !== null) return this.items.length;
    return this.one === null ? 0 : 1;
  }

  add(o: Owner): void {
    const items = this.items;
    if (items !== null) {
      o.bucketSlot = items.length;
      items.push(o);
    } else if (this.one === null) {
      o.bucketSlot = 0;
      this.one = o;
    } else {
      // A literal, not pushes onto []: pushing reserves 17 slots for what is usually 2 owners.
      this.items = [this.one, o];
      this.one = null;
      o.bucketSlot = 1;
    }
  }

  has(o: Owner): boolean {
    if (this.items === null) return this.one === o;
    return this.items[o.bucketSlot] === o;
  }

  delete(o: Owner): boolean {
    const items = this.items;
    if (items === null) {
      if (this.one !== o) return false;
      this.one = null;
      o.bucketSlot = -1;
      return true;
    }
    const i = o.bucketSlot;
    if (items[i] !== o) return false;
    const last = items.pop() as Owner;
    if (last !== o) {
      items[i] = last;
      last.bucketSlot = i;
    }
    o.bucketSlot = -1;
    return true;
  }

  [Symbol.iterator](): Iterator<Owner> {
    if (this.items !== null) return this.items[Symbol.iterator]();
    return (this.one === null ? [] : [this.one])[Symbol.iterator]();
  }
}
