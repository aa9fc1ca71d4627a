/**
 * `npm run bench:graph`: requests/s and latency of MyOrders and CourseCatalog against the sandbox
 * with a fixed upstream latency, and the gateway's added latency over the upstream critical path.
 * A benchmark, not a test: it prints figures and fails only when it cannot measure. See README.md.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  startFloorServer,
  startSystem,
  type RunningSystem,
  type Topology,
} from './read-path/children.js';
import { tokenFor } from './read-path/contract.js';
import { summariseNewestProfile } from './read-path/cpu-profile.js';
import { keepAliveAgent, requestOk } from './read-path/http.js';
import { runOpenLoop, type OpenLoopResult } from './read-path/open-loop.js';
import { benchOperations, looksSuccessful, type BenchOperation } from './read-path/operations.js';
import { processCpuMs } from './read-path/proc-cpu.js';
import { deleteKeysWithPrefix } from './read-path/redis-cleanup.js';
import {
  latencyTable,
  runHealthLines,
  upstreamTable,
  TARGET_ADDED_P50_MS,
  TARGET_ADDED_P99_MS,
  TARGET_CPU_MS_PER_REQUEST,
  type FloorResult,
  type OperationResult,
} from './read-path/report.js';
import { saturate } from './read-path/saturate.js';
import {
  measureTracingCost,
  parseInstrumentations,
  type TracingCostReport,
} from './read-path/tracing-cost.js';
import {
  readStats,
  resetStats,
  setLatency,
  type UpstreamStats,
} from './read-path/sandbox-control.js';

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    topology: { type: 'string', default: 'separate' },
    'latency-ms': { type: 'string', default: '10' },
    connections: { type: 'string', default: '64' },
    'cpu-prof': { type: 'boolean', default: false },
    /** Measure one operation only, e.g. to profile it alone. */
    only: { type: 'string' },
    /** Leave out the tracing-cost rounds, to hold the machine for less time when they are not needed. */
    'no-tracing-cost': { type: 'boolean', default: false },
    /** Skip the latency runs and measure only what tracing costs, at --rate req/s. */
    'tracing-only': { type: 'boolean', default: false },
    /**
     * The fixed rate in req/s: of --tracing-only (200 unless given), or of the latency runs instead
     * of half the measured saturating rate, to compare two builds at one load (with --only).
     */
    rate: { type: 'string' },
    /** The traced gateway's OTEL_TRACES_SAMPLER (and --sampler-arg), e.g. parentbased_traceidratio. */
    sampler: { type: 'string' },
    'sampler-arg': { type: 'string' },
    /** The traced gateway's instrumentations, e.g. http,undici, or none (the SDK alone). */
    instrumentations: { type: 'string' },
    /**
     * Measure the gateway built in another checkout (e.g. the commit an aim's "today" figures
     * came from), as its npm start runs it, against this checkout's sandbox and harness.
     */
    'gateway-root': { type: 'string' },
    /**
     * After each operation, the floor at the same rate (bench/read-path/floor-server.ts): a server
     * that only waits on the critical path and answers the gateway's answer, for what this
     * machine and harness add to any server.
     */
    floor: { type: 'boolean', default: false },
    /** The gateway's LOG_LEVEL: warn unless given (info is a deployment's default). */
    'log-level': { type: 'string' },
    /** Run the gateway alone on another Node binary, e.g. to compare release lines. */
    'gateway-node': { type: 'string' },
  },
});
if (args.rate !== undefined && !(Number(args.rate) > 0)) {
  throw new Error(`--rate must be a positive number of requests per second, not ${args.rate}`);
}
const topology: Topology = args.topology === 'in-process' ? 'in-process' : 'separate';
const upstreamLatencyMs = Number(args['latency-ms']);
const connections = Number(args.connections);
// --quick is a smoke run of the harness; its figures are too short to quote.
const seconds = args.quick
  ? { warm: 1, saturate: 3, leadIn: 1, fixedRate: 4, tracingRound: 2, tracingRounds: 2 }
  : { warm: 3, saturate: 10, leadIn: 3, fixedRate: 15, tracingRound: 5, tracingRounds: 6 };

