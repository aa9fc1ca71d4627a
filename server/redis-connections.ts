import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import type { Logger } from 'pino';
import type { RedisTarget } from './redis-config.js';
import { redactUrl, RedisUnavailableError } from './redis.js';

/** A connection to any of the three deployments: ioredis gives both the same commands. */
export type RedisClient = Redis | Cluster;

/**
 * What a connection is for, which decides how it behaves while Redis is away:
 * - `commands`: request paths, caches, the queue's producer side; a command waits at most the
 *   command timeout, so a request that needs Redis fails in seconds instead of hanging;
 * - `worker`: a BullMQ Worker; BullMQ requires it to retry forever (maxRetriesPerRequest: null)
 *   and duplicates it for its blocking commands, so it carries no command timeout;
 * - `queue`: the queue's producer side, bounded as `commands` but never auto-pipelined: a batch
 *   would copy every script BullMQ defines on it, and waits for the event loop's check phase;
 * - `subscriber`: the pub/sub listener; ioredis subscribes again by itself after a reconnect.
 */
export type RedisRole = 'commands' | 'worker' | 'queue' | 'subscriber';

export interface RedisConnections {
  /** The shared request-path connection. */
  readonly commands: RedisClient;
  /** A new connection for the role, closed with the others. */
  open(role: RedisRole): RedisClient;
  /**
   * Resolves once the commands connection is ready (and, in a Cluster, every master runs a Redis
   * with sharded pub/sub); rejects after `timeoutMs`, or at once on a master too old.
   */
  waitUntilReady(timeoutMs: number): Promise<void>;
  close(): void;
}

const RECONNECT_MAX_DELAY_MS = 1000;
const ERROR_LOG_INTERVAL_MS = 10_000;

/**
 * Logs an error event as one JSON line, then at most one line per interval (with the count of
 * those left out), so an outage of minutes does not flood the log with a line per retry.
 */
export function rateLimitedErrorLog(
  logger: Logger,
  source: string,
  intervalMs = ERROR_LOG_INTERVAL_MS,
): (error: unknown) => void {
  let lastAt = 0;
  let suppressed = 0;
  return (error) => {
    const now = Date.now();
    if (now - lastAt < intervalMs) {
      suppressed += 1;
      return;
    }
    lastAt = now;
    const { message, code } = error instanceof Error ? (error as Error & { code?: string }) : {};
    logger.warn(
      { source, error: message ?? String(error), ...(code ? { code } : {}), suppressed },
      `${source}: Redis error`,
    );
    suppressed = 0;
  };
}

/** The one place that makes Redis connections, for every role and every deployment. */
export function createRedisConnections(options: {
  target: RedisTarget;
  commandTimeoutMs: number;
  logger: Logger;
}): RedisConnections {
  const { target, commandTimeoutMs, logger } = options;
  const opened: RedisClient[] = [];

  const open = (role: RedisRole): RedisClient => {
    const client = connect(target, role, commandTimeoutMs);
    client.on('error', rateLimitedErrorLog(logger, `redis ${role} connection`));
    opened.push(client);
    return client;
  };
  const commands = open('commands');

  return {
    commands,
    open,
    async waitUntilReady(timeoutMs) {
      await readyWithin(commands, target, timeoutMs);
      if (commands instanceof Cluster) await assertShardedPubSub(commands);
    },
    close() {
      for (const client of opened) client.disconnect();
    },
  };
}

/** Resolves once the connection is ready; rejects after `timeoutMs`, naming the deployment. */
function readyWithin(commands: RedisClient, target: RedisTarget, timeoutMs: number) {
  if (commands.status === 'ready') return Promise.resolve();
  return new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      commands.off('ready', onReady);
      reject(
        new RedisUnavailableError(
          `Redis (${describeTarget(target)}) is not ready after ${timeoutMs} ms: check the REDIS_ settings and that it runs.`,
        ),
      );
    }, timeoutMs);
    const onReady = () => {
      clearTimeout(timer);
      resolve();
    };
    commands.once('ready', onReady);
  });
}

/**
 * Live order status in a Cluster is sharded pub/sub (SPUBLISH/SSUBSCRIBE), which Redis has from
 * version 7: on an older master a subscriber would fail at its first subscription, so a process
 * refuses to start instead, naming the nodes.
 */
