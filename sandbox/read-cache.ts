/**
 * Serialized answers of a sandbox read, kept until the data they were built from changes.
 *
 * The sandbox stands in for systems that run on machines of their own, but on a bench it shares
 * the gateway's cores. A benchmark asks for the same page hundreds of times a second, and
 * filtering, copying and serializing it again each time took the sandbox half as much CPU as the
 * gateway spent on the whole request (bench/README.md): the figures were partly the sandbox's.
 * Every answer is dropped at the data's next change, so none is ever stale.
 */
export class ReadCache {
  readonly #answers = new Map<string, string>();
  readonly #maxEntries: number;

  constructor(maxEntries = 256) {
    this.#maxEntries = maxEntries;
  }

  /** Drops every answer: call it on every change to the data the answers read. */
  changed(): void {
    this.#answers.clear();
  }

  /**
   * The JSON of `build()`, built once per `key` until the next change. `key` must name all the
   * answer depends on (the request's path and query). A build that throws keeps nothing.
   */
  json(key: string, build: () => unknown): string {
    let body = this.#answers.get(key);
    if (body === undefined) {
      body = JSON.stringify(build());
      // Many different reads between two changes (a crawl, a flood of searches): the oldest go.
      if (this.#answers.size >= this.#maxEntries) {
        const oldest = this.#answers.keys().next();
        if (!oldest.done) this.#answers.delete(oldest.value);
      }
      this.#answers.set(key, body);
    }
    return body;
  }
}