const repoRoot = fileURLToPath(new URL('../..', import.meta.url)).replace(/\/$/, '');
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const redisKeyPrefix = `bench-graph-${process.pid}-${Date.now()}:`;
const profileDir = args['cpu-prof'] ? mkdtempSync(join(tmpdir(), 'bench-graph-prof-')) : null;
const profileFlags = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];

async function measure(
  system: RunningSystem,
  op: BenchOperation,
  token: string,
): Promise<OperationResult> {
  const url = `${system.gatewayUrl}/graphql`;
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (op.signedIn) headers['authorization'] = `JWT ${token}`;

  // One answer checked in full, so the run measures complete answers and not fast errors.
  const firstAnswer = (await requestOk({ method: 'POST', url, headers, body: op.body })).body;
  const first = JSON.parse(firstAnswer) as { data?: unknown; errors?: unknown };
  const problem = first.errors ? JSON.stringify(first.errors) : op.checkShape(first.data);
  if (problem) throw new Error(`${op.name} does not answer as expected: ${problem}`);

  // Warm-up: JIT, connection pools, the catalog and payment caches in Redis.
  const load = { url, headers, body: op.body };
  await saturate({ ...load, connections: 16, durationSeconds: seconds.warm });
  const saturation = await saturate({ ...load, connections, durationSeconds: seconds.saturate });
  const rate = args.rate
    ? Number(args.rate)
    : Math.max(1, Math.floor(saturation.requestsPerSecond / 2));
  await delay(1000);

  const agent = keepAliveAgent();
  const send = async () => {
    const answer = await requestOk({ method: 'POST', url, headers, body: op.body }, agent);
    if (!looksSuccessful(answer.body))
      throw new Error(`GraphQL errors: ${answer.body.slice(0, 200)}`);
  };
  const {
    run: gateway,
    cpuMsPerRequest: [gatewayCpuMsPerRequest = null, sandboxCpuMsPerRequest = null],
  } = await runAtRate(rate, send, [system.gatewayPid, system.sandboxPid], () =>
    resetStats(system.upstreams),
  );
  const upstreamPerRequest = perRequest(
    await readStats(system.upstreams),
    gateway.ok + gateway.failed,
  );
  agent.destroy();
  await delay(1000);

  const criticalPath = op.criticalPath.send
    ? await runCriticalPath(system, rate, op.criticalPath.send)
    : null;

  return {
    name: op.name,
    saturation,
    gateway,
    criticalPath,
    ...(args.floor ? { floor: await measureFloor(system, op, firstAnswer, rate) } : {}),
    criticalPathStages: op.criticalPath.stages,
    upstreamPerRequest,
    gatewayCpuMsPerRequest,
    sandboxCpuMsPerRequest,
  };
}

/**
 * The lead-in at `rate`, then (after `beforeRun`) the recorded fixed-rate run, with the CPU ms
 * per request sent that each of `pids` used in it (null for a process not there, or without /proc).
 */
async function runAtRate(
  rate: number,
  send: () => Promise<void>,
  pids: readonly (number | null)[],
  beforeRun?: () => Promise<unknown>,
): Promise<{ run: OpenLoopResult; cpuMsPerRequest: (number | null)[] }> {
  await leadIn(rate, send);
  await beforeRun?.();
  const cpuNow = () => pids.map((pid) => (pid === null ? null : processCpuMs(pid)));
  const before = cpuNow();
  const run = await runOpenLoop({
    ratePerSecond: rate,
    durationMs: seconds.fixedRate * 1000,
    send,
  });
  const after = cpuNow();
  const cpuMsPerRequest = after.map((end, i) => {
    const start = before[i] ?? null;
    return start === null || end === null ? null : (end - start) / Math.max(1, run.sent);
  });
  return { run, cpuMsPerRequest };
}

