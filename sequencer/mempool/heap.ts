/**
 * A binary heap ordered by `before(a, b)` (true when `a` must come out first). The pool keeps two:
 * the eviction order of sender tails (cheapest first) and a block's candidates (best tip first).
 */
export class Heap<T> {
  private items: T[] = []

  constructor(private readonly before: (a: T, b: T) => boolean) {}

  get size(): number {
    return this.items.length
  }

  /** The entry at array position `i` (0 is the top; the children of i are 2i+1 and 2i+2). */
  at(i: number): T {
    return this.items[i]
  }

  push(item: T): void {
    const h = this.items
    h.push(item)
    let i = h.length - 1
    while (i > 0) {
      const parent = (i - 1) >> 1
      if (!this.before(h[i], h[parent])) break
      ;[h[i], h[parent]] = [h[parent], h[i]]
      i = parent
    }
  }

  /** Removes and returns the top, or undefined when empty. */
  pop(): T | undefined {
    const h = this.items
    const top = h[0]
    const last = h.pop()
    if (h.length > 0 && last !== undefined) {
      h[0] = last
      let i = 0
      for (;;) {
        const l = 2 * i + 1
        const r = l + 1
        let best = i
        if (l < h.length && this.before(h[l], h[best])) best = l
        if (r < h.length && this.before(h[r], h[best])) best = r
        if (best === i) break
        ;[h[i], h[best]] = [h[best], h[i]]
        i = best
      }
    }
    return top
  }

  clear(): void {
    this.items = []
  }
}
