import { Trace } from '@apollo/usage-reporting-protobuf';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contractOperation, graphql, tokenFor, type GraphQLResponse } from '../support/client.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';

/** The response names of every field the trace timed, depth first. */
function timedFields(node: Trace.INode | null | undefined, into: string[] = []): string[] {
  for (const child of node?.child ?? []) {
    if (child.responseName) into.push(child.responseName);
    timedFields(child, into);
  }
  return into;
}

/** What the answer's `extensions.ftv1` carries; undefined when it has none. */
function ftv1Of(response: GraphQLResponse): unknown {
  return (response.body as { extensions?: { ftv1?: unknown } }).extensions?.ftv1;
}

function decodedTrace(response: GraphQLResponse): Trace {
  const ftv1 = ftv1Of(response);
  expect(typeof ftv1).toBe('string');
  return Trace.decode(Buffer.from(ftv1 as string, 'base64'));
}

// A router with usage reporting asks a subgraph for a trace of the operation's fields (ftv1);
// test gateways compile a document on its first run, so these documents run compiled. In
// development with no ROUTER_SECRET anyone may ask (router-access.test.ts: production).
describe('federated traces (ftv1) for the router', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway();
  });
  afterAll(() => gw.close());

  const ftv1 = { 'apollo-federation-include-trace': 'ftv1' };

  it('times every field of an operation that already ran compiled', async () => {
    const token = await tokenFor('alice');
    const query = contractOperation('MyOrders');
    for (let run = 0; run < 3; run++) {
      const plain = await graphql(gw.url, query, { first: 5 }, { token });
      expect(plain.body.errors).toBeUndefined();
      expect(ftv1Of(plain)).toBeUndefined();
    }
    const traced = await graphql(gw.url, query, { first: 5 }, { token, headers: ftv1 });
    expect(traced.body.errors).toBeUndefined();
    const trace = decodedTrace(traced);
    const fields = timedFields(trace.root);
    expect(fields).toContain('me');
    expect(fields).toContain('orders');
    expect(fields).toContain('status');
    expect(trace.durationNs).toBeGreaterThan(0);
  });

  it('times the fields of an operation first seen with the header, and of a later compiled run', async () => {
    const query = contractOperation('CourseCatalog');
    const first = await graphql(gw.url, query, { first: 2 }, { headers: ftv1 });
    expect(timedFields(decodedTrace(first).root)).toContain('courses');
    await graphql(gw.url, query, { first: 2 });
    const again = await graphql(gw.url, query, { first: 2 }, { headers: ftv1 });
    expect(timedFields(decodedTrace(again).root)).toContain('courses');
    expect(again.body.data).toEqual(first.body.data);
  });

  it('answers as usual, with no trace, when the header asks for anything but ftv1', async () => {
    const query = contractOperation('CourseCatalog');
    const plain = await graphql(gw.url, query, { first: 2 });
    for (const value of ['ftv2', 'FTV1', 'ftv1, ftv1', '']) {
      const answer = await graphql(
        gw.url,
        query,
        { first: 2 },
        { headers: { 'apollo-federation-include-trace': value } },
      );
      expect(ftv1Of(answer)).toBeUndefined();
      expect(answer.body).toEqual(plain.body);
    }
  });
});
