import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startSystem, type RunningSystem, type SystemOptions } from './children.js';
import type { BenchOperation } from './operations.js';
import { cpuRound } from './cpu-round.js';
import { saturate } from './saturate.js';
import { setLatency } from './sandbox-control.js';
import {
  INSTRUMENTATION_NAMES,
  loadTelemetryConfig,
  type InstrumentationName,
} from '../../server/config.js';

export interface TracingCost {
  name: string;
  ratePerSecond: number;
  requests: { off: number; on: number };
  cpuMsPerRequest: { off: number; on: number };
  /** CPU per request with tracing over without. */
  ratio: number;
}

export interface TracingCostReport {
  results: TracingCost[];
  spanExports: number;
  exportedBytes: number;
}

/** An OTLP/HTTP endpoint that takes every export and keeps only its size. */
async function startSink() {
  let exports = 0;
  let bytes = 0;
  const server = createServer((request, response) => {
    request.on('data', (chunk: Buffer) => (bytes += chunk.length));
    request.on('end', () => {
      if (request.url === '/v1/traces') exports += 1;
      response.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    counts: () => ({ exports, bytes }),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/**
 * The CPU cost of tracing: two gateways side by side, one exporting every trace (OTLP/HTTP
 * protobuf, the default batch processor, every span sampled) to a local sink and one with
 * tracing off, loaded at the same fixed rate at the same time, so that a change in the machine's
 * other load falls on both alike.
 */
export async function measureTracingCost(options: {
  system: Omit<SystemOptions, 'gatewayEnv' | 'redisKeyPrefix'>;
  redisKeyPrefix: string;
  /** Extra node flags for the traced gateway only, e.g. --cpu-prof. */
  tracedNodeFlags?: string[];
  /** The traced gateway's sampler (OTEL_TRACES_SAMPLER and its argument); every span if unset. */
  sampler?: { name: string; arg?: string };
  /**
   * The instrumentations the traced gateway loads (OTEL_NODE_ENABLED_INSTRUMENTATIONS); all if
   * unset. An empty list weighs the SDK alone: nothing is then exported, and that is expected.
   */
  instrumentations?: readonly InstrumentationName[];
  operations: { op: BenchOperation; ratePerSecond: number }[];
  token: string;
  upstreamLatencyMs: number;
  rounds: number;
  roundSeconds: number;
}): Promise<TracingCostReport> {
  const sink = await startSink();
  const systems: { off?: RunningSystem; on?: RunningSystem } = {};
  try {
    systems.off = await startSystem({
      ...options.system,
      redisKeyPrefix: `${options.redisKeyPrefix}off:`,
    });
    systems.on = await startSystem({
      ...options.system,
      gatewayNodeFlags: [...options.system.gatewayNodeFlags, ...(options.tracedNodeFlags ?? [])],
      redisKeyPrefix: `${options.redisKeyPrefix}on:`,
      gatewayEnv: {
        OTEL_EXPORTER_OTLP_ENDPOINT: sink.endpoint,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
        OTEL_SERVICE_NAME: 'bench-gateway',
        ...(options.sampler ? { OTEL_TRACES_SAMPLER: options.sampler.name } : {}),
        ...(options.sampler?.arg ? { OTEL_TRACES_SAMPLER_ARG: options.sampler.arg } : {}),
        ...instrumentationEnvironment(options.instrumentations),
      },
    });
    const pair = { off: systems.off, on: systems.on };
    for (const system of [pair.off, pair.on]) {
      await setLatency(system.upstreams, options.upstreamLatencyMs);
    }
    const results: TracingCost[] = [];
    for (const { op, ratePerSecond } of options.operations) {
      process.stderr.write(`tracing cost of ${op.name}…\n`);
      const load = (system: RunningSystem) => {
        const headers: Record<string, string> = { 'content-type': 'application/json' };
        if (op.signedIn) headers['authorization'] = `JWT ${options.token}`;
        return { url: `${system.gatewayUrl}/graphql`, headers, body: op.body };
      };
      for (const system of [pair.off, pair.on]) {
        await saturate({
          ...load(system),
          connections: 16,
          durationSeconds: 3,
        });
      }
      const cpu = { off: 0, on: 0 };
      const requests = { off: 0, on: 0 };
      // Both gateways at once: whatever else the machine runs then weighs on both alike, which
      // taking turns only approximates (a build starting mid-round lands on one of them).
      const loadOne = async (which: 'off' | 'on') => {
        const round = await cpuRound({
          label: `${op.name} (${which})`,
          gatewayPid: pair[which].gatewayPid,
          request: load(pair[which]),
          ratePerSecond,
          seconds: options.roundSeconds,
          // The batch processor exports on its own schedule: let the last batch go before reading.
          settleMs: 600,
        });
        cpu[which] += round.cpuMs;
        requests[which] += round.requests;
      };
      for (let round = 0; round < options.rounds; round += 1) {
        await Promise.all([loadOne('off'), loadOne('on')]);
      }
      const perRequest = { off: cpu.off / requests.off, on: cpu.on / requests.on };
      results.push({
        name: op.name,
        ratePerSecond,
        requests,
        cpuMsPerRequest: perRequest,
        ratio: perRequest.on / perRequest.off,
      });
    }
    const { exports, bytes } = sink.counts();
    if (exports === 0 && options.instrumentations?.length !== 0) {
      throw new Error('the traced gateway exported nothing: tracing was not on');
    }
    return { results, spanExports: exports, exportedBytes: bytes };
  } finally {
    await systems.on?.stop();
    await systems.off?.stop();
    await sink.close();
  }
}

/** The traced gateway's instrumentation settings: every one it has, less those not named. */
function instrumentationEnvironment(
  names: readonly InstrumentationName[] | undefined,
): NodeJS.ProcessEnv {
  if (names === undefined) return {};
  const unnamed = INSTRUMENTATION_NAMES.filter((name) => !names.includes(name));
  return unnamed.length === 0 ? {} : { OTEL_NODE_DISABLED_INSTRUMENTATIONS: unnamed.join(',') };
}

/**
 * --instrumentations: `none`, or names read exactly as the gateway reads
 * OTEL_NODE_ENABLED_INSTRUMENTATIONS, so a name it would refuse is refused here, before any run.
 */
export function parseInstrumentations(value: string): readonly InstrumentationName[] {
  if (value === 'none') return [];
  try {
    const settings = loadTelemetryConfig({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1',
      OTEL_NODE_ENABLED_INSTRUMENTATIONS: value,
    });
    return [...(settings?.instrumentations ?? [])];
  } catch (error) {
    throw new Error(`--instrumentations ${value}: ${(error as Error).message}`);
  }
}
