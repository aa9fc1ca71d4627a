import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoOrdersOf } from '../../sandbox/demo-data.js';
import { contractOperation, graphql, tokenFor } from '../support/client.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';

const CATALOG_AND_ENROLLMENTS = `
  query CatalogAndEnrollments($first: Int!) {
    courses(first: $first) { totalCount edges { node { key title } } }
    me { enrollments { courseRun { key title } mode isActive } }
  }
`;

describe('an upstream outage fails only the fields that need it', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway();
  });
  afterAll(() => gw.close());

  it('answers CourseCatalog with UPSTREAM_UNAVAILABLE and MyEnrollments with data when Discovery is down', async () => {
    const token = await tokenFor('alice');
    // A learner's page has loaded before: the course runs it showed are in the Redis cache.
    const warm = await graphql(gw.url, contractOperation('MyEnrollments'), {}, { token });
    expect(warm.body.errors).toBeUndefined();

    const discoveryUrl = gw.sandbox.discovery!.url;
    await gw.sandbox.discovery!.close();

    const response = await graphql<{
      courses: unknown;
      me: { enrollments: { courseRun: { key: string; title: string } | null; mode: string }[] };
    }>(gw.url, CATALOG_AND_ENROLLMENTS, { first: 5 }, { token });

    expect(response.body.data?.courses).toBeNull();
    expect(response.body.errors).toHaveLength(1);
    const [error] = response.body.errors!;
    expect(error).toMatchObject({
      path: ['courses'],
      extensions: { code: 'UPSTREAM_UNAVAILABLE' },
    });
    const serialized = JSON.stringify(response.body);
    expect(serialized).not.toContain(discoveryUrl);
    expect(serialized).not.toContain('127.0.0.1');
    expect(serialized).not.toMatch(/ECONNREFUSED|stack|at .*\.ts/);

    const enrollments = response.body.data!.me.enrollments;
    expect(enrollments.length).toBeGreaterThan(0);
    expect(enrollments.every((enrollment) => enrollment.courseRun?.title)).toBe(true);
  });

  it('keeps the enrollment data when an uncached course run cannot be fetched', async () => {
    // Bob's runs that alice's page did not show are not in the cache: only those fields fail.
    const aliceRuns = new Set(
      demoOrdersOf('alice').flatMap((o) => o.lines.map((l) => l.courseRunKey)),
    );
    const bobRuns = new Set(demoOrdersOf('bob').flatMap((o) => o.lines.map((l) => l.courseRunKey)));
    const uncached = [...bobRuns].filter((run) => !aliceRuns.has(run));
    expect(uncached.length).toBeGreaterThan(0);

    const response = await graphql<{
      me: { enrollments: { courseRun: { key: string } | null; mode: string; isActive: boolean }[] };
    }>(gw.url, contractOperation('MyEnrollments'), {}, { token: await tokenFor('bob') });
    const enrollments = response.body.data!.me.enrollments;
    expect(enrollments).toHaveLength(bobRuns.size);
    expect(enrollments.every((enrollment) => typeof enrollment.mode === 'string')).toBe(true);
    expect(enrollments.filter((enrollment) => enrollment.courseRun === null)).toHaveLength(
      uncached.length,
    );
    expect(response.body.errors?.map((error) => error.extensions?.code)).toEqual(
      uncached.map(() => 'UPSTREAM_UNAVAILABLE'),
    );
  });

  it('says not ready while Discovery is down', async () => {
    const response = await fetch(`${gw.url}/readyz`);
    expect(response.status).toBe(503);
    const body = (await response.json()) as { checks: Record<string, string> };
    expect(body.checks).toMatchObject({ redis: 'ok', catalog: 'unavailable', enrollment: 'ok' });
    expect(JSON.stringify(body)).not.toContain('127.0.0.1');
  });
});
