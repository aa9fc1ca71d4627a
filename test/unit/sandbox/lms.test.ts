import { jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SANDBOX_CREDENTIALS } from '../../../sandbox/credentials.js';
import { DEMO_ORDERS, DEMO_USERS } from '../../../sandbox/demo-data.js';
import type { Sandbox } from '../../../sandbox/index.js';
import { call, form, sandboxFor, started } from './support.js';

interface Enrollment {
  created: string;
  mode: string;
  is_active: boolean;
  user: string;
  course_details: { course_id: string; course_name: string; course_modes: { slug: string }[] };
}

const RUN = 'course-v1:SandboxX+WEB110+3T2026';
let sandbox: Sandbox;
let base: string;
const apiKey = { 'X-Edx-Api-Key': SANDBOX_CREDENTIALS.lmsApiKey };
const postEnrollment = (body: unknown) =>
  call<Enrollment & { message?: string }>(`${base}/api/enrollment/v1/enrollment`, {
    method: 'POST',
    headers: { ...apiKey, 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });

beforeAll(async () => {
  sandbox = await sandboxFor({ only: ['lms'] });
  base = started(sandbox.lms).url;
});
afterAll(() => sandbox.close());

describe('LMS token endpoint', () => {
  const token = (fields: Record<string, string>) =>
    call<{ access_token: string; token_type: string; expires_in: number; error?: string }>(
      `${base}/oauth2/access_token`,
      {
        method: 'POST',
        body: form(fields),
      },
    );

  it('issues an HS256 edX JWT with the documented claims', async () => {
    const answer = await token({
      grant_type: 'password',
      username: 'staff',
      password: 'sandbox',
      token_type: 'jwt',
    });
    expect(answer.status).toBe(200);
    expect(answer.body.token_type).toBe('JWT');
    expect(answer.body.expires_in).toBe(3600);
    const { payload, protectedHeader } = await jwtVerify(
      answer.body.access_token,
      new TextEncoder().encode(SANDBOX_CREDENTIALS.jwt.secretKey),
      { issuer: SANDBOX_CREDENTIALS.jwt.issuer, audience: SANDBOX_CREDENTIALS.jwt.audience },
    );
    expect(protectedHeader.alg).toBe('HS256');
    expect(payload).toMatchObject({
      user_id: 9001,
      preferred_username: 'staff',
      email: 'staff@example.com',
      administrator: true,
      version: expect.any(String) as unknown,
      scopes: expect.any(Array) as unknown,
    });
    expect(typeof payload.sub).toBe('string');
    expect((payload.exp ?? 0) - (payload.iat ?? 0)).toBe(3600);
  });

  it('refuses a wrong password and an unsupported grant', async () => {
    const wrong = await token({
      grant_type: 'password',
      username: 'alice',
      password: 'nope',
      token_type: 'jwt',
    });
    expect(wrong.status).toBe(401);
    expect(wrong.body.error).toBe('invalid_grant');
    const grant = await token({ grant_type: 'client_credentials' });
    expect(grant.status).toBe(400);
  });

  it('creates unknown users on the fly with fresh ids', async () => {
    const answer = await token({
      grant_type: 'password',
      username: 'dave',
      password: 'sandbox',
      token_type: 'jwt',
    });
    const { payload } = await jwtVerify(
      answer.body.access_token,
      new TextEncoder().encode(SANDBOX_CREDENTIALS.jwt.secretKey),
    );
    expect(payload.preferred_username).toBe('dave');
    expect(payload.user_id).toBeGreaterThan(2000);
    expect(payload.administrator).toBe(false);
  });
});

describe('LMS enrollment API', () => {
  it('refuses requests without the right API key', async () => {
    for (const headers of [{}, { 'X-Edx-Api-Key': 'wrong' }] as Record<string, string>[]) {
      const answer = await call(`${base}/api/enrollment/v1/enrollment?user=alice`, { headers });
      expect(answer.status).toBe(403);
      expect(answer.body).toEqual({ detail: 'You do not have permission to perform this action.' });
    }
  });

  it('lists the demo enrollments: active for fulfilled orders, inactive for the refunded one', async () => {
    const answer = await call<Enrollment[]>(`${base}/api/enrollment/v1/enrollment?user=alice`, {
      headers: apiKey,
    });
    const lines = DEMO_ORDERS.filter((o) => o.user.username === 'alice').flatMap((o) => o.lines);
    expect(answer.body).toHaveLength(lines.length);
    for (const line of lines) {
      const enrollment = answer.body.find((e) => e.course_details.course_id === line.courseRunKey);
      expect(enrollment).toMatchObject({
        mode: line.mode,
        is_active: line.status === 'FULFILLED',
        user: 'alice',
      });
    }
    expect(answer.body.filter((e) => !e.is_active)).toHaveLength(1);
    const none = await call(`${base}/api/enrollment/v1/enrollment?user=nobody`, {
      headers: apiKey,
    });
    expect(none.body).toEqual([]);
  });

  it('creates, reads, changes and deactivates an enrollment', async () => {
    const path = `${base}/api/enrollment/v1/enrollment/${encodeURIComponent(`carol,${RUN}`)}`;
    const before = await call(path, { headers: apiKey });
    expect(before.status).toBe(200);
    expect(before.body).toBe('');

    const created = await postEnrollment({
      user: 'carol',
      mode: 'verified',
      is_active: true,
      course_details: { course_id: RUN },
      enrollment_attributes: [{ namespace: 'order', name: 'order_number', value: 'EDX-200001' }],
    });
    expect(created.status).toBe(200);
    expect(created.body).toMatchObject({ user: 'carol', mode: 'verified', is_active: true });
    expect(created.body.course_details.course_modes.map((m) => m.slug)).toEqual([
      'audit',
      'verified',
    ]);

    const read = await call<Enrollment>(path, { headers: apiKey });
    expect(read.body).toEqual(created.body);

    const deactivated = await postEnrollment({
      user: 'carol',
      mode: 'verified',
      is_active: false,
      course_details: { course_id: RUN },
    });
    expect(deactivated.body).toMatchObject({
      is_active: false,
      mode: 'verified',
      created: created.body.created,
    });
  });

  it('lists an enrollment as changed the moment it changes (no list answer outlives a change)', async () => {
    const list = async () =>
      (
        await call<Enrollment[]>(`${base}/api/enrollment/v1/enrollment?user=dana`, {
          headers: apiKey,
        })
      ).body;
    expect(await list()).toEqual([]);
    await postEnrollment({ user: 'dana', mode: 'audit', course_details: { course_id: RUN } });
    expect((await list()).map((e) => [e.mode, e.is_active])).toEqual([['audit', true]]);
    await postEnrollment({
      user: 'dana',
      mode: 'audit',
      is_active: false,
      course_details: { course_id: RUN },
    });
    expect((await list()).map((e) => [e.mode, e.is_active])).toEqual([['audit', false]]);
  });

  it('enrolls unknown users', async () => {
    const answer = await postEnrollment({
      user: 'erin',
      mode: 'audit',
      course_details: { course_id: RUN },
    });
    expect(answer.status).toBe(200);
    expect(answer.body.is_active).toBe(true);
  });

  it('refuses a mode the run does not offer and an unknown course', async () => {
    const mode = await postEnrollment({
      user: 'bob',
      mode: 'professional',
      course_details: { course_id: RUN },
    });
    expect(mode.status).toBe(400);
    expect(mode.body).toEqual({
      message: `The [professional] course mode is expired or otherwise unavailable for course run [${RUN}].`,
    });
    const course = await postEnrollment({
      user: 'bob',
      mode: 'audit',
      course_details: { course_id: 'course-v1:X+Y+Z' },
    });
    expect(course.status).toBe(400);
    expect(course.body).toEqual({ message: "No course 'course-v1:X+Y+Z' found for enrollment" });
    const active = await postEnrollment({
      user: 'bob',
      is_active: 'yes',
      course_details: { course_id: RUN },
    });
    expect(active.status).toBe(400);
  });

  it('answers the heartbeat', async () => {
    expect((await call(`${base}/heartbeat`)).body).toEqual({});
    expect(DEMO_USERS.carol.userId).toBe(1003);
  });
});
