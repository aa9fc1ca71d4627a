import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_COURSES, demoSeat } from '../../sandbox/demo-data.js';
import {
  contractOperation,
  errorCodes,
  graphql,
  tokenFor,
  type GraphQLResponse,
} from '../support/client.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';

interface CatalogPage {
  courses: {
    totalCount: number;
    pageInfo: { hasNextPage: boolean; endCursor: string | null };
    edges: {
      cursor: string;
      node: {
        key: string;
        title: string;
        runs: {
          key: string;
          isEnrollable: boolean;
          products: {
            sku: string;
            mode: string;
            price: { amount: string; currencyCode: string };
          }[];
        }[];
      };
    }[];
  };
}

const PY101_CURRENT = 'course-v1:SandboxX+PY101+3T2026';
const EU200_CURRENT = 'course-v1:SandboxX+EU200+3T2026';

describe('the catalog', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway();
  });
  afterAll(() => gw.close());

  it('pages through every course with CourseCatalog, none lost or repeated', async () => {
    const seen: string[] = [];
    let after: string | null = null;
    let pages = 0;
    do {
      const response: GraphQLResponse<CatalogPage> = await graphql<CatalogPage>(
        gw.url,
        contractOperation('CourseCatalog'),
        {
          first: 3,
          after,
        },
      );
      expect(response.body.errors).toBeUndefined();
      const page = response.body.data!.courses;
      expect(page.totalCount).toBe(DEMO_COURSES.length);
      seen.push(...page.edges.map((edge) => edge.node.key));
      after = page.pageInfo.hasNextPage ? page.pageInfo.endCursor : null;
      pages += 1;
    } while (after);
    expect(pages).toBe(Math.ceil(DEMO_COURSES.length / 3));
    expect(seen).toEqual(DEMO_COURSES.map((course) => course.key));
  });

  it('answers without an ETag: no SHA-1 of every answer for a header no client sends back', async () => {
    const response = await graphql(gw.url, contractOperation('CourseCatalog'), { first: 2 });
    expect(response.body.errors).toBeUndefined();
    expect(response.headers.get('etag')).toBeNull();
    expect(response.headers.get('x-powered-by')).toBeNull();
    expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(Number(response.headers.get('content-length'))).toBeGreaterThan(0);
  });

  it('gives each run its seats with prices from the catalog', async () => {
    const response = await graphql<CatalogPage>(gw.url, contractOperation('CourseCatalog'), {
      first: 1,
      search: 'python',
    });
    const [edge] = response.body.data!.courses.edges;
    expect(edge?.node.title).toBe('Python for Everybody');
    const current = edge?.node.runs.find((run) => run.key === PY101_CURRENT);
    expect(current?.isEnrollable).toBe(true);
    expect(current?.products).toEqual(
      expect.arrayContaining([
        {
          sku: demoSeat(PY101_CURRENT, 'audit').sku,
          mode: 'audit',
          price: { amount: '0.00', currencyCode: 'USD' },
        },
        {
          sku: demoSeat(PY101_CURRENT, 'verified').sku,
          mode: 'verified',
          price: { amount: '49.00', currencyCode: 'USD' },
        },
      ]),
    );
  });

  it('searches by title', async () => {
    const response = await graphql<CatalogPage>(gw.url, contractOperation('CourseCatalog'), {
      first: 10,
      search: 'LAW',
    });
    expect(response.body.data!.courses.edges.map((edge) => edge.node.key)).toEqual([
      'SandboxX+EU200',
    ]);
  });

  it.each([
    ['first: 0', { first: 0 }],
    ['first: 101', { first: 101 }],
    ['a cursor it never issued', { first: 2, after: 'bm90LWEtY3Vyc29y' }],
    [
      'a cursor with a negative offset',
      { first: 2, after: Buffer.from('{"offset":-5}').toString('base64url') },
    ],
    ['a search of 201 characters', { first: 2, search: 'x'.repeat(201) }],
  ])('refuses %s with BAD_USER_INPUT', async (_name, variables) => {
    const response = await graphql(gw.url, contractOperation('CourseCatalog'), variables);
    expect(errorCodes(response)).toEqual(['BAD_USER_INPUT']);
  });

  it('finds a product by SKU with its run and course (ProductBySku)', async () => {
    const seat = demoSeat(EU200_CURRENT, 'verified');
    const response = await graphql(gw.url, contractOperation('ProductBySku'), { sku: seat.sku });
    expect(response.body).toEqual({
      data: {
        product: {
          sku: seat.sku,
          mode: 'verified',
          price: { amount: '59.00', currencyCode: 'EUR' },
          courseRun: {
            key: EU200_CURRENT,
            title: 'European Union Law',
            course: { key: 'SandboxX+EU200', title: 'European Union Law' },
          },
        },
      },
    });
  });

  it('answers null for an unknown SKU', async () => {
    const response = await graphql(gw.url, contractOperation('ProductBySku'), { sku: 'NOPE123' });
    expect(response.body).toEqual({ data: { product: null } });
  });
});

