import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_PROGRAMS, demoSeat } from '../../sandbox/demo-data.js';
import { errorCodes, graphql, type GraphQLResponse } from '../support/client.js';
import {
  lmsEnrollment,
  newLearner,
  payWithSandboxCard,
  purchase,
  waitForOrderStatus,
} from '../support/commerce.js';
import { commerceOperation } from '../support/commerce-contract.js';
import { deleteKeys, startTestGateway, type TestGateway } from '../support/gateway.js';

interface ProgramPage {
  programs: {
    totalCount: number;
    pageInfo: { hasNextPage: boolean; endCursor: string | null };
    edges: { node: { uuid: string; title: string; courses: { key: string; title: string }[] } }[];
  };
}
interface Offer {
  program: {
    uuid: string;
    title: string;
    offer: {
      products: {
        sku: string;
        courseRun: { key: string; course: { key: string } };
        price: { amount: string; currencyCode: string };
      }[];
      total: { amount: string; currencyCode: string } | null;
    } | null;
  } | null;
}

const DATA_SCIENCE = DEMO_PROGRAMS.find((program) => program.title === 'Data Science with Python')!;
const MONEY_AND_LAW = DEMO_PROGRAMS.find((program) => program.title === 'Money and the Law')!;

describe('programs', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway({ JOB_BACKOFF_MS: '50' });
  });
  afterAll(() => gw.close());

  const programRequests = () => gw.sandbox.discovery!.stats()['GET /api/v1/programs/'] ?? 0;

  const offer = (uuid: string, mode: string, token?: string) =>
    graphql<Offer>(
      gw.url,
      commerceOperation('ProgramOffer'),
      { uuid, mode },
      token ? { token } : {},
    );

  it('pages through every program with totalCount and cursors', async () => {
    const seen: string[] = [];
    let after: string | null = null;
    let pages = 0;
    for (;;) {
      const response: GraphQLResponse<ProgramPage> = await graphql<ProgramPage>(
        gw.url,
        commerceOperation('ProgramCatalog'),
        { first: 2, after },
      );
      expect(response.body.errors).toBeUndefined();
      const page = response.body.data!.programs;
      expect(page.totalCount).toBe(DEMO_PROGRAMS.length);
      seen.push(...page.edges.map((edge) => edge.node.uuid));
      pages += 1;
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    expect(pages).toBe(3);
    expect(seen).toEqual(DEMO_PROGRAMS.map((program) => program.uuid));

    const first = await graphql<ProgramPage>(gw.url, commerceOperation('ProgramCatalog'), {
      first: 1,
    });
    expect(first.body.data!.programs.edges[0]!.node).toEqual({
      uuid: DEMO_PROGRAMS[0]!.uuid,
      title: DEMO_PROGRAMS[0]!.title,
      courses: DEMO_PROGRAMS[0]!.courses.map((course) => ({
        key: course.key,
        title: course.title,
      })),
    });
  });

  it('refuses bad paging arguments', async () => {
    for (const variables of [{ first: 0 }, { first: 101 }, { first: 2, after: 'not-a-cursor!' }]) {
      const response = await graphql(gw.url, commerceOperation('ProgramCatalog'), variables);
      expect(errorCodes(response)).toEqual(['BAD_USER_INPUT']);
    }
  });

  it('offers the courses a learner does not hold, and sells them as one order, all FULFILLED', async () => {
    const { token, username } = await newLearner();
    // The learner first takes one course of the three on their own.
    const py101 = demoSeat('course-v1:SandboxX+PY101+3T2026', 'verified');
    const single = await purchase(gw.url, token, [py101.sku], randomUUID());
    expect(await payWithSandboxCard(gw.sandbox, single.payment!.id)).toBe(200);
    await waitForOrderStatus(gw.url, token, single.order!.id, 'FULFILLED');

    const response = await offer(DATA_SCIENCE.uuid, 'verified', token);
    expect(response.body.errors).toBeUndefined();
    const program = response.body.data!.program!;
    expect(program.title).toBe(DATA_SCIENCE.title);
    expect(program.offer!.products).toEqual([
      {
        sku: demoSeat('course-v1:SandboxX+DS201+3T2026', 'verified').sku,
        courseRun: {
          key: 'course-v1:SandboxX+DS201+3T2026',
          course: { key: 'SandboxX+DS201' },
        },
        price: { amount: '99.00', currencyCode: 'USD' },
      },
      {
        sku: demoSeat('course-v1:SandboxX+ML301+3T2026', 'verified').sku,
        courseRun: {
          key: 'course-v1:SandboxX+ML301+3T2026',
          course: { key: 'SandboxX+ML301' },
        },
        price: { amount: '149.00', currencyCode: 'USD' },
      },
    ]);
    expect(program.offer!.total).toEqual({ amount: '248.00', currencyCode: 'USD' });

    const skus = program.offer!.products.map((product) => product.sku);
    const bought = await purchase(gw.url, token, skus, randomUUID());
    expect(bought.userErrors).toEqual([]);
    expect(bought.order!.lines).toHaveLength(2);
    expect(bought.order!.total).toEqual({ amount: '248.00', currencyCode: 'USD' });
    expect(await payWithSandboxCard(gw.sandbox, bought.payment!.id)).toBe(200);
    const order = await waitForOrderStatus(gw.url, token, bought.order!.id, 'FULFILLED');
    expect(order.lines.map((line) => line.status)).toEqual(['FULFILLED', 'FULFILLED']);
    for (const run of ['course-v1:SandboxX+DS201+3T2026', 'course-v1:SandboxX+ML301+3T2026']) {
      expect(await lmsEnrollment(gw.sandbox, username, run)).toMatchObject({
        mode: 'verified',
        is_active: true,
      });
    }
    // Holding all three, nothing is left to buy.
    const after = await offer(DATA_SCIENCE.uuid, 'verified', token);
    expect(after.body.data!.program!.offer).toEqual({ products: [], total: null });
  });

  it('offers the whole program to a newcomer; a mixed-currency offer has no total', async () => {
    const { token } = await newLearner();
    const whole = await offer(DATA_SCIENCE.uuid, 'verified', token);
    expect(whole.body.data!.program!.offer!.products).toHaveLength(3);
    expect(whole.body.data!.program!.offer!.total).toEqual({
      amount: '297.00',
      currencyCode: 'USD',
    });
    const audit = await offer(DATA_SCIENCE.uuid, 'audit', token);
    expect(audit.body.data!.program!.offer!.total).toEqual({ amount: '0.00', currencyCode: 'USD' });
    const mixed = await offer(MONEY_AND_LAW.uuid, 'verified', token);
    expect(mixed.body.data!.program!.offer).toMatchObject({ total: null });
    expect(mixed.body.data!.program!.offer!.products).toHaveLength(2);
    const none = await offer(DATA_SCIENCE.uuid, 'credit', token);
    expect(none.body.data!.program!.offer).toEqual({ products: [], total: null });
  });

  it('answers null for an unknown or malformed uuid, asking Discovery only for well-formed ones', async () => {
    const { token } = await newLearner();
    const before = programRequests();
    const unknown = await offer(randomUUID(), 'verified', token);
    expect(unknown.body).toEqual({ data: { program: null } });
    expect(programRequests()).toBe(before + 1);
    for (const malformed of ['not-a-uuid', `${DATA_SCIENCE.uuid},${MONEY_AND_LAW.uuid}`, '']) {
      const response = await offer(malformed, 'verified', token);
      expect(response.body).toEqual({ data: { program: null } });
    }
    expect(programRequests()).toBe(before + 1);
  });

  it('refuses a bad mode and an offer without credentials', async () => {
    const { token } = await newLearner();
    const badMode = await offer(DATA_SCIENCE.uuid, 'Verified; DROP', token);
    expect(errorCodes(badMode)).toEqual(['BAD_USER_INPUT']);
    const anonymous = await offer(DATA_SCIENCE.uuid, 'verified');
    expect(errorCodes(anonymous)).toEqual(['UNAUTHENTICATED']);
    expect(anonymous.body.data?.program).toMatchObject({ uuid: DATA_SCIENCE.uuid, offer: null });
  });

  it('resolves Program entities in one batched, then cached, Discovery request', async () => {
    const representations = DEMO_PROGRAMS.slice(1, 4).map((program) => ({
      __typename: 'Program',
      uuid: program.uuid,
    }));
    const query = `query ($representations: [_Any!]!) {
      _entities(representations: $representations) { ... on Program { uuid title } }
    }`;
    // Earlier pages cached every program: start from a cold cache.
    await deleteKeys(`${gw.keyPrefix}catalog:program:`);
    const before = programRequests();
    const first = await graphql<{ _entities: { uuid: string; title: string }[] }>(gw.url, query, {
      representations,
    });
    expect(first.body.data!._entities.map((entity) => entity.title)).toEqual(
      DEMO_PROGRAMS.slice(1, 4).map((program) => program.title),
    );
    expect(programRequests()).toBe(before + 1);
    const cached = programRequests();
    await graphql(gw.url, query, { representations });
    expect(programRequests()).toBe(cached);
  });
});
