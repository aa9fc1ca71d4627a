import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { deleteKeys, TEST_REDIS_URL } from '../support/gateway.js';

const MAIN = fileURLToPath(new URL('../../dist/server/main.js', import.meta.url));

/** Runs `npm start`'s program with only the given environment, as an operator would. */
function start(environment: Record<string, string>) {
  if (!existsSync(MAIN))
    throw new Error(`${MAIN} is missing: run npm run build (npm test does it)`);
  const child = spawn(process.execPath, [MAIN], {
    env: { PATH: process.env['PATH'] ?? '', ...environment },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  return { child, exited, stdout: () => stdout, stderr: () => stderr };
}

describe('npm start', () => {
  it('runs with nothing configured but a port, serves GraphQL, and stops cleanly on SIGTERM', async () => {
    const keyPrefix = `test:${randomUUID()}:`;
    const run = start({ PORT: '0', REDIS_URL: TEST_REDIS_URL, REDIS_KEY_PREFIX: keyPrefix });
    const deadline = Date.now() + 20_000;
    let url: string | undefined;
    while (!url) {
      url = /listening on (http:\/\/[^\s"]+)/.exec(run.stdout())?.[1];
      if (Date.now() > deadline || run.child.exitCode !== null) {
        throw new Error(`did not start:\n${run.stdout()}${run.stderr()}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const response = await fetch(`${url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ courses(first: 1) { totalCount } }' }),
    });
    expect(await response.json()).toMatchObject({ data: { courses: { totalCount: 10 } } });
    expect((await fetch(`${url}/readyz`)).status).toBe(200);

    run.child.kill('SIGTERM');
    const timer = setTimeout(() => run.child.kill('SIGKILL'), 15_000);
    expect(await run.exited).toBe(0);
    clearTimeout(timer);
    await deleteKeys(keyPrefix);
  });

  it.each([
    [{ PORT: 'eighty' }, /^Invalid configuration: PORT /],
    [
      { PORT: '0', REDIS_URL: 'redis://127.0.0.1:1' },
      /^No Redis answers at redis:\/\/127\.0\.0\.1:1/,
    ],
    [{ PORT: '0', NODE_ENV: 'production' }, /^Invalid configuration: DISCOVERY_URL is not set/],
    [
      { PORT: '0', REDIS_SENTINELS: '127.0.0.1:1', REDIS_SENTINEL_NAME: 'mymaster' },
      /^Redis \(Sentinel master "mymaster" via 127\.0\.0\.1:1\) is not ready after 10000 ms/,
    ],
    [
      { PORT: '0', REDIS_CLUSTER_NODES: '127.0.0.1:1' },
      /^Redis \(Cluster via 127\.0\.0\.1:1\) is not ready after 10000 ms/,
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
