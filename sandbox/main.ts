/**
 * `npm run sandbox`: the four simulated upstreams on fixed ports, for a gateway (or anything
 * else) started separately. Prints the environment that points a gateway at them.
 */
import { SANDBOX_CREDENTIALS } from './credentials.js';
import { DEMO_USERS } from './demo-catalog.js';
import { startSandbox } from './index.js';

function integerFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) {
    console.error(`Invalid configuration: ${name} must be a non-negative integer, got '${raw}'`);
    process.exit(1);
  }
  return value;
}

const host = process.env.SANDBOX_HOST ?? '127.0.0.1';
const basePort = integerFromEnv('SANDBOX_PORT', 4100);
const latencyMs = integerFromEnv('SANDBOX_LATENCY_MS', 0);
const generatedCatalogRuns = integerFromEnv('SANDBOX_GENERATED_RUNS', 0);
const webhookUrl = process.env.SANDBOX_WEBHOOK_URL ?? 'http://127.0.0.1:4000/webhooks/stripe';
const credentials = SANDBOX_CREDENTIALS;

const sandbox = await startSandbox({
  host,
  ports: {
    discovery: basePort + 1,
    lms: basePort + 2,
    stripe: basePort + 3,
    commercetools: basePort + 4,
    mail: basePort + 5,
    mailbox: basePort + 6,
    screening: basePort + 7,
  },
  latencyMs,
  webhookUrl,
  generatedCatalogRuns,
}).catch((error: unknown) => {
  console.error(
    `The sandbox could not start: ${error instanceof Error ? error.message : String(error)}`,
  );
  process.exit(1);
});

const environment: Record<string, string | undefined> = {
  DISCOVERY_URL: sandbox.urls.discovery,
  LMS_URL: sandbox.urls.lms,
  LMS_API_KEY: credentials.lmsApiKey,
  LMS_OAUTH_CLIENT_ID: credentials.lmsServiceClient.clientId,
  LMS_OAUTH_CLIENT_SECRET: credentials.lmsServiceClient.clientSecret,
  STRIPE_API_URL: sandbox.urls.stripe,
  STRIPE_SECRET_KEY: credentials.stripeSecretKey,
  STRIPE_WEBHOOK_SECRET: credentials.stripeWebhookSecret,
  COMMERCETOOLS_API_URL: sandbox.urls.commercetoolsApi,
  COMMERCETOOLS_AUTH_URL: sandbox.urls.commercetoolsAuth,
  COMMERCETOOLS_PROJECT_KEY: credentials.commercetools.projectKey,
  COMMERCETOOLS_CLIENT_ID: credentials.commercetools.clientId,
  COMMERCETOOLS_CLIENT_SECRET: credentials.commercetools.clientSecret,
  JWT_ISSUER: credentials.jwt.issuer,
  JWT_AUDIENCE: credentials.jwt.audience,
  JWT_SECRET_KEY: credentials.jwt.secretKey,
  SMTP_URL: sandbox.urls.smtp,
  SANCTIONS_API_URL: sandbox.urls.screening,
  SANCTIONS_API_KEY: credentials.screeningApiKey,
};

const lines = [
  'Sandbox upstreams are listening.',
  '',
  'Environment for a gateway that uses them:',
  ...Object.entries(environment).map(([name, value]) => `  export ${name}='${value ?? ''}'`),
  '',
  `Stripe webhooks go to ${webhookUrl} (change: PUT ${sandbox.urls.stripe}/__sandbox/webhooks {"url": "…"})`,
  `Mails sent to the sandbox SMTP server: GET ${sandbox.urls.mailbox}/mails`,
  latencyMs > 0 ? `Every upstream request is delayed by ${latencyMs} ms.` : '',
  generatedCatalogRuns > 0
    ? `Discovery also serves ${generatedCatalogRuns} generated course runs (SKUs GEN000000a…).`
    : '',
  `Demo users: ${Object.values(DEMO_USERS)
    .map((user) => `${user.username} (${user.userId}${user.administrator ? ', staff' : ''})`)
    .join(', ')}; password '${credentials.demoPassword}'.`,
  'A token for alice:',
  `  curl -s -X POST ${sandbox.urls.lms}/oauth2/access_token -d grant_type=password -d username=alice -d password=${credentials.demoPassword} -d token_type=jwt`,
  '',
  'Press Ctrl+C to stop.',
];
console.log(lines.filter((line, i, all) => line !== '' || all[i - 1] !== '').join('\n'));

let stopping = false;
const stop = (signal: NodeJS.Signals): void => {
  if (stopping) return;
  stopping = true;
  console.log(`\n${signal}: stopping the sandbox.`);
  sandbox.close().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
