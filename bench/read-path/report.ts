import type { OpenLoopResult } from './open-loop.js';
import type { SaturationResult } from './saturate.js';
import type { UpstreamStats } from './sandbox-control.js';

export interface OperationResult {
  name: string;
  saturation: SaturationResult;
  gateway: OpenLoopResult;
  /** Null when the operation waits on no upstream, so there was nothing to run (0 ms). */
  criticalPath: OpenLoopResult | null;
  criticalPathStages: string[];
  /** Upstream requests per gateway request during the fixed-rate run, per upstream and route. */
  upstreamPerRequest: UpstreamStats;
  /** Gateway process CPU per request during the fixed-rate run, or null without /proc. */
  gatewayCpuMsPerRequest: number | null;
  /**
   * The separate sandbox's CPU per gateway request over the same run: what the upstreams'
   * stand-in takes from the cores the gateway shares with it (null when it runs in-process).
   */
  sandboxCpuMsPerRequest: number | null;
  /** The floor server at the same rate (`--floor`), when measured. */
  floor?: FloorResult;
}

/** read-path/floor-server.ts at the gateway's rate: its latency run and CPU per request. */
export interface FloorResult {
  run: OpenLoopResult;
  cpuMsPerRequest: number | null;
}

/** Issue 12's aims for the read path (issue 2's were 2 and 8 ms added, no CPU aim). */
export const TARGET_ADDED_P50_MS = 1;
export const TARGET_ADDED_P99_MS = 4;
/** Gateway CPU per request, by operation. */
export const TARGET_CPU_MS_PER_REQUEST: Readonly<Record<string, number>> = {
  MyOrders: 1.5,
  CourseCatalog: 0.8,
};
/** Beyond this the load generator's own event loop was starved, so its timings are suspect. */
const LAUNCH_LAG_LIMIT_MS = 5;

const ms = (value: number) => (Number.isFinite(value) ? value.toFixed(1) : '-');

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) =>
    Math.max(h.length, ...rows.map((row) => row[i]?.length ?? 0)),
  );
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0)))
      .join('  ');
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

export function latencyTable(results: readonly OperationResult[]): string {
  const header = [
    'operation',
    'sat req/s',
    'rate',
    'gw p50',
    'gw p99',
    'gw p99.9',
    'cp p50',
    'cp p99',
    'added p50',
    'added p99',
    'gw CPU/req',
    'target',
  ];
  const rows = results.flatMap((r) => {
    const cpP50 = r.criticalPath?.latency.p50 ?? 0;
    const cpP99 = r.criticalPath?.latency.p99 ?? 0;
    const cpuTarget = TARGET_CPU_MS_PER_REQUEST[r.name];
    const row = (name: string, saturated: string, run: OpenLoopResult, cpuMs: number | null) => {
      const addedP50 = run.latency.p50 - cpP50;
      const addedP99 = run.latency.p99 - cpP99;
      const met =
        addedP50 <= TARGET_ADDED_P50_MS &&
        addedP99 <= TARGET_ADDED_P99_MS &&
        (cpuTarget === undefined || (cpuMs !== null && cpuMs <= cpuTarget));
      return [
        name,
        saturated,
        `${run.ratePerSecond}/s`,
        ms(run.latency.p50),
        ms(run.latency.p99),
        ms(run.latency.p999),
        ms(cpP50),
        ms(cpP99),
        ms(addedP50),
        ms(addedP99),
        cpuMs === null ? '-' : `${cpuMs.toFixed(2)} ms`,
        met ? 'met' : 'MISSED',
      ];
    };
    const gateway = row(
      r.name,
      r.saturation.requestsPerSecond.toFixed(0),
      r.gateway,
      r.gatewayCpuMsPerRequest,
    );
    return r.floor
      ? [gateway, row(`${r.name} floor`, '-', r.floor.run, r.floor.cpuMsPerRequest)]
      : [gateway];
  });
  return table(header, rows);
}

export function upstreamTable(results: readonly OperationResult[]): string {
  const rows: string[][] = [];
  for (const r of results) {
    for (const [upstream, routes] of Object.entries(r.upstreamPerRequest)) {
      const entries = Object.entries(routes);
      if (entries.length === 0) rows.push([r.name, upstream, '(none)', '0']);
      for (const [route, perRequest] of entries) {
        rows.push([r.name, upstream, route, perRequest.toFixed(2)]);
      }
    }
  }
  return table(['operation', 'upstream', 'route', 'per request'], rows);
}

export function runHealthLines(results: readonly OperationResult[]): string[] {
  const lines: string[] = [];
  for (const r of results) {
    for (const [what, run] of [
      ['gateway', r.gateway],
      ['critical path', r.criticalPath],
      ...(r.floor ? ([['floor', r.floor.run]] as const) : []),
    ] as const) {
      if (run === null) {
        lines.push(`  ${r.name} ${what}: no upstream to wait on, nothing run (0 ms)`);
        continue;
      }
      lines.push(
        `  ${r.name} ${what}: ${run.ok}/${run.sent} ok at ${run.ratePerSecond}/s, ` +
          `launch lag p99 ${ms(run.launchLag.p99)} ms, max ${ms(run.launchLag.max)} ms` +
          (run.launchLag.p99 > LAUNCH_LAG_LIMIT_MS
            ? ' -- the client fell behind (busy machine?): latency figures unreliable'
            : '') +
          (run.failed > 0 ? `; ${run.failed} FAILED, first: ${run.firstFailure ?? ''}` : ''),
      );
    }
    if (r.sandboxCpuMsPerRequest !== null) {
      lines.push(
        `  ${r.name} sandbox: ${r.sandboxCpuMsPerRequest.toFixed(2)} ms CPU per gateway request ` +
          `(the upstreams' stand-in, on the same cores)`,
      );
    }
    lines.push(
      `  ${r.name} saturation: ${r.saturation.completed} answers, ${r.saturation.failed} failed, ` +
        `closed-loop latency p50 ${ms(r.saturation.latencyP50)} / p99 ${ms(r.saturation.latencyP99)} ms`,
    );
  }
  return lines;
}
