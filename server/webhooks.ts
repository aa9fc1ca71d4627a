import express, { Router } from 'express';
import type { Redis } from 'ioredis';
import { WebhookSignatureError } from '../connectors/payments.js';
import { OrderNotFoundError } from '../workflows/order-updates.js';
import { settlePayment } from '../workflows/payments.js';
import type { CommerceServices } from '../workflows/services.js';
import { requestIdOf } from './request-id.js';

/** What became of a delivered webhook, for metrics. */
export type WebhookOutcome =
  'invalid_signature' | 'ignored' | 'duplicate' | 'processed' | 'unknown_order' | 'failed';

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
  redis: Redis;
  keyPrefix: string;
  onEvent?: (type: string, outcome: WebhookOutcome) => void;
}): Router {
  const { redis, keyPrefix } = deps;
  const record = deps.onEvent ?? (() => undefined);
  const router = Router();
  router.post(
    '/webhooks/stripe',
    express.raw({ type: () => true, limit: MAX_WEBHOOK_BYTES }),
    async (req, res) => {
      const services = {
        ...deps.services,
        logger: deps.services.logger.child({ requestId: requestIdOf(res) }),
      };
      const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      let event;
      try {
        event = services.connectors.payments.parseWebhook(body, req.header('stripe-signature'));
      } catch (error) {
        if (!(error instanceof WebhookSignatureError)) throw error;
        record('unknown', 'invalid_signature');
        res.status(400).json({ error: 'invalid signature' });
        return;
      }
      if (!event.paymentId) {
        record(event.type, 'ignored');
        res.json({ received: true });
        return;
      }
      const key = `${keyPrefix}webhooks:stripe:${event.id}`;
      const claimed = await redis.set(key, 'processing', 'PX', PROCESSING_TTL_MS, 'NX');
      if (claimed !== 'OK') {
        record(event.type, 'duplicate');
        res.json({ received: true, duplicate: true });
        return;
      }
      try {
        await settlePayment(services, event.paymentId);
        await redis.set(key, 'done', 'EX', DONE_TTL_SECONDS);
        record(event.type, 'processed');
        res.json({ received: true });
      } catch (error) {
        if (error instanceof OrderNotFoundError) {
          // Not ours (another system's payment on the same Stripe account): delivering it
          // again will not change that.
          services.logger.warn({ eventId: event.id }, 'webhook for a payment of no known order');
          await redis.set(key, 'done', 'EX', DONE_TTL_SECONDS);
          record(event.type, 'unknown_order');
          res.json({ received: true, ignored: true });
          return;
        }
        await redis.del(key);
        record(event.type, 'failed');
        services.logger.error({ err: error, eventId: event.id }, 'webhook not processed');
        res.status(500).json({ error: 'not processed; deliver again' });
      }
    },
  );
  return router;
}
