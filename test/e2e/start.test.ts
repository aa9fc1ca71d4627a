import { describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { deleteKeys, TEST_REDIS_URL } from '../support/gateway.js';
import { startGatewayProcess as start } from '../support/gateway-process.js';

describe('npm start', () => {
  it('runs with nothing configured but a port, serves GraphQL, and stops cleanly on SIGTERM', async () => {
    const keyPrefix = `test:${randomUUID()}:`;
    const run = start({ PORT: '0', REDIS_URL: TEST_REDIS_URL, REDIS_KEY_PREFIX: keyPrefix });
    const url = await run.listening();
    const response = await fetch(`${url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ courses(first: 1) { totalCount } }' }),
    });
    expect(await response.json()).toMatchObject({ data: { courses: { totalCount: 10 } } });
    expect((await fetch(`${url}/readyz`)).status).toBe(200);

    expect(await run.stop()).toBe(0);
    await deleteKeys(keyPrefix);
  });

  it.each([
    [{ PORT: 'eighty' }, /^Invalid configuration: PORT /],
    [
      { PORT: '0', REDIS_URL: 'redis://127.0.0.1:1' },
      /^No Redis answers at redis:\/\/127\.0\.0\.1:1/,
    ],
    [
      { PORT: '0', NODE_ENV: 'production' },
      /^Invalid configuration: DISCOVERY_URL, LMS_URL, .* are not set/,
    ],
    // REDIS_READY_TIMEOUT_MS (10 s unless set) is how long these wait before they stop.
    [
      {
        PORT: '0',
        REDIS_SENTINELS: '127.0.0.1:1',
        REDIS_SENTINEL_NAME: 'mymaster',
        REDIS_READY_TIMEOUT_MS: '2000',
      },
      /^Redis \(Sentinel master "mymaster" via 127\.0\.0\.1:1\) is not ready after 2000 ms/,
    ],
    [
      { PORT: '0', REDIS_CLUSTER_NODES: '127.0.0.1:1', REDIS_READY_TIMEOUT_MS: '2000' },
      /^Redis \(Cluster via 127\.0\.0\.1:1\) is not ready after 2000 ms/,
    ],
  ])('stops on %o with one clear line and no stack trace', async (environment, message) => {
    const run = start(environment);
    expect(await run.exited).toBe(1);
    const lines = run.stderr().trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(message);
    // While it waited, Redis errors were logged as JSON lines, a few rather than one per retry.
    const logged = run
      .stdout()
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as { msg: string });
    expect(logged.filter((line) => line.msg.endsWith('Redis error')).length).toBeLessThanOrEqual(4);
  });
});
