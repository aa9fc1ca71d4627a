/** The figures: latency percentiles per phase, the gateway's memory per connection, the aim. */
import { cpus, loadavg, totalmem } from 'node:os';
import { fileLimits } from './file-limit.js';
import type { GatewayMemory } from './gateway.js';
import type { FanoutOptions } from './options.js';
import type { RoundResult } from './rounds.js';

export function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

export function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

export interface Row {
  clients: number;
  phase: string;
  deliveries: string;
  p50: number;
  p99: number;
  max: number;
  perSecond: number;
  gatewayCpu: number;
  benchCpu: number;
  /** The worst client process's event-loop delay over the phase's rounds. */
  clientLoopP99: number;
  clientLoopMax: number;
  /** The 1-minute load average when the phase ended. */
  load: number;
  /** The gateway's worst loop delay and GC pause over the phase's rounds. */
  gatewayLoopP99: number;
  gatewayLoopMax: number;
  gcMs: number;
  gcMaxMs: number;
  gcMaxKind: string;
}

/** A client process whose loop ran this late (p99) delays the receive times it notes. */
const CLIENT_LOOP_LIMIT_MS = 10;

export function summarise(clients: number, phase: string, rounds: RoundResult[]): Row {
  const all = Float64Array.from(rounds.flatMap((round) => round.latencies)).sort();
  const received = rounds.reduce((sum, round) => sum + round.received, 0);
  const expected = rounds.reduce((sum, round) => sum + round.expected, 0);
  const span = rounds.reduce((sum, round) => sum + round.spanMs, 0);
  return {
    clients,
    phase,
    deliveries: received === expected ? String(received) : `${received}/${expected}`,
    p50: percentile(all, 50),
    p99: percentile(all, 99),
    max: all.length > 0 ? all[all.length - 1]! : NaN,
    perSecond: (received * 1000) / span,
    gatewayCpu: (100 * rounds.reduce((sum, round) => sum + round.gatewayCpuMs, 0)) / span,
    benchCpu: (100 * rounds.reduce((sum, round) => sum + round.benchCpuMs, 0)) / span,
    clientLoopP99: Math.max(...rounds.map((round) => round.clientLoopDelayP99Ms)),
    clientLoopMax: Math.max(...rounds.map((round) => round.clientLoopDelayMaxMs)),
    load: loadavg()[0]!,
    gatewayLoopP99: Math.max(...rounds.map((round) => round.gatewayPauses.loopDelayP99Ms)),
    gatewayLoopMax: Math.max(...rounds.map((round) => round.gatewayPauses.loopDelayMaxMs)),
    gcMs: rounds.reduce((sum, round) => sum + round.gatewayPauses.gcTotalMs, 0),
    ...worstGc(rounds),
  };
}

function worstGc(rounds: RoundResult[]): { gcMaxMs: number; gcMaxKind: string } {
  let worst = { gcMaxMs: 0, gcMaxKind: '-' };
  for (const { gatewayPauses } of rounds) {
    if (gatewayPauses.gcMaxMs > worst.gcMaxMs)
      worst = { gcMaxMs: gatewayPauses.gcMaxMs, gcMaxKind: gatewayPauses.gcMaxKind };
  }
  return worst;
}

export interface MemoryRow {
  clients: number;
  rampMs: number;
  before: GatewayMemory;
  idle: GatewayMemory;
  after: GatewayMemory;
  benchRssPerClient: number;
}

