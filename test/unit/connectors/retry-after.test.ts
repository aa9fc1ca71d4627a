import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { UpstreamUnavailableError } from '../../../connectors/errors.js';
import { createHttpClient } from '../../../connectors/http-client.js';

/**
 * The sandbox's faults carry no headers, so Retry-After is checked against a bare real HTTP
 * server answering a scripted sequence of 429s.
 */
let server: http.Server;
let baseUrl: string;
let script: { status: number; retryAfter?: string; location?: string }[] = [];
let served = 0;
let connections = 0;

beforeAll(async () => {
  server = http.createServer((_req, res) => {
    served += 1;
    const next = script.shift() ?? { status: 200 };
    if (next.retryAfter) res.setHeader('retry-after', next.retryAfter);
    if (next.location) res.setHeader('location', next.location);
    res.writeHead(next.status, { 'content-type': 'application/json' }).end('{"ok":true}');
  });
  server.on('connection', () => (connections += 1));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

const client = () =>
  createHttpClient({ upstream: 'payments', baseUrl, timeoutMs: 2_000, maxRetryAfterMs: 1_500 });

describe('Retry-After', () => {
  it('waits as long as the upstream asks, within the cap', async () => {
    served = 0;
    script = [{ status: 429, retryAfter: '1' }];
    const started = Date.now();
    expect(await client().get('/x')).toEqual({ ok: true });
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(served).toBe(2);
  });

  it('fails at once when the upstream asks for longer than the cap', async () => {
    served = 0;
    script = [{ status: 429, retryAfter: '30' }];
    const started = Date.now();
    await expect(client().get('/x')).rejects.toBeInstanceOf(UpstreamUnavailableError);
    expect(Date.now() - started).toBeLessThan(500);
    expect(served).toBe(1);
  });

  it('backs off as usual when Retry-After is unreadable', async () => {
    served = 0;
    script = [{ status: 503, retryAfter: 'in a while' }];
    const started = Date.now();
    expect(await client().get('/x')).toEqual({ ok: true });
    expect(Date.now() - started).toBeLessThan(500);
    expect(served).toBe(2);
  });
});

describe('connections', () => {
  it('does not follow a redirect', async () => {
    served = 0;
    script = [{ status: 302, location: '/elsewhere' }];
    await expect(client().get('/x')).rejects.toThrow('payments answered 302');
    expect(served).toBe(1);
  });

  it('keeps connections alive across calls made one after another', async () => {
    connections = 0;
    script = [];
    const payments = client();
    for (let i = 0; i < 10; i += 1) await payments.get('/x');
    await payments.post('/x', { json: { n: 1 } });
    // undici's pool may open a second connection while the first reports itself free again.
    expect(connections).toBeLessThanOrEqual(2);
  });
});
