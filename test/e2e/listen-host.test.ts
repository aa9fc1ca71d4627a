import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deleteKeys, TEST_REDIS_URL } from '../support/gateway.js';
import { startGatewayProcess, type GatewayProcess } from '../support/gateway-process.js';
import { createTestHost, type TestHost } from '../support/test-host.js';

/** Whether this process may listen on host:port, i.e. nothing else holds it there. */
function canListen(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, host, () => probe.close(() => resolve(true)));
  });
}

describe('npm start with HOST', () => {
  const keyPrefix = `test:${randomUUID()}:`;
  let host: TestHost | undefined;
  let run: GatewayProcess | undefined;
  let url: string;
  beforeAll(async () => {
    host = await createTestHost();
    run = startGatewayProcess({
      HOST: host.listenAddress,
      PORT: '0',
      REDIS_URL: TEST_REDIS_URL,
      REDIS_KEY_PREFIX: keyPrefix,
    });
    url = await run.listening();
  });
  afterAll(async () => {
    try {
      await run?.stop();
      await deleteKeys(keyPrefix);
    } finally {
      await host?.remove();
    }
  });

  it('listens on that address alone', async () => {
    const { hostname, port } = new URL(url);
    expect(hostname).toBe(host!.listenAddress);
    expect(await canListen(Number(port), host!.listenAddress)).toBe(false);
    // Listening on every interface would hold the port on loopback too.
    expect(await canListen(Number(port), '127.0.0.1')).toBe(true);
  });

  it('serves another host there, but not /metrics', async () => {
    expect((await host!.get(`${url}/healthz`)).status).toBe(200);
    expect(await host!.get(`${url}/metrics`, { 'x-forwarded-for': '127.0.0.1' })).toEqual({
      status: 403,
      body: 'Forbidden\n',
    });
  });
});

describe('npm start with a bad HOST', () => {
  it.each(['localhost', '0.0.0.0.0', '::1'])('stops on HOST=%s with one line', async (bad) => {
    const run = startGatewayProcess({ HOST: bad, PORT: '0', REDIS_URL: TEST_REDIS_URL });
    expect(await run.exited).toBe(1);
    expect(run.stderr()).toMatch(
      /^Invalid configuration: HOST must be an IPv4 address such as 127\.0\.0\.1\n$/,
    );
  });
});
