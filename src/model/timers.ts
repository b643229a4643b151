/** A min-heap of (due ms, entry) with lazy deletion: stale items are skipped when popped. */
export class TimerHeap<T> {
  private readonly items: { at: number; seq: number; value: T }[] = [];
  private seq = 0;

  get size(): number {
    return this.items.length;
  }

  push(at: number, value: T): void {
    const item = { at, seq: this.seq++, value };
    const h = this.items;
    h.push(item);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = h[parent];
      if (!p || p.at < item.at || (p.at === item.at && p.seq < item.seq)) break;
      h[i] = p;
      i = parent;
    }
    h[i] = item;
  }

  peekAt(): number {
    return this.items[0]?.at ?? Number.POSITIVE_INFINITY;
  }

  pop(): { at: number; value: T } | undefined {
    const h = this.items;
    const top = h[0];
    const last = h.pop();
    if (!top || !last) return undefined;
    if (h.length > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        let mv = last;
        const lv = h[l];
        const rv = h[r];
        if (lv && (lv.at < mv.at || (lv.at === mv.at && lv.seq < mv.seq))) {
          m = l;
          mv = lv;
        }
        if (rv && (rv.at < mv.at || (rv.at === mv.at && rv.seq < mv.seq))) {
          m = r;
          mv = rv;
        }
        if (m === i) break;
        h[i] = mv;
        i = m;
      }
      h[i] = last;
    }
    return { at: top.at, value: top.value };
  }
}
