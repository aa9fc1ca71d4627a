import {
  READINESS_CONNECTORS,
  type Connectors,
  type ReadinessConnector,
} from '../connectors/index.js';
import type { UpstreamsConfig } from './config.js';

/** Where each connector's upstream lives, for a message an operator can act on. */
function upstreamUrls(upstreams: UpstreamsConfig): Record<ReadinessConnector, string> {
  return {
    catalog: upstreams.discovery.url,
    enrollment: upstreams.lms.url,
    payments: upstreams.stripe.url,
    orders: upstreams.commercetools.apiUrl,
    discounts: upstreams.commercetools.apiUrl,
    programs: upstreams.discovery.url,
  };
}

/**
 * The upstreams that do not answer within the timeout, as "name (url)"; empty when all do.
 * A worker checks them before taking any job, so a worker pointed at the wrong upstreams stops
 * instead of failing every job it takes.
 */
export async function findUnreachableUpstreams(
  connectors: Connectors,
  upstreams: UpstreamsConfig,
  timeoutMs: number,
): Promise<string[]> {
  const urls = upstreamUrls(upstreams);
  const results = await Promise.all(
    READINESS_CONNECTORS.map(async (name) => {
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<false>((resolve) => {
        timer = setTimeout(() => resolve(false), timeoutMs);
      });
      const answered = connectors[name].checkReachable().then(
        () => true,
        () => false,
      );
      const ok = await Promise.race([answered, timedOut]).finally(() => clearTimeout(timer));
      return ok ? null : `${name} (${urls[name]})`;
    }),
  );
  return results.filter((result): result is string => result !== null);
}