describe('the checkout preview', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway();
  });
  afterAll(() => gw.close());

  const preview = async (skus: string[], token?: string) =>
    graphql<{
      checkoutPreview: {
        lines: {
          product: { sku: string; mode: string };
          price: { amount: string; currencyCode: string };
        }[];
        total: { amount: string; currencyCode: string } | null;
        userErrors: { code: string; message: string; field: string[] | null }[];
      };
    }>(gw.url, contractOperation('CheckoutPreview'), { skus }, token ? { token } : {});

  it('prices the basket from the catalog', async () => {
    const verified = demoSeat('course-v1:SandboxX+ML301+3T2026', 'verified');
    const professional = demoSeat('course-v1:SandboxX+DS201+3T2026', 'professional');
    const response = await preview([verified.sku, professional.sku], await tokenFor('carol'));
    expect(response.body.errors).toBeUndefined();
    expect(response.body.data!.checkoutPreview).toEqual({
      lines: [
        {
          product: { sku: verified.sku, mode: 'verified' },
          price: { amount: '149.00', currencyCode: 'USD' },
        },
        {
          product: { sku: professional.sku, mode: 'professional' },
          price: { amount: '199.00', currencyCode: 'USD' },
        },
      ],
      total: { amount: '348.00', currencyCode: 'USD' },
      userErrors: [],
    });
  });

  it('reports an unknown SKU as SKU_NOT_FOUND, pointing at it', async () => {
    const known = demoSeat(PY101_CURRENT, 'verified');
    const response = await preview([known.sku, 'UNKNOWN1'], await tokenFor('carol'));
    expect(response.body.data!.checkoutPreview.total).toBeNull();
    expect(response.body.data!.checkoutPreview.userErrors).toEqual([
      { code: 'SKU_NOT_FOUND', message: expect.stringContaining('UNKNOWN1'), field: ['skus', '1'] },
    ]);
  });

  it('reports a seat of a closed run as NOT_PURCHASABLE', async () => {
    const archived = demoSeat('course-v1:SandboxX+PY101+1T2025', 'verified');
    const response = await preview([archived.sku], await tokenFor('carol'));
    expect(response.body.data!.checkoutPreview.userErrors.map((error) => error.code)).toEqual([
      'NOT_PURCHASABLE',
    ]);
  });

  it('reports products in two currencies as MIXED_CURRENCIES', async () => {
    const usd = demoSeat(PY101_CURRENT, 'verified');
    const eur = demoSeat(EU200_CURRENT, 'verified');
    const response = await preview([usd.sku, eur.sku], await tokenFor('carol'));
    expect(response.body.data!.checkoutPreview).toMatchObject({
      total: null,
      userErrors: [{ code: 'MIXED_CURRENCIES' }],
    });
  });

  it('needs credentials', async () => {
    const response = await preview([demoSeat(PY101_CURRENT, 'verified').sku]);
    expect(errorCodes(response)).toEqual(['UNAUTHENTICATED']);
  });
});
