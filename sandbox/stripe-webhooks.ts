import { createHmac } from 'node:crypto';
import { randomStripeId } from './ids.js';

export type WebhookDelivery = 'pending' | 'delivered' | 'failed' | 'withheld' | 'no-url';

/** An event the Stripe sandbox emitted, and what became of its delivery. */
export interface SandboxWebhookEvent {
  id: string;
  type: string;
  /** The id of the object the event is about (`pi_…`, `re_…`, `ch_…`). */
  objectId: string;
  delivery: WebhookDelivery;
  attempts: number;
}

export type WebhookEventType =
  | 'payment_intent.succeeded'
  | 'payment_intent.payment_failed'
  | 'payment_intent.canceled'
  | 'charge.refunded'
  | 'charge.dispute.created'
  | 'refund.created';

/** An event as Stripe sends it and lists it at `GET /v1/events`. */
export interface StripeEventPayload {
  id: string;
  object: 'event';
  type: WebhookEventType;
  created: number;
  data: { object: { id: string } };
}

/** Backoff between attempts; the real Stripe retries for days, the sandbox briefly. */
const RETRY_DELAYS_MS = [250, 1000, 3000];
const ATTEMPT_TIMEOUT_MS = 5000;

/** `Stripe-Signature` for a payload, as Stripe computes it (scheme v1). */
export function signStripePayload(secret: string, payload: string, timestamp: number): string {
  const signature = createHmac('sha256', secret).update(`${timestamp}.${payload}`).digest('hex');
  return `t=${timestamp},v1=${signature}`;
}

/** Sends signed events to the webhook URL in the background, retrying failed deliveries. */
export class WebhookSender {
  private readonly events: SandboxWebhookEvent[] = [];
  private readonly payloads: StripeEventPayload[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly inFlight = new Set<AbortController>();
  private paused = false;
  private closed = false;

  constructor(
    private readonly secret: string,
    private url: string | undefined,
  ) {}

  setUrl(url: string | undefined): void {
    this.url = url;
  }

  pause(): void {
    this.paused = true;
  }

  /** Resumes future deliveries; events withheld while paused stay withheld, as documented. */
  resume(): void {
    this.paused = false;
  }

  isPaused(): boolean {
    return this.paused;
  }

  webhookUrl(): string | undefined {
    return this.url;
  }

  sent(): readonly SandboxWebhookEvent[] {
    return this.events.map((event) => ({ ...event }));
  }

  /** Every event emitted, newest first, as `GET /v1/events` lists them (delivered or not). */
  listed(): readonly StripeEventPayload[] {
    return [...this.payloads].reverse();
  }

  /**
   * Records the event and, unless paused, starts delivering it (after `delayMs`); never blocks
   * the caller.
   */
  emit(
    type: WebhookEventType,
    object: { id: string },
    idempotencyKey: string | null,
    delayMs = 0,
  ): void {
    const payload = {
      id: randomStripeId('evt'),
      object: 'event' as const,
      api_version: '2024-06-20',
      type,
      created: Math.floor(Date.now() / 1000),
      livemode: false,
      pending_webhooks: 1,
      request: { id: randomStripeId('req', 14), idempotency_key: idempotencyKey },
      // A snapshot: later changes to the object must not leak into an event already emitted.
      data: { object: structuredClone(object) },
    };
    this.payloads.push(payload);
    const url = this.url;
    const event: SandboxWebhookEvent = {
      id: payload.id,
      type,
      objectId: object.id,
      delivery: this.paused ? 'withheld' : url ? 'pending' : 'no-url',
      attempts: 0,
    };
    this.events.push(event);
    if (event.delivery === 'pending' && url) {
      this.schedule(event, url, JSON.stringify(payload), delayMs);
    }
  }

  close(): void {
    this.closed = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    for (const controller of this.inFlight) controller.abort();
  }

  private schedule(event: SandboxWebhookEvent, url: string, body: string, delayMs: number): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      void this.attempt(event, url, body);
    }, delayMs);
    this.timers.add(timer);
  }

  private async attempt(event: SandboxWebhookEvent, url: string, body: string): Promise<void> {
    if (this.closed) return;
    event.attempts += 1;
    const controller = new AbortController();
    this.inFlight.add(controller);
    const timeout = setTimeout(() => controller.abort(), ATTEMPT_TIMEOUT_MS);
    let ok = false;
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json; charset=utf-8',
          'User-Agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)',
          // Signed at each attempt, as Stripe does, so a retry is never outside the tolerance.
          'Stripe-Signature': signStripePayload(this.secret, body, Math.floor(Date.now() / 1000)),
        },
        body,
        signal: controller.signal,
      });
      await response.arrayBuffer().catch(() => undefined);
      ok = response.ok;
    } catch {
      ok = false;
    } finally {
      clearTimeout(timeout);
      this.inFlight.delete(controller);
    }
    if (ok) {
      event.delivery = 'delivered';
      return;
    }
    const retryDelay = RETRY_DELAYS_MS[event.attempts - 1];
    if (retryDelay === undefined || this.closed) event.delivery = 'failed';
    else this.schedule(event, url, body, retryDelay);
  }
}
