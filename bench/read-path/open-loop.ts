import { percentiles, type Percentiles } from './stats.js';

export interface OpenLoopOptions {
  ratePerSecond: number;
  durationMs: number;
  /** One request (or chain of requests); throws when the answer is not a success. */
  send: () => Promise<void>;
}

export interface OpenLoopResult {
  ratePerSecond: number;
  sent: number;
  ok: number;
  failed: number;
  firstFailure: string | null;
  /** From the moment a request is launched to the end of its answer's body; successes only. */
  latency: Percentiles;
  /** How late each launch was against its schedule: large values mean the client fell behind. */
  launchLag: Percentiles;
}

/**
 * Fixed-rate (open-loop) load: request i is launched at start + i/rate whether or not earlier ones
 * have answered, so a slow answer cannot hold back the next request and hide queueing (the
 * "coordinated omission" of closed-loop tools). autocannon's `overallRate` is not used: it lets
 * each connection send its per-second quota back to back at the top of every second (bursts),
 * and its latency correction assumes an interval of ceil(1/rate) = 1 ms, adding phantom samples.
 */
export function runOpenLoop(options: OpenLoopOptions): Promise<OpenLoopResult> {
  const interval = 1000 / options.ratePerSecond;
  const total = Math.max(1, Math.round((options.ratePerSecond * options.durationMs) / 1000));
  const latencies: number[] = [];
  const lags: number[] = [];
  let launched = 0;
  let settled = 0;
  let failed = 0;
  let firstFailure: string | null = null;

  return new Promise((resolve) => {
    const finishIfDone = () => {
      if (settled < total) return;
      resolve({
        ratePerSecond: options.ratePerSecond,
        sent: launched,
        ok: latencies.length,
        failed,
        firstFailure,
        latency: percentiles(latencies),
        launchLag: percentiles(lags),
      });
    };
    const start = performance.now();
    const launch = (due: number) => {
      const at = performance.now();
      lags.push(at - due);
      launched += 1;
      options
        .send()
        .then(
          () => latencies.push(performance.now() - at),
          (error: unknown) => {
            failed += 1;
            firstFailure ??= error instanceof Error ? error.message : String(error);
          },
        )
        .finally(() => {
          settled += 1;
          finishIfDone();
        });
    };
    // Timers fire at best every millisecond: each tick launches every request now due.
    const tick = () => {
      const now = performance.now();
      while (launched < total && start + launched * interval <= now) {
        launch(start + launched * interval);
      }
      if (launched < total) {
        setTimeout(tick, Math.max(0, start + launched * interval - performance.now()));
      }
    };
    tick();
  });
}
