import autocannon from 'autocannon';

export interface SaturationOptions {
  url: string;
  headers: Record<string, string>;
  body: string;
  connections: number;
  durationSeconds: number;
  /** A body that fails this is counted as a mismatch (GraphQL errors come with status 200). */
  verifyBody: (body: string) => boolean;
}

export interface SaturationResult {
  /** Successful, verified answers per second over the whole run. */
  requestsPerSecond: number;
  completed: number;
  failed: number;
  latencyP50: number;
  latencyP99: number;
}

/**
 * Closed-loop load: every connection sends its next request as soon as the previous one is
 * answered, with enough connections that the gateway, not the upstream latency, is the limit.
 */
export async function saturate(options: SaturationOptions): Promise<SaturationResult> {
  const result = await autocannon({
    url: options.url,
    method: 'POST',
    headers: options.headers,
    body: options.body,
    connections: options.connections,
    duration: options.durationSeconds,
    // autocannon hands over the body as it buffered it: a string, or a Buffer for some encodings.
    verifyBody: (body) =>
      options.verifyBody(typeof body === 'string' ? body : (body?.toString('utf8') ?? '')),
  });
  const failed = result.non2xx + result.errors + result.mismatches;
  const succeeded = Math.max(0, result['2xx'] - result.mismatches);
  return {
    requestsPerSecond: succeeded / result.duration,
    completed: result['2xx'] + result.non2xx,
    failed,
    latencyP50: result.latency.p50,
    latencyP99: result.latency.p99,
  };
}
