/**
 * A min-heap of (due ms, value) whose slots know their place, so an entry can leave early or move.
 *
 * Why not lazy deletion (skip stale items when popped): a TIME_WAIT entry recycled by a new
 * connect() (R62/R63) or ended by an RST leaves long before its 60 s are up. Under churn, stale
 * items would keep every such entry alive for up to 60 s of virtual time, and the heap would grow
 * with the connection rate instead of with the entries that exist.
 */

/** One scheduled value. `index` is its place in the heap, -1 once it has left. */
export interface TimerSlot<T> {
  at: number;
  seq: number;
  readonly value: T;
  index: number;
}

/** Ties on `at` go in the order they were scheduled, so expiry order does not depend on heap shape. */
function before<T>(a: TimerSlot<T>, b: TimerSlot<T>): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}

export class TimerHeap<T> {
  private readonly items: TimerSlot<T>[] = [];
  private seq = 0;

  get size(): number {
    return this.items.length;
  }

  push(at: number, value: T): TimerSlot<T> {
    const slot: TimerSlot<T> = { at, seq: this.seq++, value, index: -1 };
    this.insert(slot);
    return slot;
  }

  /** Takes a slot out before it is due. A slot that already left is ignored. */
  remove(slot: TimerSlot<T>): void {
    const i = slot.index;
    if (i < 0 || this.items[i] !== slot) return;
    slot.index = -1;
    const last = this.items.pop() as TimerSlot<T>;
    if (last === slot) return;
    this.place(last, i);
    this.siftDown(this.siftUp(i));
  }

  /** Gives a slot a new due time; it goes behind others already due then. */
  reschedule(slot: TimerSlot<T>, at: number): void {
    slot.at = at;
    slot.seq = this.seq++;
    if (slot.index < 0 || this.items[slot.index] !== slot) this.insert(slot);
    else this.siftDown(this.siftUp(slot.index));
  }

  peekAt(): number {
    return this.items[0]?.at ?? Number.POSITIVE_INFINITY;
  }

  pop(): TimerSlot<T> | undefined {
    const top = this.items[0];
    if (top) this.remove(top);
    return top;
  }

  private insert(slot: TimerSlot<T>): void {
    this.items.push(slot);
    this.siftUp(this.items.length - 1);
  }

  private place(slot: TimerSlot<T>, i: number): void {
    this.items[i] = slot;
    slot.index = i;
  }

  /** Moves the slot at i up while it is due before its parent; returns where it ended. */
  private siftUp(i: number): number {
    const h = this.items;
    const slot = h[i] as TimerSlot<T>;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = h[parent] as TimerSlot<T>;
      if (!before(slot, p)) break;
      this.place(p, i);
      i = parent;
    }
    this.place(slot, i);
    return i;
  }

  /** Moves the slot at i down while a child is due before it. */
  private siftDown(i: number): void {
    const h = this.items;
    const slot = h[i] as TimerSlot<T>;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = slot;
      let mi = i;
      const lv = h[l];
      const rv = h[r];
      if (lv && before(lv, m)) {
        m = lv;
        mi = l;
      }
      if (rv && before(rv, m)) {
        m = rv;
        mi = r;
      }
      if (mi === i) break;
      this.place(m, i);
      i = mi;
    }
    this.place(slot, i);
  }
}
