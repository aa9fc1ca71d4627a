import { jwtVerify, SignJWT } from 'jose';
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
    const grant = await token({ grant_type: 'authorization_code', code: 'x' });
    expect(grant.status).toBe(400);
    expect(grant.body.error).toBe('unsupported_grant_type');
  });

  it('issues the service client a staff JWT, and refuses a wrong client', async () => {
    const { clientId, clientSecret } = SANDBOX_CREDENTIALS.lmsServiceClient;
    const answer = await token({
      grant_type: 'client_credentials',
      client_id: clientId,
      client_secret: clientSecret,
      token_type: 'jwt',
    });
    expect(answer.status).toBe(200);
    const { payload } = await jwtVerify(
      answer.body.access_token,
      new TextEncoder().encode(SANDBOX_CREDENTIALS.jwt.secretKey),
    );
    expect(payload).toMatchObject({ preferred_username: 'commerce_service', administrator: true });
    const wrongClients: Record<string, string>[] = [
      { client_id: clientId, client_secret: 'wrong' },
      { client_id: 'someone-else', client_secret: clientSecret },
      {},
    ];
    for (const fields of wrongClients) {
      const refused = await token({ grant_type: 'client_credentials', ...fields });
      expect(refused.status).toBe(401);
      expect(refused.body.error).toBe('invalid_client');
    }
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

describe('LMS staff list of enrollments', () => {
  interface Listed {
    created: string;
    mode: string;
    is_active: boolean;
    user: string;
    course_id: string;
  }
  interface Page {
    next: string | null;
    previous: string | null;
    results: Listed[];
    detail?: string;
    username?: string[];
  }
  const jwtOf = async (fields: Record<string, string>) => {
    const answer = await call<{ access_token: string }>(`${base}/oauth2/access_token`, {
      method: 'POST',
      body: form({ token_type: 'jwt', ...fields }),
    });
    return answer.body.access_token;
  };
  const serviceJwt = () =>
    jwtOf({
      grant_type: 'client_credentials',
      client_id: SANDBOX_CREDENTIALS.lmsServiceClient.clientId,
      client_secret: SANDBOX_CREDENTIALS.lmsServiceClient.clientSecret,
    });
  const list = (query: string, authorization: string | null) =>
    call<Page>(`${base}/api/enrollment/v1/enrollments/?${query}`, {
      headers: authorization ? { Authorization: authorization } : {},
    });

  it('lists the enrollments of several users, lean, newest first', async () => {
    const page = await list('username=alice,bob', `JWT ${await serviceJwt()}`);
    expect(page.status).toBe(200);
    const alice = (
      await call<Enrollment[]>(`${base}/api/enrollment/v1/enrollment?user=alice`, {
        headers: apiKey,
      })
    ).body;
    const bob = (
      await call<Enrollment[]>(`${base}/api/enrollment/v1/enrollment?user=bob`, {
        headers: apiKey,
      })
    ).body;
    expect(page.body.results).toHaveLength(alice.length + bob.length);
    expect(page.body.next).toBeNull();
    const first = page.body.results[0];
    expect(Object.keys(first ?? {}).sort()).toEqual([
      'course_id',
      'created',
      'is_active',
      'mode',
      'user',
    ]);
    const created = page.body.results.map((e) => e.created);
    expect(created).toEqual([...created].sort().reverse());
  });

  it('pages by cursor, 100 at a time, and refuses a cursor it did not make', async () => {
    const jwt = `JWT ${await serviceJwt()}`;
    const users = Array.from({ length: 35 }, (_, i) => `pager${i}`);
    for (const user of users) {
      for (const run of [
        RUN,
        'course-v1:SandboxX+PY101+3T2026',
        'course-v1:SandboxX+ML301+3T2026',
      ]) {
        expect(
          (await postEnrollment({ user, mode: 'audit', course_details: { course_id: run } }))
            .status,
        ).toBe(200);
      }
    }
    const first = await list(`username=${users.join(',')}`, jwt);
    expect(first.body.results).toHaveLength(100);
    expect(first.body.previous).toBeNull();
    const next = first.body.next ?? '';
    expect(new URL(next).searchParams.get('username')).toBe(users.join(','));
    const second = await call<Page>(next, { headers: { Authorization: jwt } });
    expect(second.body.results).toHaveLength(5);
    expect(second.body.next).toBeNull();
    const keys = [...first.body.results, ...second.body.results].map(
      (e) => `${e.user} ${e.course_id}`,
    );
    expect(new Set(keys).size).toBe(105);

    for (const cursor of ['bm9wZQ', 'not base64 at all', '']) {
      const bad = await list(`username=alice&cursor=${encodeURIComponent(cursor)}`, jwt);
      expect(bad.status).toBe(404);
      expect(bad.body.detail).toBe('Invalid cursor');
    }
  });

  it('refuses more than 100 usernames, and a username that cannot be one', async () => {
    const jwt = `JWT ${await serviceJwt()}`;
    const many = Array.from({ length: 101 }, (_, i) => `u${i}`).join(',');
    const tooMany = await list(`username=${many}`, jwt);
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.username?.[0]).toContain('A maximum of 100 is allowed');
    for (const bad of ['alice,', 'al ice', 'alice,<script>']) {
      expect((await list(`username=${encodeURIComponent(bad)}`, jwt)).status).toBe(400);
    }
  });

  it('takes only a staff JWT: not the API key, a learner, a forged or a foreign token', async () => {
    const learner = await jwtOf({ grant_type: 'password', username: 'alice', password: 'sandbox' });
    const staff = await serviceJwt();
    const [header, payload] = staff.split('.');
    const forged = `${header}.${payload}.${Buffer.from('not the signature').toString('base64url')}`;
    const expired = await new SignJWT({ administrator: true })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer(SANDBOX_CREDENTIALS.jwt.issuer)
      .setAudience(SANDBOX_CREDENTIALS.jwt.audience)
      .setExpirationTime(Math.floor(Date.now() / 1000) - 60)
      .sign(new TextEncoder().encode(SANDBOX_CREDENTIALS.jwt.secretKey));
    const cases: [string | null, Record<string, string>, number][] = [
      [null, {}, 401],
      [null, apiKey, 401],
      [`Bearer ${staff}`, {}, 401],
      [`JWT ${forged}`, {}, 401],
      [`JWT ${expired}`, {}, 401],
      ['JWT not.a.jwt', {}, 401],
      [`JWT ${learner}`, {}, 403],
    ];
    for (const [authorization, extra, status] of cases) {
      const answer = await call<Page>(`${base}/api/enrollment/v1/enrollments/?username=alice`, {
        headers: { ...extra, ...(authorization ? { Authorization: authorization } : {}) },
      });
      expect(answer.status, authorization ?? JSON.stringify(extra)).toBe(status);
      expect(answer.body.results).toBeUndefined();
    }
  });
});
