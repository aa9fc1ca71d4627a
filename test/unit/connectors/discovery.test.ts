import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { toCourseRun } from '../../../connectors/discovery/mapping.js';
import { UpstreamUnavailableError } from '../../../connectors/errors.js';
import type { DiscoveryCourseRun } from '../../../connectors/discovery/wire-types.js';
import { DEMO_COURSES, DEMO_COURSE_RUNS, demoSeat } from '../../../sandbox/demo-data.js';
import { keysUnder, requestsTo, startWorld, type ConnectorWorld } from './support.js';

const RUNS = 'GET /api/v1/course_runs/';
const COURSES = 'GET /api/v1/courses/';

let world: ConnectorWorld;
let prefixCount = 0;

/** Connectors with a prefix of their own, so each test starts with a cold cache. */
function coldCatalog(catalogCacheTtlSeconds = 60) {
  prefixCount += 1;
  return world.connect({ keyPrefix: `${world.keyPrefix}${prefixCount}:`, catalogCacheTtlSeconds })
    .catalog;
}

const runRequests = () => requestsTo(world.sandbox.discovery.stats(), RUNS);
const courseRequests = () => requestsTo(world.sandbox.discovery.stats(), COURSES);

beforeAll(async () => {
  world = await startWorld();
});
afterAll(async () => {
  await world.close();
});
beforeEach(() => {
  world.sandbox.discovery.resetStats();
  world.sandbox.discovery.clearFaults();
});

