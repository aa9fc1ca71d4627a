/**
 * A subscription's stream of values: pushed by a feed listener, pulled by graphql-js. One object
 * per subscription with its methods on the prototype; a Repeater costs each subscription about
 * ten closures, bound functions and promises for as long as it is open, and a gateway holds tens
 * of thousands of them. Values wait in order until pulled (a subscriber gets a few per minute).
 */
export class ChangeStream<T> implements AsyncIterableIterator<T> {
  private readonly queue: T[] = [];
  private waiting: {
    resolve: (result: IteratorResult<T>) => void;
    reject: (e: unknown) => void;
  } | null = null;
  private failure: { error: unknown } | null = null;
  private ended = false;
  private onEnd: (() => void) | null = null;

  push(value: T): void {
    if (this.ended) return;
    const waiting = this.waiting;
    if (waiting) {
      this.waiting = null;
      waiting.resolve({ value, done: false });
    } else {
      this.queue.push(value);
    }
  }

  /** Ends the stream with an error, after the values already pushed. */
  fail(error: unknown): void {
    if (this.ended) return;
    this.end();
    const waiting = this.waiting;
    if (waiting) {
      this.waiting = null;
      waiting.reject(error);
    } else {
      this.failure = { error };
    }
  }

  /** Runs `cleanup` when the stream ends (at once if it has ended already). */
  onEnded(cleanup: () => void): void {
    if (this.ended) cleanup();
    else this.onEnd = cleanup;
  }

  next(): Promise<IteratorResult<T>> {
    if (this.queue.length > 0) return Promise.resolve({ value: this.queue.shift()!, done: false });
    if (this.failure) {
      const { error } = this.failure;
      this.failure = null;
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    if (this.ended) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => (this.waiting = { resolve, reject }));
  }

  return(): Promise<IteratorResult<T>> {
    this.end();
    this.queue.length = 0;
    this.failure = null;
    const waiting = this.waiting;
    this.waiting = null;
    waiting?.resolve({ value: undefined, done: true });
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  private end(): void {
    if (this.ended) return;
    this.ended = true;
    const onEnd = this.onEnd;
    this.onEnd = null;
    onEnd?.();
  }
}
