import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../support/gateway.js';

interface RawClient {
  socket: Socket;
  /** Everything the server sent so far. */
  received(): string;
  /** Resolves with the ms from opening to the server closing the socket. */
  closed: Promise<number>;
}

async function openRaw(url: string): Promise<RawClient> {
  const { hostname, port } = new URL(url);
  const socket = connect(Number(port), hostname);
  const openedAt = Date.now();
  let received = '';
  socket.on('data', (chunk: Buffer) => (received += chunk.toString()));
  socket.on('error', () => undefined);
  const closed = new Promise<number>((resolve) =>
    socket.once('close', () => resolve(Date.now() - openedAt)),
  );
  await new Promise((resolve) => socket.once('connect', resolve));
  return { socket, received: () => received, closed };
}

/** Fails if the promise takes longer than ms: the server must act, not the test's timeout. */
function within<T>(ms: number, promise: Promise<T>): Promise<T> {
  return Promise.race([
    promise,
    new Promise<T>((_, reject) =>
      setTimeout(() => reject(new Error(`still open after ${ms} ms`)), ms),
    ),
  ]);
}

describe('clients that are slow, endless or too many', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway({
      HTTP_HEADERS_TIMEOUT_SECONDS: '1',
      HTTP_REQUEST_TIMEOUT_SECONDS: '2',
      MAX_CONNECTIONS_PER_CLIENT: '8',
    });
  });
  afterAll(() => gw.close());

  it('answers 413 at once to a declared Content-Length over the limit, and closes', async () => {
    const client = await openRaw(gw.url);
    client.socket.write(
      'POST /graphql HTTP/1.1\r\nHost: gateway\r\nContent-Type: application/json\r\n' +
        'Content-Length: 50000000\r\n\r\n{"query":',
    );
    const elapsed = await within(1500, client.closed);
    expect(elapsed).toBeLessThan(1500);
    expect(client.received()).toMatch(/^HTTP\/1\.1 413/);
    expect(client.received()).toContain('"code":"BAD_USER_INPUT"');
  });

  it('closes a request whose body never finishes within the request timeout', async () => {
    const client = await openRaw(gw.url);
    client.socket.write(
      'POST /graphql HTTP/1.1\r\nHost: gateway\r\nContent-Type: application/json\r\n' +
        'Content-Length: 500\r\n\r\n{"query":',
    );
    const elapsed = await within(5000, client.closed);
    expect(elapsed).toBeGreaterThanOrEqual(1500);
    expect(client.received()).toMatch(/^HTTP\/1\.1 408/);
  });

  it('closes a client that sends its headers a byte at a time within the headers timeout', async () => {
    const client = await openRaw(gw.url);
    const headers = 'GET /healthz HTTP/1.1\r\nHost: gateway\r\nX-Slow: ' + 'a'.repeat(200);
    let sent = 0;
    const drip = setInterval(() => {
      if (!client.socket.destroyed && sent < headers.length) client.socket.write(headers[sent++]!);
    }, 100);
    try {
      const elapsed = await within(4000, client.closed);
      expect(elapsed).toBeLessThan(4000);
      expect(client.received()).toMatch(/^HTTP\/1\.1 408/);
    } finally {
      clearInterval(drip);
    }
  });

  it('bounds the connections one client address holds, and frees a place when one closes', async () => {
    const held = await Promise.all(Array.from({ length: 8 }, () => openRaw(gw.url)));
    const extra = await openRaw(gw.url);
    await within(1000, extra.closed);
    expect(extra.received()).toMatch(/^HTTP\/1\.1 429/);

    held[0]!.socket.destroy();
    await held[0]!.closed;
    const response = await fetch(`${gw.url}/healthz`);
    expect(response.status).toBe(200);
    for (const client of held) client.socket.destroy();
  });
});
