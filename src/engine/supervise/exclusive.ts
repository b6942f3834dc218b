/**
 * One thing at a time: work handed to `run` starts once everything handed before it has ended,
 * whatever that came to. The controller's passes, and the applies and verbs asked through its
 * API, go through one of these, so no two of them ever act on the services together.
 */
export class Exclusive {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(work: () => Promise<T>): Promise<T> {
    const result = this.tail.then(work);
    this.tail = result.catch(() => undefined);
    return result;
  }
}
