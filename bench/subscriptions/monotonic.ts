/**
 * Milliseconds on the system's monotonic clock (CLOCK_MONOTONIC via process.hrtime), the same in
 * every process on the machine, unlike performance.now(), which counts from each process's start.
 */
export function monotonicMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}