describe('Course Discovery catalog', () => {
  it('lists courses by key, with a search and paging', async () => {
    const catalog = coldCatalog();
    const all = await catalog.listCourses({ offset: 0, limit: 100 });
    expect(all.totalCount).toBe(DEMO_COURSES.length);
    expect(all.courses.map((c) => c.key)).toEqual(DEMO_COURSES.map((c) => c.key));

    const page = await catalog.listCourses({ offset: 2, limit: 3 });
    expect(page.courses.map((c) => c.key)).toEqual(DEMO_COURSES.slice(2, 5).map((c) => c.key));

    const python = await catalog.listCourses({ offset: 0, limit: 10, search: 'PYTHON' });
    expect(python.courses.map((c) => c.key)).toEqual(['SandboxX+PY101']);
  });

  it('fetches many course runs in one request, then serves them from Redis', async () => {
    const catalog = coldCatalog();
    const keys = DEMO_COURSE_RUNS.slice(0, 12).map((run) => run.key);
    const runs = await catalog.getCourseRuns([...keys, 'course-v1:Nope+X+1T2020']);
    expect(runRequests()).toBe(1);
    expect([...runs.keys()].sort()).toEqual([...keys].sort());

    world.sandbox.discovery.resetStats();
    const again = await catalog.getCourseRuns(keys);
    expect(world.sandbox.discovery.totalRequests()).toBe(0);
    expect(again).toEqual(new Map([...runs].filter(([key]) => keys.includes(key))));
  });

  it('maps a run, its seats and their prices', async () => {
    const catalog = coldCatalog();
    const key = 'course-v1:SandboxX+DS201+3T2026';
    const run = settled((await catalog.getCourseRuns([key])).get(key));
    expect(run).toMatchObject({ key, courseKey: 'SandboxX+DS201', isEnrollable: true });
    expect(run?.seats).toEqual([
      {
        sku: demoSeat(key, 'audit').sku,
        mode: 'audit',
        price: { amount: '0.00', currencyCode: 'USD' },
        courseRunKey: key,
      },
      {
        sku: demoSeat(key, 'verified').sku,
        mode: 'verified',
        price: { amount: '99.00', currencyCode: 'USD' },
        courseRunKey: key,
      },
      {
        sku: demoSeat(key, 'professional').sku,
        mode: 'professional',
        price: { amount: '199.00', currencyCode: 'USD' },
        courseRunKey: key,
      },
    ]);
  });

  it('splits more than 100 missing keys into requests of 100', async () => {
    const catalog = coldCatalog();
    const fake = Array.from(
      { length: 150 - DEMO_COURSE_RUNS.length },
      (_, i) => `course-v1:X+Y+${i}`,
    );
    const runs = await catalog.getCourseRuns([...DEMO_COURSE_RUNS.map((r) => r.key), ...fake]);
    expect(runs.size).toBe(DEMO_COURSE_RUNS.length);
    expect(runRequests()).toBe(2);
  });

  it('caches courses and the runs they embed', async () => {
    const catalog = coldCatalog();
    const keys = ['SandboxX+PY101', 'SandboxX+EU200', 'SandboxX+Nope'];
    const courses = await catalog.getCourses(keys);
    expect(courseRequests()).toBe(1);
    expect([...courses.keys()].sort()).toEqual(['SandboxX+EU200', 'SandboxX+PY101']);
    expect(settled(courses.get('SandboxX+EU200'))?.runs[0]?.seats[1]?.price).toEqual({
      amount: '59.00',
      currencyCode: 'EUR',
    });

    world.sandbox.discovery.resetStats();
    await catalog.getCourses(keys.slice(0, 2));
    const runKeys = settled(courses.get('SandboxX+PY101'))?.runs.map((run) => run.key) ?? [];
    expect((await catalog.getCourseRuns(runKeys)).size).toBe(runKeys.length);
    expect(world.sandbox.discovery.totalRequests()).toBe(0);
  });

  it('keeps a listing page for a few seconds: the same page asks nothing, another page or search asks', async () => {
    const catalog = coldCatalog();
    const first = await catalog.listCourses({ offset: 0, limit: 5 });
    expect(await catalog.listCourses({ offset: 0, limit: 5 })).toEqual(first);
    // The search text is trimmed before it is sent, so these two are the same request.
    await catalog.listCourses({ offset: 0, limit: 5, search: 'python' });
    await catalog.listCourses({ offset: 0, limit: 5, search: ' python ' });
    await catalog.listCourses({ offset: 5, limit: 5 });
    await catalog.listCourses({ offset: 0, limit: 6 });
    expect(courseRequests()).toBe(4);
  });

  it('shares one request among concurrent listings of the same page', async () => {
    const catalog = coldCatalog();
    world.sandbox.discovery.setLatency(50);
    try {
      const pages = await Promise.all(
        Array.from({ length: 5 }, () => catalog.listCourses({ offset: 0, limit: 10 })),
      );
      expect(courseRequests()).toBe(1);
      expect(new Set(pages.map((page) => JSON.stringify(page))).size).toBe(1);
    } finally {
      world.sandbox.discovery.setLatency(0);
    }
  });

  it('answers a listing pushed out of memory while its call was under way (a flood of searches)', async () => {
    const catalog = coldCatalog();
    world.sandbox.discovery.setLatency(300);
    try {
      const page = catalog.listCourses({ offset: 0, limit: 10 });
      // More distinct listings than are kept (500), all asked for while the first is under way.
      const flood = Array.from({ length: 510 }, (_, i) =>
        catalog.listCourses({ offset: 0, limit: 10, search: `flood ${i}` }),
      );
      expect((await page).courses.length).toBe(10);
      await Promise.all(flood);
    } finally {
      world.sandbox.discovery.setLatency(0);
    }
  });

  it('keeps no failed listing: once Discovery is back the page is asked for again', async () => {
    const catalog = coldCatalog();
    world.sandbox.discovery.injectFault({ status: 503, count: 10 });
    await expect(catalog.listCourses({ offset: 0, limit: 10 })).rejects.toBeInstanceOf(
      UpstreamUnavailableError,
    );
    world.sandbox.discovery.clearFaults();
    world.sandbox.discovery.resetStats();
    const page = await catalog.listCourses({ offset: 0, limit: 10 });
    expect(page.courses.length).toBeGreaterThan(0);
    expect(courseRequests()).toBe(1);
  });

  it('asks for a listing again once it is older than the catalog cache allows', async () => {
    const catalog = coldCatalog(1);
    await catalog.listCourses({ offset: 0, limit: 10 });
    await sleep(1_100);
    await catalog.listCourses({ offset: 0, limit: 10 });
    expect(courseRequests()).toBe(2);
  });

  it('renews a listing page asked for in its last third in the background: nobody waits for it', async () => {
    // A 3 s catalog TTL keeps listing pages 3 s, renewed when asked for after 2 s.
    const catalog = coldCatalog(3);
    const first = await catalog.listCourses({ offset: 0, limit: 10 });
    await sleep(2_200);
    world.sandbox.discovery.setLatency(400);
    try {
      const started = performance.now();
      const during = await Promise.all(
        Array.from({ length: 5 }, () => catalog.listCourses({ offset: 0, limit: 10 })),
      );
      // Answered from the kept page, not after Discovery's 400 ms, while one renewal is under way.
      expect(performance.now() - started).toBeLessThan(200);
      expect(during.every((page) => JSON.stringify(page) === JSON.stringify(first))).toBe(true);
      await sleep(600);
      expect(courseRequests()).toBe(2);
      // Renewed: the page's time started again, so 1.8 s after the first call it is not renewed yet.
      await sleep(1_200);
      world.sandbox.discovery.resetStats();
      await catalog.listCourses({ offset: 0, limit: 10 });
      expect(courseRequests()).toBe(0);
    } finally {
      world.sandbox.discovery.setLatency(0);
    }
  });

  it('never answers a listing page older than its time, even while a renewal is under way', async () => {
    const catalog = coldCatalog(2);
    await catalog.listCourses({ offset: 0, limit: 10 });
    await sleep(1_500);
    world.sandbox.discovery.setLatency(1_500);
    try {
      // In its last third: answered at once, and a renewal (1.5 s) starts.
      const started = performance.now();
      await catalog.listCourses({ offset: 0, limit: 10 });
      expect(performance.now() - started).toBeLessThan(200);
      await sleep(700);
      // The page's time is up and the renewal is still under way: this call waits for it.
      const waited = performance.now();
      await catalog.listCourses({ offset: 0, limit: 10 });
      expect(performance.now() - waited).toBeGreaterThan(150);
      expect(courseRequests()).toBe(2);
    } finally {
      world.sandbox.discovery.setLatency(0);
    }
  });

  it('keeps the listing page for the rest of its time when a renewal fails', async () => {
    const catalog = coldCatalog(3);
    const first = await catalog.listCourses({ offset: 0, limit: 10 });
    await sleep(2_100);
    world.sandbox.discovery.injectFault({ status: 503, count: 100 });
    expect(await catalog.listCourses({ offset: 0, limit: 10 })).toEqual(first);
    // The renewal and its two retries fail within about half a second.
    await sleep(600);
    // The failed renewal neither dropped the page nor reached anyone; this call tries again.
    expect(await catalog.listCourses({ offset: 0, limit: 10 })).toEqual(first);
    await sleep(600);
    world.sandbox.discovery.clearFaults();
    // Its time is up, Discovery is back: asked for again before answering.
    world.sandbox.discovery.resetStats();
    expect(await catalog.listCourses({ offset: 0, limit: 10 })).toEqual(first);
    expect(courseRequests()).toBe(1);
  });

  it('serves cached runs during an outage and maps only the missing keys to the error', async () => {
    const catalog = coldCatalog();
    const [cachedKey, uncachedKey] = DEMO_COURSE_RUNS.map((run) => run.key);
    await catalog.getCourseRuns([cachedKey!]);
    world.sandbox.discovery.injectFault({ status: 503, count: 10 });
    const runs = await catalog.getCourseRuns([cachedKey!, uncachedKey!]);
    expect(settled(runs.get(cachedKey!))?.key).toBe(cachedKey);
    expect(runs.get(uncachedKey!)).toBeInstanceOf(UpstreamUnavailableError);
  });

  it('keeps every key under the prefix', async () => {
    const keys = await keysUnder(world.redis, world.keyPrefix);
    expect(keys.length).toBeGreaterThan(0);
    expect(keys.every((key) => /^test:connectors:[\w-]+:\d+:catalog:/.test(key))).toBe(true);
  });
});

