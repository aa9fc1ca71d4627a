import { getIntrospectionQuery } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoOrdersOf, demoSeat } from '../../sandbox/demo-data.js';
import {
  contractOperation,
  errorCodes,
  graphql,
  tokenFor,
  type GraphQLResponse,
  type RequestOptions,
} from '../support/client.js';
import type { CompileOutcome } from '../../server/compiled-execution.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { sample } from '../support/metrics.js';

/** The gateway's count of documents with this compile outcome, 0 before the first. */
async function compiledDocuments(gw: TestGateway, outcome: CompileOutcome): Promise<number> {
  const text = await (await fetch(gw.gateway.metricsUrl)).text();
  return sample(text, 'gateway_graphql_documents_compiled_total', { outcome }) ?? 0;
}

interface Case {
  name: string;
  query: string;
  variables: Record<string, unknown>;
  options?: () => Promise<RequestOptions>;
  /** The error code every answer carries; none when the answer is data alone. */
  errorCode?: string;
}

const asAlice = async () => ({ token: await tokenFor('alice') });

// Documents unlike the contract's, for what graphql-jit compiles its own way: aliases, inline
// fragments, directives, __typename, abstract types and lists of them.
const SHAPES = `
  query Shapes($withRuns: Boolean!, $skip: Boolean!, $search: String) {
    first: courses(first: 2) {
      edges { node { __typename key ... on Course @include(if: $withRuns) { runs { key } } } }
    }
    second: courses(first: 1, search: $search) { totalCount title: __typename }
    skipped: courses(first: 1) @skip(if: $skip) { totalCount }
  }
`;
const ENTITIES = `
  query Entities($representations: [_Any!]!) {
    _entities(representations: $representations) {
      __typename
      ... on Product { sku mode price { amount currencyCode } }
      ... on Course { key title }
      ... on Order { id number status }
    }
  }
`;

