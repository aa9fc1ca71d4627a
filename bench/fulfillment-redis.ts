import { pino } from 'pino';
import type { RedisTarget } from '../server/config.js';
import { createRedisConnections, type RedisClient } from '../server/redis-connections.js';
import { bullPrefix } from '../server/runtime.js';
import { RedisClusterFixture } from '../test/support/redis-cluster.js';
import { deleteKeys, redisProcessId } from './fulfillment-stack.js';

export type RedisMode = 'single' | 'cluster';

/** The Redis one series of runs uses: the configured server, or a cluster started for it. */
export interface BenchRedis {
  mode: RedisMode;
  label: string;
  /** What the gateway and worker processes get, as an operator would set it. */
  environment: Record<string, string>;
  /** Redis processes, for the CPU report. */
  pids: Record<string, number>;
  /** The BullMQ prefix the gateway uses under a key prefix. */
  queuePrefix(keyPrefix: string): string;
  /**
   * A connection for the driver: unbounded, as a worker's (the driver must not give up), or as
   * the gateway's queue has it, to enqueue exactly as a gateway does.
   */
  connect(role?: 'queue'): RedisClient;
  cleanUp(keyPrefix: string): Promise<void>;
  stop(): Promise<void>;
}

/** `single`: the server at `url`. `cluster`: 3 masters and 3 replicas on free ports. */
export async function startBenchRedis(mode: RedisMode, url: string): Promise<BenchRedis> {
  const cluster = mode === 'cluster' ? await RedisClusterFixture.start(3) : null;
  const target: RedisTarget = cluster
    ? { mode: 'cluster', nodes: seeds(cluster), password: null, tls: false }
    : { mode: 'single', url };
  const connections = createRedisConnections({
    target,
    commandTimeoutMs: 10_000,
    logger: pino({ level: 'warn' }),
  });
  const pids: Record<string, number> = {};
  const servers = cluster ? cluster.servers.map((s) => `redis://127.0.0.1:${s.port}`) : [url];
  for (const [i, server] of servers.entries()) {
    const pid = await redisProcessId(server);
    if (pid !== null) pids[cluster ? `redis${i < 3 ? 'M' : 'R'}${(i % 3) + 1}` : 'redis'] = pid;
  }
  return {
    mode,
    label: cluster ? `Redis Cluster 3 masters + 3 replicas (${cluster.seedNodes})` : `Redis ${url}`,
    environment: cluster ? { REDIS_CLUSTER_NODES: cluster.seedNodes } : { REDIS_URL: url },
    pids,
    queuePrefix: (keyPrefix) => bullPrefix(keyPrefix, target),
    connect: (role) => connections.open(role ?? 'worker'),
    cleanUp: (keyPrefix) => (cluster ? Promise.resolve() : deleteKeys(url, keyPrefix)),
    async stop() {
      connections.close();
      await cluster?.destroy();
    },
  };
}

function seeds(cluster: RedisClusterFixture) {
  return cluster.servers.map((server) => ({ host: '127.0.0.1', port: server.port }));
}
