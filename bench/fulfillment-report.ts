import { cpus } from 'node:os';
import type { Outcome } from './fulfillment-load.js';
import { cpuSecondsOf, machineBusySeconds } from './fulfillment-stack.js';

export interface Measured {
  outcome: Outcome;
  /** Durations of the OrderJobs.enqueue calls, when the run enqueued. */
  enqueueMs?: number[];
  /** Durations of a PING sent beside each enqueue, on a connection of its own. */
  pingMs?: number[];
  /** How late each enqueue started against the offered rate's schedule, when the run enqueued. */
  launchLagMs?: number[];
  /** CPU seconds per second of each process over the run, by role; `machine` is every process. */
  cpu: Record<string, number>;
  seconds: number;
}

/** Runs the measured part, noting the CPU time each process (and the whole machine) used in it. */
export async function measured(
  pids: Record<string, number>,
  run: () => Promise<Omit<Measured, 'cpu' | 'seconds'>>,
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
  if (run.pingMs) lines.push(`    beside it, Redis PING: ${percentiles(run.pingMs)}`);
  if (options.cpu) lines.push(...cpuLines(run, done));
  lines.push(healthLine(run));
  console.log(lines.join('\n'));
}

/** Beyond these the machine, not the system measured, decided the figures. */
const LAUNCH_LAG_LIMIT_MS = 5;
const OTHER_PROCESSES_LIMIT = 0.25;

/**
 * Whether the run measured the system or the machine's other load: a driver that launched its
 * enqueues late offered less than the rate (and its enqueue times include its own starvation),
 * and other processes taking a quarter of a core or more take it from the worker.
 */
function healthLine(run: Measured): string {
  const { machine = NaN, ...ours } = run.cpu;
  const others = machine - Object.values(ours).reduce((sum, share) => sum + (share || 0), 0);
  const problems: string[] = [];
  let lag = '';
  if (run.launchLagMs && run.launchLagMs.length > 0) {
    const sorted = [...run.launchLagMs].sort((a, b) => a - b);
    const p99 = sorted[Math.ceil(0.99 * sorted.length) - 1] ?? NaN;
    lag = `driver launch lag p99 ${p99.toFixed(1)} ms, max ${(sorted.at(-1) ?? NaN).toFixed(1)} ms; `;
    if (p99 > LAUNCH_LAG_LIMIT_MS) problems.push('the driver fell behind its schedule');
  }
  if (others > OTHER_PROCESSES_LIMIT) {
    problems.push(`other processes took ${(others * 100).toFixed(0)}% of a core`);
  }
  return (
    `    health: ${lag}other processes ${Number.isNaN(others) ? '?' : (others * 100).toFixed(0)}%` +
    (problems.length > 0 ? ` -- ${problems.join(', ')}: figures unreliable` : '')
  );
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
