import type { Cluster, Redis } from 'ioredis';

import { skusOf } from './mapping.js';
import type { DiscoveryCourse, DiscoveryCourseRun } from './wire-types.js';

/**
 * SKU → run entries outlive the catalog TTL: a SKU practically never moves to another run, and
 * every seat found through the index is re-read through the (fresh) run cache anyway.
 */
const SKU_ENTRY_TTL_SECONDS = 24 * 60 * 60;

const EXTEND_LOCK = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) end return 0`;
const RELEASE_LOCK = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0`;

/** Course Discovery's answers in Redis, stored as the upstream sent them so a deploy that changes the mapping needs no flush. */
export class CatalogCache {
  readonly #redis: Redis | Cluster;
  readonly #prefix: string;
  readonly #ttlSeconds: number;

  constructor(redis: Redis | Cluster, keyPrefix: string, ttlSeconds: number) {
    this.#redis = redis;
    this.#prefix = `${keyPrefix}catalog:`;
    this.#ttlSeconds = ttlSeconds;
  }

  getRuns(keys: readonly string[]): Promise<Map<string, DiscoveryCourseRun>> {
    return this.#getJson<DiscoveryCourseRun>(keys, (key) => `${this.#prefix}run:${key}`);
  }

  getCourses(keys: readonly string[]): Promise<Map<string, DiscoveryCourse>> {
    return this.#getJson<DiscoveryCourse>(keys, (key) => `${this.#prefix}course:${key}`);
  }

  /** Which course run each known SKU belongs to. */
  async getSkuRuns(skus: readonly string[]): Promise<Map<string, string>> {
    const found = new Map<string, string>();
    if (skus.length === 0) return found;
    const values = await this.#getEach(skus.map((sku) => this.#skuKey(sku)));
    skus.forEach((sku, i) => {
      const runKey = values[i];
      if (runKey) found.set(sku, runKey);
    });
    return found;
  }

  /**
   * Stores runs (and courses with their embedded runs) and indexes their SKUs. One SET per key, as
   * the keys spread over a cluster's shards; sent at once, they still share round trips.
   */
  async store(data: { runs?: DiscoveryCourseRun[]; courses?: DiscoveryCourse[] }): Promise<void> {
    const courses = data.courses ?? [];
    const runs = [...(data.runs ?? []), ...courses.flatMap((course) => course.course_runs ?? [])];
    if (runs.length === 0 && courses.length === 0) return;
    const writes: Promise<unknown>[] = [];
    const set = (key: string, value: string, ttlSeconds: number) =>
      writes.push(this.#redis.set(key, value, 'EX', ttlSeconds));
    for (const course of courses) {
      set(`${this.#prefix}course:${course.key}`, JSON.stringify(course), this.#ttlSeconds);
    }
    for (const run of runs) {
      set(`${this.#prefix}run:${run.key}`, JSON.stringify(run), this.#ttlSeconds);
      for (const sku of skusOf(run)) set(this.#skuKey(sku), run.key, SKU_ENTRY_TTL_SECONDS);
    }
    await Promise.all(writes);
  }

  /** True when a full crawl finished within the TTL, so an unknown SKU is really unknown. */
  async isSkuIndexFresh(): Promise<boolean> {
    return (await this.#redis.exists(`${this.#prefix}sku-index:built`)) === 1;
  }

  async markSkuIndexBuilt(): Promise<void> {
    await this.#redis.set(
      `${this.#prefix}sku-index:built`,
      new Date().toISOString(),
      'EX',
      this.#ttlSeconds,
    );
  }

  /** Takes the cluster-wide crawl lock; the token proves ownership when releasing it. */
  async tryLockSkuIndex(token: string, ttlMs: number): Promise<boolean> {
    const result = await this.#redis.set(`${this.#prefix}sku-index:lock`, token, 'PX', ttlMs, 'NX');
    return result === 'OK';
  }

  /** Keeps the crawl lock while its owner still crawls (a large catalog outlasts one TTL). */
  async extendSkuIndexLock(token: string, ttlMs: number): Promise<void> {
    await this.#redis.eval(EXTEND_LOCK, 1, `${this.#prefix}sku-index:lock`, token, ttlMs);
  }

  async unlockSkuIndex(token: string): Promise<void> {
    await this.#redis.eval(RELEASE_LOCK, 1, `${this.#prefix}sku-index:lock`, token);
  }

  /** GET per key rather than MGET, which a cluster refuses for keys of different slots. */
  #getEach(keys: readonly string[]): Promise<(string | null)[]> {
    return Promise.all(keys.map((key) => this.#redis.get(key)));
  }

  #skuKey(sku: string): string {
    return `${this.#prefix}sku:${sku}`;
  }

  async #getJson<T>(
    keys: readonly string[],
    toKey: (key: string) => string,
  ): Promise<Map<string, T>> {
    const found = new Map<string, T>();
    if (keys.length === 0) return found;
    const values = await this.#getEach(keys.map(toKey));
    keys.forEach((key, i) => {
      const value = values[i];
      if (!value) return;
      try {
        found.set(key, JSON.parse(value) as T);
      } catch {
        // A corrupt entry is a miss; the fresh answer overwrites it.
      }
    });
    return found;
  }
}
