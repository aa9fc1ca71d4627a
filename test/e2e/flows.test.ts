import { createHmac, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoSeat } from '../../sandbox/demo-data.js';
import { signStripePayload } from '../../sandbox/index.js';
import {
  enrollmentPosts,
  newLearner,
  payWithSandboxCard,
  purchase,
  waitForOrderStatus,
} from '../support/commerce.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { startReceiver, type ReceivedWebhook } from '../support/receiver.js';
import { contractOperationIn, readContract } from '../contract/operations.js';
import { contractOperation, graphql, tokenFor } from '../support/client.js';

const DS201 = 'course-v1:SandboxX+DS201+3T2026';
const SECRET = 'crm-webhook-secret';
const EXAMPLE_PLUGIN = resolve('examples/plugins/audit-log.js');

const TIMELINE = contractOperationIn(
  readContract(fileURLToPath(new URL('../contract/flows.graphql', import.meta.url))),
  'OrderTimeline',
);

interface TimelineView {
  at: string;
  kind: string;
  name: string;
  outcome: string;
  detail: string | null;
}

interface WebhookBody {
  id: string;
  type: string;
  createdAt: string;
  data: { order: { id: string; number: string; status: string; total: { amount: string } } };
}

/** Checks the Gateway-Signature header as a receiver would, and returns the parsed body. */
function verified(webhook: ReceivedWebhook): WebhookBody {
  const header = String(webhook.headers['gateway-signature']);
  const match = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header);
  expect(match, header).not.toBeNull();
  const expected = createHmac('sha256', SECRET)
    .update(`${match![1]}.${webhook.body}`)
    .digest('hex');
  expect(match![2]).toBe(expected);
  return JSON.parse(webhook.body) as WebhookBody;
}

