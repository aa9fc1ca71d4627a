import { displayValue, isRecord } from './http-server.js';
import { randomStripeId, randomToken } from './ids.js';
import type { WebhookEventType } from './stripe-webhooks.js';

export type PaymentIntentStatus =
  | 'requires_payment_method'
  | 'requires_confirmation'
  | 'requires_action'
  | 'processing'
  | 'requires_capture'
  | 'canceled'
  | 'succeeded';

export interface StripeErrorDetail {
  type: string;
  message: string;
  code?: string | undefined;
  decline_code?: string;
  param?: string | undefined;
  charge?: string;
}

export interface PaymentIntent {
  id: string;
  object: 'payment_intent';
  amount: number;
  amount_received: number;
  currency: string;
  status: PaymentIntentStatus;
  client_secret: string;
  created: number;
  latest_charge: string | null;
  payment_method: string | null;
  metadata: Record<string, string>;
  last_payment_error: StripeErrorDetail | null;
  canceled_at: number | null;
  cancellation_reason: CancellationReason | null;
  automatic_payment_methods: { enabled: boolean } | null;
  livemode: false;
}

export interface Charge {
  id: string;
  object: 'charge';
  amount: number;
  amount_refunded: number;
  currency: string;
  payment_intent: string;
  status: 'succeeded' | 'failed';
  paid: boolean;
  refunded: boolean;
  disputed: boolean;
  created: number;
  metadata: Record<string, string>;
  failure_code: string | null;
  failure_message: string | null;
}

export interface Refund {
  id: string;
  object: 'refund';
  amount: number;
  currency: string;
  payment_intent: string;
  charge: string;
  status: 'succeeded';
  reason: string | null;
  created: number;
  metadata: Record<string, string>;
}

/** A chargeback: the payer's bank took the charge's money back, pending the merchant's evidence. */
export interface Dispute {
  id: string;
  object: 'dispute';
  amount: number;
  currency: string;
  charge: string;
  payment_intent: string;
  reason: string;
  status: 'needs_response';
  created: number;
  metadata: Record<string, string>;
  livemode: false;
}

export interface StripeResult {
  status: number;
  body: unknown;
}

/** The Stripe account's objects, in memory. */
export class StripeState {
  readonly intents = new Map<string, PaymentIntent>();
  readonly charges = new Map<string, Charge>();
  readonly refunds = new Map<string, Refund>();
  readonly disputes = new Map<string, Dispute>();
  readonly idempotency = new Map<string, { signature: string; result: StripeResult }>();

  balance(): Record<string, unknown> {
    const byCurrency = new Map<string, number>();
    for (const charge of this.charges.values()) {
      if (charge.status !== 'succeeded') continue;
      byCurrency.set(
        charge.currency,
        (byCurrency.get(charge.currency) ?? 0) + charge.amount - charge.amount_refunded,
      );
    }
    const amounts = [...byCurrency].map(([currency, amount]) => ({
      amount,
      currency,
      source_types: { card: amount },
    }));
    return { object: 'balance', available: amounts, pending: [], livemode: false };
  }
}

export function stripeError(
  status: number,
  error: StripeErrorDetail & Record<string, unknown>,
): StripeResult {
  return { status, body: { error } };
}

/** Stripe's error body for a status, used for injected faults and unknown routes. */
export function stripeErrorBody(status: number, message: string): unknown {
  if (status === 402)
    return {
      error: { type: 'card_error', code: 'card_declined', message: 'Your card was declined.' },
    };
  if (status === 429)
    return { error: { type: 'invalid_request_error', code: 'rate_limit', message } };
  if (status >= 500) return { error: { type: 'api_error', message } };
  return { error: { type: 'invalid_request_error', message } };
}

export const ALLOWED_PARAMS = {
  createPaymentIntent: [
    'amount',
    'currency',
    'metadata',
    'automatic_payment_methods',
    'description',
    'receipt_email',
    'expand',
  ],
  confirmPaymentIntent: ['payment_method', 'return_url', 'expand'],
  cancelPaymentIntent: ['cancellation_reason', 'expand'],
  createRefund: ['payment_intent', 'charge', 'amount', 'metadata', 'reason', 'expand'],
} as const satisfies Record<string, readonly string[]>;