export const ms = (value: number) => (Number.isFinite(value) ? value.toFixed(1) : '-');
const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);
const kb = (bytes: number) => (bytes / 1024).toFixed(1);
const pad = (cells: string[], widths: number[]) =>
  cells.map((cell, i) => (i < 2 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ');

function printLatency(rows: Row[]): void {
  const head = [
    'clients',
    'rounds',
    'delivered',
    'p50 ms',
    'p99 ms',
    'max ms',
    'msg/s',
    'gw CPU',
    'bench CPU',
  ];
  const body = rows.map((row) => [
    String(row.clients),
    row.phase,
    row.deliveries,
    ms(row.p50),
    ms(row.p99),
    ms(row.max),
    Math.round(row.perSecond).toLocaleString('en-US'),
    `${Math.round(row.gatewayCpu)}%`,
    `${Math.round(row.benchCpu)}%`,
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((cells) => cells[i]!.length)));
  console.log(pad(head, widths));
  for (const cells of body) console.log(pad(cells, widths));
  for (const row of rows) {
    console.log(
      `  health ${row.phase}: client processes' event-loop delay p99 ${ms(row.clientLoopP99)} ms, ` +
        `max ${ms(row.clientLoopMax)} ms; load ${row.load.toFixed(2)}` +
        (row.clientLoopP99 > CLIENT_LOOP_LIMIT_MS
          ? ' -- the clients fell behind (busy machine?): latency figures unreliable'
          : ''),
    );
    console.log(
      `  gateway ${row.phase}: loop delay p99 ${ms(row.gatewayLoopP99)} ms, max ` +
        `${ms(row.gatewayLoopMax)} ms; GC ${ms(row.gcMs)} ms in all, longest ` +
        `${ms(row.gcMaxMs)} ms (${row.gcMaxKind})`,
    );
  }
}

function printMemory(rows: MemoryRow[]): void {
  const head = [
    'clients',
    'ramp',
    'RSS before',
    'RSS idle',
    'RSS/conn',
    'heap before',
    'heap idle',
    'heap/conn',
    'V8 total/conn',
    'ext+ab/conn',
    'RSS/conn after rounds',
    'fds',
  ];
  const body = rows.map((row) => [
    String(row.clients),
    `${(row.rampMs / 1000).toFixed(1)} s`,
    `${mb(row.before.vmRss)} MB`,
    `${mb(row.idle.vmRss)} MB`,
    `${kb((row.idle.vmRss - row.before.vmRss) / row.clients)} KB`,
    `${mb(row.before.heapUsed)} MB`,
    `${mb(row.idle.heapUsed)} MB`,
    `${kb((row.idle.heapUsed - row.before.heapUsed) / row.clients)} KB`,
    `${kb((row.idle.heapTotal - row.before.heapTotal) / row.clients)} KB`,
    `${kb((row.idle.external - row.before.external) / row.clients)} KB`,
    `${kb((row.after.vmRss - row.before.vmRss) / row.clients)} KB`,
    String(row.idle.openFds),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((cells) => cells[i]!.length)));
  console.log(pad(head, widths));
  for (const cells of body) console.log(pad(cells, widths));
}

/** The machine and the run's settings, printed before and with the figures. */
export function machineFacts(
  options: Pick<FanoutOptions, 'mix' | 'publishRate' | 'firstRate' | 'rampRate' | 'maxInFlight'>,
): string[] {
  const { mix, publishRate, firstRate, rampRate, maxInFlight } = options;
  const cpu = cpus();
  const limits = fileLimits();
  return [
    `date: ${new Date().toISOString()}`,
    `node ${process.version}, ${cpu.length} × ${cpu[0]?.model ?? 'unknown CPU'}, ` +
      `${mb(totalmem())} MB RAM, load ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
    `open files (bench): soft ${limits.soft}, hard ${limits.hard}`,
    `mix: ${mix}; paced rate ${publishRate} changes/s (first change ${firstRate}/s); ramp ${rampRate} clients/s, ` +
      `${maxInFlight} in flight`,
  ];
}

/** The report's head on stdout: what is measured, on what machine, with which settings. */
export function printHeader(facts: string[]): void {
  console.log('Subscriptions fan-out: publish (Redis PUBLISH) → receive (graphql-ws client)');
  for (const line of facts) console.log(`  ${line}`);
}

/** One size's figures, printed as soon as it is measured (a larger size takes minutes more). */
export function printSize(rows: Row[], memory: MemoryRow, notes: string[]): void {
  console.log(`\nN=${memory.clients}: latency (client receive time − publish time, same clock):`);
  printLatency(rows);
  console.log(
    `N=${memory.clients}: gateway memory (after a full GC; /proc VmRSS and V8 heap used):`,
  );
  printMemory([memory]);
  console.log(`  bench client processes RSS +${kb(memory.benchRssPerClient)} KB/client`);
  for (const note of notes) console.log(`note: ${note}`);
}

/** The aims of issue 12 (20,000 clients, paced p99 ≤ 50 ms, ≤ 25 KB), judged at the largest N. */
export function printAim(rows: Row[], memory: MemoryRow[]): void {
  const big = memory.at(-1);
  const bigRows = rows.filter((row) => row.clients === big?.clients);
  const paced = bigRows.find((row) => row.phase.includes('paced'));
  if (big && paced) {
    const perConn = (big.idle.vmRss - big.before.vmRss) / big.clients / 1024;
    console.log(
      `\nAims (issue 12) at N=${big.clients}: 20,000 clients: ` +
        `${big.clients >= 20_000 ? 'met' : 'MISSED'}; paced p99 ≤ 50 ms: ` +
        `${paced.p99 <= 50 ? 'met' : 'MISSED'} (${ms(paced.p99)} ms); ≤ 25 KB/connection: ` +
        `${perConn <= 25 ? 'met' : 'MISSED'} (${perConn.toFixed(1)} KB RSS)`,
    );
  }
}
