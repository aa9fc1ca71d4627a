import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoSeat } from '../../sandbox/demo-data.js';
import { startSandbox, type Sandbox } from '../../sandbox/index.js';
import { contractOperation, graphql } from '../support/client.js';
import {
  newLearner,
  payWithSandboxCard,
  purchase,
  statusesUntilFulfilled,
  waitForOrderStatus,
  watchOrderStatus,
} from '../support/commerce.js';
import { deleteKeys } from '../support/gateway.js';
import { waitFor } from '../support/redis-servers.js';
import {
  startOtlpReceiver,
  type OtlpReceiver,
  type ReceivedSpan,
} from '../support/otlp-receiver.js';
import {
  startRecordingProxy,
  type ProxiedRequest,
  type RecordingProxy,
} from '../support/recording-proxy.js';
import {
  startGatewayProcess,
  startWorkerProcess,
  type ChildRun,
} from '../support/worker-process.js';

const SEAT = demoSeat('course-v1:SandboxX+ETH100+3T2026', 'verified');
const ENROLL = { method: 'POST', path: '/api/enrollment/v1/enrollment' };
const SERVER = 2;
const CLIENT = 3;

/**
 * One purchase, payment, fulfillment and refund through a gateway process and a worker process,
 * both tracing to an OTLP receiver of the test's own, each upstream behind a proxy that records
 * the traceparent it receives.
 */