async function until(condition: () => boolean | Promise<boolean>, what: string, ms = 10_000) {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('flows from a flows file', () => {
  let dir: string;
  let gw: TestGateway;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let auditFile: string;

  beforeAll(async () => {
    if (!existsSync(resolve('dist/flows/plugin-api.js'))) {
      throw new Error('dist/ is missing: run npm run build (the example plugin imports the build)');
    }
    dir = await mkdtemp(join(tmpdir(), 'flows-e2e-'));
    receiver = await startReceiver();
    auditFile = join(dir, 'audit.log');
    const flowsFile = join(dir, 'flows.yaml');
    await writeFile(
      flowsFile,
      [
        'handlers:',
        '  OrderPaid: [fulfillment]',
        '  OrderFulfilled:',
        '    - receipt-email',
        `    - webhook: { url: "${receiver.url}", secretEnv: CRM_WEBHOOK_SECRET, optional: true }`,
        `    - audit-log: { file: "${auditFile}" }`,
        'plugins:',
        `  - ${EXAMPLE_PLUGIN}`,
      ].join('\n'),
    );
    gw = await startTestGateway({
      FLOWS_CONFIG: flowsFile,
      CRM_WEBHOOK_SECRET: SECRET,
      JOB_BACKOFF_MS: '50',
      JOB_ATTEMPTS: '4',
    });
  });
  afterAll(async () => {
    await gw.close();
    await receiver.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function paidAndFulfilled(deliveries = 1) {
    const learner = await newLearner('flows');
    const placed = await purchase(
      gw.url,
      learner.token,
      [demoSeat(DS201, 'verified').sku],
      randomUUID(),
    );
    const orderId = placed.order!.id;
    gw.sandbox.stripe!.pauseWebhooks();
    await payWithSandboxCard(gw.sandbox, placed.payment!.id);
    const body = JSON.stringify({
      id: `evt_${randomUUID().replaceAll('-', '')}`,
      object: 'event',
      type: 'payment_intent.succeeded',
      created: Math.floor(Date.now() / 1000),
      data: { object: { id: placed.payment!.id, object: 'payment_intent', status: 'succeeded' } },
    });
    const secret = gw.sandbox.credentials.stripeWebhookSecret;
    await Promise.all(
      Array.from({ length: deliveries }, () =>
        fetch(`${gw.url}/webhooks/stripe`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'stripe-signature': signStripePayload(secret, body, Math.floor(Date.now() / 1000)),
          },
          body,
        }),
      ),
    );
    gw.sandbox.stripe!.resumeWebhooks();
    const order = await waitForOrderStatus(gw.url, learner.token, orderId, 'FULFILLED');
    return { ...learner, order };
  }

  const mailsFor = async (orderNumber: string) => {
    const response = await fetch(`${gw.sandbox.urls.mailbox}/mails`);
    const mails = (await response.json()) as { to: string[]; subject: string; raw: string }[];
    return mails.filter((mail) => mail.subject.includes(orderNumber));
  };

  const forOrder = (orderId: string) =>
    receiver.received.filter((webhook) => webhook.body.includes(`"id":"${orderId}"`));

  it('sends one signed webhook and one audit line per fulfilled order, with the payment webhook delivered five times', async () => {
    const before = enrollmentPosts(gw.sandbox);
    const { order } = await paidAndFulfilled(5);
    await until(() => forOrder(order.id).length > 0, 'the webhook');
    await new Promise((resolve) => setTimeout(resolve, 300));
    const webhooks = forOrder(order.id);
    expect(webhooks).toHaveLength(1);
    const sent = verified(webhooks[0]!);
    expect(sent).toMatchObject({
      id: `evt_${order.id}_OrderFulfilled`,
      type: 'OrderFulfilled',
      data: { order: { id: order.id, number: order.number, status: 'FULFILLED' } },
    });
    expect(sent.data.order.total.amount).toBe(order.total.amount);
    expect(enrollmentPosts(gw.sandbox) - before).toBe(1);

    await until(async () => (await mailsFor(order.number)).length > 0, 'the receipt');
    const mails = await mailsFor(order.number);
    expect(mails).toHaveLength(1);
    expect(mails[0]!.subject).toBe(`Your receipt: order ${order.number}`);
    expect(mails[0]!.raw).toContain(`Total: ${order.total.amount} ${order.total.currencyCode}`);
    expect(mails[0]!.raw).toContain(DS201);

    await until(
      async () => (await readFile(auditFile, 'utf8').catch(() => '')).includes(order.id),
      'the audit line',
    );
    const lines = (await readFile(auditFile, 'utf8'))
      .split('\n')
      .filter((line) => line.includes(order.id));
    expect(lines.map((line) => JSON.parse(line) as unknown)).toEqual([
      { id: `evt_${order.id}_OrderFulfilled`, type: 'OrderFulfilled', orderId: order.id },
    ]);
  });

  it('retries a receiver that is down, with the same event id and createdAt', async () => {
    receiver.state.failNext = 2;
    const { order } = await paidAndFulfilled();
    await until(() => forOrder(order.id).length >= 3, 'three deliveries');
    const bodies = forOrder(order.id).map(verified);
    expect(new Set(bodies.map((body) => body.id))).toEqual(
      new Set([`evt_${order.id}_OrderFulfilled`]),
    );
    expect(new Set(bodies.map((body) => body.createdAt)).size).toBe(1);
  });

  it('sends the receipt on a retry when the SMTP server refuses twice', async () => {
    gw.sandbox.mail!.refuseNext(2);
    const { order, username } = await paidAndFulfilled();
    await until(async () => (await mailsFor(order.number)).length > 0, 'the receipt', 15_000);
    const mails = await mailsFor(order.number);
    expect(mails).toHaveLength(1);
    expect(mails[0]!.to).toEqual([`${username}@example.com`]);
  });

  it('keeps the order’s timeline: placed, paid, fulfillment, the handlers and the refund, in order', async () => {
    receiver.state.failNext = 1;
    const { order, token } = await paidAndFulfilled();
    await until(() => forOrder(order.id).length >= 2, 'the retried webhook');
    const refunded = await graphql(
      gw.url,
      contractOperation('RefundOrder'),
      { input: { orderId: order.id, reason: 'changed my mind', idempotencyKey: randomUUID() } },
      { token },
    );
    expect(refunded.body.errors).toBeUndefined();
    await waitForOrderStatus(gw.url, token, order.id, 'REFUNDED');

    const timeline = async (asToken: string) => {
      const response = await graphql<{ order: { timeline: TimelineView[] } | null }>(
        gw.url,
        TIMELINE,
        { id: order.id },
        { token: asToken },
      );
      expect(response.body.errors).toBeUndefined();
      return response.body.data!.order?.timeline ?? null;
    };
    let owners: TimelineView[] = [];
    await until(async () => {
      owners = (await timeline(token)) ?? [];
      return owners.some((entry) => entry.name === 'OrderRefunded');
    }, 'OrderRefunded in the timeline');
    const line = (entry: TimelineView) => `${entry.kind} ${entry.name} ${entry.outcome}`;
    const events = owners.filter((entry) => entry.kind === 'EVENT').map(line);
    expect(events).toEqual([
      'EVENT OrderPlaced RAISED',
      'EVENT OrderPaid RAISED',
      'EVENT OrderFulfilled RAISED',
      'EVENT RefundRequested RAISED',
      'EVENT OrderRefunded RAISED',
    ]);
    const fulfillment = owners.find((entry) => entry.name === 'fulfillment');
    expect(fulfillment).toMatchObject({ outcome: 'SUCCEEDED' });
    expect(fulfillment?.detail).toMatch(/^FULFILLED: verified seat \S+ FULFILLED$/);
    // The webhook's failed attempt is there for the owner, its reason for staff only.
    const webhookEntries = owners.filter((entry) => entry.name === 'webhook');
    expect(webhookEntries.map((entry) => [entry.outcome, entry.detail])).toEqual([
      ['RETRYING', null],
      ['SUCCEEDED', 'delivered (200)'],
    ]);
    expect(
      owners.some((entry) => entry.name === 'audit-log' && entry.outcome === 'SUCCEEDED'),
    ).toBe(true);
    expect(owners.find((entry) => entry.name === 'revocation')?.detail).toMatch(/^REFUNDED: /);
    const times = owners.map((entry) => Date.parse(entry.at));
    expect(times).toEqual([...times].sort((a, b) => a - b));
    const placedAt = owners.findIndex((entry) => entry.name === 'OrderPlaced');
    const fulfilledAt = owners.findIndex((entry) => entry.name === 'fulfillment');
    const refundAt = owners.findIndex((entry) => entry.name === 'RefundRequested');
    expect(placedAt).toBeLessThan(fulfilledAt);
    expect(fulfilledAt).toBeLessThan(refundAt);

    const staffs = (await timeline(await tokenFor('staff')))!;
    expect(staffs.map(line)).toEqual(owners.map(line));
    expect(staffs.find((entry) => entry.name === 'webhook')?.detail).toBe(
      'webhook receiver answered 503',
    );
    const stranger = await newLearner('stranger');
    expect(await timeline(stranger.token)).toBeNull();
  });

  it('keeps FULFILLED when the optional webhook fails for good', async () => {
    receiver.state.failNext = 100;
    const { order } = await paidAndFulfilled();
    await until(() => forOrder(order.id).length >= 4, 'every attempt');
    receiver.state.failNext = 0;
    const staff = await tokenFor('staff');
    let webhook: TimelineView[] = [];
    await until(async () => {
      const response = await graphql<{ order: { status: string; timeline: TimelineView[] } }>(
        gw.url,
        TIMELINE,
        { id: order.id },
        { token: staff },
      );
      expect(response.body.data?.order.status).toBe('FULFILLED');
      webhook = response.body.data!.order.timeline.filter((entry) => entry.name === 'webhook');
      return webhook.some((entry) => entry.outcome === 'FAILED');
    }, 'the webhook failed for good');
    expect(webhook.map((entry) => entry.outcome)).toEqual([
      'RETRYING',
      'RETRYING',
      'RETRYING',
      'FAILED',
    ]);
  });
});
