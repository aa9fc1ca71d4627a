import { parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { holdsStringLiteral } from '../../../server/compiled-execution.js';

describe('holdsStringLiteral', () => {
  it.each([
    ['an argument', '{ courses(first: 1, search: "x") { totalCount } }'],
    ['an empty string', '{ courses(first: 1, search: "") { totalCount } }'],
    ['a block string', '{ courses(first: 1, search: """x""") { totalCount } }'],
    [
      'a variable’s default',
      'query ($s: String = "x") { courses(first: 1, search: $s) { totalCount } }',
    ],
    ['a list', '{ checkoutPreview(skus: ["a"]) { total { amount } } }'],
    [
      'an input object in a list',
      '{ _entities(representations: [{ __typename: "Course", key: 1 }]) { __typename } }',
    ],
    ['a directive’s argument', '{ courses(first: 1) @deprecated(reason: "x") { totalCount } }'],
    [
      'a fragment',
      '{ ...F } fragment F on Query { courses(first: 1, search: "x") { totalCount } }',
    ],
  ])('finds one in %s', (_where, query) => {
    expect(holdsStringLiteral(parse(query))).toBe(true);
  });

  it('finds none where values come as variables, numbers, booleans and enums', () => {
    const query = `
      query ($search: String, $skus: [ID!]!, $on: Boolean!) {
        courses(first: 10, search: $search) @include(if: $on) { totalCount }
        checkoutPreview(skus: $skus) { total { amount } }
        status: __type(name: Order) { name }
      }
    `;
    expect(holdsStringLiteral(parse(query))).toBe(false);
  });
});
