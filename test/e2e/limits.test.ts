import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QUERY_LIMITS } from '../../server/limits.js';
import { contractOperation, errorCodes, graphql, tokenFor } from '../support/client.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';

describe('query limits and request hygiene', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway();
  });
  afterAll(() => gw.close());

  it('accepts every operation of the contract within the limits', async () => {
    const token = await tokenFor('alice');
    for (const name of ['CourseCatalog', 'MyOrders']) {
      const response = await graphql(gw.url, contractOperation(name), { first: 100 }, { token });
      expect(response.body.errors).toBeUndefined();
    }
  });

  it('refuses a query deeper than the limit', async () => {
    let selection = 'key';
    for (let depth = 0; depth < QUERY_LIMITS.maxDepth; depth += 1) {
      selection = `course { runs { ${selection} } }`;
    }
    const response = await graphql(gw.url, `query { courseRun(key: "x") { ${selection} } }`);
    expect(response.status).toBe(400);
    expect(errorCodes(response)).toContain('GRAPHQL_VALIDATION_FAILED');
    const messages = response.body.errors?.map((error) => error.message).join(' ');
    expect(messages).toMatch(/depth limit/i);
  });

  it('refuses too many aliases', async () => {
    const aliases = Array.from(
      { length: QUERY_LIMITS.maxAliases + 1 },
      (_, i) => `a${i}: product(sku: "S${i}") { sku }`,
    );
    const response = await graphql(gw.url, `query { ${aliases.join(' ')} }`);
    expect(errorCodes(response)).toContain('GRAPHQL_VALIDATION_FAILED');
    expect(response.body.errors?.[0]?.message).toMatch(/alias/i);
  });

  it('refuses a query of too many tokens', async () => {
    const fields = Array.from({ length: QUERY_LIMITS.maxTokens }, () => '__typename').join(' ');
    const response = await graphql(gw.url, `query { ${fields} }`);
    expect(errorCodes(response)).toEqual(['GRAPHQL_PARSE_FAILED']);
    expect(response.body.errors?.[0]?.message).toMatch(/token/i);
  });

  it('refuses a query that costs too much', async () => {
    const runs =
      'runs { key title start end isEnrollable products { sku mode price { amount currencyCode } courseRun { key title course { key title } } } }';
    const courses = Array.from(
      { length: 12 },
      (_, i) => `c${i}: courses(first: 100) { edges { node { key title ${runs} } } }`,
    );
    const response = await graphql(gw.url, `query { ${courses.join(' ')} }`);
    expect(errorCodes(response)).toContain('GRAPHQL_VALIDATION_FAILED');
    expect(response.body.errors?.map((error) => error.message).join(' ')).toMatch(/cost/i);
  });

  it('refuses a syntax error with GRAPHQL_PARSE_FAILED', async () => {
    const response = await graphql(gw.url, 'query { courses(first: ');
    expect(errorCodes(response)).toEqual(['GRAPHQL_PARSE_FAILED']);
  });

  it('refuses variables of the wrong type with BAD_USER_INPUT', async () => {
    const response = await graphql(gw.url, contractOperation('CourseCatalog'), { first: 'ten' });
    expect(errorCodes(response)).toEqual(['BAD_USER_INPUT']);
  });

  it('refuses a GET query without a CSRF-safe header (Apollo CSRF prevention)', async () => {
    const response = await fetch(
      `${gw.url}/graphql?query=${encodeURIComponent('{ courses(first: 1) { totalCount } }')}`,
    );
    expect(response.status).toBe(400);
    expect(await response.text()).toMatch(/CSRF/i);
  });

  it('refuses a simple-content-type POST (form CSRF)', async () => {
    const response = await fetch(`${gw.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: JSON.stringify({ query: '{ __typename }' }),
    });
    expect(response.status).toBe(400);
  });

  it('refuses a body over 100 kB with a JSON error and no stack trace', async () => {
    const response = await fetch(`${gw.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ __typename }', variables: { pad: 'x'.repeat(120_000) } }),
    });
    expect(response.status).toBe(413);
    const text = await response.text();
    expect(JSON.parse(text)).toMatchObject({
      errors: [{ extensions: { code: 'BAD_USER_INPUT' } }],
    });
    expect(text).not.toMatch(/node_modules|at \w/);
  });

  it('refuses a body that is not JSON with a JSON error and no stack trace', async () => {
    const response = await fetch(`${gw.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"query": ',
    });
    expect(response.status).toBe(400);
    const text = await response.text();
    expect(JSON.parse(text)).toMatchObject({
      errors: [{ message: 'The request body is not valid JSON.' }],
    });
    expect(text).not.toMatch(/node_modules|SyntaxError/);
  });

  it('refuses batched requests', async () => {
    const response = await fetch(`${gw.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([{ query: '{ __typename }' }, { query: '{ __typename }' }]),
    });
    expect(response.status).toBe(400);
  });

  it('allows CORS for an allowed origin only', async () => {
    const preflight = (origin: string) =>
      fetch(`${gw.url}/graphql`, {
        method: 'OPTIONS',
        headers: {
          origin,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'content-type',
        },
      });
    const allowed = await preflight('http://localhost:3000');
    expect(allowed.headers.get('access-control-allow-origin')).toBe('http://localhost:3000');
    expect(allowed.headers.get('access-control-allow-credentials')).toBe('true');
    const foreign = await preflight('https://evil.example');
    expect(foreign.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('offers introspection and GraphiQL in development', async () => {
    const response = await graphql(gw.url, '{ __schema { queryType { name } } }');
    expect(response.body.data).toEqual({ __schema: { queryType: { name: 'Query' } } });
    const page = await fetch(`${gw.url}/graphql`, { headers: { accept: 'text/html' } });
    expect(page.status).toBe(200);
  });
});

describe('NODE_ENV=production', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway({ NODE_ENV: 'production' }, { upstreamsFromEnvironment: true });
  });
  afterAll(() => gw.close());

  it('turns introspection off', async () => {
    const response = await graphql(gw.url, '{ __schema { queryType { name } } }');
    expect(errorCodes(response)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    expect(response.body.data).toBeUndefined();
  });

  it('serves no GraphiQL', async () => {
    const page = await fetch(`${gw.url}/graphql`, { headers: { accept: 'text/html' } });
    expect(await page.text()).not.toMatch(/graphiql/i);
  });

  it('gives no field suggestions and no stack traces', async () => {
    const response = await graphql(gw.url, '{ coursez(first: 1) { totalCount } }');
    expect(response.body.errors?.[0]?.message).not.toMatch(/did you mean/i);
    expect(JSON.stringify(response.body)).not.toMatch(/stacktrace/);
  });
});
