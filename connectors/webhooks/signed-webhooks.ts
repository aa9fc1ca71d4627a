import { createHmac } from 'node:crypto';

/** The receiver did not take the webhook (no answer, or not a 2xx): the sender retries. */
export class WebhookDeliveryError extends Error {
  override name = 'WebhookDeliveryError';
}

/** `t=<unix>,v1=<hex HMAC-SHA256 of "t.body">`, as Stripe signs its own (CONTRACT §7). */
export function signWebhook(body: string, secret: string, at: Date): string {
  const timestamp = Math.floor(at.getTime() / 1000);
  const signature = createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
  return `t=${timestamp},v1=${signature}`;
}

/**
 * POSTs a signed JSON body to an operator's receiver. Resolves on a 2xx; anything else (no
 * answer within the timeout, a redirect, an error status) is a WebhookDeliveryError naming only
 * the status, never what the receiver said.
 */
export async function postSignedWebhook(args: {
  url: string;
  secret: string;
  body: string;
  timeoutMs: number;
}): Promise<number> {
  let response: Response;
  try {
    response = await fetch(args.url, {
      method: 'POST',
      redirect: 'manual',
      signal: AbortSignal.timeout(args.timeoutMs),
      headers: {
        'content-type': 'application/json',
        'gateway-signature': signWebhook(args.body, args.secret, new Date()),
      },
      body: args.body,
    });
  } catch (error) {
    const reason = error instanceof Error ? error.name : 'error';
    throw new WebhookDeliveryError(`webhook receiver unreachable (${reason})`);
  }
  await response.body?.cancel();
  if (response.status < 200 || response.status >= 300) {
    throw new WebhookDeliveryError(`webhook receiver answered ${response.status}`);
  }
  return response.status;
}