/** The floor server, answering what the gateway answered, at the rate the gateway had. */
async function measureFloor(
  system: RunningSystem,
  op: BenchOperation,
  answer: string,
  rate: number,
): Promise<FloorResult> {
  const floor = await startFloorServer({
    repoRoot,
    operation: op.name,
    answer,
    upstreams: system.upstreams,
  });
  const agent = keepAliveAgent();
  try {
    const request = { method: 'POST', url: `${floor.url}/graphql`, body: op.body } as const;
    const send = async () => {
      await requestOk(request, agent);
    };
    const { run, cpuMsPerRequest } = await runAtRate(rate, send, [floor.pid]);
    return { run, cpuMsPerRequest: cpuMsPerRequest[0] ?? null };
  } finally {
    agent.destroy();
    await floor.stop();
    await delay(1000);
  }
}

/** The critical path's own requests straight to the sandbox, at the rate the gateway had. */
async function runCriticalPath(
  system: RunningSystem,
  rate: number,
  send: () => Promise<void>,
): Promise<OpenLoopResult> {
  const { run } = await runAtRate(rate, send, [], () => resetStats(system.upstreams));
  await delay(1000);
  return run;
}

/**
 * The fixed rate for seconds.leadIn, not recorded, before the recorded run on the same connections:
 * the recorded run starts on connections already open and code already warm at that rate, as a
 * gateway behind a router runs. Without it the first second's burst of new connections (after the
 * pause that follows saturation) was a good part of the p99 (session 19).
 */
async function leadIn(rate: number, send: () => Promise<void>): Promise<void> {
  const run = await runOpenLoop({ ratePerSecond: rate, durationMs: seconds.leadIn * 1000, send });
  if (run.failed > 0) throw new Error(`lead-in: ${run.failed} failed, e.g. ${run.firstFailure}`);
}

function perRequest(stats: UpstreamStats, requests: number): UpstreamStats {
  const scaled = {} as UpstreamStats;
  for (const [upstream, routes] of Object.entries(stats) as [
    keyof UpstreamStats,
    Record<string, number>,
  ][]) {
    scaled[upstream] = Object.fromEntries(
      Object.entries(routes).map(([route, count]) => [route, count / Math.max(1, requests)]),
    );
  }
  return scaled;
}

