import type { UpstreamUrls } from './children.js';
import { request, requestOk } from './http.js';

export type UpstreamName = keyof UpstreamUrls;
export const UPSTREAM_NAMES: readonly UpstreamName[] = [
  'commercetools',
  'discovery',
  'lms',
  'stripe',
];

/** Requests served per route (`METHOD /route/pattern`), per upstream. */
export type UpstreamStats = Record<UpstreamName, Record<string, number>>;

/** Sets every upstream's fixed added latency through its control route. */
export async function setLatency(upstreams: UpstreamUrls, ms: number): Promise<void> {
  await Promise.all(
    UPSTREAM_NAMES.map((name) =>
      requestOk({
        method: 'PUT',
        url: `${upstreams[name]}/__sandbox/latency`,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ ms }),
      }),
    ),
  );
}

export async function resetStats(upstreams: UpstreamUrls): Promise<void> {
  await Promise.all(
    UPSTREAM_NAMES.map((name) =>
      requestOk({ method: 'POST', url: `${upstreams[name]}/__sandbox/reset-stats` }),
    ),
  );
}

export async function readStats(upstreams: UpstreamUrls): Promise<UpstreamStats> {
  const entries = await Promise.all(
    UPSTREAM_NAMES.map(async (name) => {
      const answer = await request({ method: 'GET', url: `${upstreams[name]}/__sandbox/stats` });
      const parsed = JSON.parse(answer.body) as { routes?: Record<string, number> };
      return [name, parsed.routes ?? {}] as const;
    }),
  );
  return Object.fromEntries(entries) as UpstreamStats;
}
