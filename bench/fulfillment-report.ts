import { cpus } from 'node:os';
import type { Outcome } from './fulfillment-load.js';
import { cpuSecondsOf, machineBusySeconds } from './fulfillment-stack.js';

export interface Measured {
  outcome: Outcome;
  /** Durations of the OrderJobs.enqueue calls, when the run enqueued. */
  enqueueMs?: number[];
  /** CPU seconds per second of each process over the run, by role; `machine` is every process. */
  cpu: Record<string, number>;
  seconds: number;
}

/** Runs the measured part, noting the CPU time each process (and the whole machine) used in it. */
export async function measured(
  pids: Record<string, number>,
  run: () => Promise<{ outcome: Outcome; enqueueMs?: number[] }>,
): Promise<Measured> {
  const cpuNow = () => {
    const used: Record<string, number> = {};
    for (const [name, pid] of Object.entries(pids)) used[name] = cpuSecondsOf(pid) ?? NaN;
    const self = process.cpuUsage();
    used['driver'] = (self.user + self.system) / 1e6;
    used['machine'] = machineBusySeconds() ?? NaN;
    return used;
  };
  const before = cpuNow();
  const started = performance.now();
  const result = await run();
  const seconds = (performance.now() - started) / 1000;
  const after = cpuNow();
  const cpu: Record<string, number> = {};
  for (const [name, value] of Object.entries(after)) {
    cpu[name] = (value - (before[name] ?? NaN)) / seconds;
  }
  return { ...result, cpu, seconds };
}

/** Prints one run: throughput, latencies, and where the CPU went. */
export function report(title: string, run: Measured, options: { cpu: boolean }): void {
  const { outcome } = run;
  const done = outcome.latenciesMs.length;
  const span = (outcome.lastEnd - outcome.firstStart) / 1000;
  const failed = [...outcome.failures].map(([reason, n]) => `${n}× ${reason}`).join(', ');
  const lines = [
    `  ${title}`,
    `    FULFILLED ${done} in ${span.toFixed(2)} s = ${(done / span).toFixed(0)} orders/s` +
      (failed ? `; NOT fulfilled: ${failed}` : ''),
    `    ${run.enqueueMs ? 'enqueue' : 'purchase'} → FULFILLED: ${percentiles(outcome.latenciesMs)}`,
  ];
  if (run.enqueueMs) lines.push(`    enqueue (OrderJobs.enqueue): ${percentiles(run.enqueueMs)}`);
  if (options.cpu) lines.push(...cpuLines(run, done));
  console.log(lines.join('\n'));
}

function cpuLines(run: Measured, orders: number): string[] {
  const { machine = NaN, ...ours } = run.cpu;
  const total = Object.values(ours).reduce((sum, share) => sum + (share || 0), 0);
  const pct = (share: number) => (Number.isNaN(share) ? '?' : `${(share * 100).toFixed(0)}%`);
  const ms = (share: number) => ((share * run.seconds * 1000) / orders).toFixed(2);
  const each = (format: (share: number) => string) =>
    Object.entries(ours)
      .map(([name, share]) => `${name} ${format(share)}`)
      .join(', ');
  const cores = cpus().length;
  return [
    `    CPU, % of one core: ${each(pct)}; all of these ${pct(total)}; ` +
      `other processes ${pct(machine - total)} (machine ${pct(machine)} of ${cores * 100}%)`,
    // CPU time per order hardly depends on what else runs: it says what the machine could do alone.
    `    CPU ms per order: ${each(ms)}; total ${ms(total)} ` +
      `→ at most ${((cores * orders) / (total * run.seconds)).toFixed(0)} orders/s on ${cores} cores`,
  ];
}

function percentiles(samples: readonly number[]): string {
  if (samples.length === 0) return 'no samples';
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (p: number) =>
    sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)] ?? NaN;
  const ms = (value: number) => `${value < 10 ? value.toFixed(2) : value.toFixed(0)} ms`;
  return `p50 ${ms(at(0.5))}, p99 ${ms(at(0.99))}, max ${ms(at(1))} (n=${sorted.length})`;
}
