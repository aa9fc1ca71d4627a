import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../sandbox/index.js';
import { graphql } from '../support/client.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';

const RUNS = 50_000;
const GATEWAYS = 3;
/** Real SKUs from the start, the middle and the very end of the crawl, and one made up. */
const REAL_SKUS = ['GEN000000v', 'GEN000007a', 'GEN024999v', 'GEN049998a', 'GEN049999v'];
const MADE_UP_SKU = 'GEN050000v';

type ProductData = { product: { sku: string } | null };

describe(`SKU index of a ${RUNS.toLocaleString('en')}-run catalog, built by gateways starting together`, () => {
  let sandbox: Sandbox;
  const gateways: TestGateway[] = [];
  beforeAll(async () => {
    sandbox = await startSandbox({ generatedCatalogRuns: RUNS });
    const first = await startTestGateway({}, { sandbox });
    gateways.push(first);
    for (let i = 1; i < GATEWAYS; i += 1) {
      gateways.push(await startTestGateway({}, { sharing: first }));
    }
  });
  afterAll(async () => {
    for (const gateway of gateways.reverse()) await gateway.close();
    await sandbox.close();
  });

  it('never answers a real SKU as unknown, on any gateway, while the index is built', async () => {
    const ask = (gateway: TestGateway, sku: string) =>
      graphql<ProductData>(gateway.url, 'query ($sku: ID!) { product(sku: $sku) { sku } }', {
        sku,
      });
    // Every gateway is cold and asks at once, for SKUs anywhere in the catalog.
    const answers = await Promise.all(
      gateways.flatMap((gateway) => REAL_SKUS.map((sku) => ask(gateway, sku))),
    );
    for (const [i, answer] of answers.entries()) {
      const sku = REAL_SKUS[i % REAL_SKUS.length];
      expect(answer.body.errors, sku).toBeUndefined();
      expect(answer.body.data?.product?.sku, sku).toBe(sku);
    }
    // Once built, a made-up SKU is unknown at once, without another crawl.
    const made = await ask(gateways[0]!, MADE_UP_SKU);
    expect(made.body.errors).toBeUndefined();
    expect(made.body.data?.product).toBeNull();
  });
});
