import type { Sandbox, SandboxService } from '../sandbox/index.js';
import type { GatewayConfig, UpstreamsConfig } from './config.js';

export interface ResolvedUpstreams {
  upstreams: UpstreamsConfig;
  /** The sandbox serving the upstreams the configuration left unset, or null when none was. */
  sandbox: Sandbox | null;
}

/**
 * Starts the built-in sandbox for every upstream whose URL is unset, and resolves all four.
 * The sandbox module is loaded only when needed, so a fully configured gateway never loads it.
 */
export async function resolveUpstreams(
  config: GatewayConfig,
  options: { basePort: number; webhookUrl?: string },
): Promise<ResolvedUpstreams> {
  const configured = config.upstreams;
  const missing: SandboxService[] = [];
  if (!configured.discovery) missing.push('discovery');
  if (!configured.lms) missing.push('lms');
  if (!configured.stripe) missing.push('stripe');
  if (!configured.commercetools) missing.push('commercetools');
  if (!config.mail.smtpUrl && config.nodeEnv !== 'production') missing.push('mail');
  if (!config.screening && config.nodeEnv !== 'production') missing.push('screening');

  let sandbox: Sandbox | null = null;
  if (missing.length > 0) {
    const { startSandbox } = await import('../sandbox/index.js');
    const { SANDBOX_CREDENTIALS } = await import('../sandbox/credentials.js');
    const port = (offset: number) => (options.basePort === 0 ? 0 : options.basePort + offset);
    sandbox = await startSandbox({
      only: missing,
      ports: {
        discovery: port(1),
        lms: port(2),
        stripe: port(3),
        commercetools: port(4),
        mail: port(5),
        mailbox: port(6),
        screening: port(7),
      },
      // The sandbox LMS signs tokens the gateway accepts: with its secret, issuer and audience.
      credentials: {
        ...SANDBOX_CREDENTIALS,
        jwt: {
          secretKey: config.jwt.secretKey ?? SANDBOX_CREDENTIALS.jwt.secretKey,
          issuer: config.jwt.issuer,
          audience: config.jwt.audience,
        },
      },
      ...(options.webhookUrl ? { webhookUrl: options.webhookUrl } : {}),
    });
  }

  return {
    sandbox,
    upstreams: fillFromSandbox(config, sandbox?.urls ?? {}, sandbox?.credentials),
  };
}

/**
 * The upstreams of a sandbox started by another process (a gateway's `npm start`, or
 * `npm run sandbox`) on its fixed ports: how a separately run worker finds the same sandbox.
 */
export async function upstreamsOfRunningSandbox(
  config: GatewayConfig,
  basePort: number,
): Promise<UpstreamsConfig> {
  const { SANDBOX_CREDENTIALS } = await import('../sandbox/credentials.js');
  const at = (offset: number) => `http://127.0.0.1:${basePort + offset}`;
  return fillFromSandbox(
    config,
    {
      discovery: at(1),
      lms: at(2),
      stripe: at(3),
      commercetoolsApi: at(4),
      commercetoolsAuth: at(4),
      ...(config.nodeEnv === 'production'
        ? {}
        : { smtp: `smtp://127.0.0.1:${basePort + 5}`, screening: at(7) }),
    },
    SANDBOX_CREDENTIALS,
  );
}

function fillFromSandbox(
  config: GatewayConfig,
  urls: Sandbox['urls'],
  credentials: Sandbox['credentials'] | undefined,
): UpstreamsConfig {
  const served = (name: string, url: string | undefined): string => {
    if (!url) throw new Error(`The sandbox did not start ${name}`);
    return url;
  };
  const configured = config.upstreams;
  const smtpUrl = config.mail.smtpUrl ?? urls.smtp;
  return {
    smtp: smtpUrl ? { url: smtpUrl, from: config.mail.from } : null,
    screening:
      config.screening ??
      (urls.screening ? { url: urls.screening, apiKey: credentials?.screeningApiKey ?? '' } : null),
    discovery: configured.discovery ?? { url: served('discovery', urls.discovery) },
    lms: configured.lms ?? {
      url: served('lms', urls.lms),
      apiKey: credentials?.lmsApiKey ?? '',
      serviceClient: credentials?.lmsServiceClient ?? null,
    },
    stripe: configured.stripe ?? {
      url: served('stripe', urls.stripe),
      secretKey: credentials?.stripeSecretKey ?? '',
      webhookSecret: credentials?.stripeWebhookSecret ?? '',
    },
    commercetools: configured.commercetools ?? {
      apiUrl: served('commercetools', urls.commercetoolsApi),
      authUrl: served('commercetools auth', urls.commercetoolsAuth),
      projectKey: credentials?.commercetools.projectKey ?? '',
      clientId: credentials?.commercetools.clientId ?? '',
      clientSecret: credentials?.commercetools.clientSecret ?? '',
    },
  };
}