const invalid = (param: string, message: string, code = 'parameter_invalid'): StripeResult =>
  stripeError(400, { type: 'invalid_request_error', code, param, message });

/** A positive integer given as a form string (or a JSON number). */
function parseAmount(value: unknown, param: string): number | StripeResult {
  if (value === undefined || value === '') {
    return invalid(param, `Missing required param: ${param}.`, 'parameter_missing');
  }
  const text = typeof value === 'number' ? String(value) : value;
  if (
    typeof text !== 'string' ||
    !/^\d+$/.test(text) ||
    Number(text) < 1 ||
    Number(text) > 99_999_999
  ) {
    return invalid(param, `Invalid integer: ${displayValue(text)}`, 'parameter_invalid_integer');
  }
  return Number(text);
}

function parseMetadata(value: unknown): Record<string, string> | StripeResult {
  if (value === undefined || value === '') return {};
  if (!isRecord(value)) return invalid('metadata', 'Invalid object');
  const entries = Object.entries(value);
  if (entries.length > 50) return invalid('metadata', 'Metadata can have at most 50 keys.');
  const metadata: Record<string, string> = {};
  for (const [key, item] of entries) {
    if (
      (typeof item !== 'string' && typeof item !== 'number') ||
      key.length > 40 ||
      String(item).length > 500
    ) {
      return invalid(
        `metadata[${key}]`,
        'Metadata keys are at most 40 characters and values strings of at most 500.',
      );
    }
    metadata[key] = String(item);
  }
  return metadata;
}

const isResult = (value: unknown): value is StripeResult =>
  isRecord(value) && 'status' in value && 'body' in value;

export function createPaymentIntent(
  state: StripeState,
  body: Record<string, unknown>,
): StripeResult {
  const amount = parseAmount(body.amount, 'amount');
  if (isResult(amount)) return amount;
  const currency = body.currency;
  if (currency === undefined)
    return invalid('currency', 'Missing required param: currency.', 'parameter_missing');
  if (typeof currency !== 'string' || !/^[a-zA-Z]{3}$/.test(currency)) {
    return invalid('currency', `Invalid currency: ${displayValue(currency)}.`);
  }
  const metadata = parseMetadata(body.metadata);
  if (isResult(metadata)) return metadata;
  const automatic = isRecord(body.automatic_payment_methods)
    ? body.automatic_payment_methods.enabled
    : undefined;
  if (
    automatic !== undefined &&
    automatic !== 'true' &&
    automatic !== 'false' &&
    typeof automatic !== 'boolean'
  ) {
    return invalid(
      'automatic_payment_methods[enabled]',
      'Invalid boolean: ' + displayValue(automatic),
    );
  }
  const id = randomStripeId('pi');
  const intent: PaymentIntent = {
    id,
    object: 'payment_intent',
    amount,
    amount_received: 0,
    currency: currency.toLowerCase(),
    status: 'requires_payment_method',
    client_secret: `${id}_secret_${randomToken(18)}`,
    created: Math.floor(Date.now() / 1000),
    latest_charge: null,
    payment_method: null,
    metadata,
    last_payment_error: null,
    canceled_at: null,
    cancellation_reason: null,
    automatic_payment_methods:
      automatic === undefined ? null : { enabled: automatic === true || automatic === 'true' },
    livemode: false,
  };
  state.intents.set(id, intent);
  return { status: 200, body: intent };
}

/**
 * Stripe's test card whose payment succeeds and is then disputed as fraudulent, as in Stripe's
 * test mode (https://docs.stripe.com/testing#disputes).
 */
export const DISPUTED_TEST_CARD = 'pm_card_createDispute';

/** Stripe's test payment methods the sandbox knows: null means the card is accepted. */
const TEST_PAYMENT_METHODS: Readonly<
  Record<string, { code: string; decline: string; message: string } | null>
> = {
  pm_card_visa: null,
  pm_card_mastercard: null,
  pm_card_amex: null,
  [DISPUTED_TEST_CARD]: null,
  pm_card_chargeDeclined: {
    code: 'card_declined',
    decline: 'generic_decline',
    message: 'Your card was declined.',
  },
  pm_card_chargeDeclinedInsufficientFunds: {
    code: 'card_declined',
    decline: 'insufficient_funds',
    message: 'Your card has insufficient funds.',
  },
};

