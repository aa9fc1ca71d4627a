/**
 * Serialized answers of a sandbox read, kept until the data they were built from changes.
 *
 * The sandbox stands in for systems that run on machines of their own, but on a bench it shares
 * the gateway's cores. A benchmark asks for the same page hundreds of times a second, and
 * filtering, copying and serializing it again each time took the sandbox over half as much CPU as
 * the gateway spent on the whole request (bench/README.md): the figures were partly the sandbox's.
 * Every answer is dropped at the data's next change, so none is ever stale.
 */
export class ReadCache {
  readonly #answers = new Map<string, string>();
  readonly #maxEntries: number;
  readonly #maxChars: number;
  #chars = 0;

  /** Many different reads between two changes (a crawl, large pages): the oldest go first. */
  constructor(limits: { maxEntries?: number; maxChars?: number } = {}) {
    this.#maxEntries = limits.maxEntries ?? 256;
    this.#maxChars = limits.maxChars ?? 8_000_000;
  }

  /** Drops every answer: call it on every change to the data the answers read. */
  changed(): void {
    this.#answers.clear();
    this.#chars = 0;
  }

  /**
   * The JSON of `build()`, built once per `key` until the next change. `key` must name all the
   * answer depends on (the request's path and query). A build that throws keeps nothing.
   */
  json(key: string, build: () => unknown): string {
    const kept = this.#answers.get(key);
    if (kept !== undefined) return kept;
    const body = JSON.stringify(build());
    this.#answers.set(key, body);
    this.#chars += body.length;
    for (const [oldest, answer] of this.#answers) {
      if (this.#answers.size <= this.#maxEntries && this.#chars <= this.#maxChars) break;
      this.#answers.delete(oldest);
      this.#chars -= answer.length;
    }
    return body;
  }
}
