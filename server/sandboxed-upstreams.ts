import type { Sandbox, SandboxUpstream } from '../sandbox/index.js';
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
  const missing: SandboxUpstream[] = [];
  if (!configured.discovery) missing.push('discovery');
  if (!configured.lms) missing.push('lms');
  if (!configured.stripe) missing.push('stripe');
  if (!configured.commercetools) missing.push('commercetools');

  let sandbox: Sandbox | null = null;
  if (missing.length > 0) {
    const { startSandbox } = await import('../sandbox/index.js');
    const { SANDBOX_CREDENTIALS } = await import('../sandbox/credentials.js');
    const port = (offset: number) => (options.basePort === 0 ? 0 : options.basePort + offset);
    sandbox = await startSandbox({
      only: missing,
      ports: { discovery: port(1), lms: port(2), stripe: port(3), commercetools: port(4) },
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

  const served = (name: string, url: string | undefined): string => {
    if (!url) throw new Error(`The sandbox did not start ${name}`);
    return url;
  };
  const credentials = sandbox?.credentials;
  return {
    sandbox,
    upstreams: {
      discovery: configured.discovery ?? { url: served('discovery', sandbox?.urls.discovery) },
      lms: configured.lms ?? {
        url: served('lms', sandbox?.urls.lms),
        apiKey: credentials?.lmsApiKey ?? '',
      },
      stripe: configured.stripe ?? {
        url: served('stripe', sandbox?.urls.stripe),
        secretKey: credentials?.stripeSecretKey ?? '',
        webhookSecret: credentials?.stripeWebhookSecret ?? '',
      },
      commercetools: configured.commercetools ?? {
        apiUrl: served('commercetools', sandbox?.urls.commercetoolsApi),
        authUrl: served('commercetools auth', sandbox?.urls.commercetoolsAuth),
        projectKey: credentials?.commercetools.projectKey ?? '',
        clientId: credentials?.commercetools.clientId ?? '',
        clientSecret: credentials?.commercetools.clientSecret ?? '',
      },
    },
  };
}
