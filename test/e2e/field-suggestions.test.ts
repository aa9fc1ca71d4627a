import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphql, tokenFor } from '../support/client.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { watch } from '../support/ws-client.js';

const MISSPELT_QUERY = '{ coursez(first: 1) { totalCount } }';
const MISSPELT_SUBSCRIPTION = 'subscription { orderStatusChangd(orderId: "x") { order { id } } }';

async function messages(gw: TestGateway): Promise<{ http: string; ws: string }> {
  const response = await graphql(gw.url, MISSPELT_QUERY);
  const watched = watch(gw.url, MISSPELT_SUBSCRIPTION, {}, { token: await tokenFor('alice') });
  await watched.done;
  await watched.dispose();
  return {
    http: response.body.errors?.[0]?.message ?? '',
    ws: watched.results[0]?.errors?.[0]?.message ?? '',
  };
}

describe('field suggestions', () => {
  let development: TestGateway;
  let production: TestGateway;
  beforeAll(async () => {
    development = await startTestGateway({ NODE_ENV: 'development' });
    production = await startTestGateway(
      { NODE_ENV: 'production' },
      { upstreamsFromEnvironment: true },
    );
  });
  afterAll(async () => {
    await development.close();
    await production.close();
  });

  it('are offered in development, over HTTP and WebSocket', async () => {
    const { http, ws } = await messages(development);
    expect(http).toMatch(/Did you mean .*"courses"/);
    expect(ws).toMatch(/Did you mean .*"orderStatusChanged"/);
  });

  it('are hidden in production, over HTTP and WebSocket', async () => {
    const { http, ws } = await messages(production);
    expect(http).toMatch(/Cannot query field "coursez"/);
    expect(http).not.toMatch(/did you mean|suggestion/i);
    expect(ws).toMatch(/Cannot query field "orderStatusChangd"/);
    expect(ws).not.toMatch(/did you mean|suggestion/i);
  });
});