describe('following one purchase through traces and logs', () => {
  let sandbox: Sandbox;
  let receiver: OtlpReceiver;
  const proxies: RecordingProxy[] = [];
  const upstreamRequests: ProxiedRequest[] = [];
  let gateway: ChildRun & { url: string };
  let worker: ChildRun;
  const keyPrefix = `test:${randomUUID()}:`;
  let learner: { token: string; username: string };
  let orderId: string;
  let refusedOrderId: string;

  beforeAll(async () => {
    sandbox = await startSandbox();
    receiver = await startOtlpReceiver();
    const proxied = async (name: string, url: string | undefined) => {
      const proxy = await startRecordingProxy(name, url ?? '', upstreamRequests);
      proxies.push(proxy);
      return proxy.url;
    };
    const commercetools = await proxied('commercetools', sandbox.urls.commercetoolsApi);
    const environment = {
      DISCOVERY_URL: await proxied('discovery', sandbox.urls.discovery),
      LMS_URL: await proxied('lms', sandbox.urls.lms),
      STRIPE_API_URL: await proxied('stripe', sandbox.urls.stripe),
      COMMERCETOOLS_API_URL: commercetools,
      COMMERCETOOLS_AUTH_URL: commercetools,
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_BSP_SCHEDULE_DELAY: '100',
      // The purchase runs compiled, as a recurring document does: its span is the gateway's own.
      GRAPHQL_COMPILE_AFTER_RUNS: '1',
    };
    const target = { sandbox, keyPrefix };
    gateway = await startGatewayProcess(target, {
      ...environment,
      OTEL_SERVICE_NAME: 'test-gateway',
    });
    worker = await startWorkerProcess(target, {
      ...environment,
      OTEL_SERVICE_NAME: 'test-worker',
      METRICS_PORT: '0',
    });
    sandbox.stripe!.setWebhookUrl(`${gateway.url}/webhooks/stripe`);

    learner = await newLearner('traced');
    const placed = await purchase(gateway.url, learner.token, [SEAT.sku], randomUUID());
    orderId = placed.order!.id;
    // Watched live over WebSocket until FULFILLED: the subscription gets its log line too.
    const watched = watchOrderStatus(gateway.url, learner.token, orderId);
    expect(await payWithSandboxCard(sandbox, placed.payment!.id)).toBe(200);
    await waitForOrderStatus(gateway.url, learner.token, orderId, 'FULFILLED');
    await statusesUntilFulfilled(watched);
    await watched.dispose();
    const refund = await graphql(
      gateway.url,
      contractOperation('RefundOrder'),
      { input: { orderId, reason: 'traced', idempotencyKey: randomUUID() } },
      { token: learner.token },
    );
    expect(refund.body.errors).toBeUndefined();
    await waitForOrderStatus(gateway.url, learner.token, orderId, 'REFUNDED');

    // And one the LMS refuses, whose job fails for good.
    const refusedBuyer = await newLearner('refused');
    const refused = await purchase(gateway.url, refusedBuyer.token, [SEAT.sku], randomUUID());
    refusedOrderId = refused.order!.id;
    sandbox.lms!.injectFault({ status: 400, count: 1, ...ENROLL });
    expect(await payWithSandboxCard(sandbox, refused.payment!.id)).toBe(200);
    await waitForOrderStatus(gateway.url, refusedBuyer.token, refusedOrderId, 'FULFILLMENT_ERROR');
    // The job's last attempt marks the order, then fails: its line comes a moment after.
    await waitFor(
      'the worker logging the job that failed for good',
      () => Promise.resolve(worker.output().includes('order job failed for good')),
      10_000,
    );
  }, 60_000);

  afterAll(async () => {
    for (const child of [gateway?.child, worker?.child]) child?.kill('SIGKILL');
    await Promise.all(proxies.map((proxy) => proxy.close()));
    await receiver?.close();
    await sandbox?.close();
    await deleteKeys(keyPrefix);
  });

  /** Waits until the spans received satisfy `find`, which returns what it found or undefined. */
  async function eventually<T>(find: (spans: ReceivedSpan[]) => T | undefined): Promise<T> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const found = find(receiver.spans);
      if (found !== undefined) return found;
      if (Date.now() > deadline) throw new Error('the spans expected never arrived');
      await sleep(100);
    }
  }

  const traceIdOf = (traceparent: string | undefined) => traceparent?.split('-')[1];
  const parentIdOf = (traceparent: string | undefined) => traceparent?.split('-')[2];

  it("holds the purchase request's commercetools and Stripe calls in its trace", async () => {
    const operation = await eventually((spans) =>
      spans.find((span) => span.attributes['graphql.operation.name'] === 'Purchase'),
    );
    expect(operation.service).toBe('test-gateway');
    const inTrace = (spans: ReceivedSpan[]) =>
      spans.filter((span) => span.traceId === operation.traceId);

    const orderCreated = upstreamRequests.find(
      (r) =>
        r.upstream === 'commercetools' && r.method === 'POST' && r.path.endsWith('/orders/import'),
    );
    const paymentCreated = upstreamRequests.find(
      (r) => r.upstream === 'stripe' && r.method === 'POST' && r.path === '/v1/payment_intents',
    );
    for (const call of [orderCreated, paymentCreated]) {
      expect(call, 'the upstream received the call').toBeDefined();
      expect(traceIdOf(call!.traceparent)).toBe(operation.traceId);
      // The span that sent it was exported, as a client span of the purchase's trace.
      const sender = await eventually((spans) =>
        inTrace(spans).find((span) => span.spanId === parentIdOf(call!.traceparent)),
      );
      expect(sender.kind).toBe(CLIENT);
    }
    const purchaseSpans = await eventually((spans) => {
      const found = inTrace(spans).filter((span) => span.attributes['order.id'] === orderId);
      return found.length > 0 ? found : undefined;
    });
    expect(purchaseSpans.length).toBeGreaterThan(0);
  });

  it("continues the payment webhook's trace into the fulfillment job and its LMS call", async () => {
    const webhook = await eventually((spans) =>
      spans.find(
        (span) =>
          span.kind === SERVER &&
          span.service === 'test-gateway' &&
          Object.values(span.attributes).some((value) =>
            String(value).endsWith('/webhooks/stripe'),
          ),
      ),
    );
    const job = await eventually((spans) =>
      spans.find(
        (span) =>
          span.name === 'job fulfillment' &&
          span.attributes['order.id'] === orderId &&
          span.traceId === webhook.traceId,
      ),
    );
    expect(job.service).toBe('test-worker');

    const enrollment = upstreamRequests.find(
      (r) =>
        r.upstream === 'lms' &&
        r.method === 'POST' &&
        r.path === '/api/enrollment/v1/enrollment' &&
        traceIdOf(r.traceparent) === webhook.traceId,
    );
    expect(enrollment, "the LMS enrollment call in the webhook's trace").toBeDefined();
    const sender = await eventually((spans) =>
      spans.find((span) => span.spanId === parentIdOf(enrollment!.traceparent)),
    );
    expect(sender).toMatchObject({
      kind: CLIENT,
      service: 'test-worker',
      traceId: webhook.traceId,
    });
  });

  it("serves the worker's own job figures on its METRICS_PORT", async () => {
    const url = /metrics on (http:\/\/\S+)"/.exec(worker.output())?.[1];
    expect(url, 'the worker printed where its metrics are').toBeDefined();
    const text = await (await fetch(url!)).text();
    const value = (pattern: RegExp) => Number(pattern.exec(text)?.[1]);
    expect(
      value(
        /^gateway_job_duration_seconds_count\{kind="fulfillment",outcome="completed"\} (\d+)$/m,
      ),
    ).toBeGreaterThanOrEqual(1);
    expect(
      value(/^gateway_job_duration_seconds_count\{kind="fulfillment",outcome="failed"\} (\d+)$/m),
    ).toBe(1);
    expect(
      value(
        /^gateway_fulfillment_failures_total\{module="enrollment",operation="fulfill",error_type="permanent"\} (\d+)$/m,
      ),
    ).toBe(1);
    expect(value(/^gateway_queue_jobs\{state="failed",kind="fulfillment"\} (\d+)$/m)).toBe(1);
  });

  it('sends a traceparent with every upstream call', () => {
    expect(upstreamRequests.length).toBeGreaterThan(5);
    const without = upstreamRequests.filter(
      (r) => !/^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/.test(r.traceparent ?? ''),
    );
    expect(without).toEqual([]);
  });

  it('names itself in every upstream call: User-Agent commerce-gateway/<version>', () => {
    const { version } = JSON.parse(
      readFileSync(fileURLToPath(new URL('../../package.json', import.meta.url)), 'utf8'),
    ) as { version: string };
    expect(upstreamRequests.length).toBeGreaterThan(5);
    const others = upstreamRequests.filter((r) => r.userAgent !== `commerce-gateway/${version}`);
    expect(others).toEqual([]);
  });

  it('puts no credential in any span', async () => {
    await eventually((spans) => (spans.length > 0 ? true : undefined));
    const exported = receiver.bodies.map(({ body }) => body.toString('utf8')).join('\n');
    for (const secret of [
      learner.token,
      learner.token.split('.')[2]!,
      sandbox.credentials.stripeSecretKey,
      sandbox.credentials.lmsApiKey,
      sandbox.credentials.commercetools.clientSecret,
    ]) {
      expect(exported.includes(secret), `a span holds ${secret.slice(0, 12)}…`).toBe(false);
    }
  });

  it('prints one JSON object per line, with trace ids, order ids and no credentials', () => {
    for (const [name, run] of [
      ['gateway', gateway],
      ['worker', worker],
    ] as const) {
      expect(run.errorOutput(), `${name} wrote to stderr`).toBe('');
      const text = run.output();
      expect(text.includes(learner.token)).toBe(false);
      expect(text.includes(sandbox.credentials.stripeSecretKey)).toBe(false);
      expect(text.includes(sandbox.credentials.commercetools.clientSecret)).toBe(false);
      const rawLines = text.split('\n').filter((line) => line !== '');
      // A key written twice (a child logger's binding and the call's own field) is valid JSON to
      // JSON.parse, which keeps the last, but not to every log pipeline.
      for (const raw of rawLines) {
        for (const key of ['orderId', 'jobId', 'requestId', 'trace_id', 'span_id']) {
          expect(raw.split(`"${key}":`).length - 1, `${key} twice in ${raw}`).toBeLessThan(2);
        }
      }
      const lines = rawLines.map((line) => JSON.parse(line) as Record<string, unknown>);
      for (const line of lines) {
        if (line['requestId'] !== undefined || line['jobId'] !== undefined) {
          expect(line['trace_id'], JSON.stringify(line)).toMatch(/^[0-9a-f]{32}$/);
        }
        if (line['msg'] === 'order status changed') {
          expect(line['orderId'], JSON.stringify(line)).toEqual(expect.any(String));
        }
      }
    }
    const lines = [gateway, worker]
      .flatMap((run) =>
        run
          .output()
          .split('\n')
          .filter(Boolean)
          .map((line) => JSON.parse(line) as Record<string, unknown>),
      )
      .sort((a, b) => Number(a['time']) - Number(b['time']));
    const statuses = lines
      .filter((line) => line['msg'] === 'order status changed' && line['orderId'] === orderId)
      .map((line) => line['to']);
    expect(statuses).toEqual([
      'PENDING_PAYMENT',
      'PAID',
      'FULFILLING',
      'FULFILLED',
      'REFUND_PENDING',
      'REFUNDED',
    ]);
    const purchaseLine = lines.find(
      (line) => line['msg'] === 'graphql operation' && line['operationName'] === 'Purchase',
    );
    expect(purchaseLine).toMatchObject({
      operationType: 'mutation',
      outcome: 'ok',
      userId: expect.any(String),
      durationMs: expect.any(Number),
      requestId: expect.any(String),
      trace_id: expect.stringMatching(/^[0-9a-f]{32}$/),
    });
    const subscriptionLine = lines.find(
      (line) => line['msg'] === 'graphql operation' && line['operationName'] === 'OrderStatus',
    );
    expect(subscriptionLine).toMatchObject({
      operationType: 'subscription',
      transport: 'websocket',
      outcome: 'ok',
      userId: purchaseLine?.['userId'],
      durationMs: expect.any(Number),
    });
    const jobLine = lines.find(
      (line) => line['jobId'] !== undefined && line['orderId'] === orderId,
    );
    expect(jobLine, 'a line written by the fulfillment job').toBeDefined();
    const failedForGood = lines.find(
      (line) => line['msg'] === 'order job failed for good' && line['orderId'] === refusedOrderId,
    );
    expect(failedForGood).toMatchObject({
      jobId: `OrderPaid-fulfillment-${refusedOrderId}`,
      trace_id: expect.stringMatching(/^[0-9a-f]{32}$/),
    });
  });
});
