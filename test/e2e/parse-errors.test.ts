import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QUERY_LIMITS } from '../../server/limits.js';
import { errorCodes, graphql, tokenFor } from '../support/client.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { watch } from '../support/ws-client.js';

const MALFORMED = {
  'a syntax error': 'query { courses(first: ',
  'an invalid character': 'query { cou\u0001rses }',
  'a query over the token limit': `query { ${Array.from(
    { length: QUERY_LIMITS.maxTokens + 1 },
    () => '__typename',
  ).join(' ')} }`,
};

/** The count of HTTP GraphQL requests the gateway's metrics file under one outcome. */
async function requestsWithOutcome(baseUrl: string, outcome: string): Promise<number> {
  const text = await (await fetch(`${baseUrl}/metrics`)).text();
  return text
    .split('\n')
    .filter(
      (line) =>
        line.startsWith('gateway_graphql_request_duration_seconds_count') &&
        line.includes(`outcome="${outcome}"`),
    )
    .reduce((sum, line) => sum + Number(line.split(' ').at(-1)), 0);
}

describe('malformed queries are the client’s error', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway();
  });
  afterAll(() => gw.close());

  for (const [what, query] of Object.entries(MALFORMED)) {
    it(`answers ${what} over HTTP with 400 GRAPHQL_PARSE_FAILED`, async () => {
      const response = await graphql(gw.url, query);
      expect(response.status).toBe(400);
      expect(errorCodes(response)).toEqual(['GRAPHQL_PARSE_FAILED']);
      expect(JSON.stringify(response.body)).not.toMatch(/stacktrace|node_modules/);
    });

    it(`answers ${what} over WebSocket with GRAPHQL_PARSE_FAILED`, async () => {
      const watched = watch(gw.url, query, {}, { token: await tokenFor('alice') });
      await watched.done;
      expect(watched.results[0]?.errors?.[0]?.extensions?.['code']).toBe('GRAPHQL_PARSE_FAILED');
      await watched.dispose();
    });
  }

  it('counts parse failures as client errors in the metrics, not server errors', async () => {
    const clientBefore = await requestsWithOutcome(gw.url, 'client_error');
    const serverBefore = await requestsWithOutcome(gw.url, 'server_error');
    for (const query of Object.values(MALFORMED)) await graphql(gw.url, query);
    expect(await requestsWithOutcome(gw.url, 'client_error')).toBe(clientBefore + 3);
    expect(await requestsWithOutcome(gw.url, 'server_error')).toBe(serverBefore);
  });
});
