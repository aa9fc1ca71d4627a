/**
 * `node dist/bench/graph-compare.js --baseline <folder>`: the gateway CPU per request of this
 * build against another (a checkout with its own `npm run build` and node_modules), for MyOrders
 * and CourseCatalog, in alternating rounds at a fixed rate. A benchmark, not a test. See README.md.
 */
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { compareBuilds } from './read-path/ab-rounds.js';
import { tokenFor } from './read-path/contract.js';
import { deleteKeysWithPrefix } from './read-path/redis-cleanup.js';

const { values: args } = parseArgs({
  options: {
    baseline: { type: 'string' },
    /** The build compared with the baseline; this one by default. */
    candidate: { type: 'string' },
    /** Extra node flags for the candidate's gateway only, space-separated. */
    'candidate-node-flags': { type: 'string', default: '' },
    only: { type: 'string' },
    /** Requests per second for each operation, e.g. `MyOrders=50,CourseCatalog=80`; low enough for a busy machine. */
    rates: { type: 'string', default: 'MyOrders=50,CourseCatalog=80' },
    rounds: { type: 'string', default: '6' },
    'round-seconds': { type: 'string', default: '5' },
    'latency-ms': { type: 'string', default: '10' },
    /** The gateways' LOG_LEVEL: warn unless given (info is a deployment's default). */
    'log-level': { type: 'string' },
  },
});
if (!args.baseline) {
  console.error('usage: node dist/bench/graph-compare.js --baseline <folder> [--only MyOrders]');
  process.exit(2);
}

const repoRoot =
  args.candidate ?? fileURLToPath(new URL('../..', import.meta.url)).replace(/\/$/, '');
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const redisKeyPrefix = `bench-compare-${process.pid}-${Date.now()}:`;
const operations = args.rates
  .split(',')
  .map((entry) => entry.split('='))
  .map(([name, rate]) => ({ name: name ?? '', ratePerSecond: Number(rate) }))
  .filter((op) => args.only === undefined || op.name === args.only);

async function main(): Promise<void> {
  console.log(`bench:graph-compare  ${new Date().toISOString()}`);
  console.log(
    `machine: node ${process.version}, ${cpus().length} cores, load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  console.log(
    `A (baseline): ${args.baseline}\nB (candidate): ${repoRoot} ${args['candidate-node-flags']}`,
  );
  try {
    const results = await compareBuilds({
      roots: { a: args.baseline!, b: repoRoot },
      nodeFlags: { a: [], b: args['candidate-node-flags'].split(' ').filter(Boolean) },
      system: {
        topology: 'separate',
        redisUrl,
        ...(args['log-level'] ? { gatewayEnv: { LOG_LEVEL: args['log-level'] } } : {}),
      },
      redisKeyPrefix,
      operations,
      token: await tokenFor('alice'),
      upstreamLatencyMs: Number(args['latency-ms']),
      rounds: Number(args.rounds),
      roundSeconds: Number(args['round-seconds']),
    });
    console.log(
      `\nGateway CPU per request, ${args.rounds} alternating rounds of ${args['round-seconds']} s each:`,
    );
    for (const r of results) {
      console.log(
        `  ${r.name.padEnd(14)} ${r.ratePerSecond} req/s   A ${r.a.cpuMsPerRequest.toFixed(3)} ms (${r.a.requests} req)   ` +
          `B ${r.b.cpuMsPerRequest.toFixed(3)} ms (${r.b.requests} req)   B/A ${r.ratio.toFixed(2)}`,
      );
    }
  } finally {
    await deleteKeysWithPrefix(redisUrl, redisKeyPrefix);
    console.log(
      `load average at the end ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
    );
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : error);
    process.exit(1);
  },
);