describe('seats by SKU', () => {
  const key = 'course-v1:SandboxX+PY101+3T2026';

  it('builds the SKU index with one crawl, then finds seats through the run cache', async () => {
    const catalog = coldCatalog();
    const verified = demoSeat(key, 'verified');
    const seats = await catalog.findSeats([verified.sku, 'NO-SUCH-SKU']);
    expect(seats.get(verified.sku)).toEqual({
      sku: verified.sku,
      mode: 'verified',
      price: { amount: '49.00', currencyCode: 'USD' },
      courseRunKey: key,
    });
    expect(seats.has('NO-SUCH-SKU')).toBe(false);
    // The demo catalog fits one page of 100, and the crawl already cached the run.
    expect(runRequests()).toBe(1);

    world.sandbox.discovery.resetStats();
    const audit = demoSeat(key, 'audit');
    expect((await catalog.findSeats([audit.sku, verified.sku])).size).toBe(2);
    expect(world.sandbox.discovery.totalRequests()).toBe(0);
  });

  it('does not crawl again for unknown SKUs within the TTL', async () => {
    const catalog = coldCatalog();
    await catalog.findSeats(['RANDOM-1']);
    expect(runRequests()).toBe(1);
    for (let i = 2; i < 20; i++) await catalog.findSeats([`RANDOM-${i}`]);
    expect(runRequests()).toBe(1);
  });

  it('crawls again once the index is older than the TTL', async () => {
    const catalog = coldCatalog(1);
    await catalog.findSeats(['RANDOM-A']);
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    await catalog.findSeats(['RANDOM-B']);
    expect(runRequests()).toBe(2);
  });

  it('shares one crawl between concurrent callers and instances', async () => {
    prefixCount += 1;
    const keyPrefix = `${world.keyPrefix}${prefixCount}:`;
    world.sandbox.discovery.setLatency(100);
    try {
      const instances = [world.connect({ keyPrefix }), world.connect({ keyPrefix })];
      const sku = demoSeat(key, 'verified').sku;
      const results = await Promise.all(
        instances.flatMap((c) => [1, 2, 3].map(() => c.catalog.findSeats([sku, 'UNKNOWN']))),
      );
      expect(results.every((seats) => seats.get(sku)?.courseRunKey === key)).toBe(true);
      expect(runRequests()).toBe(1);
    } finally {
      world.sandbox.discovery.setLatency(0);
    }
  });

  it('answers an empty lookup without any request', async () => {
    const catalog = coldCatalog();
    expect((await catalog.findSeats([])).size).toBe(0);
    expect((await catalog.getCourseRuns([])).size).toBe(0);
    expect(world.sandbox.discovery.totalRequests()).toBe(0);
  });
});

