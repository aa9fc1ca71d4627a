import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { UpstreamRejectedError } from '../../../connectors/errors.js';
import { createHttpClient } from '../../../connectors/http-client.js';
import { LmsEnrollmentConnector } from '../../../connectors/lms/lms-enrollment.js';
import { SANDBOX_CREDENTIALS } from '../../../sandbox/credentials.js';
import { demoOrdersOf } from '../../../sandbox/demo-data.js';
import { startWorld, type ConnectorWorld } from './support.js';

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
  it('lists every enrollment of a user, active or not', async () => {
    const enrollments = await world.connectors.enrollment.listEnrollments('alice');
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
  });

  it('lists nothing for a user without enrollments', async () => {
    expect(await world.connectors.enrollment.listEnrollments('nobody-here')).toEqual([]);
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
      .listEnrollments('alice')
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

  it('checks /heartbeat', async () => {
    await world.connectors.enrollment.checkReachable();
    expect(world.sandbox.lms.stats()['GET /heartbeat']).toBe(1);
  });
});
