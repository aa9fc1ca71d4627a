import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROUTER_SECRET_HEADER } from '../../server/router-access.js';
import { errorCodes, graphql, tokenFor } from '../support/client.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';

const SECRET = 'router-secret-for-tests-0123456789';
const SERVICE = 'query { _service { sdl } }';
const SERVICE_IN_FRAGMENT = 'query { ...F } fragment F on Query { _service { sdl } }';

type ServiceData = { _service: { sdl: string } | null };

describe('_service in production', () => {
  let gw: TestGateway;
  let unconfigured: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway(
      { NODE_ENV: 'production', ROUTER_SECRET: SECRET },
      { upstreamsFromEnvironment: true },
    );
    unconfigured = await startTestGateway(
      { NODE_ENV: 'production' },
      { upstreamsFromEnvironment: true },
    );
  });
  afterAll(async () => {
    await gw.close();
    await unconfigured.close();
  });

  it('is answered to the router, which sends the shared secret', async () => {
    const response = await graphql<ServiceData>(
      gw.url,
      SERVICE,
      {},
      {
        headers: { [ROUTER_SECRET_HEADER]: SECRET },
      },
    );
    expect(response.status).toBe(200);
    expect(response.body.data?._service?.sdl).toMatch(/refundOrder/);
  });

  it.each([
    ['no header', {}],
    ['a wrong secret', { [ROUTER_SECRET_HEADER]: 'router-secret-for-tests-0123456780' }],
    ['a secret of another length', { [ROUTER_SECRET_HEADER]: 'x' }],
    ['an empty secret', { [ROUTER_SECRET_HEADER]: '' }],
  ])('is refused with %s, with no schema in the answer', async (_what, headers) => {
    for (const query of [SERVICE, SERVICE_IN_FRAGMENT]) {
      const response = await graphql<ServiceData>(gw.url, query, {}, { headers });
      expect(response.status).toBe(403);
      expect(errorCodes(response)).toEqual(['FORBIDDEN']);
      expect(JSON.stringify(response.body)).not.toMatch(/refundOrder|type Query/);
    }
  });

  it('is refused to a signed-in staff member all the same', async () => {
    const response = await graphql(gw.url, SERVICE, {}, { token: await tokenFor('staff') });
    expect(errorCodes(response)).toEqual(['FORBIDDEN']);
  });

  it('is refused to everyone when no ROUTER_SECRET is set', async () => {
    const response = await graphql(
      unconfigured.url,
      SERVICE,
      {},
      {
        headers: { [ROUTER_SECRET_HEADER]: SECRET },
      },
    );
    expect(errorCodes(response)).toEqual(['FORBIDDEN']);
  });

  it('leaves every other query alone', async () => {
    const response = await graphql(gw.url, '{ courses(first: 1) { totalCount } }');
    expect(response.body).toEqual({ data: { courses: { totalCount: 10 } } });
  });
});
