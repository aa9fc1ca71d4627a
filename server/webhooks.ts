import express, { Router } from 'express';
import type { Cluster, Redis } from 'ioredis';
import { WebhookSignatureError } from '../connectors/payments.js';
import { OrderNotFoundError } from '../workflows/order-updates.js';
import { settlePayment } from '../workflows/payments.js';
import type { CommerceServices } from '../workflows/services.js';

const MAX_WEBHOOK_BYTES = '256kb';
const PROCESSING_TTL_MS = 60_000;
const DONE_TTL_SECONDS = 7 * 24 * 3600;

/**
 * `POST /webhooks/stripe`. The signature is checked over the raw bytes (a re-serialized body
 * fails); a bad one gets 400 and changes nothing. Each event id is handled once: the first
 * delivery claims it atomically in Redis, duplicates in flight or done get 200 without effect,
 * and a failure releases the claim and answers 500 so the processor delivers it again.
 */
export function createStripeWebhookRouter(deps: {
  services: CommerceServices;
  redis: Redis | Cluster;
  keyPrefix: string;
}): Router {
  const { services, redis, keyPrefix } = deps;
  const router = Router();
  router.post(
    '/webhooks/stripe',
    express.raw({ type: () => true, limit: MAX_WEBHOOK_BYTES }),
    async (req, res) => {
      const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      let event;
      try {
        event = services.connectors.payments.parseWebhook(body, req.header('stripe-signature'));
      } catch (error) {
        if (!(error instanceof WebhookSignatureError)) throw error;
        res.status(400).json({ error: 'invalid signature' });
        return;
      }
      if (!event.paymentId) {
        res.json({ received: true });
        return;
      }
      const key = `${keyPrefix}webhooks:stripe:${event.id}`;
      const claimed = await redis.set(key, 'processing', 'PX', PROCESSING_TTL_MS, 'NX');
      if (claimed !== 'OK') {
        res.json({ received: true, duplicate: true });
        return;
      }
      try {
        await settlePayment(services, event.paymentId);
        await redis.set(key, 'done', 'EX', DONE_TTL_SECONDS);
        res.json({ received: true });
      } catch (error) {
        if (error instanceof OrderNotFoundError) {
          // Not ours (another system's payment on the same Stripe account): delivering it
          // again will not change that.
          services.logger.warn({ eventId: event.id }, 'webhook for a payment of no known order');
          await redis.set(key, 'done', 'EX', DONE_TTL_SECONDS);
          res.json({ received: true, ignored: true });
          return;
        }
        await redis.del(key);
        services.logger.error({ err: error, eventId: event.id }, 'webhook not processed');
        res.status(500).json({ error: 'not processed; deliver again' });
      }
    },
  );
  return router;
}
