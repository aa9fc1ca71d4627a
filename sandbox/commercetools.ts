import type { Request, RequestHandler, Response } from 'express';
import type { SandboxCredentials } from './credentials.js';
import type { DemoOrder } from './demo-orders.js';
import { isRecord, routeParam } from './http-server.js';
import type { RouteRegistrar } from './http-server.js';
import { randomToken } from './ids.js';
import type { ReadCache } from './read-cache.js';
import { CommercetoolsError, OrderStore } from './commercetools-orders.js';
import { DiscountStore, type DiscountQuery } from './commercetools-discounts.js';
import {
  CART_DISCOUNT_SCHEMA,
  DISCOUNT_CODE_SCHEMA,
  ORDER_SCHEMA,
  PredicateError,
  parsePredicate,
  parseSort,
  type Scope,
} from './commercetools-predicate.js';
import type { OrderQuery } from './commercetools-orders.js';

/** commercetools' default lifetime for client-credentials tokens (two days). */
export const DEFAULT_TOKEN_TTL_SECONDS = 172_800;
const MAX_LIMIT = 500;
const MAX_OFFSET = 10_000;

const CODES_BY_STATUS: Readonly<Record<number, string>> = {
  400: 'InvalidInput',
  401: 'invalid_token',
  403: 'insufficient_scope',
  404: 'ResourceNotFound',
  409: 'ConcurrentModification',
  503: 'ServiceUnavailable',
};

export function commercetoolsErrorBody(status: number, message: string): unknown {
  return {
    statusCode: status,
    message,
    errors: [{ code: CODES_BY_STATUS[status] ?? 'General', message }],
  };
}

interface IssuedToken {
  projectKey: string;
  expiresAt: number;
}

/** Both sides of the sandbox commercetools project: its OAuth clients and its orders. */
export class CommercetoolsState {
  readonly orders = new OrderStore();
  readonly discounts = new DiscountStore();
  readonly tokens = new Map<string, IssuedToken>();

  constructor(readonly tokenTtlSeconds = DEFAULT_TOKEN_TTL_SECONDS) {}
}

function sendError(res: Response, error: unknown): void {
  if (!(error instanceof CommercetoolsError)) throw error;
  res.status(error.status).json(error.body());
}

function oauthError(res: Response, status: number, error: string, message: string): void {
  res.status(status).json({
    statusCode: status,
    message,
    errors: [{ code: error, message }],
    error,
    error_description: message,
  });
}

function issueToken(
  state: CommercetoolsState,
  credentials: SandboxCredentials['commercetools'],
  req: Request,
  res: Response,
): void {
  const [scheme = '', encoded = ''] = (req.get('Authorization') ?? '').split(' ', 2);
  const [clientId, ...secret] = Buffer.from(encoded, 'base64').toString('utf8').split(':');
  if (
    scheme.toLowerCase() !== 'basic' ||
    clientId !== credentials.clientId ||
    secret.join(':') !== credentials.clientSecret
  ) {
    oauthError(
      res,
      401,
      'invalid_client',
      'Please provide valid client credentials using HTTP Basic Authentication.',
    );
    return;
  }
  const form = isRecord(req.body) ? req.body : {};
  if (form.grant_type !== 'client_credentials') {
    oauthError(
      res,
      400,
      'unsupported_grant_type',
      'Only the grant type client_credentials is supported here.',
    );
    return;
  }
  const scope =
    typeof form.scope === 'string' && form.scope.trim() !== ''
      ? form.scope.trim()
      : `manage_project:${credentials.projectKey}`;
  const foreign = scope.split(/\s+/).find((s) => !s.endsWith(`:${credentials.projectKey}`));
  if (foreign !== undefined) {
    oauthError(res, 400, 'invalid_scope', `Scope '${foreign}' is not granted to this client.`);
    return;
  }
  const token = randomToken(24);
  state.tokens.set(token, {
    projectKey: credentials.projectKey,
    expiresAt: Date.now() + state.tokenTtlSeconds * 1000,
  });
  res.json({ access_token: token, token_type: 'Bearer', expires_in: state.tokenTtlSeconds, scope });
}