async function assertShardedPubSub(cluster: Cluster): Promise<void> {
  const masters = await Promise.all(
    cluster.nodes('master').map(async (node) => ({
      address: `${node.options.host ?? '?'}:${node.options.port ?? '?'}`,
      // A master that cannot say counts as too old: it is named, and the operator looks.
      info: await node.info('server').catch(() => ''),
    })),
  );
  const problem = clusterVersionProblem(masters);
  if (problem) throw new RedisUnavailableError(problem);
}

/** What is wrong with these masters' `INFO server` for sharded pub/sub, or null when nothing. */
export function clusterVersionProblem(
  masters: readonly { address: string; info: string }[],
): string | null {
  const old = masters.flatMap(({ address, info }) => {
    const version = /^redis_version:(\S+)/m.exec(info)?.[1];
    const major = Number(version?.split('.')[0]);
    return Number.isInteger(major) && major >= SHARDED_PUBSUB_MAJOR
      ? []
      : [`${address} (${version ?? 'version unknown'})`];
  });
  if (old.length === 0) return null;
  return `Redis Cluster: live order status needs Redis ${SHARDED_PUBSUB_MAJOR} or later on every master (sharded pub/sub); ${old.join(', ')} ${old.length === 1 ? 'runs' : 'run'} an older one.`;
}

const SHARDED_PUBSUB_MAJOR = 7;

function connect(target: RedisTarget, role: RedisRole, commandTimeoutMs: number): RedisClient {
  const bounded = role !== 'worker';
  const perCommand: RedisOptions = {
    ...(bounded
      ? { commandTimeout: commandTimeoutMs, maxRetriesPerRequest: 1 }
      : { maxRetriesPerRequest: null }),
    connectTimeout: Math.max(commandTimeoutMs, 1000),
    connectionName: `commerce-gateway:${role}`,
  };
  const retry = (times: number) => Math.min(times * 100, RECONNECT_MAX_DELAY_MS);

  if (target.mode === 'cluster') {
    const clusterOptions: ClusterOptions = {
      // A cluster queues commands while it has no slot map, with no time limit: a bounded role
      // must fail at once instead (the node connections still bound each command in flight).
      enableOfflineQueue: !bounded,
      // ioredis batches a shard's commands of many slots into one pipeline, and a pipeline cannot
      // follow a MOVED of some of its slots ("All keys in the pipeline should belong to the same
      // slots allocation group"): during a failover, whole batches would fail. Commands sent
      // concurrently still share each node's socket writes.
      enableAutoPipelining: false,
      clusterRetryStrategy: retry,
      retryDelayOnFailover: 200,
      retryDelayOnClusterDown: 200,
      retryDelayOnTryAgain: 200,
      slotsRefreshTimeout: 2000,
      // The subscriber listens on sharded channels (SSUBSCRIBE): one connection per master,
      // moved to the new master when a shard fails over. See subscriptions/order-events.ts.
      shardedSubscribers: role === 'subscriber',
      redisOptions: {
        ...perCommand,
        ...(target.password ? { password: target.password } : {}),
        ...(target.tls ? { tls: {} } : {}),
      },
    };
    return new Cluster(target.nodes, clusterOptions);
  }

  const common: RedisOptions = {
    ...perCommand,
    enableAutoPipelining: role === 'commands',
    retryStrategy: retry,
  };
  if (target.mode === 'single') return new Redis(target.url, common);
  return new Redis({
    ...common,
    sentinels: target.sentinels,
    name: target.masterName,
    ...(target.password ? { password: target.password } : {}),
    ...(target.sentinelPassword ? { sentinelPassword: target.sentinelPassword } : {}),
    ...(target.tls ? { tls: {}, enableTLSForSentinelMode: true, sentinelTLS: {} } : {}),
    // Sentinels announce +switch-master: the connection moves to the new master at once.
    failoverDetector: true,
    // A demoted master answers writes with READONLY: reconnect (to the master Sentinel names
    // now) and send the command again.
    reconnectOnError: (error) => (error.message.startsWith('READONLY') ? 2 : false),
  });
}

/** The deployment in words fit for a log line (no password). */
export function describeTarget(target: RedisTarget): string {
  const hosts = (list: { host: string; port: number }[]) =>
    list.map(({ host, port }) => `${host}:${port}`).join(',');
  switch (target.mode) {
    case 'single':
      return redactUrl(target.url);
    case 'sentinel':
      return `Sentinel master "${target.masterName}" via ${hosts(target.sentinels)}`;
    case 'cluster':
      return `Cluster via ${hosts(target.nodes)}`;
  }
}
