import { Cluster, type Redis } from 'ioredis';

const PROBE_TTL_MS = 10_000;

/**
 * Resolves when Redis takes a write now. PING alone passes on a demoted master (READONLY), a
 * cluster node whose shard has no master (CLUSTERDOWN) or one that redirects every write (MOVED).
 */
export async function probeRedisWrites(redis: Redis | Cluster, key: string): Promise<void> {
  if (redis instanceof Cluster) {
    // A write lands on one shard only; the cluster's own view says whether every slot is served.
    const info = await redis.cluster('INFO');
    if (!/^cluster_state:ok\s*$/m.test(info)) throw new Error('cluster_state is not ok');
  }
  await redis.set(key, String(Date.now()), 'PX', PROBE_TTL_MS);
}
