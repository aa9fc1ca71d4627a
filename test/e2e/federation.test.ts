import { composeServices } from '@apollo/composition';
import { parse } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoOrdersOf, demoSeat } from '../../sandbox/demo-data.js';
import { graphql, tokenFor } from '../support/client.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';

const REVIEWS_SUBGRAPH = parse(`
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"])

  type Product @key(fields: "sku") {
    sku: ID!
    averageRating: Float
  }

  type User @key(fields: "id") {
    id: ID!
    reviewCount: Int!
  }

  type Query {
    topRatedProducts(first: Int!): [Product!]!
  }
`);

describe('the Apollo Federation 2 subgraph', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway();
  });
  afterAll(() => gw.close());

  it('composes with a second subgraph that extends Product and User', async () => {
    const response = await graphql<{ _service: { sdl: string } }>(
      gw.url,
      'query { _service { sdl } }',
    );
    const sdl = response.body.data!._service.sdl;
    expect(sdl).toContain('@link(url: "https://specs.apollo.dev/federation/v2.');

    const result = composeServices([
      { name: 'commerce', url: `${gw.url}/graphql`, typeDefs: parse(sdl) },
      { name: 'reviews', url: 'http://127.0.0.1:1/graphql', typeDefs: REVIEWS_SUBGRAPH },
    ]);
    expect(result.errors ?? []).toEqual([]);
    const supergraph = result.supergraphSdl ?? '';
    expect(supergraph).toMatch(/type Product[^{]*\{[^}]*averageRating[^}]*\}/s);
    expect(supergraph).toMatch(/type User[^{]*\{[^}]*reviewCount[^}]*\}/s);
  });

  const ENTITIES = `
    query ($representations: [_Any!]!) {
      _entities(representations: $representations) {
        __typename
        ... on Product { sku mode price { amount } }
        ... on CourseRun { key title }
        ... on Course { key title }
        ... on Order { id number }
        ... on User { id username }
      }
    }
  `;

  it('resolves every entity type through _entities', async () => {
    const seat = demoSeat('course-v1:SandboxX+PY101+3T2026', 'verified');
    const order = demoOrdersOf('alice')[0]!;
    const response = await graphql(
      gw.url,
      ENTITIES,
      {
        representations: [
          { __typename: 'Product', sku: seat.sku },
          { __typename: 'CourseRun', key: seat.courseRunKey },
          { __typename: 'Course', key: 'SandboxX+PY101' },
          { __typename: 'Order', id: order.id },
          { __typename: 'User', id: '1001' },
        ],
      },
      { token: await tokenFor('alice') },
    );
    expect(response.body.errors).toBeUndefined();
    expect(response.body.data).toEqual({
      _entities: [
        { __typename: 'Product', sku: seat.sku, mode: 'verified', price: { amount: '49.00' } },
        { __typename: 'CourseRun', key: seat.courseRunKey, title: 'Python for Everybody' },
        { __typename: 'Course', key: 'SandboxX+PY101', title: 'Python for Everybody' },
        { __typename: 'Order', id: order.id, number: order.number },
        { __typename: 'User', id: '1001', username: 'alice' },
      ],
    });
  });

  it('resolves another learner’s Order and User entities to null', async () => {
    const order = demoOrdersOf('alice')[0]!;
    const response = await graphql(
      gw.url,
      ENTITIES,
      {
        representations: [
          { __typename: 'Order', id: order.id },
          { __typename: 'User', id: '1001' },
        ],
      },
      { token: await tokenFor('bob') },
    );
    expect(response.body).toEqual({ data: { _entities: [null, null] } });
  });
});
