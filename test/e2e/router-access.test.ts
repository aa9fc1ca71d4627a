import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FEDERATED_TRACE_HEADER, ROUTER_SECRET_HEADER } from '../../server/router-access.js';
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

  // A router with usage reporting asks for each operation's field-by-field trace (ftv1): every
  // field's timing and error. Anyone else asking gets the usual answer without it.
  const CATALOG = '{ courses(first: 1) { totalCount } }';
  const traceOf = async (url: string, headers: Record<string, string>) => {
    const response = await graphql(url, CATALOG, {}, { headers });
    expect(response.body.data).toEqual({ courses: { totalCount: 10 } });
    return (response.body as { extensions?: { ftv1?: unknown } }).extensions?.ftv1;
  };

  it('gives field traces to the router', async () => {
    const headers = { [FEDERATED_TRACE_HEADER]: 'ftv1', [ROUTER_SECRET_HEADER]: SECRET };
    expect(typeof (await traceOf(gw.url, headers))).toBe('string');
  });

  it.each([
    ['no secret', {}],
    ['a wrong secret', { [ROUTER_SECRET_HEADER]: 'router-secret-for-tests-0123456780' }],
    ['an empty secret', { [ROUTER_SECRET_HEADER]: '' }],
  ])('gives no field trace with %s', async (_what, headers) => {
    expect(await traceOf(gw.url, { [FEDERATED_TRACE_HEADER]: 'ftv1', ...headers })).toBe(undefined);
  });

  it('gives no field trace to anyone when no ROUTER_SECRET is set', async () => {
    const headers = { [FEDERATED_TRACE_HEADER]: 'ftv1', [ROUTER_SECRET_HEADER]: SECRET };
    expect(await traceOf(unconfigured.url, headers)).toBeUndefined();
  });

  it('leaves every other query alone', async () => {
    const response = await graphql(gw.url, '{ courses(first: 1) { totalCount } }');
    expect(response.body).toEqual({ data: { courses: { totalCount: 10 } } });
  });
});
