import { DEVELOPMENT_JWT } from '../server/development-jwt.js';

/**
 * The credentials the sandbox upstreams accept and the gateway uses when the sandbox serves an
 * upstream. They protect nothing real: the sandbox listens on loopback only.
 */
export const SANDBOX_CREDENTIALS = {
  lmsApiKey: 'sandbox-lms-api-key',
  /** The LMS OAuth2 application of the gateway's staff service user (client credentials). */
  lmsServiceClient: {
    clientId: 'sandbox-lms-service-client',
    clientSecret: 'sandbox-lms-service-secret',
  },
  screeningApiKey: 'sandbox-screening-key',
  stripeSecretKey: 'sk_test_sandbox',
  stripeWebhookSecret: 'whsec_sandbox',
  commercetools: {
    projectKey: 'sandbox-project',
    clientId: 'sandbox-client',
    clientSecret: 'sandbox-client-secret',
  },
  jwt: DEVELOPMENT_JWT,
  /** Every demo user's password at the sandbox LMS token endpoint. */
  demoPassword: 'sandbox',
} as const;

export type SandboxCredentials = {
  lmsApiKey: string;
  lmsServiceClient: { clientId: string; clientSecret: string };
  screeningApiKey: string;
  stripeSecretKey: string;
  stripeWebhookSecret: string;
  commercetools: { projectKey: string; clientId: string; clientSecret: string };
  jwt: { secretKey: string; issuer: string; audience: string };
  demoPassword: string;
};
