/**
 * A sparse array indexed by port (0..65535), in pages of 1024 ports made on first write.
 *
 * Why not one array of 65536: every namespace (and every destination that fills a range) would
 * start by allocating and clearing 512 KB in the garbage collector's large-object space, which
 * costs about a millisecond each time and brings the next full collection closer; a fill of the
 * default range touches 28 pages. Reads stay two array loads.
 */
const PAGE_BITS = 10;
const PAGE_SIZE = 1 << PAGE_BITS;
const PAGE_MASK = PAGE_SIZE - 1;

export class PortTable<T> {
  private readonly pages: ((T | undefined)[] | undefined)[] = new Array<(T | undefined)[] | undefined>(
    65536 >>> PAGE_BITS,
  ).fill(undefined);

  get(port: number): T | undefined {
    const page = this.pages[port >>> PAGE_BITS];
    return page === undefined ? undefined : page[port & PAGE_MASK];
  }

  set(port: number, value: T | undefined): void {
    let page = this.pages[port >>> PAGE_BITS];
    if (page === undefined) {
      if (value === undefined) return;
      page = new Array<T | undefined>(PAGE_SIZE).fill(undefined);
      this.pages[port >>> PAGE_BITS] = page;
    }
    page[port & PAGE_MASK] = value;
  }
}
