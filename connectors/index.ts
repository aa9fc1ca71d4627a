import type { Cluster, Redis } from 'ioredis';

import type { CatalogConnector } from './catalog.js';
import { CommercetoolsDiscountConnector } from './commercetools/commercetools-discounts.js';
import { CommercetoolsOrderConnector } from './commercetools/commercetools-orders.js';
import { CommercetoolsTokenProvider } from './commercetools/token-provider.js';
import { DiscoveryCatalogConnector } from './discovery/discovery-catalog.js';
import { DiscoveryProgramConnector } from './discovery/discovery-programs.js';
import type { DiscountConnector } from './discounts.js';
import type { EnrollmentConnector } from './enrollment.js';
import { createHttpClient, type OnUpstreamRequest } from './http-client.js';
import { LmsEnrollmentConnector } from './lms/lms-enrollment.js';
import { lmsServiceTokensFor } from './lms/lms-service-tokens.js';
import { createSmtpMailer, type Mailer } from './mail/smtp-mailer.js';
import { createCslScreening, type ScreeningConnector } from './screening/csl-screening.js';
import type { OrderConnector } from './orders.js';
import type { PaymentConnector } from './payments.js';
import type { ProgramConnector } from './programs.js';
import { StripePaymentConnector } from './stripe/stripe-payments.js';

export type { OnUpstreamRequest, UpstreamRequestEvent } from './http-client.js';
export { createLoaders, primeCourses, primeOrders, type Loaders } from './loaders.js';

export interface Connectors {
  catalog: CatalogConnector;
  enrollment: EnrollmentConnector;
  payments: PaymentConnector;
  orders: OrderConnector;
  discounts: DiscountConnector;
  programs: ProgramConnector;
  /** Null when no SMTP server is configured (production without SMTP_URL). */
  mail: Mailer | null;
  /** Null when no screening API is configured (production without SANCTIONS_API_URL). */
  screening: ScreeningConnector | null;
}

/**
 * The connectors whose upstream the gateway cannot serve without, each able to say whether the
 * part of it it uses answers. Mail is left out (receipts wait and retry, so an SMTP outage does
 * not stop purchases), and so is sanctions screening (asked only when the flows filter on it).
 */
export const READINESS_CONNECTORS = [
  'catalog',
  'enrollment',
  'payments',
  'orders',
  'discounts',
  'programs',
] as const satisfies readonly (keyof Connectors)[];
export type ReadinessConnector = (typeof READINESS_CONNECTORS)[number];

/** Base URLs have no trailing slash and no API path. */
export interface ConnectorSettings {
  discovery: { url: string };
  /**
   * `serviceClient`: the LMS OAuth2 application of a staff service user, for the staff list of
   * enrollments; without it, lists go one request per user with the API key.
   */
  lms: {
    url: string;
    apiKey: string;
    serviceClient?: { clientId: string; clientSecret: string } | null;
  };
  /** `webhookSecret` is the webhook endpoint's signing secret (`whsec_…`). */
  stripe: { url: string; secretKey: string; webhookSecret: string };
  commercetools: {
    apiUrl: string;
    authUrl: string;
    projectKey: string;
    clientId: string;
    clientSecret: string;
  };
  /** Outbound mail; none when absent or null. */
  smtp?: { url: string; from: string } | null;
  /** The Consolidated Screening List API; none when absent or null. */
  screening?: { url: string; apiKey: string } | null;
}

export interface ConnectorOptions {
  redis: Redis | Cluster;
  /** Every Redis key the connectors write starts with this. */
  keyPrefix: string;
  timeoutMs: number;
  catalogCacheTtlSeconds: number;
  /** The `User-Agent` of every upstream call, e.g. `commerce-gateway/0.1.0`. */
  userAgent?: string;
  onRequest?: OnUpstreamRequest;
}

export function createConnectors(
  settings: ConnectorSettings,
  options: ConnectorOptions,
): Connectors {
  const { redis, keyPrefix, timeoutMs, userAgent, onRequest } = options;
  const common = {
    timeoutMs,
    ...(userAgent ? { userAgent } : {}),
    ...(onRequest ? { onRequest } : {}),
  };
  const ct = settings.commercetools;

  const discovery = createHttpClient({
    ...common,
    upstream: 'catalog',
    baseUrl: settings.discovery.url,
  });
  const lms = createHttpClient({
    ...common,
    upstream: 'enrollment',
    baseUrl: settings.lms.url,
    headers: { 'x-edx-api-key': settings.lms.apiKey },
  });
  const stripe = createHttpClient({
    ...common,
    upstream: 'payments',
    baseUrl: settings.stripe.url,
    headers: { authorization: `Bearer ${settings.stripe.secretKey}` },
  });
  const lmsServiceClient = settings.lms.serviceClient;
  const lmsServiceTokens = lmsServiceClient
    ? lmsServiceTokensFor(
        // No API key on the token endpoint: it takes the client's own credentials.
        createHttpClient({ ...common, upstream: 'enrollment', baseUrl: settings.lms.url }),
        lmsServiceClient,
      )
    : null;
  const ctAuth = createHttpClient({ ...common, upstream: 'orders', baseUrl: ct.authUrl });
  const ctApi = createHttpClient({ ...common, upstream: 'orders', baseUrl: ct.apiUrl });
  const ctTokens = new CommercetoolsTokenProvider(ctAuth, ct);
  const catalogCache = {
    redis,
    keyPrefix,
    catalogCacheTtlSeconds: options.catalogCacheTtlSeconds,
  };

  return {
    catalog: new DiscoveryCatalogConnector(discovery, {
      redis,
      keyPrefix,
      catalogCacheTtlSeconds: options.catalogCacheTtlSeconds,
    }),
    enrollment: new LmsEnrollmentConnector(lms, lmsServiceTokens),
    payments: new StripePaymentConnector(stripe, {
      redis,
      keyPrefix,
      webhookSecret: settings.stripe.webhookSecret,
    }),
    mail: settings.smtp ? createSmtpMailer({ ...settings.smtp, timeoutMs }) : null,
    screening: settings.screening
      ? createCslScreening(
          createHttpClient({
            ...common,
            upstream: 'screening',
            baseUrl: settings.screening.url,
            headers: { 'subscription-key': settings.screening.apiKey },
          }),
        )
      : null,
    orders: new CommercetoolsOrderConnector(ctApi, ctTokens, ct.projectKey),
    discounts: new CommercetoolsDiscountConnector(ctApi, ctTokens, ct.projectKey),
    programs: new DiscoveryProgramConnector(discovery, catalogCache),
  };
}
