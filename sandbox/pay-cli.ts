import { SANDBOX_CREDENTIALS } from './credentials.js';

const CARDS: Record<string, string> = {
  visa: 'pm_card_visa',
  declined: 'pm_card_chargeDeclined',
  disputed: 'pm_card_createDispute',
};

/**
 * `npm run pay -- pi_… [visa|declined|disputed]`: pays a PaymentIntent at the sandbox Stripe with a test
 * card, as the learner's browser does with Stripe.js and the purchase's clientSecret. The
 * sandbox then sends the signed webhook to the gateway, as Stripe does.
 */
async function main(): Promise<void> {
  const [paymentId, card = 'visa'] = process.argv.slice(2);
  if (!paymentId?.startsWith('pi_')) fail('Usage: npm run pay -- pi_… [visa|declined|disputed]');
  const paymentMethod = CARDS[card] ?? card;
  const gatewayPort = Number(process.env['PORT'] ?? 4000);
  const stripeUrl = process.env['STRIPE_API_URL'] ?? `http://127.0.0.1:${gatewayPort + 103}`;
  let response: Response;
  try {
    response = await fetch(
      `${stripeUrl}/v1/payment_intents/${encodeURIComponent(paymentId)}/confirm`,
      {
        method: 'POST',
        headers: {
          authorization: `Bearer ${process.env['STRIPE_SECRET_KEY'] ?? SANDBOX_CREDENTIALS.stripeSecretKey}`,
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: new URLSearchParams({ payment_method: paymentMethod }),
      },
    );
  } catch {
    fail(`No sandbox Stripe answers at ${stripeUrl}: start the gateway with npm start first.`);
  }
  const body = (await response.json()) as { status?: string; error?: { message?: string } };
  if (!response.ok)
    fail(`Payment refused (${response.status}): ${body.error?.message ?? 'unknown'}`);
  process.stdout.write(`${paymentId}: ${body.status ?? 'unknown'}\n`);
}

function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(1);
}

await main();