function queryValues(req: Request, name: string): string[] {
  const value: unknown = req.query[name];
  if (value === undefined) return [];
  return (Array.isArray(value) ? value : [value]).filter((v): v is string => typeof v === 'string');
}

function integerParam(req: Request, name: string, fallback: number, max: number): number {
  const [raw] = queryValues(req, name);
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) > max) {
    throw new CommercetoolsError(
      400,
      'InvalidInput',
      `Malformed parameter: ${name}: must be an integer between 0 and ${max}.`,
    );
  }
  return Number(raw);
}

function parseQuery(req: Request, schema: Scope = ORDER_SCHEMA): OrderQuery {
  const [withTotal = 'true'] = queryValues(req, 'withTotal');
  if (withTotal !== 'true' && withTotal !== 'false') {
    throw new CommercetoolsError(
      400,
      'InvalidInput',
      'Malformed parameter: withTotal: must be true or false.',
    );
  }
  try {
    return {
      where: queryValues(req, 'where').map((text) => parsePredicate(text, schema)),
      sort: queryValues(req, 'sort').map(parseSort),
      limit: integerParam(req, 'limit', 20, MAX_LIMIT),
      offset: integerParam(req, 'offset', 0, MAX_OFFSET),
      withTotal: withTotal === 'true',
    };
  } catch (error) {
    if (!(error instanceof PredicateError)) throw error;
    const which = error.message.startsWith('Invalid sort') ? 'sort' : 'where';
    const message = `Malformed parameter: ${which}: Syntax error while parsing '${which}'. ${error.message}`;
    throw new CommercetoolsError(400, 'InvalidInput', message);
  }
}

/** A query of cart discounts or discount codes, with the reference expansions asked for. */
function parseDiscountQuery(req: Request, schema: Scope): DiscountQuery {
  return { ...parseQuery(req, schema), expand: queryValues(req, 'expand') };
}

