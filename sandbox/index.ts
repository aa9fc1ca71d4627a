import { SANDBOX_CREDENTIALS } from './credentials.js';
import type { SandboxCredentials } from './credentials.js';
import { DEMO_COURSES } from './demo-catalog.js';
import { DEMO_PROGRAMS } from './demo-programs.js';
import { DEMO_ORDERS } from './demo-orders.js';
import { generatedCourses } from './generated-catalog.js';
import { discoveryErrorBody, discoveryRoutes } from './discovery.js';
import { LmsState, lmsErrorBody, lmsRoutes } from './lms.js';
import { StripeState, seedStripe, stripeErrorBody, stripeRoutes } from './stripe.js';
import { WebhookSender } from './stripe-webhooks.js';
import type { SandboxWebhookEvent } from './stripe-webhooks.js';
import {
  CommercetoolsState,
  DEFAULT_TOKEN_TTL_SECONDS,
  commercetoolsErrorBody,
  commercetoolsRoutes,
  seedCommercetools,
} from './commercetools.js';
import { isRecord, startHttpServer } from './http-server.js';
import { startMailSandbox, type SandboxMailServer } from './mail.js';
import { startScreeningSandbox, type SandboxScreeningServer } from './screening.js';
import type { HttpServerOptions, SandboxServer, SandboxUpstream } from './http-server.js';

export type { SandboxCredentials } from './credentials.js';
export type { SandboxFault, SandboxServer, SandboxUpstream } from './http-server.js';
export type { SandboxWebhookEvent, WebhookDelivery } from './stripe-webhooks.js';
export { signStripePayload } from './stripe-webhooks.js';
export type { SandboxMail, SandboxMailServer } from './mail.js';

/**
 * Besides the four HTTP upstreams: `mail`, an SMTP server with a mailbox to read over HTTP, and
 * `screening`, the Consolidated Screening List's search.
 */
export type SandboxService = SandboxUpstream | 'mail' | 'screening';

export const SANDBOX_UPSTREAMS: readonly SandboxUpstream[] = [
  'discovery',
  'lms',
  'stripe',
  'commercetools',
];

export interface SandboxOptions {
  /** Default '127.0.0.1'. */
  host?: string;
  /** Default 0 (ephemeral) for each; `mail` is the SMTP port, `mailbox` the HTTP one. */
  ports?: Partial<Record<SandboxService | 'mailbox', number>>;
  /** Which upstreams to start; default all of them. */
  only?: readonly SandboxService[];
  /** Fixed added latency on every non-control request; default 0. */
  latencyMs?: number;
  /** Default SANDBOX_CREDENTIALS. */
  credentials?: SandboxCredentials;
  /** Where the Stripe sandbox POSTs signed events; may be set later. */
  webhookUrl?: string;
  /** Load the demo data; default true. */
  seed?: boolean;
  /** Generated course runs served by Discovery besides the demo catalog; default 0. */
  generatedCatalogRuns?: number;
  /** Lifetime of commercetools access tokens; default 172800 (two days), as commercetools. */
  commercetoolsTokenTtlSeconds?: number;
}

export interface SandboxStripeServer extends SandboxServer {
  setWebhookUrl(url: string): void;
  /** Events are recorded (delivery 'withheld') but not sent. */
  pauseWebhooks(): void;
  /** Does not send the events withheld while paused. */
  resumeWebhooks(): void;
  /** Every event emitted so far, in order, with its delivery state. */
  sentEvents(): readonly SandboxWebhookEvent[];
}

export interface Sandbox {
  readonly urls: {
    discovery?: string;
    lms?: string;
    stripe?: string;
    commercetoolsApi?: string;
    commercetoolsAuth?: string;
    /** `smtp://…`, for SMTP_URL. */
    smtp?: string;
    /** The mailbox's HTTP base: `GET <mailbox>/mails`. */
    mailbox?: string;
    screening?: string;
  };
  readonly discovery?: SandboxServer;
  readonly lms?: SandboxServer;
  readonly stripe?: SandboxStripeServer;
  readonly commercetools?: SandboxServer;
  readonly mail?: SandboxMailServer;
  readonly screening?: SandboxScreeningServer;
  readonly credentials: SandboxCredentials;
  close(): Promise<void>;
}

