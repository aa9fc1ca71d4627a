import { buildSchema, execute, parse, type GraphQLResolveInfo } from 'graphql';
import { describe, expect, it } from 'vitest';

import { orderPageNeeds } from '../../../resolvers/orders/order-page-needs.js';
import type { OrderPageNeeds } from '../../../workflows/orders.js';

// The shape of the real schema from the connection down to a line's product and enrollment.
const schema = buildSchema(`
  type Query { orders: OrderConnection! }
  type OrderConnection { edges: [OrderEdge!]!, pageInfo: PageInfo! }
  type PageInfo { hasNextPage: Boolean! }
  type OrderEdge { cursor: String!, node: Order! }
  type Order { id: ID!, status: String!, payment: Payment, lines: [OrderLine!]! }
  type Payment { id: ID! }
  type OrderLine { id: ID!, product: Product, enrollment: Enrollment }
  type Product { sku: ID!, courseRun: CourseRun! }
  type CourseRun { key: ID! }
  type Enrollment { isActive: Boolean! }
`);

function needsOf(query: string, variables: Record<string, unknown> = {}): OrderPageNeeds {
  let seen: OrderPageNeeds | undefined;
  const rootValue = {
    orders: (_args: unknown, _ctx: unknown, info: GraphQLResolveInfo) => {
      seen = orderPageNeeds(info);
      return { edges: [], pageInfo: { hasNextPage: false } };
    },
  };
  const result = execute({ schema, document: parse(query), rootValue, variableValues: variables });
  expect(result).not.toBeInstanceOf(Promise);
  expect((result as { errors?: unknown }).errors).toBeUndefined();
  if (!seen) throw new Error('the orders field did not run');
  return seen;
}

describe('orderPageNeeds', () => {
  it('asks for nothing more when only the orders themselves are selected', () => {
    expect(needsOf('{ orders { pageInfo { hasNextPage } edges { node { id status } } } }')).toEqual(
      { payments: false, products: false, enrollments: false },
    );
  });

  it('finds payment, product and enrollment through fragments, inline fragments and aliases', () => {
    const query = `
      query { mine: orders { edges { cursor node { ...OrderFields } } } }
      fragment OrderFields on Order {
        id
        paid: payment { id }
        lines { ... on OrderLine { product { sku courseRun { key } } } enrollment { isActive } }
      }`;
    expect(needsOf(query)).toEqual({ payments: true, products: true, enrollments: true });
  });

  it('applies @skip and @include as execution does, variables included', () => {
    const query = `query ($withPayment: Boolean!) {
      orders { edges { node {
        payment @include(if: $withPayment) { id }
        lines { product @skip(if: true) { sku } enrollment { isActive } }
      } } }
    }`;
    expect(needsOf(query, { withPayment: false })).toEqual({
      payments: false,
      products: false,
      enrollments: true,
    });
    expect(needsOf(query, { withPayment: true }).payments).toBe(true);
  });

  it('does not mistake a field outside edges.node for one of the order', () => {
    // __typename and pageInfo sit beside edges; a line's id is not its product.
    const query =
      '{ orders { __typename pageInfo { hasNextPage } edges { node { lines { id } } } } }';
    expect(needsOf(query)).toEqual({ payments: false, products: false, enrollments: false });
  });
});