function printHeader(): void {
  const cpu = cpus();
  const [load1] = loadavg();
  console.log(`bench:graph  ${new Date().toISOString()}`);
  console.log(
    `machine: node ${process.version}, ${cpu.length} cores (${cpu[0]?.model.trim() ?? 'unknown'}), ` +
      `load average ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
  );
  // Everything here shares the cores with whatever else runs: a busy machine inflates the tails.
  if ((load1 ?? 0) > cpu.length / 4) {
    console.log(
      `WARNING: the machine is already busy (1-min load ${(load1 ?? 0).toFixed(2)}); tails will be inflated`,
    );
  }
  console.log(
    `setup: sandbox upstream latency ${upstreamLatencyMs} ms; topology ${topology} ` +
      `(${topology === 'separate' ? 'sandbox in its own process, gateway NODE_ENV=production' : 'sandbox inside the gateway process, as npm start'}); ` +
      `saturation: closed loop, ${connections} connections, ${seconds.saturate} s; ` +
      `fixed rate: open loop at half the saturating rate, ${seconds.fixedRate} s${args.quick ? '  [--quick: smoke run, do not quote]' : ''}`,
  );
  if (args['gateway-root']) {
    console.log(
      `gateway: the build in ${args['gateway-root']}, started as its npm start starts it`,
    );
  }
  if (args['gateway-node']) {
    const version = execFileSync(args['gateway-node'], ['--version'], { encoding: 'utf8' }).trim();
    console.log(`gateway: on node ${version} (${args['gateway-node']}); the rest on this one`);
  }
}

function printResults(results: OperationResult[]): void {
  const rate = args.rate ? `${args.rate} req/s, --rate` : 'half the saturating req/s';
  console.log(`\nLatency in ms, at the fixed rate (open loop, ${rate}):`);
  console.log(latencyTable(results));
  console.log(
    `\n  gw = gateway: POST /graphql, from sending the request to the last byte of the answer.\n` +
      `  cp = upstream critical path: the upstream requests the operation must wait for (as it sends them),\n` +
      `       sent straight to the sandbox from this process, at the same rate, over keep-alive connections:`,
  );
  for (const r of results) console.log(`       ${r.name}: ${r.criticalPathStages.join('  ->  ')}`);
  console.log(
    `  added pXX = gw pXX - cp pXX (a difference of percentiles, not a percentile of differences).\n` +
      `  gw CPU/req = gateway process CPU time / requests during the fixed-rate run.\n` +
      `  target (issue 12): added p50 <= ${TARGET_ADDED_P50_MS} ms, added p99 <= ${TARGET_ADDED_P99_MS} ms and gw CPU/req <= ` +
      Object.entries(TARGET_CPU_MS_PER_REQUEST)
        .map(([name, cpuMs]) => `${cpuMs} ms (${name})`)
        .join(', ') +
      `; saturating req/s doubled is judged against an earlier run.\n` +
      `  MyOrders is measured with warm caches (catalog runs and terminal payments in Redis), the steady state.`,
  );
  if (results.some((r) => r.floor)) {
    console.log(
      `  floor rows (--floor): read-path/floor-server.ts at the same rate in place of the gateway: it waits on the\n` +
        `       same critical path and answers the gateway's answer as kept text, nothing else. What it adds is what\n` +
        `       this machine and harness add to any server; its target column only compares it with the aims.`,
    );
  }
  console.log(
    '\nUpstream requests per gateway request (sandbox /__sandbox/stats over the fixed-rate run):',
  );
  console.log(upstreamTable(results));
  console.log('\nRun health:');
  for (const line of runHealthLines(results)) console.log(line);
}

function printTracingCost(report: TracingCostReport): void {
  console.log(
    `\nTracing cost: CPU per request of a gateway exporting every trace (OTLP/HTTP protobuf to a local\n` +
      `sink, ${args.sampler ? `sampler ${args.sampler} ${args['sampler-arg'] ?? ''}` : 'all spans sampled'}` +
      `${args.instrumentations === undefined ? '' : `, instrumentations: ${args.instrumentations}`}) over one with tracing off, both loaded at once in ${seconds.tracingRounds} rounds of ` +
      `${seconds.tracingRound} s each at the fixed rate above (target <= 1.15):`,
  );
  for (const r of report.results) {
    console.log(
      `  ${r.name.padEnd(14)} ${r.ratePerSecond} req/s   off ${r.cpuMsPerRequest.off.toFixed(3)} ms/req (${r.requests.off} req)   ` +
        `on ${r.cpuMsPerRequest.on.toFixed(3)} ms/req (${r.requests.on} req)   ratio ${r.ratio.toFixed(2)}`,
    );
  }
  console.log(
    `  exported: ${report.spanExports} OTLP requests, ${(report.exportedBytes / 1024).toFixed(0)} KiB`,
  );
}

function printProfile(): void {
  if (!profileDir) return;
  const summary = summariseNewestProfile(profileDir, repoRoot, 15);
  const pct = (share: number) => `${(share * 100).toFixed(1).padStart(5)}%`;
  console.log(
    `\nGateway CPU profile (${summary.file}): ${(summary.busyMs / 1000).toFixed(1)} s busy, ${(summary.idleMs / 1000).toFixed(1)} s idle`,
  );
  console.log('  self time by place:');
  for (const line of summary.byPlace) console.log(`    ${pct(line.share)}  ${line.label}`);
  console.log('  self time by function:');
  for (const line of summary.byFunction) console.log(`    ${pct(line.share)}  ${line.label}`);
}

/** Set once SIGINT or SIGTERM arrived; main's finally stops the gateway and exits 130. */
let interrupted = false;