describe('mapping', () => {
  it('leaves out seats it cannot sell rather than failing the run', () => {
    const wire: DiscoveryCourseRun = {
      uuid: 'u',
      key: 'course-v1:A+B+C',
      course: 'A+B',
      title: 'T',
      start: null,
      end: null,
      enrollment_start: null,
      enrollment_end: null,
      availability: 'Current',
      is_enrollable: true,
      seats: [
        { type: 'verified', price: '49.00', currency: 'usd', sku: 'OK', upgrade_deadline: null },
        {
          type: 'verified',
          price: '4.999',
          currency: 'USD',
          sku: 'TOO-PRECISE',
          upgrade_deadline: null,
        },
        {
          type: 'verified',
          price: 'free',
          currency: 'USD',
          sku: 'NOT-A-NUMBER',
          upgrade_deadline: null,
        },
        { type: 'audit', price: '0.00', currency: 'USD', sku: null, upgrade_deadline: null },
      ],
    };
    expect(toCourseRun(wire).seats).toEqual([
      {
        sku: 'OK',
        mode: 'verified',
        price: { amount: '49.00', currencyCode: 'USD' },
        courseRunKey: 'course-v1:A+B+C',
      },
    ]);
  });
});

describe('reachability', () => {
  it('checks /health/', async () => {
    await coldCatalog().checkReachable();
    expect(world.sandbox.discovery.stats()['GET /health/']).toBe(1);
  });
});

/** A looked-up value, failing the test if the lookup mapped it to an error. */
function settled<V>(value: V | undefined): Exclude<V, Error> | undefined {
  if (value instanceof Error) throw value;
  return value as Exclude<V, Error> | undefined;
}