export function commercetoolsRoutes(
  state: CommercetoolsState,
  credentials: SandboxCredentials['commercetools'],
): (route: RouteRegistrar) => void {
  const requireToken: RequestHandler = (req, res, next) => {
    const [scheme = '', token = ''] = (req.get('Authorization') ?? '').split(' ', 2);
    const issued = scheme.toLowerCase() === 'bearer' ? state.tokens.get(token) : undefined;
    if (!issued || issued.expiresAt <= Date.now()) {
      if (issued) state.tokens.delete(token);
      oauthError(res, 401, 'invalid_token', 'invalid_token');
      return;
    }
    if (issued.projectKey !== routeParam(req, 'projectKey')) {
      oauthError(
        res,
        403,
        'insufficient_scope',
        `insufficient_scope: this token does not grant access to project '${routeParam(req, 'projectKey')}'.`,
      );
      return;
    }
    next();
  };

  /** Runs `answer`, turning a CommercetoolsError it throws into the upstream's error answer. */
  const guarded =
    (answer: (req: Request, res: Response) => void): RequestHandler =>
    (req, res) => {
      try {
        answer(req, res);
      } catch (error) {
        sendError(res, error);
      }
    };

  const handle = (fn: (req: Request) => { status?: number; body: unknown }): RequestHandler =>
    guarded((req, res) => {
      const { status = 200, body } = fn(req);
      res.status(status).json(body);
    });

  /** A read answered through `cache` (sandbox/read-cache.ts), keyed by its path and query. */
  const handleCachedRead = (cache: ReadCache, fn: (req: Request) => unknown): RequestHandler =>
    guarded((req, res) => {
      res.type('json').send(cache.json(req.originalUrl, () => fn(req)));
    });

  return (route) => {
    route('post', '/oauth/token', (req, res) => issueToken(state, credentials, req, res));
    route(
      'get',
      '/:projectKey/orders',
      requireToken,
      handleCachedRead(state.orders.reads, (req) => state.orders.query(parseQuery(req))),
    );
    route(
      'post',
      '/:projectKey/orders/import',
      requireToken,
      handle((req) => ({ status: 201, body: state.orders.import(req.body) })),
    );
    route(
      'get',
      '/:projectKey/orders/:id',
      requireToken,
      handle((req) => ({ body: state.orders.get(routeParam(req, 'id')) })),
    );
    route(
      'post',
      '/:projectKey/orders/:id',
      requireToken,
      handle((req) => ({ body: state.orders.update(routeParam(req, 'id'), req.body) })),
    );
    route(
      'get',
      '/:projectKey/cart-discounts',
      requireToken,
      handle((req) => ({
        body: state.discounts.queryCartDiscounts(parseDiscountQuery(req, CART_DISCOUNT_SCHEMA)),
      })),
    );
    route(
      'post',
      '/:projectKey/cart-discounts',
      requireToken,
      handle((req) => ({ status: 201, body: state.discounts.createCartDiscount(req.body) })),
    );
    route(
      'get',
      '/:projectKey/cart-discounts/:id',
      requireToken,
      handle((req) => ({ body: state.discounts.getCartDiscount(routeParam(req, 'id')) })),
    );
    route(
      'get',
      '/:projectKey/discount-codes',
      requireToken,
      handle((req) => ({
        body: state.discounts.queryCodes(parseDiscountQuery(req, DISCOUNT_CODE_SCHEMA)),
      })),
    );
    route(
      'post',
      '/:projectKey/discount-codes',
      requireToken,
      handle((req) => ({ status: 201, body: state.discounts.createCode(req.body) })),
    );
    route(
      'get',
      '/:projectKey/discount-codes/:id',
      requireToken,
      handle((req) => ({
        body: state.discounts.getCode(routeParam(req, 'id'), queryValues(req, 'expand')),
      })),
    );
    route(
      'post',
      '/:projectKey/discount-codes/:id',
      requireToken,
      handle((req) => ({
        body: state.discounts.updateCode(
          routeParam(req, 'id'),
          req.body,
          queryValues(req, 'expand'),
        ),
      })),
    );
  };
}

/** Imports the demo orders with their fixed ids, through the same validation as the API. */
export function seedCommercetools(state: CommercetoolsState, orders: readonly DemoOrder[]): void {
  const money = (currencyCode: string, centAmount: number) => ({
    type: 'centPrecision',
    currencyCode,
    centAmount,
    fractionDigits: 2,
  });
  for (const order of orders) {
    const paid = order.payment !== null;
    state.orders.import(
      {
        orderNumber: order.number,
        customerEmail: order.user.email,
        createdAt: order.createdAt,
        orderState: order.status === 'REFUNDED' ? 'Cancelled' : 'Complete',
        ...(paid ? { paymentState: 'Paid' } : {}),
        totalPrice: money(order.currency, order.totalCents),
        lineItems: order.lines.map((line) => ({
          productId: line.sku,
          name: { en: line.title },
          variant: { sku: line.sku },
          quantity: 1,
          price: { value: money(line.currency, line.cents) },
          totalPrice: money(line.currency, line.cents),
          custom: {
            type: { typeId: 'type', key: 'commerce-gateway-line' },
            fields: { courseRunKey: line.courseRunKey, mode: line.mode, status: line.status },
          },
        })),
        custom: {
          type: { typeId: 'type', key: 'commerce-gateway-order' },
          fields: {
            lmsUserId: String(order.user.userId),
            lmsUsername: order.user.username,
            status: order.status,
            ...(order.payment
              ? { paymentProvider: 'stripe', paymentId: order.payment.paymentIntentId }
              : {}),
            ...(order.payment?.refundId ? { refundId: order.payment.refundId } : {}),
          },
        },
      },
      { id: order.id, lineIds: order.lines.map((line) => line.id) },
    );
  }
}