describe('GraphQL documents compiled once they recur', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway({ GRAPHQL_COMPILE_AFTER_RUNS: '3' });
  });
  afterAll(() => gw.close());

  const scrape = () => compiledDocuments(gw, 'compiled');
  const seat = demoSeat('course-v1:SandboxX+PY101+3T2026', 'verified');
  const cases: Case[] = [
    {
      name: 'MyOrders',
      query: contractOperation('MyOrders'),
      variables: { first: 20 },
      options: asAlice,
    },
    { name: 'CourseCatalog', query: contractOperation('CourseCatalog'), variables: { first: 10 } },
    {
      name: 'OrderById of one’s own order',
      query: contractOperation('OrderById'),
      variables: { id: demoOrdersOf('alice')[0]!.id },
      options: asAlice,
    },
    {
      name: 'CheckoutPreview',
      query: contractOperation('CheckoutPreview'),
      variables: { skus: [seat.sku] },
      options: asAlice,
    },
    {
      name: 'aliases, fragments and directives',
      query: SHAPES,
      variables: { withRuns: true, skip: false, search: 'python' },
    },
    {
      name: '_entities of several types',
      query: ENTITIES,
      variables: {
        representations: [
          { __typename: 'Product', sku: seat.sku },
          { __typename: 'Course', key: 'SandboxX+PY101' },
          { __typename: 'Order', id: demoOrdersOf('alice')[0]!.id },
        ],
      },
      options: asAlice,
    },
    // Errors: raised by a resolver, refused by the schema's types, refused by a resolver's check.
    {
      name: 'MyEnrollments without credentials',
      query: contractOperation('MyEnrollments'),
      variables: {},
      errorCode: 'UNAUTHENTICATED',
    },
    {
      name: 'the introspection query GraphiQL sends',
      query: getIntrospectionQuery(),
      variables: {},
    },
    {
      name: 'a mutation answered with a user error',
      query: contractOperation('RefundOrder'),
      variables: { input: { orderId: 'no-such-order', idempotencyKey: 'compiled-refund' } },
      options: asAlice,
    },
    {
      name: 'a subscription sent over HTTP',
      query: contractOperation('OrderStatus'),
      variables: { orderId: demoOrdersOf('alice')[0]!.id },
      options: asAlice,
      errorCode: 'BAD_USER_INPUT',
    },
    {
      name: 'another learner’s order (null, no error)',
      query: contractOperation('OrderById'),
      variables: { id: demoOrdersOf('bob')[0]!.id },
      options: asAlice,
    },
    {
      name: 'a page size out of range',
      query: contractOperation('CourseCatalog'),
      variables: { first: 0 },
      errorCode: 'BAD_USER_INPUT',
    },
    {
      name: 'a variable of the wrong type',
      query: SHAPES,
      variables: { withRuns: 'yes', skip: false },
      errorCode: 'BAD_USER_INPUT',
    },
    {
      name: 'a required variable missing',
      query: contractOperation('CourseCatalog'),
      variables: {},
      errorCode: 'BAD_USER_INPUT',
    },
  ];

  cases.forEach((testCase, index) => {
    it(`answers ${testCase.name} the same compiled as interpreted`, async () => {
      const options = (await testCase.options?.()) ?? {};
      // A document of its own (Apollo caches documents by their text), so its first runs are
      // graphql-js's: the first two, then the third compiles and the fourth reuses the compiled.
      const query = `${testCase.query}\n# case ${index}`;
      const answers: GraphQLResponse[] = [];
      for (let run = 0; run < 4; run++) {
        answers.push(await graphql(gw.url, query, testCase.variables, options));
      }
      const [interpreted, ...rest] = answers.map(({ status, body }) => ({ status, body }));
      expect(errorCodes(answers[0]!)).toEqual(testCase.errorCode ? [testCase.errorCode] : []);
      for (const answer of rest) expect(answer).toEqual(interpreted);
    });
  });

  it('never compiles a document holding a string literal, which could carry code into it', async () => {
    // graphql-jit 0.8.9 writes literal arguments into its generated code, then turns a string
    // that starts with its date marker into `new Date(…)`: this one adds a computed key to an
    // object literal there, whose expression sets a global when the compiled function runs.
    const marker = `compiled_injection_${process.pid}`;
    const payload = `__MAGIC_DATE__33a9e76d_02e0_4128_8e92_3530ad3da74d0),[globalThis.${marker}=1]:(0`;
    const query = `query Injection { courses(first: 1, search: ${JSON.stringify(payload)}) { totalCount } }`;
    const counted = () => compiledDocuments(gw, 'string_literals');
    const before = await counted();
    const answers = [];
    for (let run = 0; run < 4; run++) answers.push((await graphql(gw.url, query)).body);
    expect((globalThis as Record<string, unknown>)[marker]).toBeUndefined();
    for (const answer of answers) expect(answer).toEqual(answers[0]);
    expect(await counted()).toBe(before + 1);
  });

  it('compiles a document on its third run, once, and counts it', async () => {
    const query = 'query CompileCount { courses(first: 1) { totalCount } }';
    const before = await scrape();
    for (let run = 1; run <= 5; run++) {
      const response = await graphql(gw.url, query);
      expect(response.body.errors).toBeUndefined();
      expect(await scrape()).toBe(before + (run >= 3 ? 1 : 0));
    }
  });
});

describe('GRAPHQL_COMPILE_AFTER_RUNS=0', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway({ GRAPHQL_COMPILE_AFTER_RUNS: '0' });
  });
  afterAll(() => gw.close());

  it('never compiles: graphql-js runs every request', async () => {
    const query = contractOperation('CourseCatalog');
    for (let run = 0; run < 5; run++) {
      const response = await graphql(gw.url, query, { first: 3 });
      expect(response.body.errors).toBeUndefined();
    }
    expect(await compiledDocuments(gw, 'compiled')).toBe(0);
  });
});
