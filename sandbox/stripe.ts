import type { Request, RequestHandler, Response } from 'express';
import type { DemoOrder } from './demo-orders.js';
import { isRecord, routeParam } from './http-server.js';
import type { RouteRegistrar } from './http-server.js';
import { randomStripeId, randomToken } from './ids.js';
import type { WebhookSender } from './stripe-webhooks.js';
import {
  ALLOWED_PARAMS,
  cancelPaymentIntent,
  confirmPaymentIntent,
  createPaymentIntent,
  createDispute,
  createRefund,
  DISPUTED_TEST_CARD,
  stripeError,
} from './stripe-model.js';
import { stripeListRoutes } from './stripe-lists.js';
import type { PaymentIntent, StripeResult, StripeState } from './stripe-model.js';

export { StripeState, stripeErrorBody } from './stripe-model.js';

/** How long after a disputed test card's payment its dispute is opened. */
const DISPUTE_DELAY_MS = 300;

function maskKey(key: string): string {
  const prefix = /^[a-z]+_(test|live)_/.exec(key)?.[0] ?? '';
  return `${prefix}****${key.length > prefix.length + 8 ? key.slice(-4) : ''}`;
}

/** The API key from `Authorization: Bearer sk_…` or HTTP Basic with the key as user name. */
function apiKeyOf(req: Request): string | undefined {
  const header = req.get('Authorization') ?? '';
  const [scheme = '', value = ''] = header.split(' ', 2);
  if (scheme.toLowerCase() === 'bearer') return value;
  if (scheme.toLowerCase() === 'basic')
    return Buffer.from(value, 'base64').toString('utf8').split(':')[0];
  return undefined;
}

function send(res: Response, result: StripeResult): void {
  res.status(result.status).json(result.body);
}

/** Unknown parameters get Stripe's own 400, so a connector sending a typo finds out. */
function unknownParam(
  body: Record<string, unknown>,
  allowed: readonly string[],
): StripeResult | undefined {
  const unknown = Object.keys(body).find((key) => !allowed.includes(key));
  return unknown === undefined
    ? undefined
    : stripeError(400, {
        type: 'invalid_request_error',
        code: 'parameter_unknown',
        param: unknown,
        message: `Received unknown parameter: ${unknown}`,
      });
}

