import { z } from 'zod';
import type { Order } from '../../connectors/orders.js';
import { postSignedWebhook } from '../../connectors/webhooks/signed-webhooks.js';
import { readOrder } from '../../workflows/order-updates.js';
import { defineHandler } from '../plugin-api.js';

const settingsSchema = z.object(
  {
    url: z.url({ protocol: /^https?$/, error: 'url must be an http(s) URL' }),
    secretEnv: z
      .string({ error: 'secretEnv must name the environment variable holding the signing secret' })
      .regex(/^[A-Z_][A-Z0-9_]*$/, 'secretEnv must be an environment variable name'),
  },
  { error: 'webhook needs url and secretEnv' },
);

/**
 * POSTs `{ id, type, createdAt, data: { order } }` to the operator's URL, signed with the secret
 * the named environment variable holds. A receiver that is down or answers an error is retried
 * with backoff by the job, with the same event id and createdAt each time.
 */
export const webhookHandler = defineHandler({
  name: 'webhook',
  parseSettings(raw, env) {
    const parsed = settingsSchema.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const field = issue?.path.join('.');
      throw new Error(
        field && !issue?.message.startsWith(field)
          ? `${field} ${issue?.message}`
          : (issue?.message ?? 'invalid'),
      );
    }
    const secret = env.secret(parsed.data.secretEnv);
    if (!secret) throw new Error(`secretEnv names ${parsed.data.secretEnv}, which is not set`);
    return { url: parsed.data.url, secret };
  },
  create: (settings, deps) => async (run) => {
    const order = run.snapshot ?? (await readOrder(run.services, run.event.orderId));
    const body = JSON.stringify({
      id: run.event.id,
      type: run.event.type,
      createdAt: run.event.createdAt,
      data: { order: orderForReceivers(order) },
    });
    const status = await postSignedWebhook({
      url: settings.url,
      secret: settings.secret,
      body,
      timeoutMs: deps.timeoutMs,
    });
    return `delivered (${status})`;
  },
});

/** What a receiver learns of an order: no idempotency or refund request keys, no payment ids. */
export function orderForReceivers(order: Order) {
  return {
    id: order.id,
    number: order.number,
    status: order.status,
    ownerId: order.ownerId,
    placedAt: order.placedAt,
    total: order.total,
    lines: order.lines.map((line) => ({
      id: line.id,
      sku: line.sku,
      courseRunKey: line.courseRunKey,
      mode: line.mode,
      price: line.price,
      status: line.status,
    })),
  };
}
