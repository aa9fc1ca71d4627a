import type { GatewayGraphQLRequestContext } from '@apollo/server-gateway-interface';
import { buildSchema, parse, type DocumentNode, type OperationDefinitionNode } from 'graphql';
import { describe, expect, it } from 'vitest';
import {
  compiledExecutionGateway,
  holdsStringLiteral,
} from '../../../server/compiled-execution.js';

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

describe('compiledExecutionGateway', () => {
  const schema = buildSchema('type Query { double(n: Int!): Int! }');
  schema.getQueryType()!.getFields()['double']!.resolve = (_source, args: { n: number }) =>
    args.n * 2;

  async function startExecutor(options: { compileAfterRuns: number; maxCompiled?: number }) {
    const outcomes: string[] = [];
    const gateway = compiledExecutionGateway(schema, {
      ...options,
      traced: false,
      onCompile: (outcome) => outcomes.push(outcome),
    });
    const { executor } = await gateway.load({ apollo: {} });
    const run = (
      document: DocumentNode,
      variables: Record<string, unknown> = {},
      metrics: { captureTraces?: boolean } = {},
    ) =>
      executor!({
        document,
        operationName: null,
        operation: document.definitions[0] as OperationDefinitionNode,
        request: { variables },
        context: {},
        metrics,
      } as unknown as GatewayGraphQLRequestContext);
    return { outcomes, run };
  }

  it('keeps at most maxCompiled operations: one pushed out is compiled again when it recurs', async () => {
    const { outcomes, run } = await startExecutor({ compileAfterRuns: 1, maxCompiled: 2 });
    const [a, b, c] = [1, 2, 3].map((n) => parse(`{ double(n: ${n}) }`));
    for (const document of [a!, b!, a!, b!]) await run(document);
    expect(outcomes).toEqual(['compiled', 'compiled']);
    await run(c!); // a, least recently used, goes
    await run(b!);
    expect(outcomes).toEqual(['compiled', 'compiled', 'compiled']);
    expect(await run(a!)).toEqual({ data: { double: 2 } });
    expect(outcomes).toEqual(['compiled', 'compiled', 'compiled', 'compiled']);
  });

  it('answers from graphql-js until the run that compiles, and after it from the compiled', async () => {
    const { outcomes, run } = await startExecutor({ compileAfterRuns: 3 });
    const document = parse('query ($n: Int!) { double(n: $n) }');
    for (let n = 1; n <= 4; n++) {
      expect(await run(document, { n })).toEqual({ data: { double: 2 * n } });
      expect(outcomes).toEqual(n >= 3 ? ['compiled'] : []);
    }
  });

  it('runs a request whose fields Apollo traces in graphql-js, and does not count it', async () => {
    const { outcomes, run } = await startExecutor({ compileAfterRuns: 1 });
    const document = parse('{ double(n: 4) }');
    expect(await run(document, {}, { captureTraces: true })).toEqual({ data: { double: 8 } });
    expect(outcomes).toEqual([]);
    await run(document);
    expect(outcomes).toEqual(['compiled']);
    expect(await run(document, {}, { captureTraces: true })).toEqual({ data: { double: 8 } });
    expect(outcomes).toEqual(['compiled']);
  });
});
