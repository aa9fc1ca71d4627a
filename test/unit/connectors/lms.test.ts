import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { UpstreamRejectedError } from '../../../connectors/errors.js';
import { createHttpClient } from '../../../connectors/http-client.js';
import { LmsEnrollmentConnector } from '../../../connectors/lms/lms-enrollment.js';
import { SANDBOX_CREDENTIALS } from '../../../sandbox/credentials.js';
import { demoOrdersOf } from '../../../sandbox/demo-data.js';
import type { Enrollment } from '../../../connectors/enrollment.js';
import { createConnectors } from '../../../connectors/index.js';
import { settingsFor, startWorld, type ConnectorWorld } from './support.js';

let world: ConnectorWorld;

function lms(apiKey: string = SANDBOX_CREDENTIALS.lmsApiKey): LmsEnrollmentConnector {
  return new LmsEnrollmentConnector(
    createHttpClient({
      upstream: 'enrollment',
      baseUrl: world.sandbox.urls.lms,
      timeoutMs: 2_000,
      headers: { 'x-edx-api-key': apiKey },
    }),
  );
}

beforeAll(async () => {
  world = await startWorld();
});
afterAll(async () => {
  await world.close();
});
beforeEach(() => {
  world.sandbox.lms.resetStats();
});

describe('LMS enrollments', () => {
  it('lists every enrollment of a user, active or not, oldest first', async () => {
    const enrollments =
      (await world.connectors.enrollment.listEnrollments(['alice'])).get('alice') ?? [];
    const lines = demoOrdersOf('alice').flatMap((order) => order.lines);
    expect(enrollments).toHaveLength(lines.length);
    const revoked = lines.find((line) => line.status === 'REVOKED');
    expect(revoked).toBeDefined();
    expect(enrollments.find((e) => e.courseRunKey === revoked?.courseRunKey)).toMatchObject({
      username: 'alice',
      mode: revoked?.mode,
      isActive: false,
    });
    expect(enrollments.every((e) => typeof e.createdAt === 'string')).toBe(true);
    const created = enrollments.map((e) => e.createdAt);
    expect(created).toEqual([...created].sort());
    // One staff list, with the service client's JWT; no per-user list.
    expect(world.sandbox.lms.stats()).toMatchObject({
      'POST /oauth2/access_token': 1,
      'GET /api/enrollment/v1/enrollments/': 1,
    });
    expect(world.sandbox.lms.stats()['GET /api/enrollment/v1/enrollment']).toBeUndefined();
  });

  it('lists several users in one request, as the per-user lists would (no service client)', async () => {
    const users = ['alice', 'bob', 'carol', 'nobody-here'];
    const listed = await world.connectors.enrollment.listEnrollments([...users, 'alice']);
    expect(world.sandbox.lms.stats()['GET /api/enrollment/v1/enrollments/']).toBe(1);
    const perUser = await lms().listEnrollments(users);
    expect(world.sandbox.lms.stats()['GET /api/enrollment/v1/enrollment']).toBe(users.length);
    expect([...listed.keys()].sort()).toEqual([...users].sort());
    for (const user of users) {
      const byKey = (list: Enrollment[] | undefined) =>
        [...(list ?? [])].sort((a, b) => a.courseRunKey.localeCompare(b.courseRunKey));
      expect(byKey(listed.get(user))).toEqual(byKey(perUser.get(user)));
    }
    expect(listed.get('nobody-here')).toEqual([]);
    expect(listed.get('alice')?.length).toBeGreaterThan(0);
  });

  it('follows the staff list page by page, sending the token to the configured LMS only', async () => {
    const users = Array.from({ length: 40 }, (_, i) => `lister${i}`);
    const runs = [
      'course-v1:SandboxX+WEB110+3T2026',
      'course-v1:SandboxX+PY101+3T2026',
      'course-v1:SandboxX+ML301+3T2026',
    ];
    const connector = lms();
    for (const username of users) {
      for (const courseRunKey of runs) {
        await connector.enroll({ username, courseRunKey, mode: 'audit', orderNumber: 'EDX-1' });
      }
    }
    world.sandbox.lms.resetStats();
    const listed = await world.connectors.enrollment.listEnrollments(users);
    expect(world.sandbox.lms.stats()['GET /api/enrollment/v1/enrollments/']).toBe(2);
    expect([...listed.values()].map((list) => list.length)).toEqual(users.map(() => 3));
  });

  it('takes only the cursor from a next page that names another host', async () => {
    const elsewhere: string[] = [];
    const other = createServer((request, response) => {
      elsewhere.push(`${request.url ?? ''} ${request.headers.authorization ?? ''}`);
      response.end('{}');
    });
    const asked: string[] = [];
    const lmsServer = createServer((request, response) => {
      const url = new URL(request.url ?? '/', 'http://lms');
      asked.push(
        `${request.method ?? ''} ${url.pathname} ${url.searchParams.get('cursor') ?? '-'} ${request.headers.authorization ?? '-'}`,
      );
      response.setHeader('content-type', 'application/json');
      if (url.pathname === '/oauth2/access_token') {
        response.end(JSON.stringify({ access_token: 'service-jwt', expires_in: 3600 }));
      } else if (!url.searchParams.has('cursor')) {
        const { port } = other.address() as AddressInfo;
        response.end(
          JSON.stringify({
            next: `http://127.0.0.1:${port}/steal?cursor=c2`,
            previous: null,
            results: [
              {
                created: '2026-01-02T00:00:00Z',
                mode: 'audit',
                is_active: true,
                user: 'alice',
                course_id: 'course-v1:X+Y+2',
              },
            ],
          }),
        );
      } else {
        response.end(
          JSON.stringify({
            next: null,
            previous: null,
            results: [
              {
                created: '2026-01-01T00:00:00Z',
                mode: 'verified',
                is_active: true,
                user: 'alice',
                course_id: 'course-v1:X+Y+1',
              },
            ],
          }),
        );
      }
    });
    await Promise.all(
      [other, lmsServer].map(
        (server) => new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve)),
      ),
    );
    try {
      const url = `http://127.0.0.1:${(lmsServer.address() as AddressInfo).port}`;
      const connector = createConnectors(
        {
          ...settingsFor(world.sandbox),
          lms: { url, apiKey: 'k', serviceClient: { clientId: 'c', clientSecret: 's' } },
        },
        {
          redis: world.redis,
          keyPrefix: world.keyPrefix,
          timeoutMs: 2_000,
          catalogCacheTtlSeconds: 60,
        },
      ).enrollment;
      const listed = (await connector.listEnrollments(['alice'])).get('alice') ?? [];
      expect(listed.map((e) => e.courseRunKey)).toEqual(['course-v1:X+Y+1', 'course-v1:X+Y+2']);
      expect(asked).toEqual([
        'POST /oauth2/access_token - -',
        'GET /api/enrollment/v1/enrollments/ - JWT service-jwt',
        'GET /api/enrollment/v1/enrollments/ c2 JWT service-jwt',
      ]);
      expect(elsewhere).toEqual([]);
    } finally {
      await Promise.all(
        [other, lmsServer].map((server) => new Promise((resolve) => server.close(resolve))),
      );
    }
  });

  it('lists nothing for a user without enrollments', async () => {
    expect(await world.connectors.enrollment.listEnrollments(['nobody-here'])).toEqual(
      new Map([['nobody-here', []]]),
    );
    expect(await world.connectors.enrollment.listEnrollments([])).toEqual(new Map());
  });

  it('gets one enrollment, or null when there is none', async () => {
    const key = 'course-v1:SandboxX+PY101+1T2025';
    expect(await world.connectors.enrollment.getEnrollment('alice', key)).toEqual({
      username: 'alice',
      courseRunKey: key,
      mode: 'verified',
      isActive: true,
      createdAt: expect.any(String) as unknown,
    });
    expect(await world.connectors.enrollment.getEnrollment('carol', key)).toBeNull();
    expect(world.sandbox.lms.totalRequests()).toBe(2);
  });

  it('is refused without the right API key, and does not retry', async () => {
    const error = await lms('wrong-key')
      .listEnrollments(['alice'])
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UpstreamRejectedError);
    expect(error).toMatchObject({ upstream: 'enrollment', statusCode: 403 });
    expect(world.sandbox.lms.totalRequests()).toBe(1);
  });

  it('enrolls and unenrolls', async () => {
    const key = 'course-v1:SandboxX+ML301+3T2026';
    const connector = lms();
    const enrolled = await connector.enroll({
      username: 'carol',
      courseRunKey: key,
      mode: 'verified',
      orderNumber: 'EDX-999999',
    });
    expect(enrolled).toMatchObject({ username: 'carol', courseRunKey: key, isActive: true });
    const unenrolled = await connector.unenroll({
      username: 'carol',
      courseRunKey: key,
      mode: 'verified',
    });
    expect(unenrolled).toMatchObject({ mode: 'verified', isActive: false });
    expect(await connector.getEnrollment('carol', key)).toMatchObject({ isActive: false });
  });

  it('reports a mode the run does not offer as a rejection', async () => {
    const error = await lms()
      .enroll({
        username: 'carol',
        courseRunKey: 'course-v1:SandboxX+PY101+3T2026',
        mode: 'professional',
        orderNumber: 'EDX-1',
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UpstreamRejectedError);
    expect(error).toMatchObject({ statusCode: 400 });
    expect((error as UpstreamRejectedError).detail).toContain('course mode');
    expect((error as Error).message).not.toContain('course mode');
  });

  it('is refused with a wrong service client, and does not retry', async () => {
    const connector = world.connect().enrollment;
    const wrong = createConnectors(
      {
        ...settingsFor(world.sandbox),
        lms: {
          ...settingsFor(world.sandbox).lms,
          serviceClient: {
            clientId: SANDBOX_CREDENTIALS.lmsServiceClient.clientId,
            clientSecret: 'wrong',
          },
        },
      },
      {
        redis: world.redis,
        keyPrefix: world.keyPrefix,
        timeoutMs: 2_000,
        catalogCacheTtlSeconds: 60,
      },
    ).enrollment;
    const error = await wrong.listEnrollments(['alice']).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UpstreamRejectedError);
    expect(error).toMatchObject({ upstream: 'enrollment', statusCode: 401 });
    expect(world.sandbox.lms.stats()).toEqual({ 'POST /oauth2/access_token': 1 });
    // Readiness says so too, rather than the first learner's page.
    await expect(wrong.checkReachable()).rejects.toMatchObject({ statusCode: 401 });
    expect((await connector.listEnrollments(['alice'])).get('alice')?.length).toBeGreaterThan(0);
  });

  it('checks /heartbeat', async () => {
    await world.connectors.enrollment.checkReachable();
    expect(world.sandbox.lms.stats()['GET /heartbeat']).toBe(1);
  });
});
