import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Cluster, Redis } from 'ioredis';
import { LRUCache } from 'lru-cache';

import type {
  CatalogConnector,
  CatalogCourse,
  CatalogCourseRun,
  CatalogPage,
  CatalogSeat,
} from '../catalog.js';
import { UpstreamError, UpstreamUnavailableError } from '../errors.js';
import { chunk, mapConcurrent, type HttpClient } from '../http-client.js';
import { CatalogCache } from './catalog-cache.js';
import { toCourse, toCourseRun } from './mapping.js';
import type { DiscoveryCourse, DiscoveryCourseRun, DiscoveryPage } from './wire-types.js';

/** Discovery's largest page and the most keys one `keys=` filter takes. */
const PAGE_SIZE = 100;
/** How long a process keeps catalog entries in memory, ahead of Redis (never longer than Redis). */
const MEMORY_TTL_SECONDS = 15;
const MEMORY_ENTRIES = 5000;
/** Listing pages kept in memory: every offset, page size and search text is its own entry. */
const LISTING_ENTRIES = 500;
/**
 * A kept listing page asked for in the last third of its time is answered as it is and asked for
 * again in the background, so a page in steady demand is renewed before it expires and no request
 * waits on Discovery for it; none is ever answered older than its time.
 */
const LISTING_RENEW_AT = 2 / 3;
const CRAWL_CONCURRENCY = 4;
/** The crawl lock lapses this long after the crawler's last page, should it die mid-crawl. */
const CRAWL_LOCK_MS = 30_000;
/**
 * How long a caller waits for the index (another instance's crawl, or its own turn to crawl)
 * before giving up with UPSTREAM_UNAVAILABLE: never with "unknown SKU" on an unfinished index.
 */
const CRAWL_WAIT_MS = 60_000;
const CRAWL_POLL_MS = 100;

export interface DiscoveryCatalogOptions {
  redis: Redis | Cluster;
  keyPrefix: string;
  catalogCacheTtlSeconds: number;
}

/** The catalog over Open edX Course Discovery, read through a Redis cache. */
export class DiscoveryCatalogConnector implements CatalogConnector {
  readonly #http: HttpClient;
  readonly #cache: CatalogCache;
  /** Concurrent callers in this process share one crawl. */
  #crawl: Promise<void> | null = null;

  readonly #runs: LRUCache<string, CatalogCourseRun>;
  readonly #courses: LRUCache<string, CatalogCourse>;
  /**
   * Listing pages by what was asked. A page of the catalog is the same for every viewer and the
   * hottest read there is (the course list of every visitor), so it is kept as briefly as the
   * hot entries above; concurrent requests for a page that is not kept share one upstream call
   * (lru-cache's fetch), and a failed call is not kept.
   */
  readonly #listings: LRUCache<string, CatalogPage, ListingQuery>;

