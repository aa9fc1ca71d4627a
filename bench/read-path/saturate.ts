import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface SaturationOptions {
  url: string;
  headers: Record<string, string>;
  body: string;
  connections: number;
  durationSeconds: number;
}

export interface SaturationResult {
  /** Successful, verified answers per second over the whole run. */
  requestsPerSecond: number;
  completed: number;
  failed: number;
  latencyP50: number;
  latencyP99: number;
}

const CHILD = fileURLToPath(new URL('./saturate-child.js', import.meta.url));

/**
 * Closed-loop load: every connection sends its next request as soon as the previous one is
 * answered, with enough connections that the gateway, not the upstream latency, is the limit.
 * A body with GraphQL errors (they come with status 200) counts as failed.
 *
 * autocannon runs in a process of its own. Run in the bench's process, it left V8 there doing a
 * full collection every 0.2–0.3 s for the rest of the run (about 40 in 8 s of the open loop that
 * followed, against 1 without autocannon before it: `node --trace-gc`), and the open-loop
 * driver then fell behind its schedule.
 */
export async function saturate(options: SaturationOptions): Promise<SaturationResult> {
  const child = fork(CHILD, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const answered = new Promise<SaturationResult>((resolve, reject) => {
    child.once('message', (result) => resolve(result as SaturationResult));
    child.once('error', reject);
    child.once('exit', (code, signal) =>
      reject(new Error(`autocannon's process ended (${signal ?? code}) before it answered`)),
    );
  });
  child.send(options);
  return answered;
}