/** Starts the simulated upstreams on loopback, seeded with the demo data unless told not to. */
export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const credentials = options.credentials ?? SANDBOX_CREDENTIALS;
  const seed = options.seed ?? true;
  const only = new Set<SandboxService>(options.only ?? [...SANDBOX_UPSTREAMS, 'mail', 'screening']);
  const orders = seed ? DEMO_ORDERS : [];
  const common = (
    name: SandboxUpstream,
  ): Pick<HttpServerOptions, 'name' | 'host' | 'port' | 'latencyMs'> => ({
    name,
    host: options.host ?? '127.0.0.1',
    port: options.ports?.[name] ?? 0,
    latencyMs: options.latencyMs ?? 0,
  });
  const started: { close(): Promise<void> }[] = [];
  const track = async <T extends { close(): Promise<void> }>(server: Promise<T>): Promise<T> => {
    const s = await server;
    started.push(s);
    return s;
  };

  try {
    const discovery = only.has('discovery')
      ? await track(
          startHttpServer({
            ...common('discovery'),
            errorBody: discoveryErrorBody,
            defineRoutes: discoveryRoutes(
              [
                ...(seed ? DEMO_COURSES : []),
                ...generatedCourses(options.generatedCatalogRuns ?? 0),
              ],
              seed ? DEMO_PROGRAMS : [],
            ),
          }),
        )
      : undefined;
    const lms = only.has('lms')
      ? await track(
          startHttpServer({
            ...common('lms'),
            errorBody: lmsErrorBody,
            defineRoutes: lmsRoutes(new LmsState(seed, orders), credentials),
          }),
        )
      : undefined;
    const stripe = only.has('stripe')
      ? await track(startStripe(common('stripe'), credentials, options.webhookUrl, orders))
      : undefined;
    const commercetools = only.has('commercetools')
      ? await track(
          startCommercetools(
            common('commercetools'),
            credentials,
            orders,
            options.commercetoolsTokenTtlSeconds,
          ),
        )
      : undefined;

    const mail = only.has('mail')
      ? await track(
          startMailSandbox({
            host: options.host ?? '127.0.0.1',
            smtpPort: options.ports?.mail ?? 0,
            httpPort: options.ports?.mailbox ?? 0,
          }),
        )
      : undefined;

    const screening = only.has('screening')
      ? await track(
          startScreeningSandbox({
            host: options.host ?? '127.0.0.1',
            port: options.ports?.screening ?? 0,
            apiKey: credentials.screeningApiKey,
          }),
        )
      : undefined;

    return {
      urls: {
        screening: screening?.url,
        smtp: mail?.smtpUrl,
        mailbox: mail?.url,
        discovery: discovery?.url,
        lms: lms?.url,
        stripe: stripe?.url,
        commercetoolsApi: commercetools?.url,
        commercetoolsAuth: commercetools?.url,
      },
      discovery,
      lms,
      stripe,
      commercetools,
      mail,
      screening,
      credentials,
      close: async () => {
        await Promise.all(started.map((server) => server.close()));
      },
    };
  } catch (error) {
    await Promise.all(started.map((server) => server.close()));
    throw error;
  }
}

async function startStripe(
  common: Pick<HttpServerOptions, 'name' | 'host' | 'port' | 'latencyMs'>,
  credentials: SandboxCredentials,
  webhookUrl: string | undefined,
  orders: typeof DEMO_ORDERS,
): Promise<SandboxStripeServer> {
  const state = new StripeState();
  seedStripe(state, orders);
  const webhooks = new WebhookSender(credentials.stripeWebhookSecret, webhookUrl);
  const server = await startHttpServer({
    ...common,
    errorBody: stripeErrorBody,
    defineRoutes: stripeRoutes(state, credentials.stripeSecretKey, webhooks),
    defineControlRoutes: (app) => {
      app.put('/__sandbox/webhooks', (req, res) => {
        const body: unknown = req.body;
        const url = isRecord(body) ? body.url : undefined;
        const paused = isRecord(body) ? body.paused : undefined;
        if (
          (url !== undefined && typeof url !== 'string') ||
          (paused !== undefined && typeof paused !== 'boolean')
        ) {
          res.status(400).json({ error: 'body must be { "url"?: string, "paused"?: boolean }' });
          return;
        }
        if (url !== undefined) webhooks.setUrl(url);
        if (paused === true) webhooks.pause();
        if (paused === false) webhooks.resume();
        res.json({ url: webhooks.webhookUrl() ?? null, paused: webhooks.isPaused() });
      });
      app.get('/__sandbox/webhooks/sent', (_req, res) => {
        res.json(webhooks.sent());
      });
    },
    onClose: () => webhooks.close(),
  });
  return {
    ...server,
    setWebhookUrl: (url) => webhooks.setUrl(url),
    pauseWebhooks: () => webhooks.pause(),
    resumeWebhooks: () => webhooks.resume(),
    sentEvents: () => webhooks.sent(),
  };
}

async function startCommercetools(
  common: Pick<HttpServerOptions, 'name' | 'host' | 'port' | 'latencyMs'>,
  credentials: SandboxCredentials,
  orders: typeof DEMO_ORDERS,
  tokenTtlSeconds = DEFAULT_TOKEN_TTL_SECONDS,
): Promise<SandboxServer> {
  const state = new CommercetoolsState(tokenTtlSeconds);
  seedCommercetools(state, orders);
  return startHttpServer({
    ...common,
    errorBody: commercetoolsErrorBody,
    defineRoutes: commercetoolsRoutes(state, credentials.commercetools),
  });
}