async function main(): Promise<void> {
  if ((args['gateway-root'] || args['gateway-node']) && !args['no-tracing-cost']) {
    // The tracing pair is started from this checkout and Node: it would not measure that gateway.
    throw new Error(
      '--gateway-root and --gateway-node measure the latency runs only: add --no-tracing-cost',
    );
  }
  const tracedInstrumentations =
    args.instrumentations === undefined ? undefined : parseInstrumentations(args.instrumentations);
  printHeader();
  const system = await startSystem({
    topology,
    repoRoot,
    redisUrl,
    redisKeyPrefix,
    gatewayNodeFlags: args['tracing-only'] ? [] : profileFlags,
    ...(args['log-level'] ? { gatewayEnv: { LOG_LEVEL: args['log-level'] } } : {}),
    ...(args['gateway-root'] ? { gatewayRoot: args['gateway-root'] } : {}),
    ...(args['gateway-node'] ? { gatewayNode: args['gateway-node'] } : {}),
  });
  const results: OperationResult[] = [];
  const token = await tokenFor('alice');
  let operations: BenchOperation[] = [];
  // Ctrl+C reaches the gateway too; the bench stops measuring, cleans up and exits.
  const stopSignal = new Promise<never>((_, reject) => {
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      process.once(signal, () => {
        interrupted = true;
        process.stderr.write(`${signal}: stopping the gateway and cleaning up\n`);
        reject(new Error(signal));
      });
    }
  });
  stopSignal.catch(() => undefined);
  try {
    await setLatency(system.upstreams, upstreamLatencyMs);
    operations = (await benchOperations(repoRoot, system.upstreams)).filter(
      (op) => args.only === undefined || op.name === args.only,
    );
    if (operations.length === 0) throw new Error(`No operation named ${args.only ?? ''}`);
    for (const op of args['tracing-only'] ? [] : operations) {
      process.stderr.write(`measuring ${op.name}…\n`);
      const result = await Promise.race([measure(system, op, token), stopSignal]);
      results.push(result);
      // Each operation's figures as soon as they are in; the full tables follow at the end.
      console.log(latencyTable([result]));
    }
  } finally {
    await system.stop();
    const deleted = await deleteKeysWithPrefix(redisUrl, redisKeyPrefix);
    process.stderr.write(
      `stopped the gateway; deleted ${deleted} Redis keys under ${redisKeyPrefix}\n`,
    );
  }
  const tracing = args['no-tracing-cost']
    ? null
    : await measureTracingCost({
        system: { topology: 'separate', repoRoot, redisUrl, gatewayNodeFlags: [] },
        redisKeyPrefix: `${redisKeyPrefix}tracing:`,
        // With --tracing-only and --cpu-prof, the traced gateway is the one profiled.
        tracedNodeFlags: args['tracing-only'] ? profileFlags : [],
        ...(args.sampler ? { sampler: { name: args.sampler, arg: args['sampler-arg'] } } : {}),
        ...(tracedInstrumentations === undefined
          ? {}
          : { instrumentations: tracedInstrumentations }),
        operations: args['tracing-only']
          ? operations.map((op) => ({ op, ratePerSecond: Number(args.rate ?? 200) }))
          : // Both gateways are loaded at once: half the latency run's rate each, the same load.
            results.map((result) => ({
              op: operations.find((op) => op.name === result.name)!,
              ratePerSecond: Math.max(1, Math.floor(result.gateway.ratePerSecond / 2)),
            })),
        token,
        upstreamLatencyMs,
        rounds: seconds.tracingRounds,
        roundSeconds: seconds.tracingRound,
      }).finally(() => deleteKeysWithPrefix(redisUrl, `${redisKeyPrefix}tracing:`));
  if (results.length > 0) printResults(results);
  if (tracing) printTracingCost(tracing);
  printProfile();
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    if (interrupted) process.exit(130);
    console.error(error instanceof Error ? (error.stack ?? error.message) : error);
    process.exit(1);
  },
);