  constructor(http: HttpClient, options: DiscoveryCatalogOptions) {
    this.#http = http;
    this.#cache = new CatalogCache(
      options.redis,
      options.keyPrefix,
      options.catalogCacheTtlSeconds,
    );
    const memory = {
      max: MEMORY_ENTRIES,
      ttl: Math.min(options.catalogCacheTtlSeconds, MEMORY_TTL_SECONDS) * 1000,
    };
    this.#runs = new LRUCache<string, CatalogCourseRun>(memory);
    this.#courses = new LRUCache<string, CatalogCourse>(memory);
    this.#listings = new LRUCache<string, CatalogPage, ListingQuery>({
      max: LISTING_ENTRIES,
      ttl: memory.ttl,
      // A page pushed out while its call is under way (500 other listings asked for meanwhile, a
      // flood of searches) still answers those waiting for it, instead of failing them.
      ignoreFetchAbort: true,
      // A renewal that fails leaves the page as it was, for the rest of its time (a call that has
      // nothing kept to fall back on still fails, and keeps nothing).
      noDeleteOnFetchRejection: true,
      fetchMethod: (_key, _stale, { context }) => this.#fetchListing(context),
    });
  }

  async listCourses(args: {
    offset: number;
    limit: number;
    search?: string;
  }): Promise<CatalogPage> {
    const query: ListingQuery = {
      limit: Math.min(Math.max(args.limit, 1), PAGE_SIZE),
      offset: Math.max(args.offset, 0),
      q: args.search?.trim() || undefined,
    };
    const key = JSON.stringify([query.offset, query.limit, query.q ?? null]);
    // Negative once the page's time is up (0 when none is kept): then it is fetched before answering.
    const remainingMs = this.#listings.getRemainingTTL(key);
    const renewBelowMs = this.#listings.ttl * (1 - LISTING_RENEW_AT);
    const page = await this.#listings.fetch(key, {
      context: query,
      // The kept page answers while a renewal is under way, never once its time is up.
      allowStale: remainingMs > 0,
      forceRefresh: remainingMs > 0 && remainingMs < renewBelowMs,
    });
    // The fetch method always answers a page or throws: undefined would mean a bug here.
    if (!page) throw new Error(`No catalog page for ${key}`);
    return page;
  }

  async #fetchListing(query: ListingQuery): Promise<CatalogPage> {
    const page = await this.#http.get<DiscoveryPage<DiscoveryCourse>>('/api/v1/courses/', {
      query: { ...query },
    });
    return { totalCount: page.count, courses: page.results.map(toCourse) };
  }

  getCourses(keys: readonly string[]): Promise<Map<string, CatalogCourse | UpstreamError>> {
    return this.#throughMemory(this.#courses, keys, (misses) => this.#loadCourses(misses));
  }

  getCourseRuns(keys: readonly string[]): Promise<Map<string, CatalogCourseRun | UpstreamError>> {
    return this.#throughMemory(this.#runs, keys, (misses) => this.#loadCourseRuns(misses));
  }

  /**
   * Hot entries are kept mapped in this process for a few seconds: a page of orders names the
   * same runs again and again, and reading them from Redis means parsing them every time.
   */
  async #throughMemory<V extends object>(
    memory: LRUCache<string, V>,
    keys: readonly string[],
    load: (keys: string[]) => Promise<Map<string, V | UpstreamError>>,
  ): Promise<Map<string, V | UpstreamError>> {
    const found = new Map<string, V | UpstreamError>();
    const misses: string[] = [];
    for (const key of usableKeys(keys)) {
      const hit = memory.get(key);
      if (hit) found.set(key, hit);
      else misses.push(key);
    }
    if (misses.length === 0) return found;
    for (const [key, value] of await load(misses)) {
      found.set(key, value);
      if (!(value instanceof UpstreamError)) memory.set(key, value);
    }
    return found;
  }

  async #loadCourses(wanted: string[]): Promise<Map<string, CatalogCourse | UpstreamError>> {
    const found: Map<string, DiscoveryCourse | UpstreamError> =
      await this.#cache.getCourses(wanted);
    const misses = wanted.filter((key) => !found.has(key));
    if (misses.length > 0) {
      try {
        const fetched = await this.#fetchByKeys<DiscoveryCourse>('/api/v1/courses/', misses);
        await this.#cache.store({ courses: fetched });
        for (const course of fetched) found.set(course.key, course);
      } catch (error) {
        if (!(error instanceof UpstreamError)) throw error;
        for (const key of misses) found.set(key, error);
      }
    }
    return mapWanted(wanted, found, toCourse);
  }

  async #loadCourseRuns(wanted: string[]): Promise<Map<string, CatalogCourseRun | UpstreamError>> {
    const found: Map<string, DiscoveryCourseRun | UpstreamError> =
      await this.#cache.getRuns(wanted);
    const misses = wanted.filter((key) => !found.has(key));
    if (misses.length > 0) {
      // During an outage the cached runs still answer; only the missing ones carry the error.
      try {
        const fetched = await this.#fetchByKeys<DiscoveryCourseRun>('/api/v1/course_runs/', misses);
        await this.#cache.store({ runs: fetched });
        for (const run of fetched) found.set(run.key, run);
      } catch (error) {
        if (!(error instanceof UpstreamError)) throw error;
        for (const key of misses) found.set(key, error);
      }
    }
    return mapWanted(wanted, found, toCourseRun);
  }

  async findSeats(skus: readonly string[]): Promise<Map<string, CatalogSeat>> {
    const wanted = [...new Set(skus)].filter((sku) => sku.length > 0);
    const runKeyBySku = await this.#cache.getSkuRuns(wanted);
    const unindexed = wanted.filter((sku) => !runKeyBySku.has(sku));
    if (unindexed.length > 0) {
      // The freshness marker is what stops made-up SKUs from crawling the catalog on every
      // request. The index is read again after it is seen fresh: a crawl that finished since
      // the first read has stored the SKUs that read missed.
      if (!(await this.#cache.isSkuIndexFresh())) await this.#buildSkuIndex();
      for (const [sku, runKey] of await this.#cache.getSkuRuns(unindexed)) {
        runKeyBySku.set(sku, runKey);
      }
    }
    const runs = await this.getCourseRuns([...new Set(runKeyBySku.values())]);
    const seats = new Map<string, CatalogSeat>();
    for (const sku of wanted) {
      const runKey = runKeyBySku.get(sku);
      const run = runKey ? runs.get(runKey) : undefined;
      if (run instanceof UpstreamError) throw run;
      const seat = run?.seats.find((s) => s.sku === sku);
      if (seat) seats.set(sku, seat);
    }
    return seats;
  }

  async checkReachable(): Promise<void> {
    await this.#http.get<unknown>('/health/');
  }

  async #fetchByKeys<T>(path: string, keys: readonly string[]): Promise<T[]> {
    const pages = await Promise.all(
      chunk(keys, PAGE_SIZE).map((batch) =>
        this.#http.get<DiscoveryPage<T>>(path, {
          query: { keys: batch.join(','), limit: PAGE_SIZE },
        }),
      ),
    );
    return pages.flatMap((page) => page.results);
  }

  #buildSkuIndex(): Promise<void> {
    this.#crawl ??= this.#crawlUnderLock().finally(() => {
      this.#crawl = null;
    });
    return this.#crawl;
  }

  /**
   * Resolves once the index is fresh: built here, or by another instance while this one waits.
   * An instance whose crawl died leaves the lock to lapse, and a waiter then crawls itself.
   */
  async #crawlUnderLock(): Promise<void> {
    const deadline = Date.now() + CRAWL_WAIT_MS;
    for (;;) {
      const token = randomUUID();
      if (await this.#cache.tryLockSkuIndex(token, CRAWL_LOCK_MS)) {
        try {
          // Another instance may have finished a crawl between our freshness check and the lock.
          if (await this.#cache.isSkuIndexFresh()) return;
          await this.#crawlCourseRuns(() => this.#cache.extendSkuIndexLock(token, CRAWL_LOCK_MS));
          await this.#cache.markSkuIndexBuilt();
          return;
        } finally {
          await this.#cache.unlockSkuIndex(token);
        }
      }
      await sleep(CRAWL_POLL_MS);
      if (await this.#cache.isSkuIndexFresh()) return;
      if (Date.now() > deadline) {
        throw new UpstreamUnavailableError('catalog', 'the SKU index is still being built');
      }
    }
  }

  async #crawlCourseRuns(onPage: () => Promise<void>): Promise<void> {
    const path = '/api/v1/course_runs/';
    const first = await this.#http.get<DiscoveryPage<DiscoveryCourseRun>>(path, {
      query: { limit: PAGE_SIZE, offset: 0 },
    });
    await this.#cache.store({ runs: first.results });
    await onPage();
    const offsets: number[] = [];
    for (let offset = PAGE_SIZE; offset < first.count; offset += PAGE_SIZE) offsets.push(offset);
    await mapConcurrent(offsets, CRAWL_CONCURRENCY, async (offset) => {
      const page = await this.#http.get<DiscoveryPage<DiscoveryCourseRun>>(path, {
        query: { limit: PAGE_SIZE, offset },
      });
      await this.#cache.store({ runs: page.results });
      await onPage();
    });
  }
}

/** One listing request to Discovery, as sent. */
interface ListingQuery {
  limit: number;
  offset: number;
  q: string | undefined;
}

/** Deduplicated keys; a comma would split the upstream's `keys=` list, so no real key has one. */
function usableKeys(keys: readonly string[]): string[] {
  return [...new Set(keys)].filter((key) => key.length > 0 && !key.includes(','));
}

function mapWanted<W, M>(
  wanted: string[],
  found: Map<string, W | UpstreamError>,
  map: (wire: W) => M,
): Map<string, M | UpstreamError> {
  const result = new Map<string, M | UpstreamError>();
  for (const key of wanted) {
    const wire = found.get(key);
    if (wire instanceof UpstreamError) result.set(key, wire);
    else if (wire) result.set(key, map(wire));
  }
  return result;
}
