import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { tokenFor } from '../support/client.js';
import { deleteKeys, TEST_REDIS_URL } from '../support/gateway.js';
import { startGatewayProcess, type GatewayProcess } from '../support/gateway-process.js';

function listen(port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

/** Holds a free port P and P+101, as a running gateway holds its port and its sandbox's first. */
async function holdGatewayAndSandboxPorts(): Promise<{ port: number; servers: Server[] }> {
  for (let attempt = 0; attempt < 50; attempt += 1) {
    const port = 20_000 + Math.floor(Math.random() * 30_000);
    const servers: Server[] = [];
    try {
      servers.push(await listen(port));
      servers.push(await listen(port + 101));
      return { port, servers };
    } catch {
      for (const server of servers) server.close();
    }
  }
  throw new Error('found no free pair of ports');
}

describe('what an operator and a new user see from npm start', () => {
  const keyPrefix = `test:${randomUUID()}:`;
  let run: GatewayProcess;
  let url: string;
  beforeAll(async () => {
    run = startGatewayProcess({
      PORT: '0',
      REDIS_URL: TEST_REDIS_URL,
      REDIS_KEY_PREFIX: keyPrefix,
      LOG_LEVEL: 'info',
    });
    url = await run.listening();
  });
  afterAll(async () => {
    await run.stop();
    await deleteKeys(keyPrefix);
  });

  it('sends a browser on GET / to GraphiQL', async () => {
    const response = await fetch(`${url}/`, {
      headers: { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' },
      redirect: 'manual',
    });
    expect(response.status).toBe(302);
    expect(response.headers.get('location')).toBe('/graphql');
  });

  it('logs an oversized WebSocket frame as one JSON line, and closes the socket 1009', async () => {
    const socket = new WebSocket(`${url.replace('http', 'ws')}/graphql`, 'graphql-transport-ws');
    await new Promise((resolve, reject) => {
      socket.once('open', resolve);
      socket.once('error', reject);
    });
    socket.send(
      JSON.stringify({
        type: 'connection_init',
        payload: { authorization: `JWT ${await tokenFor('alice')}` },
      }),
    );
    socket.send('x'.repeat(64 * 1024));
    const code = await new Promise<number>((resolve) => socket.once('close', resolve));
    expect(code).toBe(1009);

    const deadline = Date.now() + 5000;
    while (!run.stdout().includes('bad frame') && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const lines = `${run.stdout()}${run.stderr()}`.trim().split('\n');
    for (const line of lines) expect(() => JSON.parse(line) as unknown, line).not.toThrow();
    const logged = lines.map((line) => JSON.parse(line) as { msg?: string; reason?: string });
    expect(logged.find((line) => line.msg?.includes('bad frame'))?.reason).toMatch(/payload/i);
  });

  it('names the port asked for when it is in use, even when the sandbox’s is taken too', async () => {
    const { port, servers } = await holdGatewayAndSandboxPorts();
    try {
      const second = startGatewayProcess({ PORT: String(port), REDIS_URL: TEST_REDIS_URL });
      expect(await second.exited).toBe(1);
      const lines = second.stderr().trim().split('\n');
      expect(lines).toEqual([
        `Port ${port} is already in use: stop what uses it, or set PORT to another one.`,
      ]);
    } finally {
      for (const server of servers) server.close();
    }
  });
});
