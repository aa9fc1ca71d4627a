/**
 * The saturation run (read-path/saturate.ts) in a process of its own: one message in, the
 * SaturationOptions; one message out, the SaturationResult; then it exits.
 */
import autocannon from 'autocannon';
import { looksSuccessful } from './operations.js';
import type { SaturationOptions, SaturationResult } from './saturate.js';

async function run(options: SaturationOptions): Promise<SaturationResult> {
  const result = await autocannon({
    url: options.url,
    method: 'POST',
    headers: options.headers,
    body: options.body,
    connections: options.connections,
    duration: options.durationSeconds,
    // autocannon hands over the body as it buffered it: a string, or a Buffer for some encodings.
    verifyBody: (body) =>
      looksSuccessful(typeof body === 'string' ? body : (body?.toString('utf8') ?? '')),
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

process.once('message', (options) => {
  void run(options as SaturationOptions).then(
    (result) => process.send?.(result, () => process.exit(0)),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
});
