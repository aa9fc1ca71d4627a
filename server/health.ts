import { Router } from 'express';
import type { Redis } from 'ioredis';
import type { Connectors } from '../connectors/index.js';

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
 * `/healthz`: the process is up. `/readyz`: Redis and every upstream answer; results are reused
 * for a moment so frequent probes do not become load on the upstreams.
 */
const READINESS = ({ catalog, enrollment, payments, orders }: Connectors) => ({
  catalog,
  enrollment,
  payments,
  orders,
});

export function createHealthRouter(deps: { redis: Redis; connectors: Connectors }): Router {
  const router = Router();
  let cached: { at: number; checks: Record<string, CheckResult> } | null = null;

  const runChecks = async (): Promise<Record<string, CheckResult>> => {
    const entries = await Promise.all([
      withTimeout(deps.redis.ping()).then((result) => ['redis', result] as const),
      // Mail is left out: receipts wait and retry, so an SMTP outage does not stop the gateway.
      ...Object.entries(READINESS(deps.connectors)).map(([name, connector]) =>
        withTimeout(connector.checkReachable()).then((result) => [name, result] as const),
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
