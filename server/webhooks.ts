import { setTimeout as sleep } from 'node:timers/promises';
import express, { Router } from 'express';
import type { Cluster, Redis } from 'ioredis';
import { WebhookSignatureError } from '../connectors/payments.js';
import { OrderNotFoundError } from '../workflows/order-updates.js';
import { settlePayment } from '../workflows/payments.js';
import { ReversalDeferredError, settleReversals } from '../workflows/reversals.js';
import type { CommerceServices } from '../workflows/services.js';
import { isRedisOutage } from './redis-errors.js';
import { requestIdOf } from './request-id.js';

/** What became of a delivered webhook, for metrics. */
export type WebhookOutcome =
  | 'invalid_signature'
  | 'ignored'
  | 'duplicate'
  | 'processed'
  | 'unknown_order'
  | 'unavailable'
  | 'failed';

const MAX_WEBHOOK_BYTES = '256kb';
const PROCESSING_TTL_MS = 60_000;
const DONE_TTL_SECONDS = 7 * 24 * 3600;
/** How long a duplicate waits for the delivery in flight to finish before asking for another. */
const IN_FLIGHT_WAIT_MS = 5000;
const POLL_MS = 25;
const RETRY_AFTER_SECONDS = 5;

type Claim = 'claimed' | 'done' | 'in-flight';

/**
 * Claims an event for this delivery. A duplicate waits for the delivery in flight: acknowledging
 * it at once would lose the event if that delivery then failed.
 */
async function claimEvent(redis: Redis | Cluster, key: string): Promise<Claim> {
  const deadline = Date.now() + IN_FLIGHT_WAIT_MS;
  for (;;) {
    if ((await redis.set(key, 'processing', 'PX', PROCESSING_TTL_MS, 'NX')) === 'OK') {
      return 'claimed';
    }
    const value = await redis.get(key);
    if (value === 'done') return 'done';
    if (value !== null) {
      if (Date.now() > deadline) return 'in-flight';
      await sleep(POLL_MS);
    }
  }
}

/**
 * `POST /webhooks/stripe`. Payment events settle the payment; refund and dispute events
 * (`charge.refunded`, `charge.dispute.created`) settle the money moved back at the processor.
 * The signature is checked over the raw bytes (a re-serialized body
 * fails); a bad one gets 400 and changes nothing. Each event id is handled once: the first
 * delivery claims it atomically in Redis, duplicates get 200 without effect once it is done,
 * and a failure releases the claim and answers 500 (503 when Redis cannot record the event), so
 * the processor delivers it again.
 */
export function createStripeWebhookRouter(deps: {
  services: CommerceServices;
  redis: Redis | Cluster;
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
      const deliverAgain = (status: 500 | 503, error: string) => {
        record(event.type, status === 503 ? 'unavailable' : 'failed');
        if (status === 503) res.setHeader('retry-after', String(RETRY_AFTER_SECONDS));
        res.status(status).json({ error });
      };
      let claim: Claim;
      try {
        claim = await claimEvent(redis, key);
      } catch (error) {
        if (!isRedisOutage(error)) throw error;
        // Not recorded, so not acknowledged: the processor delivers it again later.
        services.logger.warn({ eventId: event.id }, 'webhook not recorded: Redis unavailable');
        deliverAgain(503, 'cannot record the event now; deliver again');
        return;
      }
      if (claim === 'done') {
        record(event.type, 'duplicate');
        res.json({ received: true, duplicate: true });
        return;
      }
      if (claim === 'in-flight') {
        deliverAgain(503, 'the same event is being processed; deliver again');
        return;
      }
      try {
        try {
          if (event.kind === 'reversal') await settleReversals(services, event.paymentId);
          else await settlePayment(services, event.paymentId);
        } catch (error) {
          if (!(error instanceof OrderNotFoundError)) throw error;
          // Not ours (another system's payment on the same Stripe account): delivering it
          // again will not change that.
          services.logger.warn({ eventId: event.id }, 'webhook for a payment of no known order');
          await redis.set(key, 'done', 'EX', DONE_TTL_SECONDS);
          record(event.type, 'unknown_order');
          res.json({ received: true, ignored: true });
          return;
        }
        await redis.set(key, 'done', 'EX', DONE_TTL_SECONDS);
        record(event.type, 'processed');
        res.json({ received: true });
      } catch (error) {
        // Released so a redelivery runs at once; when Redis is gone the claim lapses by itself.
        // Settling again is harmless: the order moves on once and its job id is its own.
        await redis.del(key).catch(() => undefined);
        if (isRedisOutage(error)) {
          services.logger.warn({ eventId: event.id }, 'webhook not processed: Redis unavailable');
          deliverAgain(503, 'not processed; deliver again');
          return;
        }
        if (error instanceof ReversalDeferredError) {
          // Expected: a refund or dispute met its order mid-way; a later delivery settles it.
          services.logger.info({ eventId: event.id, reason: error.message }, 'webhook deferred');
          deliverAgain(503, 'the order cannot take this event yet; deliver again');
          return;
        }
        services.logger.error({ err: error, eventId: event.id }, 'webhook not processed');
        deliverAgain(500, 'not processed; deliver again');
      }
    },
  );
  return router;
}
