import { setTimeout as delay } from 'node:timers/promises';
import { startSystem, type RunningSystem, type SystemOptions } from './children.js';
import { benchOperations, type BenchOperation } from './operations.js';
import { cpuRound } from './cpu-round.js';
import { saturate } from './saturate.js';
import { setLatency } from './sandbox-control.js';

export interface BuildCost {
  /** The build's folder (a checkout with its own dist/ and node_modules/). */
  root: string;
  requests: number;
  cpuMsPerRequest: number;
}

export interface AbResult {
  name: string;
  ratePerSecond: number;
  a: BuildCost;
  b: BuildCost;
  /** B's CPU per request over A's. */
  ratio: number;
}

/**
 * Two builds side by side, each gateway (started as its own checkout's `npm start` starts it)
 * with a sandbox of its own (the candidate's, so both answer the same data at the same cost),
 * loaded in turn at the same fixed rate in short rounds whose order alternates, so that a change
 * in the machine's other load falls on both alike: on a shared machine the one comparison of CPU
 * per request that holds.
 */
export async function compareBuilds(options: {
  roots: { a: string; b: string };
  /** Extra node flags for each side's gateway, e.g. a GC setting tried on one side only. */
  nodeFlags: { a: string[]; b: string[] };
  system: Omit<SystemOptions, 'repoRoot' | 'redisKeyPrefix' | 'gatewayNodeFlags'>;
  redisKeyPrefix: string;
  operations: { name: string; ratePerSecond: number }[];
  token: string;
  upstreamLatencyMs: number;
  rounds: number;
  roundSeconds: number;
}): Promise<AbResult[]> {
  const systems: { a?: RunningSystem; b?: RunningSystem } = {};
  try {
    for (const which of ['a', 'b'] as const) {
      systems[which] = await startSystem({
        ...options.system,
        repoRoot: options.roots.b,
        gatewayRoot: options.roots[which],
        gatewayNodeFlags: options.nodeFlags[which],
        redisKeyPrefix: `${options.redisKeyPrefix}${which}:`,
      });
    }
    const pair = { a: systems.a!, b: systems.b! };
    const ops: Record<'a' | 'b', BenchOperation[]> = { a: [], b: [] };
    for (const which of ['a', 'b'] as const) {
      await setLatency(pair[which].upstreams, options.upstreamLatencyMs);
      ops[which] = await benchOperations(options.roots.b, pair[which].upstreams);
    }
    const results: AbResult[] = [];
    for (const { name, ratePerSecond } of options.operations) {
      process.stderr.write(`comparing ${name}…\n`);
      const load = (which: 'a' | 'b') => {
        const op = ops[which].find((candidate) => candidate.name === name);
        if (!op) throw new Error(`No operation named ${name}`);
        const headers: Record<string, string> = { 'content-type': 'application/json' };
        if (op.signedIn) headers['authorization'] = `JWT ${options.token}`;
        return { url: `${pair[which].gatewayUrl}/graphql`, headers, body: op.body };
      };
      for (const which of ['a', 'b'] as const) {
        await saturate({
          ...load(which),
          connections: 16,
          durationSeconds: 3,
        });
      }
      // Let the warm-up's connections close before the rounds count anything.
      await delay(1000);
      const cpu = { a: 0, b: 0 };
      const requests = { a: 0, b: 0 };
      for (let round = 0; round < options.rounds; round += 1) {
        const order: ('a' | 'b')[] = round % 2 === 0 ? ['a', 'b'] : ['b', 'a'];
        for (const which of order) {
          const round = await cpuRound({
            label: `${name} (${which})`,
            gatewayPid: pair[which].gatewayPid,
            request: load(which),
            ratePerSecond,
            seconds: options.roundSeconds,
          });
          cpu[which] += round.cpuMs;
          requests[which] += round.requests;
        }
      }
      const cost = (which: 'a' | 'b'): BuildCost => ({
        root: options.roots[which],
        requests: requests[which],
        cpuMsPerRequest: cpu[which] / requests[which],
      });
      const a = cost('a');
      const b = cost('b');
      results.push({ name, ratePerSecond, a, b, ratio: b.cpuMsPerRequest / a.cpuMsPerRequest });
    }
    return results;
  } finally {
    await systems.b?.stop();
    await systems.a?.stop();
  }
}
