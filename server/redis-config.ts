import { z } from 'zod';

export interface RedisHost {
  host: string;
  port: number;
}

/** Which Redis deployment the gateway talks to, as the environment chose it. */
export type RedisTarget =
  | { mode: 'single'; url: string }
  | {
      mode: 'sentinel';
      sentinels: RedisHost[];
      masterName: string;
      sentinelPassword: string | null;
      password: string | null;
      tls: boolean;
    }
  | { mode: 'cluster'; nodes: RedisHost[]; password: string | null; tls: boolean };

const hostList = z.string().transform((text, ctx) => {
  const hosts: RedisHost[] = [];
  for (const entry of text
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean)) {
    const match = /^(\[[0-9a-fA-F:]+\]|[^:\s[\]]+):(\d{1,5})$/.exec(entry);
    const port = Number(match?.[2]);
    if (!match?.[1] || !(port >= 1 && port <= 65535)) {
      ctx.addIssue({ code: 'custom', message: `has "${entry}"; write host:port[,host:port…]` });
      return z.NEVER;
    }
    hosts.push({ host: match[1].replace(/^\[|\]$/g, ''), port });
  }
  if (hosts.length === 0) {
    ctx.addIssue({ code: 'custom', message: 'names no host:port' });
    return z.NEVER;
  }
  return hosts;
});

/** The Redis variables, merged into config.ts's environment schema. */
export const redisEnvironmentShape = {
  REDIS_URL: z.url({ protocol: /^rediss?$/ }).optional(),
  REDIS_SENTINELS: hostList.optional(),
  REDIS_SENTINEL_NAME: z.string().min(1).optional(),
  REDIS_SENTINEL_PASSWORD: z.string().min(1).optional(),
  REDIS_CLUSTER_NODES: hostList.optional(),
  REDIS_PASSWORD: z.string().min(1).optional(),
  REDIS_TLS: z
    .enum(['true', 'false', '1', '0'])
    .transform((value) => value === 'true' || value === '1')
    .optional(),
  REDIS_COMMAND_TIMEOUT_MS: z.coerce.number().int().min(100).max(30_000).default(1500),
  REDIS_READY_TIMEOUT_MS: z.coerce.number().int().min(500).max(600_000).default(10_000),
};

type RedisEnvironment = z.output<z.ZodObject<typeof redisEnvironmentShape>>;

/** Picks the deployment: Sentinel or Cluster when named, else REDIS_URL; message on a bad mix. */
export function resolveRedisTarget(env: RedisEnvironment): RedisTarget | string {
  if (env.REDIS_SENTINELS && env.REDIS_CLUSTER_NODES) {
    return 'REDIS_SENTINELS and REDIS_CLUSTER_NODES are both set; set one of them';
  }
  if (env.REDIS_SENTINELS) {
    if (!env.REDIS_SENTINEL_NAME) {
      return 'REDIS_SENTINEL_NAME is required when REDIS_SENTINELS is set';
    }
    return {
      mode: 'sentinel',
      sentinels: env.REDIS_SENTINELS,
      masterName: env.REDIS_SENTINEL_NAME,
      sentinelPassword: env.REDIS_SENTINEL_PASSWORD ?? null,
      password: env.REDIS_PASSWORD ?? null,
      tls: env.REDIS_TLS ?? false,
    };
  }
  if (env.REDIS_SENTINEL_NAME || env.REDIS_SENTINEL_PASSWORD) {
    const given = env.REDIS_SENTINEL_NAME ? 'REDIS_SENTINEL_NAME' : 'REDIS_SENTINEL_PASSWORD';
    return `${given} is set but REDIS_SENTINELS is not`;
  }
  if (env.REDIS_CLUSTER_NODES) {
    return {
      mode: 'cluster',
      nodes: env.REDIS_CLUSTER_NODES,
      password: env.REDIS_PASSWORD ?? null,
      tls: env.REDIS_TLS ?? false,
    };
  }
  if (env.REDIS_PASSWORD) {
    return 'REDIS_PASSWORD applies to REDIS_SENTINELS or REDIS_CLUSTER_NODES; with REDIS_URL, put the password in the URL (redis://:password@host:port)';
  }
  if (env.REDIS_TLS !== undefined) {
    return 'REDIS_TLS applies to REDIS_SENTINELS or REDIS_CLUSTER_NODES; with REDIS_URL, use rediss://';
  }
  return { mode: 'single', url: env.REDIS_URL ?? 'redis://127.0.0.1:6379' };
}
