import { setTimeout as sleep } from 'node:timers/promises';
import { WebSocket } from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tokenFor } from '../support/client.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';

const KEEPALIVE_MS = 1000;

interface Client {
  socket: WebSocket;
  pings: number;
  /** Resolves with the ms from opening to the socket closing. */
  closed: Promise<number>;
}

/**
 * A graphql-ws client whose answers to pings the test decides: `pongAfterMs` null never answers,
 * a number answers that late (a client whose event loop is busy that long).
 */
async function connectClient(gw: TestGateway, pongAfterMs: number | null): Promise<Client> {
  const socket = new WebSocket(`${gw.url.replace('http', 'ws')}/graphql`, 'graphql-transport-ws', {
    autoPong: false,
  });
  const openedAt = Date.now();
  const client: Client = {
    socket,
    pings: 0,
    closed: new Promise((resolve) => socket.once('close', () => resolve(Date.now() - openedAt))),
  };
  socket.on('ping', (data) => {
    client.pings++;
    if (pongAfterMs === null) return;
    setTimeout(() => {
      if (socket.readyState === socket.OPEN) socket.pong(data);
    }, pongAfterMs);
  });
  await new Promise((resolve, reject) => {
    socket.once('open', resolve);
    socket.once('error', reject);
  });
  const token = await tokenFor('alice');
  socket.send(
    JSON.stringify({ type: 'connection_init', payload: { authorization: `JWT ${token}` } }),
  );
  await new Promise((resolve) =>
    socket.once('message', (data: Buffer) => {
      expect(JSON.parse(String(data))).toMatchObject({ type: 'connection_ack' });
      resolve(undefined);
    }),
  );
  return client;
}

describe('WebSocket keep-alive (WS_KEEPALIVE_SECONDS)', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway({ WS_KEEPALIVE_SECONDS: String(KEEPALIVE_MS / 1000) });
  });
  afterAll(() => gw.close());

  it('pings each socket about once a period, and keeps one that answers late within it', async () => {
    // Answering 0.6 periods late: a browser tab busy rendering, a laptop waking up.
    const busy = await connectClient(gw, KEEPALIVE_MS * 0.6);
    const prompt = await connectClient(gw, 0);
    await sleep(KEEPALIVE_MS * 4.5);
    for (const client of [busy, prompt]) {
      expect(client.socket.readyState).toBe(WebSocket.OPEN);
      expect(client.pings).toBeGreaterThanOrEqual(3);
      expect(client.pings).toBeLessThanOrEqual(6);
      client.socket.close();
    }
  });

  it('closes a socket that answers no ping, once its next ping finds the last one unanswered', async () => {
    const silent = await connectClient(gw, null);
    // Pinged within a period; closed when pinged again, one period later.
    const closedAfter = await Promise.race([
      silent.closed,
      sleep(KEEPALIVE_MS * 4).then(() => Infinity),
    ]);
    expect(closedAfter).toBeGreaterThanOrEqual(KEEPALIVE_MS * 0.9);
    expect(closedAfter).toBeLessThan(KEEPALIVE_MS * 4);
    expect(silent.pings).toBeGreaterThanOrEqual(1);
  });
});