export function stripeRoutes(
  state: StripeState,
  secretKey: string,
  webhooks: WebhookSender,
): (route: RouteRegistrar) => void {
  const requireKey: RequestHandler = (req, res, next) => {
    const key = apiKeyOf(req);
    if (!key) {
      send(
        res,
        stripeError(401, {
          type: 'invalid_request_error',
          message:
            "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY').",
        }),
      );
    } else if (key !== secretKey) {
      send(
        res,
        stripeError(401, {
          type: 'invalid_request_error',
          message: `Invalid API Key provided: ${maskKey(key)}`,
        }),
      );
    } else {
      next();
    }
  };

  /**
   * Runs a POST handler under Stripe's idempotency rules: the first answer for a key is kept and
   * replayed; the same key with other parameters or on another endpoint is refused. Answers to
   * requests that failed validation are not kept, as with the real API.
   */
  const idempotent =
    (
      allowed: readonly string[],
      handler: (body: Record<string, unknown>, req: Request, key: string | null) => StripeResult,
    ): RequestHandler =>
    (req, res) => {
      const body: Record<string, unknown> = isRecord(req.body) ? req.body : {};
      const key = req.get('Idempotency-Key') ?? null;
      const signature = `${req.method} ${req.path} ${JSON.stringify(body)}`;
      if (key !== null) {
        const stored = state.idempotency.get(key);
        if (stored && stored.signature !== signature) {
          send(
            res,
            stripeError(400, {
              type: 'idempotency_error',
              message: `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${key}' if you meant to execute a different request.`,
            }),
          );
          return;
        }
        if (stored) {
          res.set('Idempotent-Replayed', 'true');
          send(res, stored.result);
          return;
        }
      }
      const result = unknownParam(body, allowed) ?? handler(body, req, key);
      if (key !== null && (result.status === 200 || result.status === 402)) {
        state.idempotency.set(key, { signature, result });
      }
      if (key !== null) res.set('Idempotency-Key', key);
      send(res, result);
    };

  const missing = (kind: string, id: string, param?: string): StripeResult =>
    stripeError(404, {
      type: 'invalid_request_error',
      code: 'resource_missing',
      param,
      message: `No such ${kind}: '${id}'`,
    });

  /** A handler of the PaymentIntent the path names; 404 as Stripe answers when there is none. */
  const onIntent =
    (
      handler: (
        intent: PaymentIntent,
        body: Record<string, unknown>,
        key: string | null,
      ) => StripeResult,
    ) =>
    (body: Record<string, unknown>, req: Request, key: string | null): StripeResult => {
      const id = routeParam(req, 'id');
      const intent = state.intents.get(id);
      return intent ? handler(intent, body, key) : missing('payment_intent', id, 'intent');
    };

  return (route) => {
    route('get', '/v1/payment_intents/:id', requireKey, (req, res) => {
      const id = routeParam(req, 'id');
      const intent = state.intents.get(id);
      if (intent) res.json(intent);
      else send(res, missing('payment_intent', id, 'intent'));
    });

    route(
      'post',
      '/v1/payment_intents',
      requireKey,
      idempotent(ALLOWED_PARAMS.createPaymentIntent, (body) => createPaymentIntent(state, body)),
    );

    route(
      'post',
      '/v1/payment_intents/:id/confirm',
      requireKey,
      idempotent(
        ALLOWED_PARAMS.confirmPaymentIntent,
        onIntent((intent, body, key) => {
          const outcome = confirmPaymentIntent(state, intent, body);
          if (outcome.event) webhooks.emit(outcome.event, intent, key);
          const dispute =
            outcome.event === 'payment_intent.succeeded' &&
            body.payment_method === DISPUTED_TEST_CARD
              ? createDispute(state, intent)
              : undefined;
          // The bank's dispute comes after the payment, as in Stripe's test mode.
          if (dispute) webhooks.emit('charge.dispute.created', dispute, null, DISPUTE_DELAY_MS);
          return outcome.result;
        }),
      ),
    );

    route(
      'post',
      '/v1/payment_intents/:id/cancel',
      requireKey,
      idempotent(
        ALLOWED_PARAMS.cancelPaymentIntent,
        onIntent((intent, body, key) => {
          const outcome = cancelPaymentIntent(intent, body);
          if (outcome.canceled) webhooks.emit('payment_intent.canceled', intent, key);
          return outcome.result;
        }),
      ),
    );

    route(
      'post',
      '/v1/refunds',
      requireKey,
      idempotent(ALLOWED_PARAMS.createRefund, (body, _req, key) => {
        const outcome = createRefund(state, body);
        if (outcome.refund && outcome.charge) {
          webhooks.emit('charge.refunded', outcome.charge, key);
          webhooks.emit('refund.created', outcome.refund, key);
        }
        return outcome.result;
      }),
    );

    route('get', '/v1/refunds/:id', requireKey, (req, res) => {
      const id = routeParam(req, 'id');
      const refund = state.refunds.get(id);
      if (refund) res.json(refund);
      else send(res, missing('refund', id, 'id'));
    });

    route('get', '/v1/balance', requireKey, (_req, res) => {
      res.json(state.balance());
    });

    stripeListRoutes(state, webhooks, requireKey)(route);
  };
}

/** Loads the demo orders' PaymentIntents, charges and refunds. */
export function seedStripe(state: StripeState, orders: readonly DemoOrder[]): void {
  for (const order of orders) {
    const payment = order.payment;
    if (!payment) continue;
    const currency = order.currency.toLowerCase();
    state.intents.set(payment.paymentIntentId, {
      id: payment.paymentIntentId,
      object: 'payment_intent',
      amount: order.totalCents,
      amount_received: order.totalCents,
      currency,
      status: 'succeeded',
      client_secret: `${payment.paymentIntentId}_secret_${randomToken(18)}`,
      created: payment.created,
      latest_charge: payment.chargeId,
      payment_method: randomStripeId('pm'),
      metadata: { order_id: order.id, order_number: order.number },
      last_payment_error: null,
      canceled_at: null,
      cancellation_reason: null,
      automatic_payment_methods: { enabled: true },
      livemode: false,
    });
    state.charges.set(payment.chargeId, {
      id: payment.chargeId,
      object: 'charge',
      amount: order.totalCents,
      amount_refunded: payment.refundId ? order.totalCents : 0,
      currency,
      payment_intent: payment.paymentIntentId,
      status: 'succeeded',
      paid: true,
      refunded: payment.refundId !== null,
      disputed: false,
      created: payment.created,
      metadata: {},
      failure_code: null,
      failure_message: null,
    });
    if (payment.refundId) {
      state.refunds.set(payment.refundId, {
        id: payment.refundId,
        object: 'refund',
        amount: order.totalCents,
        currency,
        payment_intent: payment.paymentIntentId,
        charge: payment.chargeId,
        status: 'succeeded',
        reason: 'requested_by_customer',
        created: payment.refundCreated ?? payment.created,
        metadata: { order_id: order.id },
      });
    }
  }
}
