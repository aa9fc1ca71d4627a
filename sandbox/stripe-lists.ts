import type { Request, RequestHandler } from 'express';
import { displayValue, type RouteRegistrar } from './http-server.js';
import { stripeError, type StripeResult, type StripeState } from './stripe-model.js';
import type { WebhookSender } from './stripe-webhooks.js';

const MAX_LIMIT = 100;

/** A query parameter as Stripe's form syntax sends it: `name[key]`, or `name[]` repeated. */
function queryValue(req: Request, name: string): unknown {
  return req.query[name];
}

/** Stripe's `limit`: 1 to 100, 10 when absent. */
function parseLimit(req: Request): number | StripeResult {
  const value = queryValue(req, 'limit');
  if (value === undefined) return 10;
  const limit = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : NaN;
  if (!(limit >= 1 && limit <= MAX_LIMIT)) {
    return stripeError(400, {
      type: 'invalid_request_error',
      code: 'parameter_invalid_integer',
      param: 'limit',
      message: `Invalid integer: ${displayValue(value)}`,
    });
  }
  return limit;
}

function optionalString(req: Request, name: string): string | undefined | StripeResult {
  const value = queryValue(req, name);
  if (value === undefined || typeof value === 'string') return value;
  return stripeError(400, {
    type: 'invalid_request_error',
    code: 'parameter_invalid',
    param: name,
    message: `Invalid string: ${name}`,
  });
}

const isResult = (value: unknown): value is StripeResult =>
  typeof value === 'object' && value !== null && 'status' in value && 'body' in value;

/**
 * Stripe's list envelope, newest first, from just after the object `starting_after` names
 * (unknown: an empty page).
 */
function list<T extends { id: string; created: number }>(
  req: Request,
  url: string,
  items: T[],
  limit: number,
) {
  const sorted = [...items].sort((a, b) => b.created - a.created);
  const after = queryValue(req, 'starting_after');
  const from =
    typeof after === 'string' ? sorted.findIndex((item) => item.id === after) + 1 || Infinity : 0;
  const rest = sorted.slice(from);
  return { object: 'list', data: rest.slice(0, limit), has_more: rest.length > limit, url };
}

/**
 * The list endpoints the gateway reads: `GET /v1/refunds` and `GET /v1/disputes` (by
 * `payment_intent`), and `GET /v1/events` (by `types[]` and `created[gte]`), which the
 * reconciler reads back events from; each pages with `limit` and `starting_after`.
 */
export function stripeListRoutes(
  state: StripeState,
  webhooks: WebhookSender,
  requireKey: RequestHandler,
): (route: RouteRegistrar) => void {
  const byIntent =
    <T extends { id: string; created: number; payment_intent: string }>(
      url: string,
      all: () => Iterable<T>,
    ): RequestHandler =>
    (req, res) => {
      const limit = parseLimit(req);
      const intent = optionalString(req, 'payment_intent');
      const invalid = [limit, intent].find(isResult);
      if (invalid) {
        res.status(invalid.status).json(invalid.body);
        return;
      }
      const items = [...all()].filter(
        (item) => intent === undefined || item.payment_intent === intent,
      );
      res.json(list(req, url, items, limit as number));
    };

  return (route) => {
    route(
      'get',
      '/v1/refunds',
      requireKey,
      byIntent('/v1/refunds', () => state.refunds.values()),
    );
    route(
      'get',
      '/v1/disputes',
      requireKey,
      byIntent('/v1/disputes', () => state.disputes.values()),
    );
    route('get', '/v1/events', requireKey, (req, res) => {
      const limit = parseLimit(req);
      if (isResult(limit)) {
        res.status(limit.status).json(limit.body);
        return;
      }
      const rawTypes = queryValue(req, 'types[]') ?? queryValue(req, 'type');
      const types = rawTypes === undefined ? [] : [rawTypes].flat().map(String);
      const rawSince = queryValue(req, 'created[gte]');
      const since = rawSince === undefined ? 0 : Number(rawSince);
      if (!Number.isFinite(since)) {
        res.status(400).json(
          stripeError(400, {
            type: 'invalid_request_error',
            code: 'parameter_invalid_integer',
            param: 'created[gte]',
            message: `Invalid integer: ${displayValue(rawSince)}`,
          }).body,
        );
        return;
      }
      const events = webhooks
        .listed()
        .filter((event) => types.length === 0 || types.includes(event.type))
        .filter((event) => event.created >= since);
      res.json(list(req, '/v1/events', events, limit));
    });
  };
}