/** The reasons Stripe takes for cancelling a PaymentIntent. */
const CANCELLATION_REASONS = [
  'duplicate',
  'fraudulent',
  'requested_by_customer',
  'abandoned',
] as const;
export type CancellationReason = (typeof CANCELLATION_REASONS)[number];
/** The statuses Stripe lets a PaymentIntent be cancelled from. */
const CANCELABLE: ReadonlySet<PaymentIntentStatus> = new Set([
  'requires_payment_method',
  'requires_capture',
  'requires_confirmation',
  'requires_action',
  'processing',
]);

/** POST /v1/payment_intents/:id/cancel: a PaymentIntent still waiting for its payer ends. */
export function cancelPaymentIntent(
  intent: PaymentIntent,
  body: Record<string, unknown>,
): { result: StripeResult; canceled: boolean } {
  if (!CANCELABLE.has(intent.status)) {
    return {
      canceled: false,
      result: stripeError(400, {
        type: 'invalid_request_error',
        code: 'payment_intent_unexpected_state',
        message: `You cannot cancel this PaymentIntent because it has a status of ${intent.status}. Only a PaymentIntent with one of the following statuses may be canceled: ${[...CANCELABLE].join(', ')}.`,
        payment_intent: intent,
      }),
    };
  }
  const reason = body.cancellation_reason;
  const known = (value: unknown): value is CancellationReason =>
    (CANCELLATION_REASONS as readonly unknown[]).includes(value);
  if (reason !== undefined && !known(reason)) {
    return {
      canceled: false,
      result: invalid(
        'cancellation_reason',
        `Invalid cancellation_reason: must be one of ${CANCELLATION_REASONS.join(', ')}`,
      ),
    };
  }
  intent.status = 'canceled';
  intent.canceled_at = Math.floor(Date.now() / 1000);
  intent.cancellation_reason = reason ?? null;
  return { canceled: true, result: { status: 200, body: intent } };
}

export function confirmPaymentIntent(
  state: StripeState,
  intent: PaymentIntent,
  body: Record<string, unknown>,
): { result: StripeResult; event?: WebhookEventType } {
  if (intent.status !== 'requires_payment_method' && intent.status !== 'requires_confirmation') {
    const message =
      intent.status === 'succeeded'
        ? 'You cannot confirm this PaymentIntent because it has already succeeded after being previously confirmed.'
        : `You cannot confirm this PaymentIntent because it has a status of ${intent.status}.`;
    return {
      result: stripeError(400, {
        type: 'invalid_request_error',
        code: 'payment_intent_unexpected_state',
        message,
        payment_intent: intent,
      }),
    };
  }
  const method = body.payment_method;
  if (typeof method !== 'string' || method === '') {
    return {
      result: invalid(
        'payment_method',
        "You cannot confirm this PaymentIntent because it's missing a payment method.",
        'payment_intent_unexpected_state',
      ),
    };
  }
  const decline = TEST_PAYMENT_METHODS[method];
  if (decline === undefined) {
    return {
      result: stripeError(400, {
        type: 'invalid_request_error',
        code: 'resource_missing',
        param: 'payment_method',
        message: `No such PaymentMethod: '${method}'`,
      }),
    };
  }
  const now = Math.floor(Date.now() / 1000);
  const charge: Charge = {
    id: randomStripeId('ch'),
    object: 'charge',
    amount: intent.amount,
    amount_refunded: 0,
    currency: intent.currency,
    payment_intent: intent.id,
    status: decline ? 'failed' : 'succeeded',
    paid: !decline,
    refunded: false,
    disputed: false,
    created: now,
    metadata: { ...intent.metadata },
    failure_code: decline?.code ?? null,
    failure_message: decline?.message ?? null,
  };
  state.charges.set(charge.id, charge);
  intent.latest_charge = charge.id;
  if (!decline) {
    intent.status = 'succeeded';
    intent.amount_received = intent.amount;
    intent.payment_method = randomStripeId('pm');
    intent.last_payment_error = null;
    return { result: { status: 200, body: intent }, event: 'payment_intent.succeeded' };
  }
  const error: StripeErrorDetail = {
    type: 'card_error',
    code: decline.code,
    decline_code: decline.decline,
    message: decline.message,
    charge: charge.id,
  };
  intent.status = 'requires_payment_method';
  intent.payment_method = null;
  intent.last_payment_error = error;
  return {
    result: stripeError(402, { ...error, payment_intent: structuredClone(intent) }),
    event: 'payment_intent.payment_failed',
  };
}

