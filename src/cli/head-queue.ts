/**
 * A binary min-heap of the heads of several sorted sources (logs being merged into one
 * timeline), by `before`: the one whose next line comes first is on top. Callers move the top
 * head to its next line, then say so (`advanced`), or drop it once its source is done.
 */
export class HeadQueue<Head> {
  constructor(
    private readonly heap: Head[],
    private readonly before: (a: Head, b: Head) => boolean,
  ) {
    for (let at = (heap.length >> 1) - 1; at >= 0; at -= 1) this.down(at);
  }

  first(): Head | undefined {
    return this.heap[0];
  }

  /** The first head moved on to its next line. */
  advanced(): void {
    this.down(0);
  }

  removeFirst(): void {
    const last = this.heap.pop() as Head;
    if (this.heap.length === 0) return;
    this.heap[0] = last;
    this.down(0);
  }

  private down(from: number): void {
    const { heap, before } = this;
    const head = heap[from] as Head;
    let at = from;
    for (;;) {
      let child = 2 * at + 1;
      if (child >= heap.length) break;
      if (child + 1 < heap.length && before(heap[child + 1] as Head, heap[child] as Head)) child += 1;
      if (!before(heap[child] as Head, head)) break;
      heap[at] = heap[child] as Head;
      at = child;
    }
    heap[at] = head;
  }
}
