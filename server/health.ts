import { randomUUID } from 'node:crypto';
import { Router } from 'express';
import type { Cluster, Redis } from 'ioredis';
import { READINESS_CONNECTORS, type Connectors } from '../connectors/index.js';
import { probeRedisWrites } from './redis-probe.js';

const CHECK_TIMEOUT_MS = 2000;
const CACHE_MS = 2000;

type CheckResult = 'ok' | 'unavailable';

function withTimeout(check: Promise<unknown>): Promise<CheckResult> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<CheckResult>((resolve) => {
    timer = setTimeout(() => resolve('unavailable'), CHECK_TIMEOUT_MS);
  });
  return Promise.race([
    check.then(
      (): CheckResult => 'ok',
      (): CheckResult => 'unavailable',
    ),
    timeout,
  ]).finally(() => clearTimeout(timer));
}

/**
 * `/healthz`: the process is up. `/readyz`: Redis takes writes and every upstream answers; results are reused
 * for a moment so frequent probes do not become load on the upstreams.
 */
export function createHealthRouter(deps: {
  redis: Redis | Cluster;
  connectors: Connectors;
  keyPrefix: string;
}): Router {
  // One key per process, so gateways probing at once do not overwrite each other's answer.
  const probeKey = `${deps.keyPrefix}readyz:${randomUUID()}`;
  const router = Router();
  let cached: { at: number; checks: Record<string, CheckResult> } | null = null;

  const runChecks = async (): Promise<Record<string, CheckResult>> => {
    const entries = await Promise.all([
      withTimeout(probeRedisWrites(deps.redis, probeKey)).then(
        (result) => ['redis', result] as const,
      ),
      ...READINESS_CONNECTORS.map((name) =>
        withTimeout(deps.connectors[name].checkReachable()).then(
          (result) => [name, result] as const,
        ),
      ),
    ]);
    return Object.fromEntries(entries);
  };

  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    if (!cached || Date.now() - cached.at > CACHE_MS) {
      cached = { at: Date.now(), checks: await runChecks() };
    }
    const ready = Object.values(cached.checks).every((result) => result === 'ok');
    res
      .status(ready ? 200 : 503)
      .json({ status: ready ? 'ready' : 'not ready', checks: cached.checks });
  });
  return router;
}