export function createRefund(
  state: StripeState,
  body: Record<string, unknown>,
): { result: StripeResult; refund?: Refund; charge?: Charge } {
  let given = body.payment_intent;
  if (given === undefined && body.charge !== undefined) {
    const byCharge = typeof body.charge === 'string' ? state.charges.get(body.charge) : undefined;
    if (!byCharge) {
      return {
        result: stripeError(404, {
          type: 'invalid_request_error',
          code: 'resource_missing',
          param: 'charge',
          message: `No such charge: '${displayValue(body.charge)}'`,
        }),
      };
    }
    given = byCharge.payment_intent;
  }
  if (typeof given !== 'string' || given === '') {
    return {
      result: invalid(
        'payment_intent',
        'One of the following params should be provided for this request: payment_intent or charge.',
        'parameter_missing',
      ),
    };
  }
  const intent = state.intents.get(given);
  if (!intent) {
    return {
      result: stripeError(404, {
        type: 'invalid_request_error',
        code: 'resource_missing',
        param: 'payment_intent',
        message: `No such payment_intent: '${given}'`,
      }),
    };
  }
  const charge = intent.latest_charge ? state.charges.get(intent.latest_charge) : undefined;
  if (intent.status !== 'succeeded' || !charge || charge.status !== 'succeeded') {
    return {
      result: invalid(
        'payment_intent',
        `This PaymentIntent (${intent.id}) does not have a successful charge to refund.`,
        'charge_not_refundable',
      ),
    };
  }
  const remaining = charge.amount - charge.amount_refunded;
  if (remaining <= 0) {
    return {
      result: invalid(
        'charge',
        `Charge ${charge.id} has already been refunded.`,
        'charge_already_refunded',
      ),
    };
  }
  const amount = body.amount === undefined ? remaining : parseAmount(body.amount, 'amount');
  if (isResult(amount)) return { result: amount };
  if (amount > remaining) {
    return {
      result: invalid(
        'amount',
        `Refund amount (${amount}) is greater than unrefunded amount on charge (${remaining})`,
        'amount_too_large',
      ),
    };
  }
  const metadata = parseMetadata(body.metadata);
  if (isResult(metadata)) return { result: metadata };
  const reason = body.reason;
  if (
    reason !== undefined &&
    reason !== 'duplicate' &&
    reason !== 'fraudulent' &&
    reason !== 'requested_by_customer'
  ) {
    return {
      result: invalid(
        'reason',
        `Invalid reason: must be one of duplicate, fraudulent, or requested_by_customer`,
      ),
    };
  }
  const refund: Refund = {
    id: randomStripeId('re'),
    object: 'refund',
    amount,
    currency: charge.currency,
    payment_intent: intent.id,
    charge: charge.id,
    status: 'succeeded',
    reason: reason ?? null,
    created: Math.floor(Date.now() / 1000),
    metadata,
  };
  state.refunds.set(refund.id, refund);
  charge.amount_refunded += amount;
  charge.refunded = charge.amount_refunded === charge.amount;
  return { result: { status: 200, body: refund }, refund, charge };
}

/** Opens a dispute on the intent's charge for its whole amount, as the payer's bank does. */
export function createDispute(state: StripeState, intent: PaymentIntent): Dispute | undefined {
  const charge = intent.latest_charge ? state.charges.get(intent.latest_charge) : undefined;
  if (!charge || charge.status !== 'succeeded' || charge.disputed) return undefined;
  charge.disputed = true;
  const dispute: Dispute = {
    id: randomStripeId('dp'),
    object: 'dispute',
    amount: charge.amount,
    currency: charge.currency,
    charge: charge.id,
    payment_intent: intent.id,
    reason: 'fraudulent',
    status: 'needs_response',
    created: Math.floor(Date.now() / 1000),
    metadata: {},
    livemode: false,
  };
  state.disputes.set(dispute.id, dispute);
  return dispute;
}
